//! Sizes of relations and the database (`pg_relation_size` and kin, `pg_size_pretty`)
//! and scan statistics. A table's size is its data files; indexes and catalog relations
//! have no files of their own (Lyceum's keys are not stored as separate indexes).

use std::sync::Arc;

use arrow::array::{Int64Array, StringArray};
use arrow::datatypes::DataType;
use datafusion::logical_expr::{Signature, Volatility};
use datafusion::prelude::SessionContext;

use super::super::oids;
use super::CatalogState;
use crate::sqlfn::{map_oids, map_texts, shape, udf};

pub(super) fn register(ctx: &SessionContext, state: &Arc<CatalogState>) {
    for name in [
        "pg_relation_size",
        "pg_table_size",
        "pg_total_relation_size",
    ] {
        let s = state.clone();
        ctx.register_udf(udf(
            name,
            &[],
            Signature::variadic_any(Volatility::Stable),
            DataType::Int64,
            move |args| {
                let model = s.model();
                map_oids::<Int64Array, _>(args, 0, |oid| {
                    let r = model.relations.get(&oid?)?;
                    Some(i64::try_from(r.bytes).unwrap_or(i64::MAX))
                })
            },
        ));
    }

    let s = state.clone();
    ctx.register_udf(udf(
        "pg_indexes_size",
        &[],
        Signature::any(1, Volatility::Stable),
        DataType::Int64,
        move |args| {
            let model = s.model();
            map_oids::<Int64Array, _>(args, 0, |oid| model.relations.get(&oid?).map(|_| 0))
        },
    ));

    let s = state.clone();
    ctx.register_udf(udf(
        "pg_database_size",
        &[],
        Signature::any(1, Volatility::Stable),
        DataType::Int64,
        move |args| {
            let total: u64 = s.model().relations.values().map(|r| r.bytes).sum();
            let total = i64::try_from(total).unwrap_or(i64::MAX);
            map_texts::<Int64Array, _>(args, 0, |db| {
                let db = db?;
                (db == crate::session::CATALOG || db == oids::DATABASE_OID.to_string())
                    .then_some(total)
            })
        },
    ));

    ctx.register_udf(udf(
        "pg_size_pretty",
        &[],
        Signature::any(1, Volatility::Immutable),
        DataType::Utf8,
        |args| {
            let array = match args.args.first() {
                Some(v) => v.to_array(args.number_rows)?,
                None => return datafusion::common::exec_err!("pg_size_pretty needs a size"),
            };
            let array = arrow::compute::cast(&array, &DataType::Int64)?;
            let sizes = arrow::array::AsArray::as_primitive::<arrow::datatypes::Int64Type>(&array);
            let out: StringArray = sizes.iter().map(|v| v.map(size_pretty)).collect();
            shape(args, Arc::new(out))
        },
    ));

    // Lyceum does not count scans: unknown.
    ctx.register_udf(udf(
        "pg_stat_get_numscans",
        &[],
        Signature::any(1, Volatility::Stable),
        DataType::Int64,
        |args| map_oids::<Int64Array, i64>(args, 0, |_| None),
    ));
}

/// PostgreSQL's `pg_size_pretty` (checked against PostgreSQL 15): bytes below 10 kB, then
/// the largest unit that keeps the number below 20480, rounded half up.
pub fn size_pretty(size: i64) -> String {
    const LIMIT: i64 = 10 * 1024;
    const LIMIT2: i64 = LIMIT * 2 - 1;
    if size.abs() < LIMIT {
        return format!("{size} bytes");
    }
    let mut size = size >> 9; // half-kB
    for unit in ["kB", "MB", "GB", "TB"] {
        if size.abs() < LIMIT2 {
            return format!("{} {unit}", (size + 1) / 2);
        }
        size >>= 10;
    }
    format!("{} PB", (size + 1) / 2)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_print_like_postgres() {
        assert_eq!(size_pretty(8192), "8192 bytes");
        assert_eq!(size_pretty(10 * 1024), "10 kB");
        assert_eq!(size_pretty(123_456_789), "118 MB");
        assert_eq!(size_pretty(20 * 1024 * 1024 - 1), "20 MB");
        assert_eq!(size_pretty(5_000_000_000_000), "4657 GB");
    }
}
