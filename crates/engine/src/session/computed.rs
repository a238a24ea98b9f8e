//! A read-only table whose one batch is computed when a query scans it, for system tables
//! that show live state (`system.rollups`' hit counts, `system.result_cache`).

use std::sync::Arc;

use arrow::array::RecordBatch;
use arrow::datatypes::SchemaRef;
use async_trait::async_trait;
use datafusion::catalog::TableProvider;
use datafusion::datasource::{MemTable, TableType};
use datafusion::logical_expr::Expr;
use datafusion::physical_plan::ExecutionPlan;

type Compute = dyn Fn() -> datafusion::error::Result<RecordBatch> + Send + Sync;

pub(crate) struct ComputedTable {
    schema: SchemaRef,
    compute: Box<Compute>,
}

impl std::fmt::Debug for ComputedTable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ComputedTable")
            .field("schema", &self.schema)
            .finish_non_exhaustive()
    }
}

impl ComputedTable {
    /// A table of `schema` whose rows `compute` gives (a batch of that schema).
    pub(crate) fn new(
        schema: SchemaRef,
        compute: impl Fn() -> datafusion::error::Result<RecordBatch> + Send + Sync + 'static,
    ) -> ComputedTable {
        ComputedTable {
            schema,
            compute: Box::new(compute),
        }
    }
}

#[async_trait]
impl TableProvider for ComputedTable {
    fn schema(&self) -> SchemaRef {
        self.schema.clone()
    }

    fn table_type(&self) -> TableType {
        TableType::View
    }

    async fn scan(
        &self,
        state: &dyn datafusion::catalog::Session,
        projection: Option<&Vec<usize>>,
        filters: &[Expr],
        limit: Option<usize>,
    ) -> datafusion::error::Result<Arc<dyn ExecutionPlan>> {
        let batch = (self.compute)()?;
        MemTable::try_new(self.schema.clone(), vec![vec![batch]])?
            .scan(state, projection, filters, limit)
            .await
    }
}
