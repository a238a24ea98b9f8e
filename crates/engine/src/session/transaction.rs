//! A session's transaction: `BEGIN` pins one warehouse version until `COMMIT`/`ROLLBACK`,
//! so every statement of the transaction reads the same snapshot (REPEATABLE READ,
//! READ ONLY). An error inside a transaction fails it: until it ends, every other statement
//! is refused with 25P02, as in PostgreSQL.

/// Where a session's transaction stands (PostgreSQL's `I` / `T` / `E`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TransactionStatus {
    #[default]
    Idle,
    InTransaction,
    Failed,
}

/// The session's transaction state.
#[derive(Debug, Default)]
pub(crate) struct Transaction {
    status: TransactionStatus,
    /// The warehouse version the transaction reads, once its first statement pinned it.
    version: Option<u64>,
    /// Open savepoints, oldest first, with the number of `SET LOCAL` changes made before
    /// each (rolling back to it undoes the later ones).
    savepoints: Vec<(String, usize)>,
}

/// A warning for the client when a command has no effect (not an error).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TransactionWarning {
    AlreadyInTransaction,
    NoTransaction,
}

impl TransactionWarning {
    pub fn notice(&self) -> super::NoticeKind {
        match self {
            TransactionWarning::AlreadyInTransaction => super::NoticeKind::AlreadyInTransaction,
            TransactionWarning::NoTransaction => super::NoticeKind::NoTransaction,
        }
    }

    pub fn message(&self) -> &'static str {
        match self {
            TransactionWarning::AlreadyInTransaction => {
                "there is already a transaction in progress"
            }
            TransactionWarning::NoTransaction => "there is no transaction in progress",
        }
    }
}

impl Transaction {
    pub(crate) fn status(&self) -> TransactionStatus {
        self.status
    }

    /// The version every statement of the open transaction reads.
    pub(crate) fn version(&self) -> Option<u64> {
        match self.status {
            TransactionStatus::Idle => None,
            _ => self.version,
        }
    }

    pub(crate) fn pin(&mut self, version: u64) {
        if self.status != TransactionStatus::Idle && self.version.is_none() {
            self.version = Some(version);
        }
    }

    /// `SAVEPOINT name` (a name may repeat; the latest wins, as in PostgreSQL).
    pub(crate) fn savepoint(
        &mut self,
        name: &str,
        local_changes: usize,
    ) -> Result<(), SavepointError> {
        match self.status {
            TransactionStatus::Idle => Err(SavepointError::NoTransaction),
            TransactionStatus::Failed => Err(SavepointError::Failed),
            TransactionStatus::InTransaction => {
                self.savepoints.push((name.to_string(), local_changes));
                Ok(())
            }
        }
    }

    /// `ROLLBACK TO name`: the transaction is usable again; returns how many `SET LOCAL`
    /// changes to keep.
    pub(crate) fn rollback_to(&mut self, name: &str) -> Result<usize, SavepointError> {
        if self.status == TransactionStatus::Idle {
            return Err(SavepointError::NoTransaction);
        }
        let at = self
            .savepoints
            .iter()
            .rposition(|(n, _)| n == name)
            .ok_or_else(|| SavepointError::NoSuchSavepoint(name.to_string()))?;
        // The savepoint itself stays, as in PostgreSQL.
        self.savepoints.truncate(at + 1);
        self.status = TransactionStatus::InTransaction;
        Ok(self.savepoints[at].1)
    }

    /// `RELEASE name`: forgets it and every savepoint after it.
    pub(crate) fn release(&mut self, name: &str) -> Result<(), SavepointError> {
        match self.status {
            TransactionStatus::Idle => return Err(SavepointError::NoTransaction),
            TransactionStatus::Failed => return Err(SavepointError::Failed),
            TransactionStatus::InTransaction => {}
        }
        let at = self
            .savepoints
            .iter()
            .rposition(|(n, _)| n == name)
            .ok_or_else(|| SavepointError::NoSuchSavepoint(name.to_string()))?;
        self.savepoints.truncate(at);
        Ok(())
    }

    pub(crate) fn begin(&mut self) -> Option<TransactionWarning> {
        match self.status {
            TransactionStatus::Idle => {
                self.status = TransactionStatus::InTransaction;
                self.version = None;
                None
            }
            _ => Some(TransactionWarning::AlreadyInTransaction),
        }
    }

    /// Ends the transaction; returns what it did (`ROLLBACK` for a `COMMIT` of a failed
    /// transaction) and a warning when there was none.
    pub(crate) fn end(&mut self, commit: bool) -> (&'static str, Option<TransactionWarning>) {
        let previous = self.status;
        self.status = TransactionStatus::Idle;
        self.version = None;
        self.savepoints.clear();
        let done = if commit && previous != TransactionStatus::Failed {
            "COMMIT"
        } else {
            "ROLLBACK"
        };
        let warning =
            (previous == TransactionStatus::Idle).then_some(TransactionWarning::NoTransaction);
        (done, warning)
    }

    /// A statement failed: an open transaction is now failed.
    pub(crate) fn fail(&mut self) {
        if self.status == TransactionStatus::InTransaction {
            self.status = TransactionStatus::Failed;
        }
    }

    pub(crate) fn is_failed(&self) -> bool {
        self.status == TransactionStatus::Failed
    }
}

/// Why a savepoint command cannot run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SavepointError {
    NoTransaction,
    Failed,
    NoSuchSavepoint(String),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_transaction_pins_its_first_version_and_fails_on_error() {
        let mut tx = Transaction::default();
        assert_eq!(tx.version(), None);
        tx.pin(3);
        assert_eq!(tx.version(), None, "no transaction, nothing pinned");
        assert_eq!(tx.begin(), None);
        tx.pin(3);
        tx.pin(4);
        assert_eq!(tx.version(), Some(3));
        assert_eq!(tx.begin(), Some(TransactionWarning::AlreadyInTransaction));
        tx.fail();
        assert!(tx.is_failed());
        assert_eq!(tx.end(true), ("ROLLBACK", None));
        assert_eq!(tx.status(), TransactionStatus::Idle);
        assert_eq!(
            tx.end(true),
            ("COMMIT", Some(TransactionWarning::NoTransaction))
        );
        tx.fail();
        assert_eq!(
            tx.status(),
            TransactionStatus::Idle,
            "errors outside a transaction"
        );
    }

    #[test]
    fn savepoints_recover_a_failed_transaction() {
        let mut tx = Transaction::default();
        assert_eq!(tx.savepoint("a", 0), Err(SavepointError::NoTransaction));
        tx.begin();
        tx.savepoint("a", 0).expect("a");
        tx.savepoint("b", 2).expect("b");
        tx.fail();
        assert_eq!(tx.savepoint("c", 2), Err(SavepointError::Failed));
        assert_eq!(tx.rollback_to("b"), Ok(2));
        assert_eq!(tx.status(), TransactionStatus::InTransaction);
        tx.release("a").expect("release");
        assert_eq!(
            tx.rollback_to("b"),
            Err(SavepointError::NoSuchSavepoint("b".into()))
        );
    }
}
