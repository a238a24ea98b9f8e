//! What the core knows about one session and shows to others: who it is, where it
//! connects from, what it is doing, its settings; and how `lyceum.*` / `datafusion.*`
//! options read.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use datafusion::common::config::ConfigOptions;

use super::options::LyceumOptions;
use super::settings::{Param, Settings};
use crate::auth::Identity;

/// What the session core, its functions and the catalog views read about a session.
pub struct SessionInfo {
    /// Who logged in; `superuser` here is as at login, [`SessionInfo::superuser`] is now.
    identity: Identity,
    /// Whether the user is an administrator now (a change applies at the next statement).
    superuser: AtomicBool,
    /// The backend process id clients see (`pg_backend_pid()`).
    pub pid: i32,
    /// The key that must come with `pid` to cancel this session's statement from another
    /// connection (the Postgres wire's `CancelRequest`).
    cancel_secret: i32,
    /// When the session started (microseconds since the epoch, UTC).
    pub started_at: i64,
    settings: Mutex<Settings>,
    activity: Mutex<Activity>,
    client: Mutex<Option<String>>,
    /// Set by `pg_terminate_backend`: the session runs no more statements.
    terminated: AtomicBool,
    /// Woken when the session is terminated (the endpoint closes the connection).
    terminator: Arc<tokio::sync::Notify>,
}

/// What a session is doing, for `pg_stat_activity`.
#[derive(Debug, Clone, Default)]
pub struct Activity {
    /// `active` while a statement runs, `idle` between, `idle in transaction` in one.
    pub state: &'static str,
    /// The statement running now, or the last one.
    pub query: String,
    /// When that statement started (microseconds since the epoch).
    pub query_start: Option<i64>,
}

impl std::fmt::Debug for SessionInfo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionInfo")
            .field("pid", &self.pid)
            .field("user", &self.identity.name)
            .field("superuser", &self.superuser())
            .finish_non_exhaustive()
    }
}

pub(crate) fn now_micros() -> i64 {
    chrono::Utc::now().timestamp_micros()
}

impl SessionInfo {
    pub(crate) fn new(identity: Identity, pid: i32, parameters: &'static [Param]) -> Self {
        SessionInfo {
            superuser: AtomicBool::new(identity.superuser),
            identity,
            pid,
            cancel_secret: rand::random(),
            started_at: now_micros(),
            settings: Mutex::new(Settings::new(parameters)),
            activity: Mutex::new(Activity {
                state: "idle",
                ..Activity::default()
            }),
            client: Mutex::new(None),
            terminated: AtomicBool::new(false),
            terminator: Arc::new(tokio::sync::Notify::new()),
        }
    }

    /// Ends the session: its statement is canceled by the caller, later ones fail, and
    /// whoever waits in [`SessionInfo::terminated`] closes the connection.
    pub(crate) fn terminate(&self) {
        self.terminated.store(true, Ordering::SeqCst);
        self.terminator.notify_one();
    }

    pub fn is_terminated(&self) -> bool {
        self.terminated.load(Ordering::SeqCst)
    }

    /// Completes when the session is terminated.
    pub fn terminated(&self) -> impl std::future::Future<Output = ()> + Send + 'static {
        let notify = self.terminator.clone();
        async move { notify.notified().await }
    }

    /// The key a cancel request for this session must carry (never shown to others).
    pub fn cancel_secret(&self) -> i32 {
        self.cancel_secret
    }

    /// The user's name.
    pub fn user(&self) -> &str {
        &self.identity.name
    }

    /// Whether the user is an administrator now.
    pub fn superuser(&self) -> bool {
        self.superuser.load(Ordering::SeqCst)
    }

    /// Who the session acts as now.
    pub fn identity(&self) -> Identity {
        Identity {
            superuser: self.superuser(),
            ..self.identity.clone()
        }
    }

    /// The user's administrator rights as the principals say now.
    pub(crate) fn set_superuser(&self, superuser: bool) {
        self.superuser.store(superuser, Ordering::SeqCst);
    }

    /// Where the client connects from (`127.0.0.1:52011`), when it came over a network.
    pub fn set_client(&self, address: String) {
        if let Ok(mut c) = self.client.lock() {
            *c = Some(address);
        }
    }

    pub fn client(&self) -> Option<String> {
        self.client.lock().ok().and_then(|c| c.clone())
    }

    pub fn activity(&self) -> Activity {
        self.activity.lock().map(|a| a.clone()).unwrap_or_default()
    }

    pub(crate) fn set_activity(&self, state: &'static str, query: Option<&str>) {
        if let Ok(mut a) = self.activity.lock() {
            a.state = state;
            if let Some(q) = query {
                a.query = super::redact::redact_passwords(q).into_owned();
                a.query_start = Some(now_micros());
            }
        }
    }

    /// The session's run-time parameters.
    pub fn settings(&self) -> MutexGuard<'_, Settings> {
        // A panic while holding the lock leaves settings that were valid before it.
        self.settings
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// The value of a `datafusion.*` or `lyceum.*` option in `config`.
pub(crate) fn engine_option(config: &ConfigOptions, name: &str) -> Option<Option<String>> {
    let lower = name.to_ascii_lowercase();
    if let Some(key) = lower.strip_prefix("lyceum.") {
        let options = config.extensions.get::<LyceumOptions>()?;
        use datafusion::common::config::ExtensionOptions;
        return options
            .entries()
            .into_iter()
            .find(|e| e.key == key)
            .map(|e| e.value);
    }
    config
        .entries()
        .into_iter()
        .find(|e| e.key == lower)
        .map(|e| e.value)
}

/// The schemas of `search_path` that exist, in order (`$user` resolves to no schema).
pub(crate) fn search_path_schemas(search_path: &str, exists: impl Fn(&str) -> bool) -> Vec<String> {
    search_path
        .split(',')
        .map(|s| s.trim().trim_matches('"').to_string())
        .filter(|s| !s.is_empty() && s != "$user" && exists(s))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn search_path_skips_missing_schemas() {
        let exists = |s: &str| s == "public" || s == "system";
        assert_eq!(
            search_path_schemas("\"$user\", public", exists),
            vec!["public".to_string()]
        );
        assert_eq!(
            search_path_schemas("system, nope, public", exists),
            vec!["system".to_string(), "public".to_string()]
        );
    }
}
