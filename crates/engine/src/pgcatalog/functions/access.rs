//! Visibility and privileges: `pg_table_is_visible` and its kin, `has_*_privilege`,
//! `pg_relation_is_publishable`, `pg_is_in_recovery`.

use std::sync::Arc;

use arrow::array::BooleanArray;
use arrow::datatypes::DataType;
use datafusion::logical_expr::{ColumnarValue, Signature, Volatility};
use datafusion::prelude::SessionContext;

use super::CatalogState;
use super::names::{search_path, visible};
use crate::session::SessionInfo;
use crate::sqlfn::{map_oids, map_texts, udf};

/// Privileges every user has on the read-only warehouse (grants come with roles).
const READ_PRIVILEGES: &[&str] = &["SELECT", "USAGE", "CONNECT"];

/// Whether a privilege list (`'SELECT, INSERT'`, `'select with grant option'`) holds.
fn privileges_hold(list: &str, superuser: bool) -> bool {
    list.split(',').all(|p| {
        let p = p.trim().to_ascii_uppercase();
        let (name, grant) = match p.strip_suffix("WITH GRANT OPTION") {
            Some(name) => (name.trim().to_string(), true),
            None => (p, false),
        };
        READ_PRIVILEGES.contains(&name.as_str()) && (!grant || superuser)
    })
}

pub(super) fn register(ctx: &SessionContext, state: &Arc<CatalogState>, info: &Arc<SessionInfo>) {
    let s = state.clone();
    let session = info.clone();
    ctx.register_udf(udf(
        "pg_table_is_visible",
        &[],
        Signature::any(1, Volatility::Stable),
        DataType::Boolean,
        move |args| {
            let model = s.model();
            let path = search_path(&session);
            map_oids::<BooleanArray, _>(args, 0, |oid| {
                let relation = model.relations.get(&oid?)?;
                Some(visible(&model, &path, relation))
            })
        },
    ));

    for name in [
        "pg_type_is_visible",
        "pg_function_is_visible",
        "pg_operator_is_visible",
        "pg_opclass_is_visible",
        "pg_collation_is_visible",
        "pg_conversion_is_visible",
    ] {
        // Every type, function, operator and collation is a built-in of pg_catalog,
        // which is always searched first.
        ctx.register_udf(udf(
            name,
            &[],
            Signature::any(1, Volatility::Stable),
            DataType::Boolean,
            |args| map_oids::<BooleanArray, _>(args, 0, |oid| oid.map(|_| true)),
        ));
    }

    for name in [
        "has_table_privilege",
        "has_schema_privilege",
        "has_database_privilege",
        "has_column_privilege",
        "has_any_column_privilege",
        "has_function_privilege",
        "has_sequence_privilege",
        "has_type_privilege",
    ] {
        let info = info.clone();
        ctx.register_udf(udf(
            name,
            &[],
            Signature::variadic_any(Volatility::Stable),
            DataType::Boolean,
            move |args| {
                let last = args.args.len().saturating_sub(1);
                map_texts::<BooleanArray, _>(args, last, |p| {
                    p.map(|p| privileges_hold(&p, info.superuser()))
                })
            },
        ));
    }

    ctx.register_udf(udf(
        "pg_relation_is_publishable",
        &[],
        Signature::any(1, Volatility::Stable),
        DataType::Boolean,
        // Lyceum has no logical replication: no relation can be published.
        |args| map_oids::<BooleanArray, _>(args, 0, |oid| oid.map(|_| false)),
    ));

    ctx.register_udf(udf(
        "pg_is_in_recovery",
        &[],
        Signature::exact(vec![], Volatility::Stable),
        DataType::Boolean,
        |_| Ok(ColumnarValue::Scalar(false.into())),
    ));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn read_privileges_only() {
        assert!(privileges_hold("SELECT", false));
        assert!(privileges_hold("select, usage", false));
        assert!(!privileges_hold("INSERT", true));
        assert!(!privileges_hold("SELECT, UPDATE", false));
        assert!(!privileges_hold("SELECT WITH GRANT OPTION", false));
        assert!(privileges_hold("SELECT WITH GRANT OPTION", true));
    }
}
