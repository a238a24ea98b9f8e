//! The one query layer that every endpoint shares (CLI, Postgres wire, Flight SQL).
//!
//! An [`Engine`] is opened once per process over a warehouse; each client connection gets a
//! [`Session`]. Every statement runs against one pinned warehouse version: the latest at
//! the time the statement starts, or the one chosen with `SET lyceum.as_of = N` (time
//! travel). The warehouse is written only by loads: DDL and DML are refused.

mod options;
mod snapshot;

use std::sync::{Arc, Mutex};

use arrow::datatypes::SchemaRef;
use datafusion::execution::SendableRecordBatchStream;
use datafusion::execution::runtime_env::RuntimeEnv;
use datafusion::logical_expr::LogicalPlan;
use datafusion::prelude::{SQLOptions, SessionConfig, SessionContext};
use datafusion::sql::parser::{DFParser, Statement};
use tracing::{Instrument, debug, info_span};

pub use options::LyceumOptions;
pub use snapshot::Snapshot;

use crate::error::{EngineError, Result};
use crate::warehouse::Warehouse;

/// The catalog name clients see (`lyceum`), with schemas `public` and `system`.
pub const CATALOG: &str = "lyceum";

/// Shared by all sessions of a process.
pub struct Engine {
    warehouse: Warehouse,
    runtime: Arc<RuntimeEnv>,
    snapshots: Mutex<Vec<Arc<Snapshot>>>,
}

/// How many pinned snapshots stay cached (time travel to older ones reopens them).
const SNAPSHOT_CACHE: usize = 4;

impl Engine {
    pub fn new(warehouse: Warehouse) -> Arc<Engine> {
        Arc::new(Engine {
            warehouse,
            runtime: Arc::new(RuntimeEnv::default()),
            snapshots: Mutex::new(Vec::new()),
        })
    }

    pub fn warehouse(&self) -> &Warehouse {
        &self.warehouse
    }

    /// A new session for one client.
    pub fn session(self: &Arc<Self>) -> Result<Session> {
        let config = SessionConfig::new()
            .with_default_catalog_and_schema(CATALOG, "public")
            .with_create_default_catalog_and_schema(false)
            .with_information_schema(true)
            .with_option_extension(LyceumOptions::default());
        let mut ctx = SessionContext::new_with_config_rt(config, self.runtime.clone());
        datafusion_functions_json::register_all(&mut ctx)?;
        Ok(Session {
            engine: self.clone(),
            ctx,
            pinned: None,
        })
    }

    /// The snapshot of one warehouse version, from the cache or opened now.
    async fn snapshot(&self, version: u64) -> Result<Arc<Snapshot>> {
        if let Some(s) = self.cached(version) {
            return Ok(s);
        }
        let manifest = self.warehouse.version(version).await?;
        let snap = Arc::new(Snapshot::open(&self.warehouse, manifest, &self.runtime).await?);
        let mut cache = self
            .snapshots
            .lock()
            .map_err(|_| EngineError::Internal("snapshot cache poisoned".into()))?;
        cache.retain(|s| s.version() != version);
        cache.push(snap.clone());
        if cache.len() > SNAPSHOT_CACHE {
            cache.remove(0);
        }
        Ok(snap)
    }

    fn cached(&self, version: u64) -> Option<Arc<Snapshot>> {
        let cache = self.snapshots.lock().ok()?;
        cache.iter().find(|s| s.version() == version).cloned()
    }
}

/// What one statement produced.
pub enum QueryOutput {
    /// Rows, streamed batch by batch.
    Rows {
        schema: SchemaRef,
        stream: SendableRecordBatchStream,
    },
    /// A command without rows (`SET`, ...), with its Postgres-style tag.
    Command { tag: String },
}

/// One client's state: settings and the pinned warehouse version.
pub struct Session {
    engine: Arc<Engine>,
    ctx: SessionContext,
    pinned: Option<u64>,
}

impl Session {
    pub fn context(&self) -> &SessionContext {
        &self.ctx
    }

    /// The warehouse version the last statement ran against.
    pub fn pinned_version(&self) -> Option<u64> {
        self.pinned
    }

    /// Runs every statement of `sql` in order; the first error stops the rest.
    pub async fn execute(&mut self, sql: &str) -> Result<Vec<QueryOutput>> {
        let statements = DFParser::parse_sql(sql)?;
        let mut outputs = Vec::with_capacity(statements.len());
        for statement in statements {
            let span = info_span!("statement", sql = %statement);
            outputs.push(self.execute_statement(statement).instrument(span).await?);
        }
        Ok(outputs)
    }

    async fn execute_statement(&mut self, statement: Statement) -> Result<QueryOutput> {
        self.pin().await?;
        let state = self.ctx.state();
        let plan = state.statement_to_plan(statement).await?;
        SQLOptions::new()
            .with_allow_ddl(false)
            .with_allow_dml(false)
            .verify_plan(&plan)?;
        let tag = command_tag(&plan);
        let previous_as_of = self.as_of();
        let df = self.ctx.execute_logical_plan(plan).await?;
        if let Some(tag) = tag {
            // Run it for its effect (SET changes this session's options).
            df.collect().await?;
            if tag == "SET" {
                // A time-travel setting must be valid now, not at the next query; a bad
                // one is undone so the session stays usable.
                if let Err(e) = self.pin().await {
                    self.set_as_of(previous_as_of);
                    return Err(e);
                }
            }
            return Ok(QueryOutput::Command { tag });
        }
        let schema = SchemaRef::from(df.schema().as_arrow().clone());
        let stream = df.execute_stream().await?;
        Ok(QueryOutput::Rows { schema, stream })
    }

    /// Makes the session's catalog the snapshot of the version it should read now.
    async fn pin(&mut self) -> Result<()> {
        let wanted = match self.as_of() {
            Some(v) => v,
            None => self.engine.warehouse.require_latest().await?.version,
        };
        if self.pinned == Some(wanted) {
            return Ok(());
        }
        let snapshot = self.engine.snapshot(wanted).await?;
        self.ctx.register_catalog(CATALOG, snapshot.catalog());
        debug!(version = wanted, "session pinned warehouse version");
        self.pinned = Some(wanted);
        Ok(())
    }

    fn set_as_of(&mut self, value: Option<u64>) {
        let state_ref = self.ctx.state_ref();
        let mut state = state_ref.write();
        if let Some(opts) = state
            .config_mut()
            .options_mut()
            .extensions
            .get_mut::<LyceumOptions>()
        {
            opts.as_of = value;
        }
    }

    fn as_of(&self) -> Option<u64> {
        let state = self.ctx.state();
        state
            .config()
            .options()
            .extensions
            .get::<LyceumOptions>()
            .and_then(|o| o.as_of)
    }
}

/// The tag of a plan that produces no rows for the client.
fn command_tag(plan: &LogicalPlan) -> Option<String> {
    match plan {
        LogicalPlan::Statement(datafusion::logical_expr::Statement::SetVariable(_)) => {
            Some("SET".into())
        }
        LogicalPlan::Statement(_) => Some("OK".into()),
        _ => None,
    }
}
