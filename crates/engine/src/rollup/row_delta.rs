//! The rows added to a table whose files were rewritten: a load rewrites a dimension
//! whole (its Delta files replaced) even when it only added rows to it (a new term, new
//! sections). When every row of the old version is still in the new one (as a multiset of
//! whole rows), the table was appended to after all, and the rows that are new are its
//! delta for an incremental refresh. A changed or deleted row (an SCD2 version closed, a
//! correction) makes it a rewrite, refreshed in full.
//!
//! Both versions are read whole, so this is for tables up to [`ROW_DELTA_LIMIT`] rows
//! (dimensions); a larger one rewritten is refreshed in full.

use std::collections::HashMap;
use std::sync::Arc;

use arrow::array::{RecordBatch, UInt32Array};
use arrow::compute::take_record_batch;
use arrow::row::{RowConverter, SortField};
use datafusion::catalog::TableProvider;
use datafusion::datasource::{MemTable, provider_as_source};
use datafusion::execution::SessionState;
use datafusion::logical_expr::LogicalPlanBuilder;
use datafusion::physical_plan::collect;

use crate::error::Result;

/// The most rows a rewritten table may have (in either version) to be compared.
pub const ROW_DELTA_LIMIT: u64 = 2_000_000;

/// The rows of `new` that are not in `old`, as a table, when every row of `old` is in
/// `new` (counting duplicates); `None` otherwise or when their columns differ.
pub async fn added_rows(
    state: &SessionState,
    old: Arc<dyn TableProvider>,
    new: Arc<dyn TableProvider>,
) -> Result<Option<Arc<dyn TableProvider>>> {
    let schema = new.schema();
    if old.schema().fields() != schema.fields() {
        return Ok(None);
    }
    let converter = RowConverter::new(
        schema
            .fields()
            .iter()
            .map(|f| SortField::new(f.data_type().clone()))
            .collect(),
    )?;
    // Old rows in the row format (bytes) → how many are not matched by a new row yet.
    let mut unmatched: HashMap<Vec<u8>, u64> = HashMap::new();
    for batch in read(state, old).await? {
        for row in converter.convert_columns(batch.columns())?.iter() {
            *unmatched.entry(row.as_ref().to_vec()).or_default() += 1;
        }
    }
    let mut added = Vec::new();
    for batch in read(state, new).await? {
        let rows = converter.convert_columns(batch.columns())?;
        let mut fresh = Vec::new();
        for (i, row) in rows.iter().enumerate() {
            match unmatched.get_mut(row.as_ref()) {
                Some(n) if *n > 0 => *n -= 1,
                _ => fresh.push(u32::try_from(i).unwrap_or(u32::MAX)),
            }
        }
        if !fresh.is_empty() {
            added.push(take_record_batch(&batch, &UInt32Array::from(fresh))?);
        }
    }
    if unmatched.values().any(|n| *n > 0) {
        return Ok(None);
    }
    Ok(Some(Arc::new(MemTable::try_new(schema, vec![added])?)))
}

async fn read(state: &SessionState, provider: Arc<dyn TableProvider>) -> Result<Vec<RecordBatch>> {
    let plan = LogicalPlanBuilder::scan("rows", provider_as_source(provider), None)?.build()?;
    let physical =
        crate::numeric_display::without_hidden(state.create_physical_plan(&plan).await?)?;
    Ok(collect(physical, state.task_ctx()).await?)
}
