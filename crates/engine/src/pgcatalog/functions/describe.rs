//! Definitions and descriptions: `pg_get_constraintdef`, `pg_get_indexdef`,
//! `obj_description`, `col_description`, `shobj_description`, `pg_get_userbyid`,
//! `pg_get_expr` and the definitions of object kinds Lyceum has none of.

use std::collections::HashMap;
use std::sync::Arc;

use arrow::array::StringArray;
use arrow::datatypes::DataType;
use datafusion::logical_expr::{Signature, Volatility};
use datafusion::prelude::SessionContext;

use super::super::{dynamic, oids};
use super::CatalogState;
use crate::sqlfn::{int_arg, map_oids, map_texts, shape, text_arg, udf};

/// The `pg_class`-relative `classoid` of a catalog name (`obj_description(oid, 'pg_proc')`).
fn class_oid(catalog: &str) -> Option<i32> {
    Some(match catalog.trim_start_matches("pg_catalog.") {
        "pg_class" => oids::PG_CLASS_OID,
        "pg_proc" => 1255,
        "pg_type" => 1247,
        "pg_namespace" => oids::PG_NAMESPACE_OID,
        "pg_constraint" => oids::PG_CONSTRAINT_OID,
        "pg_am" => 2601,
        "pg_operator" => 2617,
        "pg_database" => oids::PG_DATABASE_OID,
        "pg_collation" => 3456,
        "pg_language" => 2612,
        "pg_cast" => 2605,
        "pg_opclass" => 2616,
        "pg_opfamily" => 2753,
        _ => return None,
    })
}

pub(super) fn register(
    ctx: &SessionContext,
    state: &Arc<CatalogState>,
    static_descriptions: &Arc<HashMap<(i32, i32, i32), String>>,
) {
    let s = state.clone();
    ctx.register_udf(udf(
        "pg_get_constraintdef",
        &[],
        Signature::variadic_any(Volatility::Stable),
        DataType::Utf8,
        move |args| {
            let model = s.model();
            map_oids::<StringArray, _>(args, 0, |oid| model.constraint_defs.get(&oid?).cloned())
        },
    ));

    let s = state.clone();
    ctx.register_udf(udf(
        "pg_get_indexdef",
        &[],
        Signature::variadic_any(Volatility::Stable),
        DataType::Utf8,
        move |args| {
            let model = s.model();
            let oids = int_arg(args, 0)?;
            let columns = if args.args.len() > 1 {
                int_arg(args, 1)?
            } else {
                vec![Some(0); oids.len()]
            };
            let out: StringArray = oids
                .into_iter()
                .zip(columns)
                .map(|(oid, column)| {
                    let oid = oid?;
                    match column.unwrap_or(0) {
                        0 => model.index_defs.get(&oid).cloned(),
                        n => model
                            .relations
                            .get(&oid)
                            .and_then(|r| r.columns.get(usize::try_from(n - 1).ok()?))
                            .map(|c| c.name.clone()),
                    }
                })
                .collect();
            shape(args, Arc::new(out))
        },
    ));

    let s = state.clone();
    let builtin = static_descriptions.clone();
    ctx.register_udf(udf(
        "obj_description",
        &[],
        Signature::variadic_any(Volatility::Stable),
        DataType::Utf8,
        move |args| {
            let model = s.model();
            let oids = int_arg(args, 0)?;
            let catalogs = if args.args.len() > 1 {
                text_arg(args, 1)?
            } else {
                vec![Some("pg_class".to_string()); oids.len()]
            };
            let out: StringArray = oids
                .into_iter()
                .zip(catalogs)
                .map(|(oid, catalog)| {
                    let oid = oid?;
                    let class = class_oid(catalog.as_deref().unwrap_or("pg_class"))?;
                    if class == oids::PG_CLASS_OID {
                        model.descriptions.get(&(oid, 0)).cloned()
                    } else {
                        builtin.get(&(oid, class, 0)).cloned()
                    }
                })
                .collect();
            shape(args, Arc::new(out))
        },
    ));

    let s = state.clone();
    ctx.register_udf(udf(
        "col_description",
        &[],
        Signature::any(2, Volatility::Stable),
        DataType::Utf8,
        move |args| {
            let model = s.model();
            let out: StringArray = int_arg(args, 0)?
                .into_iter()
                .zip(int_arg(args, 1)?)
                .map(|(oid, n)| model.descriptions.get(&(oid?, n?)).cloned())
                .collect();
            shape(args, Arc::new(out))
        },
    ));

    ctx.register_udf(udf(
        "shobj_description",
        &[],
        Signature::any(2, Volatility::Stable),
        DataType::Utf8,
        move |args| {
            let out: StringArray = int_arg(args, 0)?
                .into_iter()
                .zip(text_arg(args, 1)?)
                .map(|(oid, catalog)| {
                    (oid? == oids::DATABASE_OID && catalog.as_deref() == Some("pg_database"))
                        .then(|| dynamic::pg_shdescription_text().to_string())
                })
                .collect();
            shape(args, Arc::new(out))
        },
    ));

    let s = state.clone();
    ctx.register_udf(udf(
        "pg_get_userbyid",
        &[],
        Signature::any(1, Volatility::Stable),
        DataType::Utf8,
        move |args| {
            map_oids::<StringArray, _>(args, 0, |oid| {
                let oid = oid?;
                Some(
                    s.role_name(oid)
                        .unwrap_or_else(|| format!("unknown (OID={oid})")),
                )
            })
        },
    ));

    for name in [
        "pg_get_statisticsobjdef",
        "pg_get_statisticsobjdef_columns",
        "pg_get_triggerdef",
        "pg_get_partkeydef",
        "pg_get_partition_constraintdef",
        "pg_get_ruledef",
        "pg_get_serial_sequence",
    ] {
        // Definitions of object kinds Lyceum has none of: NULL, as PostgreSQL answers for
        // an OID that is no such object.
        ctx.register_udf(udf(
            name,
            &[],
            Signature::variadic_any(Volatility::Stable),
            DataType::Utf8,
            |args| map_oids::<StringArray, String>(args, 0, |_| None),
        ));
    }

    ctx.register_udf(udf(
        "pg_get_expr",
        &[],
        Signature::variadic_any(Volatility::Stable),
        DataType::Utf8,
        // Lyceum's catalog holds no expression trees (no defaults, no expression or
        // partial indexes): every column pg_get_expr reads is NULL.
        |args| map_texts::<StringArray, _>(args, 0, |text| text),
    ));

    ctx.register_udf(udf(
        "lyceum_partition_ancestors",
        &[],
        Signature::any(1, Volatility::Stable),
        DataType::List(Arc::new(arrow::datatypes::Field::new_list_field(
            DataType::Int32,
            true,
        ))),
        // No relation is a partition or partitioned: the set is empty for every OID.
        |args| {
            use arrow::array::{Int32Builder, ListBuilder};
            let mut list = ListBuilder::new(Int32Builder::new());
            for oid in int_arg(args, 0)? {
                list.append(oid.is_some());
            }
            shape(args, Arc::new(list.finish()))
        },
    ));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn class_oids_match_postgres() {
        assert_eq!(class_oid("pg_class"), Some(1259));
        assert_eq!(class_oid("pg_catalog.pg_proc"), Some(1255));
        assert_eq!(class_oid("nope"), None);
    }
}
