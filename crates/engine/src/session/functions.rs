//! SQL functions that answer from the session: who is connected, which settings are in
//! force (`current_setting`, `set_config`), and the server's identity (`version()`).
//!
//! Each session registers its own instances, bound to its [`SessionInfo`], so no function
//! ever sees another session's state.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use arrow::array::{AsArray, BooleanArray, Int32Array, ListArray, StringArray};
use arrow::datatypes::{DataType, Field};
use datafusion::common::config::ConfigOptions;
use datafusion::common::{DataFusionError, ScalarValue, exec_err};
use datafusion::logical_expr::{ColumnarValue, Signature, TypeSignature, Volatility};
use datafusion::prelude::SessionContext;

use super::options::LyceumOptions;
use super::settings::{SERVER_VERSION, Settings};
use super::statement::is_engine_option;
use super::{CATALOG, Registry};
use crate::auth::Identity;
use crate::error::EngineError;
use crate::sqlfn::{bool_arg, constant_text, shape, text_arg, udf};

/// What a session's functions and `pg_catalog` views read about their session.
pub struct SessionInfo {
    /// Who logged in; `superuser` here is as at login, [`SessionInfo::superuser`] is now.
    identity: Identity,
    /// Whether the user is an administrator now (a change applies at the next statement).
    superuser: AtomicBool,
    /// The backend process id clients see (`pg_backend_pid()`).
    pub pid: i32,
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
    pub(crate) fn new(identity: Identity, pid: i32) -> Self {
        SessionInfo {
            superuser: AtomicBool::new(identity.superuser),
            identity,
            pid,
            started_at: now_micros(),
            settings: Mutex::new(Settings::new()),
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

    /// The session's PostgreSQL-style settings.
    pub fn settings(&self) -> MutexGuard<'_, Settings> {
        // A panic while holding the lock leaves settings that were valid before it.
        self.settings
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// The `version()` text: PostgreSQL's shape (clients parse the number), Lyceum's name.
pub fn version_string() -> String {
    format!(
        "PostgreSQL {SERVER_VERSION} (Lyceum {}) on {}-{}, compiled by rustc, 64-bit",
        env!("CARGO_PKG_VERSION"),
        std::env::consts::ARCH,
        std::env::consts::OS
    )
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

fn engine_error(e: EngineError) -> DataFusionError {
    DataFusionError::External(Box::new(e))
}

/// Registers the session's functions on its context.
pub(crate) fn register(ctx: &SessionContext, info: &Arc<SessionInfo>, registry: &Arc<Registry>) {
    let text = DataType::Utf8;
    let name = info.identity.name.clone();
    ctx.register_udf(udf(
        "current_user",
        &["session_user", "user", "current_role", "getpgusername"],
        Signature::exact(vec![], Volatility::Stable),
        text.clone(),
        constant_text(name),
    ));
    ctx.register_udf(udf(
        "version",
        &[],
        Signature::exact(vec![], Volatility::Stable),
        text.clone(),
        constant_text(version_string()),
    ));
    ctx.register_udf(udf(
        "current_database",
        &["current_catalog"],
        Signature::exact(vec![], Volatility::Stable),
        text.clone(),
        constant_text(CATALOG.to_string()),
    ));
    let pid = info.pid;
    ctx.register_udf(udf(
        "pg_backend_pid",
        &[],
        Signature::exact(vec![], Volatility::Stable),
        DataType::Int32,
        move |_| Ok(ColumnarValue::Scalar(ScalarValue::Int32(Some(pid)))),
    ));

    let session = info.clone();
    ctx.register_udf(udf(
        "current_setting",
        &[],
        Signature::one_of(
            vec![
                TypeSignature::Exact(vec![DataType::Utf8]),
                TypeSignature::Exact(vec![DataType::Utf8, DataType::Boolean]),
            ],
            Volatility::Stable,
        ),
        text.clone(),
        move |args| {
            let names = text_arg(args, 0)?;
            let missing_ok = bool_arg(args, 1)?;
            let mut out = Vec::with_capacity(names.len());
            for (name, missing_ok) in names.iter().zip(missing_ok) {
                let Some(name) = name else {
                    out.push(None);
                    continue;
                };
                let value = if is_engine_option(name) {
                    engine_option(&args.config_options, name)
                } else {
                    session.settings().get(name).map(Some)
                };
                match value {
                    Some(v) => out.push(Some(v.unwrap_or_default())),
                    None if missing_ok == Some(true) => out.push(None),
                    None => {
                        return Err(engine_error(EngineError::UnknownSetting {
                            name: name.clone(),
                        }));
                    }
                }
            }
            shape(args, Arc::new(StringArray::from(out)))
        },
    ));

    let session = info.clone();
    ctx.register_udf(udf(
        "set_config",
        &[],
        Signature::exact(
            vec![DataType::Utf8, DataType::Utf8, DataType::Boolean],
            Volatility::Volatile,
        ),
        text.clone(),
        move |args| {
            let names = text_arg(args, 0)?;
            let values = text_arg(args, 1)?;
            let mut out = Vec::with_capacity(names.len());
            for (name, value) in names.iter().zip(values) {
                let Some(name) = name else {
                    return exec_err!("SET requires parameter name");
                };
                if is_engine_option(name) {
                    return Err(engine_error(EngineError::Unsupported {
                        what: format!("set_config() for {name} (use SET {name} = ...)"),
                    }));
                }
                let mut settings = session.settings();
                match value {
                    Some(v) => settings.set(name, &v).map_err(engine_error)?,
                    None => settings.reset(name).map_err(engine_error)?,
                };
                out.push(settings.get(name));
            }
            shape(args, Arc::new(StringArray::from(out)))
        },
    ));

    let session = info.clone();
    let catalog_schemas = ctx.clone();
    let exists = move |schema: &str| {
        schema == "pg_catalog"
            || schema == "information_schema"
            || catalog_schemas
                .catalog(CATALOG)
                .is_some_and(|c| c.schema(schema).is_some())
    };
    let exists = Arc::new(exists);
    let exists_for_schema = exists.clone();
    let session_for_schema = session.clone();
    ctx.register_udf(udf(
        "current_schema",
        &[],
        Signature::exact(vec![], Volatility::Stable),
        text.clone(),
        move |_| {
            let path = session_for_schema
                .settings()
                .get("search_path")
                .unwrap_or_default();
            let first = search_path_schemas(&path, |s| exists_for_schema(s))
                .into_iter()
                .find(|s| s != "pg_catalog");
            Ok(ColumnarValue::Scalar(ScalarValue::Utf8(first)))
        },
    ));
    ctx.register_udf(udf(
        "current_schemas",
        &[],
        Signature::exact(vec![DataType::Boolean], Volatility::Stable),
        DataType::List(Arc::new(Field::new_list_field(DataType::Utf8, true))),
        move |args| {
            let implicit = bool_arg(args, 0)?;
            let path = session.settings().get("search_path").unwrap_or_default();
            let mut schemas = search_path_schemas(&path, |s| exists(s));
            let mut rows = Vec::with_capacity(implicit.len());
            for include_implicit in implicit {
                if include_implicit == Some(true) && !schemas.iter().any(|s| s == "pg_catalog") {
                    schemas.insert(0, "pg_catalog".into());
                }
                rows.push(Some(
                    schemas.iter().map(|s| Some(s.clone())).collect::<Vec<_>>(),
                ));
            }
            let array = string_lists(rows);
            shape(args, Arc::new(array))
        },
    ));

    for (name, act) in [
        ("pg_cancel_backend", Registry::cancel_as as BackendAction),
        ("pg_terminate_backend", Registry::terminate_as),
    ] {
        let registry = registry.clone();
        let info = info.clone();
        ctx.register_udf(udf(
            name,
            &[],
            Signature::any(1, Volatility::Volatile),
            DataType::Boolean,
            move |args| {
                let array = match args.args.first() {
                    Some(v) => v.to_array(args.number_rows)?,
                    None => return exec_err!("{name}(pid) needs a pid"),
                };
                let array = arrow::compute::cast(&array, &DataType::Int32)?;
                let pids: &Int32Array = array.as_primitive();
                // Rights as they are now, not at login.
                let by = info.identity();
                let out: BooleanArray = pids
                    .iter()
                    .map(|pid| pid.map(|pid| act(&registry, pid, &by)).transpose())
                    .collect::<crate::error::Result<_>>()
                    .map_err(engine_error)?;
                shape(args, Arc::new(out))
            },
        ));
    }
}

/// `pg_cancel_backend` or `pg_terminate_backend` on one pid, as user `by`.
type BackendAction = fn(&Registry, i32, &Identity) -> crate::error::Result<bool>;

/// A `ListArray` of strings, one list per row.
fn string_lists(rows: Vec<Option<Vec<Option<String>>>>) -> ListArray {
    use arrow::array::{ListBuilder, StringBuilder};
    let mut builder = ListBuilder::new(StringBuilder::new());
    for row in rows {
        match row {
            Some(values) => {
                for v in values {
                    builder.values().append_option(v);
                }
                builder.append(true);
            }
            None => builder.append(false),
        }
    }
    builder.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_looks_like_postgres_to_clients() {
        let v = version_string();
        assert!(v.starts_with("PostgreSQL 15."), "{v}");
        assert!(v.contains("Lyceum"));
    }

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
