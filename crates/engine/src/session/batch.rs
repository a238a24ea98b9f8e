//! A simple-query string, run one statement at a time.
//!
//! The caller takes each statement's result to its end (sends its rows) before asking for
//! the next, so an error, also one raised while rows stream, stops the string: later
//! statements never run. Without `BEGIN` the string is one implicit transaction, as in
//! PostgreSQL: its sandbox writes commit at [`Session::finish_batch`], or not at all if a
//! statement failed.

use tracing::{Instrument, info_span};

use super::statement::{Action, Parsed};
use super::{QueryOutput, Session, TransactionStatus, redact, sandbox};
use crate::error::{EngineError, Result};

/// The statements of one query string still to run.
pub struct Batch {
    statements: std::vec::IntoIter<Parsed>,
    failed: bool,
    /// Whether any statement writes (its rows must be read before the string commits).
    writes: bool,
}

impl Batch {
    /// Marks the string failed: a result's rows failed while the caller read them.
    pub fn fail(&mut self) {
        self.failed = true;
    }

    pub fn has_failed(&self) -> bool {
        self.failed
    }

    /// Whether no statement is left after the one last returned.
    pub fn is_last(&self) -> bool {
        self.statements.len() == 0
    }

    /// Whether the string writes sandbox tables.
    pub fn writes(&self) -> bool {
        self.writes
    }
}

impl Session {
    /// Parses a query string; a syntax error anywhere fails it whole (nothing runs).
    pub fn start_batch(&mut self, sql: &str) -> Result<Batch> {
        self.note_stream_failure();
        let parsed = match self.parse(sql) {
            Ok(p) => p,
            Err(e) => {
                self.tx.fail();
                return Err(redact::redact_error(e, sql));
            }
        };
        self.batch_version = None;
        self.implicit_transaction = parsed.len() > 1;
        let writes = parsed.iter().any(|s| matches!(s.action, Action::Write(_)));
        let copy_before_end = parsed
            .iter()
            .rev()
            .skip(1)
            .any(|s| matches!(&s.action, Action::Write(w) if matches!(**w, sandbox::Write::CopyFrom { .. })));
        if copy_before_end {
            self.implicit_transaction = false;
            self.tx.fail();
            return Err(EngineError::Unsupported {
                what: "COPY FROM STDIN before other statements of a query string".into(),
            });
        }
        Ok(Batch {
            statements: parsed.into_iter(),
            failed: false,
            writes,
        })
    }

    /// Runs the next statement of `batch`; `None` when none is left or one failed.
    pub async fn next_statement(&mut self, batch: &mut Batch) -> Option<Result<QueryOutput>> {
        if batch.failed {
            return None;
        }
        let statement = batch.statements.next()?;
        self.note_stream_failure();
        self.info.set_activity("active", Some(&statement.sql));
        let span = info_span!(
            "statement",
            sql = %redact::redact_passwords(&statement.sql),
            pid = self.info.pid
        );
        let result = self
            .run(&statement.action)
            .instrument(span)
            .await
            .map_err(|e| redact::redact_error(e, &statement.sql));
        if result.is_err() {
            batch.failed = true;
        }
        Some(result)
    }

    /// Ends the string: its implicit transaction commits, or rolls back if a statement
    /// failed (unless a transaction block is open, or a COPY waits for its data).
    pub async fn finish_batch(&mut self, batch: Batch) -> Result<()> {
        self.note_stream_failure();
        // The implicit transaction's SETs stand or fall with it.
        if self.implicit_transaction && self.tx.status() == TransactionStatus::Idle {
            self.end_settings(!batch.failed);
        }
        self.implicit_transaction = false;
        let result = if self.tx.status() == TransactionStatus::Idle && self.copy.is_none() {
            self.end_pending(!batch.failed).await
        } else {
            if batch.failed {
                self.tx.fail();
            }
            Ok(())
        };
        self.batch_version = None;
        self.note_idle();
        result
    }
}
