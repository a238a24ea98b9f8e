//! The engine's one error type. Every fallible engine function returns [`Result`].

use std::path::PathBuf;

mod kind;

pub use kind::ErrorKind;

/// Everything that can go wrong while running work in the engine.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error(transparent)]
    Catalog(#[from] lyceum_catalog::CatalogError),

    #[error("{context}: {source}")]
    Io {
        context: String,
        #[source]
        source: std::io::Error,
    },

    #[error("source directory {path} does not exist or is not a directory")]
    SourceMissing { path: PathBuf },

    #[error("{file}: wrong header: expected columns [{expected}], found [{found}]")]
    WrongHeader {
        file: String,
        expected: String,
        found: String,
    },

    #[error("{file}: {message}")]
    BadSource { file: String, message: String },

    #[error("required extract {pattern} has no file in {dir}")]
    MissingExtract { pattern: String, dir: PathBuf },

    #[error("invalid argument {name}: {message}")]
    InvalidArgument { name: &'static str, message: String },

    #[error("table {table}: {source}")]
    Delta {
        table: String,
        #[source]
        source: Box<deltalake::DeltaTableError>,
    },

    #[error(transparent)]
    DataFusion(datafusion::error::DataFusionError),

    #[error(transparent)]
    Arrow(#[from] arrow::error::ArrowError),

    #[error("concurrent write: {detail}; another writer committed first (retry the load)")]
    Conflict { detail: String },

    #[error("warehouse version {version} does not exist (latest is {latest})")]
    NoSuchVersion { version: u64, latest: u64 },

    #[error("unknown setting {name}")]
    UnknownSetting { name: String },

    #[error("invalid value {value:?} for setting {name}: {message}")]
    InvalidSetting {
        name: String,
        value: String,
        message: String,
    },

    #[error("{0}")]
    Canceled(StopReason),

    #[error("current transaction is aborted, commands ignored until end of transaction block")]
    InFailedTransaction,

    #[error("{what} is not supported")]
    Unsupported { what: String },

    #[error("{0}")]
    Syntax(String),

    #[error("prepared statement \"{name}\" does not exist")]
    NoSuchPrepared { name: String },

    #[error("prepared statement \"{name}\" already exists")]
    DuplicatePrepared { name: String },

    #[error("bind message supplies {given} parameters, but the statement requires {expected}")]
    ParameterCount { given: usize, expected: usize },

    #[error("invalid value for parameter ${index}: {message}")]
    InvalidParameter { index: usize, message: String },

    #[error("{command} can only be used in transaction blocks")]
    NoTransaction { command: &'static str },

    #[error("cursor \"{name}\" does not exist")]
    NoSuchCursor { name: String },

    #[error("cursor \"{name}\" already exists")]
    DuplicateCursor { name: String },

    #[error("savepoint \"{name}\" does not exist")]
    NoSuchSavepoint { name: String },

    #[error("{what} cannot run inside a transaction block")]
    InTransactionBlock { what: &'static str },

    #[error(
        "cached plan must not change result type: a commit changed the columns of a table this prepared statement reads (prepare it again)"
    )]
    CachedPlanChanged,

    #[error(
        "lyceum.as_of must be set before the first query of a transaction (this transaction reads warehouse version {pinned})"
    )]
    SnapshotPinned { pinned: u64 },

    #[error(
        "permission denied to run {statement}: the star schema changes only through `lyceum load`, and tables in schema sandbox take CREATE TABLE [AS], INSERT, COPY FROM STDIN, ALTER TABLE ADD COLUMN and DROP TABLE"
    )]
    ReadOnly { statement: String },

    #[error(
        "null value in column \"{column}\" of relation \"{table}\" violates not-null constraint"
    )]
    NotNullViolation { column: String, table: String },

    #[error("column \"{column}\" of relation \"{table}\" does not exist")]
    UndefinedColumn { column: String, table: String },

    #[error("column \"{column}\" specified more than once")]
    DuplicateColumn { column: String },

    #[error("{message} (COPY data, line {line})")]
    BadCopyData { line: u64, message: String },

    #[error("COPY from stdin failed: {message}")]
    CopyFailed { message: String },

    #[error("permission denied: {0}")]
    PermissionDenied(String),

    #[error("{kind} \"{name}\" already exists")]
    DuplicateObject { kind: &'static str, name: String },

    #[error("{kind} \"{name}\" does not exist")]
    UndefinedObject { kind: &'static str, name: String },

    #[error("\"{name}\" is not a {expected}")]
    WrongObjectType {
        name: String,
        expected: &'static str,
    },

    #[error("{0}")]
    Authentication(#[source] lyceum_catalog::ScramError),

    #[error("cannot insert multiple commands into a prepared statement")]
    MultipleCommands,

    #[error("internal error: {0}")]
    Internal(String),

    /// An error whose message quoted a password, with the password masked.
    #[error("{message}")]
    Redacted { kind: ErrorKind, message: String },

    #[error("role \"{name}\" no longer exists: this session can run no more statements")]
    RoleDropped { name: String },

    #[error("terminating connection due to administrator command")]
    Terminated,
}

/// Why a statement was stopped before it finished.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StopReason {
    /// A cancel request from the client (psql Ctrl-C, `pg_cancel_backend`).
    UserRequest,
    /// `statement_timeout` ran out.
    Timeout(std::time::Duration),
}

impl std::fmt::Display for StopReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StopReason::UserRequest => write!(f, "canceling statement due to user request"),
            StopReason::Timeout(t) => write!(
                f,
                "canceling statement due to statement timeout ({} ms)",
                t.as_millis()
            ),
        }
    }
}

impl EngineError {
    pub fn io(context: impl Into<String>, source: std::io::Error) -> Self {
        EngineError::Io {
            context: context.into(),
            source,
        }
    }

    pub fn delta(table: impl Into<String>, source: deltalake::DeltaTableError) -> Self {
        EngineError::Delta {
            table: table.into(),
            source: Box::new(source),
        }
    }
}

pub type Result<T, E = EngineError> = std::result::Result<T, E>;

impl From<datafusion::error::DataFusionError> for EngineError {
    /// An engine error raised inside a plan (a UDF, a table provider) comes back as itself.
    fn from(error: datafusion::error::DataFusionError) -> Self {
        match error {
            datafusion::error::DataFusionError::External(inner) => {
                match inner.downcast::<EngineError>() {
                    Ok(engine) => *engine,
                    Err(other) => {
                        EngineError::DataFusion(datafusion::error::DataFusionError::External(other))
                    }
                }
            }
            other => EngineError::DataFusion(other),
        }
    }
}
