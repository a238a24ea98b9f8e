//! Bulk ingest: a client's Arrow record batches into a sandbox table (Flight SQL's
//! `CommandStatementIngest`, what ADBC's `adbc_ingest` sends), created, appended to or
//! replaced as the client asks.
//!
//! The batches stream into the table through the same warehouse transaction and commit
//! path as `INSERT` and `COPY`: the rows become visible as one new warehouse version, or
//! not at all (a malformed batch, a value that does not fit a column, a client that goes
//! away mid-stream, a cancel, a server killed mid-way all commit nothing). Column types
//! follow `CREATE TABLE AS`: an Arrow type a sandbox table cannot hold exactly is refused.

use std::sync::{Arc, Mutex};

use arrow::datatypes::SchemaRef;
use datafusion::catalog::streaming::StreamingTable;
use datafusion::datasource::provider_as_source;
use datafusion::execution::{SendableRecordBatchStream, TaskContext};
use datafusion::logical_expr::LogicalPlanBuilder;
use datafusion::physical_plan::streaming::PartitionStream;

use super::assign::{assignment_plan, column_of};
use super::run::{ensure_sandbox, table_def};
use super::{SANDBOX, TableName};
use crate::error::{EngineError, Result};
use crate::session::Session;
use crate::session::control::Limits;

/// What to do when the table exists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IfExists {
    Fail,
    Append,
    Replace,
}

/// What to do when the table does not exist.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IfMissing {
    Fail,
    Create,
}

/// One ingest request.
#[derive(Debug, Clone)]
pub struct Ingest {
    /// The table; without a schema, schema `sandbox`.
    pub table: TableName,
    pub if_exists: IfExists,
    pub if_missing: IfMissing,
}

/// The client's batches as a one-shot partition of a DataFusion scan.
struct IncomingBatches {
    schema: SchemaRef,
    batches: Mutex<Option<SendableRecordBatchStream>>,
}

impl std::fmt::Debug for IncomingBatches {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "IncomingBatches({:?})", self.schema)
    }
}

impl PartitionStream for IncomingBatches {
    fn schema(&self) -> &SchemaRef {
        &self.schema
    }

    fn execute(&self, _ctx: Arc<TaskContext>) -> SendableRecordBatchStream {
        let taken = self
            .batches
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .take();
        match taken {
            Some(stream) => stream,
            // A plan executes its scan once; a second run reads nothing rather than
            // replaying rows.
            None => Box::pin(
                datafusion::physical_plan::stream::RecordBatchStreamAdapter::new(
                    self.schema.clone(),
                    futures::stream::empty(),
                ),
            ),
        }
    }
}

impl Session {
    /// Writes `batches` (of `schema`) into a sandbox table as `ingest` says; returns the
    /// number of rows written. Outside a transaction block the rows commit as one
    /// warehouse version.
    pub async fn ingest(
        &mut self,
        ingest: &Ingest,
        schema: SchemaRef,
        batches: SendableRecordBatchStream,
    ) -> Result<u64> {
        let sql = format!("-- ingest into {}", ingest.table);
        self.info.set_activity("active", Some(&sql));
        let result = async {
            let limits = self.begin_write().await?;
            let result = self.run_ingest(ingest, schema, batches, &limits).await;
            self.end_statement(&result, &limits);
            result
        }
        .await;
        self.note_idle();
        result
    }

    async fn run_ingest(
        &mut self,
        ingest: &Ingest,
        schema: SchemaRef,
        batches: SendableRecordBatchStream,
        limits: &Limits,
    ) -> Result<u64> {
        let table = TableName {
            schema: Some(
                ingest
                    .table
                    .schema
                    .clone()
                    .unwrap_or_else(|| SANDBOX.into()),
            ),
            name: ingest.table.name.clone(),
        };
        self.pin().await?;
        let mut pending = self.take_pending().await?;
        let rows = limits
            .run(async {
                let qualified = self.creatable(&pending.tx, &table)?;
                let exists = pending.tx.pending().tables.contains_key(&qualified);
                let create = match (exists, ingest.if_exists, ingest.if_missing) {
                    (true, IfExists::Fail, _) => {
                        return Err(EngineError::DuplicateObject {
                            kind: "relation",
                            name: qualified,
                        });
                    }
                    (true, IfExists::Append, _) => false,
                    (true, IfExists::Replace, _) => {
                        pending.tx.drop_table(&qualified)?;
                        true
                    }
                    (false, _, IfMissing::Create) => true,
                    (false, _, IfMissing::Fail) => {
                        return Err(EngineError::UndefinedObject {
                            kind: "table",
                            name: qualified,
                        });
                    }
                };
                if create {
                    let specs = schema
                        .fields()
                        .iter()
                        .map(|f| column_of(f, f.name()))
                        .collect::<Result<Vec<_>>>()?;
                    ensure_sandbox(&mut pending.tx)?;
                    pending
                        .tx
                        .create_table(table_def(&table.name, &specs))
                        .await?;
                }
                let def = self.definition(&pending.tx, &qualified)?;
                let columns: Vec<String> =
                    schema.fields().iter().map(|f| f.name().clone()).collect();
                let source = IncomingBatches {
                    schema: schema.clone(),
                    batches: Mutex::new(Some(batches)),
                };
                let scan = LogicalPlanBuilder::scan(
                    "ingest_data",
                    provider_as_source(Arc::new(StreamingTable::try_new(
                        schema.clone(),
                        vec![Arc::new(source)],
                    )?)),
                    None,
                )?
                .build()?;
                let plan = assignment_plan(scan, &def, &columns)?;
                pending
                    .tx
                    .append_plan(&qualified, plan, &self.ctx.state())
                    .await
            })
            .await?;
        pending.push_statement("INGEST");
        self.keep_or_commit(pending).await?;
        Ok(rows)
    }
}
