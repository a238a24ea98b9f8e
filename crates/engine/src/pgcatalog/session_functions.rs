//! SQL functions that answer from the session, as PostgreSQL spells them: who is
//! connected (`current_user`), which settings are in force (`current_setting`,
//! `set_config`), the search path (`current_schema`), the server's identity (`version()`)
//! and other sessions (`pg_backend_pid`, `pg_cancel_backend`, `pg_terminate_backend`).
//!
//! Each session registers its own instances, bound to its [`SessionInfo`], so no function
//! ever sees another session's state.

use std::sync::Arc;

use arrow::array::{AsArray, BooleanArray, Int32Array, ListArray, StringArray};
use arrow::datatypes::{DataType, Field};
use datafusion::common::{DataFusionError, ScalarValue, exec_err};
use datafusion::logical_expr::{ColumnarValue, Signature, TypeSignature, Volatility};
use datafusion::prelude::SessionContext;

use super::SERVER_VERSION;
use crate::auth::Identity;
use crate::error::EngineError;
use crate::session::{
    CATALOG, Registry, SessionInfo, engine_option, is_engine_option, search_path_schemas,
};
use crate::sqlfn::{bool_arg, constant_text, shape, text_arg, udf};

/// The `version()` text: PostgreSQL's shape (clients parse the number), Lyceum's name.
pub fn version_string() -> String {
    format!(
        "PostgreSQL {SERVER_VERSION} (Lyceum {}) on {}-{}, compiled by rustc, 64-bit",
        env!("CARGO_PKG_VERSION"),
        std::env::consts::ARCH,
        std::env::consts::OS
    )
}

fn engine_error(e: EngineError) -> DataFusionError {
    DataFusionError::External(Box::new(e))
}

/// Registers the session's functions on its context.
pub(super) fn register(ctx: &SessionContext, info: &Arc<SessionInfo>, registry: &Arc<Registry>) {
    let text = DataType::Utf8;
    let name = info.user().to_string();
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
}
