//! Flight SQL prepared statements: planned once by the engine, bound by `DoPut`, executed
//! by `DoGet` (queries) or `DoPut` (updates), closed by the client or when unused for the
//! token lifetime.
//!
//! A handle is a signed `{user, id}`: it works in any call of the user who created it (on
//! any connection, with any of their tokens) and in no one else's.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use datafusion::scalar::ScalarValue;
use lyceum_engine::session::Prepared;
use serde_json::json;
use tonic::{Code, Status};

use super::status;
use super::token::{Signer, now_secs};

struct Entry {
    user: String,
    prepared: Arc<Prepared>,
    /// The parameter rows of the last `DoPut` (one execution each).
    params: Vec<Vec<ScalarValue>>,
    /// Seconds since the epoch; renewed by every use.
    expires: u64,
}

/// A prepared statement and its bound parameter rows.
pub(crate) struct Bound {
    pub prepared: Arc<Prepared>,
    pub params: Vec<Vec<ScalarValue>>,
}

/// The prepared statements of every Flight caller.
pub(crate) struct PreparedStatements {
    ttl: Duration,
    next: AtomicU64,
    open: std::sync::Mutex<HashMap<u64, Entry>>,
}

impl PreparedStatements {
    pub(crate) fn new(ttl: Duration) -> Self {
        PreparedStatements {
            ttl,
            next: AtomicU64::new(1),
            open: std::sync::Mutex::new(HashMap::new()),
        }
    }

    /// Keeps `prepared` for `user`; returns its handle.
    pub(crate) fn insert(&self, signer: &Signer, user: &str, prepared: Prepared) -> String {
        let id = self.next.fetch_add(1, Ordering::Relaxed);
        let expires = now_secs().saturating_add(self.ttl.as_secs());
        self.with_open(|open| {
            open.retain(|_, e| e.expires > now_secs());
            open.insert(
                id,
                Entry {
                    user: user.to_string(),
                    prepared: Arc::new(prepared),
                    params: Vec::new(),
                    expires,
                },
            )
        });
        signer.sign(&json!({"k": "prepared", "u": user, "h": id}))
    }

    /// The statement of `handle` with its bound rows, if `user` created it.
    pub(crate) fn get(&self, signer: &Signer, handle: &[u8], user: &str) -> Result<Bound, Status> {
        let id = self.id(signer, handle, user)?;
        let ttl = self.ttl.as_secs();
        self.with_open(|open| {
            let entry = open.get_mut(&id).ok_or_else(closed)?;
            if entry.user != user {
                return Err(another_users());
            }
            entry.expires = now_secs().saturating_add(ttl);
            Ok(Bound {
                prepared: entry.prepared.clone(),
                params: entry.params.clone(),
            })
        })
    }

    /// Binds parameter rows to `handle` for its next executions.
    pub(crate) fn bind(
        &self,
        signer: &Signer,
        handle: &[u8],
        user: &str,
        params: Vec<Vec<ScalarValue>>,
    ) -> Result<(), Status> {
        let id = self.id(signer, handle, user)?;
        self.with_open(|open| {
            let entry = open.get_mut(&id).ok_or_else(closed)?;
            if entry.user != user {
                return Err(another_users());
            }
            entry.params = params;
            Ok(())
        })
    }

    /// Frees `handle`.
    pub(crate) fn close(&self, signer: &Signer, handle: &[u8], user: &str) -> Result<(), Status> {
        let id = self.id(signer, handle, user)?;
        self.with_open(|open| open.remove(&id));
        Ok(())
    }

    fn id(&self, signer: &Signer, handle: &[u8], user: &str) -> Result<u64, Status> {
        let text = std::str::from_utf8(handle)
            .map_err(|_| status::malformed("the prepared statement handle is not valid"))?;
        let value = signer
            .verify(text)
            .map_err(|_| status::malformed("the prepared statement handle is not valid"))?;
        if value["k"] != "prepared" {
            return Err(status::malformed(
                "the prepared statement handle is not valid",
            ));
        }
        if value["u"] != user {
            return Err(another_users());
        }
        value["h"]
            .as_u64()
            .ok_or_else(|| status::malformed("the prepared statement handle is not valid"))
    }

    fn with_open<T>(&self, f: impl FnOnce(&mut HashMap<u64, Entry>) -> T) -> T {
        let mut open = self
            .open
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        f(&mut open)
    }
}

fn another_users() -> Status {
    status::with_sqlstate(
        Code::PermissionDenied,
        "42501",
        "the prepared statement belongs to another user".into(),
    )
}

fn closed() -> Status {
    status::with_sqlstate(
        Code::NotFound,
        "26000",
        "the prepared statement was closed or has expired".into(),
    )
}
