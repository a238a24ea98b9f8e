//! `system.rollups`: the rollups of the pinned version, whether each can answer queries
//! (or why not), and how often it has.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use arrow::array::{ArrayRef, BooleanArray, RecordBatch, StringArray, UInt64Array};
use arrow::datatypes::{DataType, Field, Schema, SchemaRef};

use super::set::RollupSet;

pub fn schema() -> SchemaRef {
    Arc::new(Schema::new(vec![
        Field::new("name", DataType::Utf8, false),
        Field::new("definition", DataType::Utf8, false),
        Field::new("rows", DataType::UInt64, false),
        Field::new("bytes", DataType::UInt64, false),
        Field::new("built_from", DataType::Utf8, false),
        Field::new("usable", DataType::Boolean, false),
        Field::new("reason", DataType::Utf8, true),
        Field::new("hits", DataType::UInt64, false),
    ]))
}

/// One row per rollup; `bytes` gives a table's data size by `schema.table`.
pub fn batch(
    set: &RollupSet,
    bytes: &dyn Fn(&str) -> u64,
) -> datafusion::error::Result<RecordBatch> {
    let c = set.candidates();
    let columns: Vec<ArrayRef> = vec![
        Arc::new(StringArray::from_iter_values(c.iter().map(|r| &r.name))),
        Arc::new(StringArray::from_iter_values(c.iter().map(|r| &r.query))),
        Arc::new(UInt64Array::from_iter_values(c.iter().map(|r| r.rows))),
        Arc::new(UInt64Array::from_iter_values(
            c.iter().map(|r| bytes(&r.name)),
        )),
        Arc::new(StringArray::from_iter_values(
            c.iter().map(|r| &r.built_from),
        )),
        Arc::new(BooleanArray::from_iter(
            c.iter().map(|r| Some(r.usable.is_ok())),
        )),
        Arc::new(StringArray::from_iter(
            c.iter()
                .map(|r| r.usable.as_ref().err().map(String::as_str)),
        )),
        Arc::new(UInt64Array::from_iter_values(
            c.iter().map(|r| r.hits.load(Ordering::Relaxed)),
        )),
    ];
    Ok(RecordBatch::try_new(schema(), columns)?)
}
