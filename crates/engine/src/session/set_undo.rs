//! `SET` inside a transaction, as PostgreSQL undoes it: a `ROLLBACK` (or a failed
//! multi-statement string, or `ROLLBACK TO SAVEPOINT` for what came after the savepoint)
//! restores what the `SET`s replaced; `COMMIT` keeps plain `SET`s and ends `SET LOCAL`.

use tracing::debug;

use super::{AS_OF, Session, SetValue, TransactionStatus};
use crate::error::Result;

/// One setting a `SET` of the open transaction changed, and what it was.
pub(super) struct Undo {
    name: String,
    previous: Option<String>,
    /// `SET LOCAL`: undone at `COMMIT` too.
    local: bool,
    /// An engine option (`datafusion.*`, `lyceum.*`), not a PostgreSQL setting.
    engine: bool,
}

impl Session {
    /// `SET [LOCAL] name = value` for a PostgreSQL setting.
    pub(super) fn set(&mut self, name: &str, value: &SetValue, local: bool) -> Result<()> {
        if local && self.tx.status() == TransactionStatus::Idle {
            self.raise(
                super::NoticeKind::NoTransaction,
                "SET LOCAL can only be used in transaction blocks",
            );
            return Ok(());
        }
        let previous = self.info.settings().get(name);
        {
            let mut settings = self.info.settings();
            match value {
                SetValue::Default => settings.reset(name)?,
                SetValue::Value(v) => settings.set(name, v)?,
            };
        }
        self.note_set(name, previous, local, false);
        self.apply_search_path();
        Ok(())
    }

    /// Remembers what a `SET` replaced while a transaction (a block, or a multi-statement
    /// string) is open; outside one, a `SET` is final.
    pub(super) fn note_set(
        &mut self,
        name: &str,
        previous: Option<String>,
        local: bool,
        engine: bool,
    ) {
        if self.tx.status() == TransactionStatus::Idle && !self.implicit_transaction {
            return;
        }
        self.set_undo.push(Undo {
            name: name.to_string(),
            previous,
            local,
            engine,
        });
    }

    /// The transaction ends: a commit keeps its plain `SET`s, a rollback keeps none.
    pub(super) fn end_settings(&mut self, committed: bool) {
        let undo = std::mem::take(&mut self.set_undo);
        let undone = undo.into_iter().filter(|u| !committed || u.local).collect();
        self.undo(undone);
    }

    /// `ROLLBACK TO SAVEPOINT`: undoes the `SET`s after the first `keep`.
    pub(super) fn undo_settings_after(&mut self, keep: usize) {
        let undone = if keep < self.set_undo.len() {
            self.set_undo.split_off(keep)
        } else {
            Vec::new()
        };
        self.undo(undone);
    }

    /// Restores what `undone` replaced, newest first.
    fn undo(&mut self, undone: Vec<Undo>) {
        for u in undone.into_iter().rev() {
            let restored = if u.engine && u.name.eq_ignore_ascii_case(AS_OF) {
                self.set_as_of(u.previous.and_then(|v| v.parse().ok()));
                self.pinned = None;
                Ok(())
            } else if u.engine {
                match &u.previous {
                    Some(v) => self.set_engine_option(&u.name, v),
                    None => Ok(()),
                }
            } else {
                let mut settings = self.info.settings();
                match &u.previous {
                    Some(v) => settings.set(&u.name, v).map(|_| ()),
                    None => settings.reset(&u.name).map(|_| ()),
                }
            };
            if let Err(e) = restored {
                debug!(name = u.name, error = %e, "could not restore a setting");
            }
        }
        self.apply_search_path();
    }
}
