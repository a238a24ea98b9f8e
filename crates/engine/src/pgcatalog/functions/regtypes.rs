//! The OID alias types: the text of `oid::regclass`, `::regnamespace`, `::regrole` (see
//! rewrite's `RegTypeOutput`), `x::regclass` of a computed value, and `to_regtype`,
//! `to_regclass`, `to_regnamespace`.

use std::collections::HashMap;
use std::sync::Arc;

use arrow::array::{Int32Array, StringArray};
use arrow::datatypes::DataType;
use datafusion::logical_expr::{Signature, Volatility};
use datafusion::prelude::SessionContext;

use super::super::relations::quote_ident;
use super::CatalogState;
use super::names::{relation_by_name, search_path, visible};
use crate::session::SessionInfo;
use crate::sqlfn::{map_oids, map_texts, shape, text_arg, udf};

pub(super) fn register(
    ctx: &SessionContext,
    state: &Arc<CatalogState>,
    info: &Arc<SessionInfo>,
    type_oids: &Arc<HashMap<String, i32>>,
) {
    // The name, qualified when the search path does not reach it; the number for an OID
    // that names nothing, as PostgreSQL prints it.
    let s = state.clone();
    let session = info.clone();
    ctx.register_udf(udf(
        "lyceum_regclass_out",
        &[],
        Signature::any(1, Volatility::Stable),
        DataType::Utf8,
        move |args| {
            let model = s.model();
            let path = search_path(&session);
            map_oids::<StringArray, _>(args, 0, |oid| {
                let oid = oid?;
                Some(match model.relations.get(&oid) {
                    Some(r) if visible(&model, &path, r) => quote_ident(&r.name),
                    Some(r) => format!("{}.{}", quote_ident(&r.schema), quote_ident(&r.name)),
                    None => oid.to_string(),
                })
            })
        },
    ));

    // `x::regclass` for a computed x: an OID stays an OID, a name is looked up (an
    // error for a relation that does not exist, as the cast is in PostgreSQL).
    let s = state.clone();
    let session = info.clone();
    ctx.register_udf(udf(
        "lyceum_regclass",
        &[],
        Signature::any(1, Volatility::Stable),
        DataType::Int32,
        move |args| {
            let Some(arg) = args.args.first() else {
                return datafusion::common::exec_err!("regclass needs a value");
            };
            if arg.data_type().is_integer() {
                return map_oids::<Int32Array, _>(args, 0, |oid| oid);
            }
            let model = s.model();
            let path = search_path(&session);
            let mut out = Vec::with_capacity(args.number_rows);
            for name in text_arg(args, 0)? {
                match name {
                    None => out.push(None),
                    Some(name) => match relation_by_name(&model, &path, &name) {
                        Some(oid) => out.push(Some(oid)),
                        None => {
                            return Err(datafusion::error::DataFusionError::Plan(format!(
                                "table '{name}' not found (relation \"{name}\" does not exist)"
                            )));
                        }
                    },
                }
            }
            shape(args, Arc::new(Int32Array::from(out)))
        },
    ));

    let s = state.clone();
    ctx.register_udf(udf(
        "lyceum_regnamespace_out",
        &[],
        Signature::any(1, Volatility::Stable),
        DataType::Utf8,
        move |args| {
            let model = s.model();
            map_oids::<StringArray, _>(args, 0, |oid| {
                let oid = oid?;
                Some(
                    model
                        .namespace_name(oid)
                        .map(str::to_string)
                        .unwrap_or_else(|| oid.to_string()),
                )
            })
        },
    ));

    let s = state.clone();
    ctx.register_udf(udf(
        "lyceum_regrole_out",
        &[],
        Signature::any(1, Volatility::Stable),
        DataType::Utf8,
        move |args| {
            map_oids::<StringArray, _>(args, 0, |oid| {
                let oid = oid?;
                Some(s.role_name(oid).unwrap_or_else(|| oid.to_string()))
            })
        },
    ));

    // to_regtype / to_regclass / to_regnamespace: a name's OID, or NULL when nothing has
    // that name (they never raise an error, unlike the casts).
    let types = type_oids.clone();
    ctx.register_udf(udf(
        "to_regtype",
        &[],
        Signature::any(1, Volatility::Stable),
        DataType::Int32,
        move |args| {
            map_texts::<Int32Array, _>(args, 0, |name| {
                let name = name?.trim().to_lowercase();
                let name = name.strip_prefix("pg_catalog.").unwrap_or(&name);
                types.get(name.trim_matches('"')).copied()
            })
        },
    ));

    let s = state.clone();
    let session = info.clone();
    ctx.register_udf(udf(
        "to_regclass",
        &[],
        Signature::any(1, Volatility::Stable),
        DataType::Int32,
        move |args| {
            let model = s.model();
            let path = search_path(&session);
            map_texts::<Int32Array, _>(args, 0, |name| relation_by_name(&model, &path, &name?))
        },
    ));

    let s = state.clone();
    ctx.register_udf(udf(
        "to_regnamespace",
        &[],
        Signature::any(1, Volatility::Stable),
        DataType::Int32,
        move |args| {
            let model = s.model();
            map_texts::<Int32Array, _>(args, 0, |name| {
                model.namespace_oid(name?.trim().trim_matches('"'))
            })
        },
    ));
}
