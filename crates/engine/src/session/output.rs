//! What a statement gives back, in terms every endpoint reads its own way: rows as a
//! stream, or how a command ended ([`Completion`]); and the notices it raised on the side.
//! An endpoint renders them for its clients (the Postgres wire as command tags and
//! NOTICE messages with their codes; Flight SQL as an update's row count).

use arrow::datatypes::SchemaRef;
use datafusion::execution::SendableRecordBatchStream;

/// What one statement produced.
pub enum QueryOutput {
    /// Rows, streamed batch by batch. `schema` has the names clients see (a name repeated
    /// in the select list is unique in the stream's own schema; see
    /// [`SessionProfile::client_schema`](super::SessionProfile::client_schema)).
    Rows {
        schema: SchemaRef,
        stream: SendableRecordBatchStream,
        /// The statement that produced them: `SELECT`, `FETCH` (a cursor's rows) or `SHOW`.
        command: &'static str,
    },
    /// A command without rows (`SET`, `CREATE TABLE`, `INSERT`, ...).
    Command(Completion),
    /// `BEGIN`: a transaction is open now.
    TransactionStart(Completion),
    /// `COMMIT` / `ROLLBACK`: the transaction is over.
    TransactionEnd(Completion),
    /// `COPY ... FROM STDIN`: the client sends the rows next
    /// ([`Session::copy_data`](super::Session::copy_data), then `copy_done` or `copy_fail`).
    CopyIn { columns: usize },
}

impl std::fmt::Debug for QueryOutput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            QueryOutput::Rows { schema, .. } => write!(f, "Rows({schema:?})"),
            QueryOutput::Command(c) => write!(f, "Command({c})"),
            QueryOutput::TransactionStart(c) => write!(f, "TransactionStart({c})"),
            QueryOutput::TransactionEnd(c) => write!(f, "TransactionEnd({c})"),
            QueryOutput::CopyIn { columns } => write!(f, "CopyIn({columns})"),
        }
    }
}

impl QueryOutput {
    /// How a command ended, if it was one.
    pub fn completion(&self) -> Option<&Completion> {
        match self {
            QueryOutput::Command(c)
            | QueryOutput::TransactionStart(c)
            | QueryOutput::TransactionEnd(c) => Some(c),
            QueryOutput::Rows { .. } | QueryOutput::CopyIn { .. } => None,
        }
    }
}

/// How a statement without rows ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Completion {
    /// The statement's name, upper case (`SET`, `CREATE TABLE AS`, `INSERT`, `COPY`); for
    /// the end of a transaction, what it did (`COMMIT`, or `ROLLBACK` when a failed
    /// transaction was asked to commit).
    pub command: String,
    /// The rows it wrote (`INSERT`, `COPY`, `CREATE TABLE AS`), for those that write rows.
    pub rows: Option<u64>,
}

impl Completion {
    pub fn new(command: impl Into<String>) -> Self {
        Completion {
            command: command.into(),
            rows: None,
        }
    }

    pub fn with_rows(command: impl Into<String>, rows: u64) -> Self {
        Completion {
            command: command.into(),
            rows: Some(rows),
        }
    }
}

impl std::fmt::Display for Completion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.rows {
            Some(n) => write!(f, "{} {n}", self.command),
            None => f.write_str(&self.command),
        }
    }
}

/// A message for the client that is not an error: the statement did what it could.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    pub kind: NoticeKind,
    pub message: String,
}

/// Why a notice was raised.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoticeKind {
    /// `BEGIN` inside a transaction: nothing changed (a warning).
    AlreadyInTransaction,
    /// `COMMIT` / `ROLLBACK` / `SET LOCAL` outside a transaction: nothing changed (a
    /// warning).
    NoTransaction,
    /// `IF [NOT] EXISTS` skipped an object (for information).
    Skipped,
}

impl NoticeKind {
    /// Whether the client should take it as a warning (else it is for information).
    pub fn is_warning(&self) -> bool {
        !matches!(self, NoticeKind::Skipped)
    }
}
