//! A write transaction over many tables: all of them become visible in one warehouse
//! version, or none does. Loads and DDL/DML (schema `sandbox`) commit through it alike.
//!
//! Protocol:
//! 1. `begin` reads the latest warehouse version B (creating version 0, the empty star
//!    schema, if the warehouse is new).
//! 2. The first write to a table rolls back any Delta versions above its pin in B (a crashed
//!    or losing writer's leftovers) by restoring the pinned version; writes then go to the
//!    table's Delta log, and every version the transaction creates is noted. Tables and
//!    schemas may be created (new OIDs from B's `next_oid`; a new table gets a fresh
//!    directory) and dropped (their files stay for time travel).
//! 3. `commit` checks that, for each table it wrote, every Delta version between the one it
//!    started from and its last write is its own (else another writer interleaved:
//!    [`EngineError::Conflict`]), then writes warehouse version B+1 with a create-if-absent
//!    put. If another writer committed B+1 first and changed none of the tables and
//!    schemas this transaction changed, the changes are rebased onto the newer version
//!    (OIDs this transaction handed out move above the ones the other writer took) and the
//!    put is tried again; otherwise the other writer won: [`EngineError::Conflict`].
//!
//! Nothing a transaction writes is visible before step 3 succeeds, and a crash at any
//! point leaves version B the latest, intact; the next writer of each table cleans up.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use arrow::datatypes::Field;
use arrow::record_batch::RecordBatch;
use datafusion::catalog::streaming::StreamingTable;
use datafusion::datasource::provider_as_source;
use datafusion::logical_expr::{LogicalPlan, LogicalPlanBuilder};
use datafusion::physical_plan::streaming::PartitionStream;
use deltalake::DeltaTable;
use deltalake::kernel::engine::arrow_conversion::TryFromArrow;
use deltalake::kernel::{StructField, StructType};
use deltalake::protocol::SaveMode;
use lyceum_catalog::{
    ColumnDef, FORMAT_VERSION, Oid, SchemaEntry, TableDef, TableEntry, UnitEntry, WarehouseVersion,
    star,
};
use tracing::{debug, info, warn};

use super::{Warehouse, arrow_schema, arrow_type};
use crate::error::{EngineError, Result};

/// How a write replaces a table's rows.
#[derive(Debug, Clone)]
pub enum WriteMode {
    /// Replace the whole table.
    Overwrite,
    /// Replace the rows whose unit column has one of these values (a fact's terms).
    ReplaceUnits(Vec<i64>),
    /// Add rows.
    Append,
}

struct Touched {
    /// The latest Delta version when the transaction first wrote the table.
    start: u64,
    own: BTreeSet<u64>,
    last: u64,
}

/// How many times a commit is rebased onto versions other writers committed meanwhile.
const REBASE_ATTEMPTS: u32 = 16;

pub struct Transaction {
    warehouse: Warehouse,
    base: WarehouseVersion,
    /// The version this transaction will commit (tables, schemas, `next_oid`).
    next: WarehouseVersion,
    touched: BTreeMap<String, Touched>,
    dropped: BTreeSet<String>,
    created_schemas: BTreeSet<String>,
}

impl Transaction {
    /// Starts a transaction on the latest warehouse version, initialising the warehouse
    /// (version 0: every star-schema table, empty) if it has none.
    pub async fn begin(warehouse: &Warehouse) -> Result<Transaction> {
        let base = match warehouse.latest().await? {
            Some(v) => v,
            None => init(warehouse).await?,
        };
        Ok(Transaction {
            warehouse: warehouse.clone(),
            next: base.clone(),
            base,
            touched: BTreeMap::new(),
            dropped: BTreeSet::new(),
            created_schemas: BTreeSet::new(),
        })
    }

    pub fn base(&self) -> &WarehouseVersion {
        &self.base
    }

    /// The warehouse version this transaction will commit, as it stands now.
    pub fn pending(&self) -> &WarehouseVersion {
        &self.next
    }

    /// The entry a table will have when this transaction commits.
    pub fn entry(&self, qualified: &str) -> Option<&TableEntry> {
        self.next.tables.get(qualified)
    }

    fn entry_or_missing(&self, qualified: &str) -> Result<&TableEntry> {
        self.entry(qualified)
            .ok_or_else(|| EngineError::Internal(format!("{qualified} is not in the warehouse")))
    }

    /// Creates schema `name` (an error if it exists).
    pub fn create_schema(&mut self, name: &str) -> Result<()> {
        if self.next.schemas.contains_key(name) {
            return Err(EngineError::DuplicateObject {
                kind: "schema",
                name: name.to_string(),
            });
        }
        let oid = self.next.allocate_oid();
        self.next
            .schemas
            .insert(name.to_string(), SchemaEntry { oid });
        self.created_schemas.insert(name.to_string());
        Ok(())
    }

    /// Whether committing would change anything (a `DROP TABLE IF EXISTS` of a missing
    /// table does not).
    pub fn has_changes(&self) -> bool {
        !self.touched.is_empty() || !self.dropped.is_empty() || !self.created_schemas.is_empty()
    }

    /// Creates an empty table in an existing schema, in a directory of its own.
    pub async fn create_table(&mut self, def: TableDef) -> Result<()> {
        let name = def.qualified_name();
        if !self.next.schemas.contains_key(&def.schema) {
            return Err(EngineError::UndefinedObject {
                kind: "schema",
                name: def.schema.clone(),
            });
        }
        if self.next.tables.contains_key(&name) {
            return Err(EngineError::DuplicateObject {
                kind: "relation",
                name,
            });
        }
        // A new directory for every table created, so a table dropped and created again
        // never shares a Delta log with its predecessor (whose files time travel reads).
        let location = format!(
            "{}/{}-{}",
            def.schema,
            def.name,
            uuid::Uuid::new_v4().simple()
        );
        let entry = TableEntry::new(def, location, &mut self.next.next_oid);
        let table = self.warehouse.open_table_latest(&entry).await?;
        let version = create_empty(&entry.definition, table).await?;
        self.touched.insert(
            name.clone(),
            Touched {
                start: version,
                own: BTreeSet::from([version]),
                last: version,
            },
        );
        let mut entry = entry;
        entry.delta_version = version;
        self.dropped.remove(&name);
        self.next.tables.insert(name, entry);
        Ok(())
    }

    /// Removes a table from the catalog; its files stay for time travel.
    pub fn drop_table(&mut self, qualified: &str) -> Result<()> {
        if self.next.tables.remove(qualified).is_none() {
            return Err(EngineError::UndefinedObject {
                kind: "table",
                name: qualified.to_string(),
            });
        }
        self.touched.remove(qualified);
        if self.base.tables.contains_key(qualified) {
            self.dropped.insert(qualified.to_string());
        }
        Ok(())
    }

    /// Adds a nullable column at the end of a table (existing rows read NULL for it). Its
    /// attribute number is its position, so columns are only ever appended.
    pub async fn add_column(&mut self, qualified: &str, column: ColumnDef) -> Result<()> {
        if !column.nullable {
            return Err(EngineError::Unsupported {
                what: "adding a NOT NULL column".into(),
            });
        }
        let table = self.open_for_write(qualified).await?;
        let field = Field::new(&column.name, arrow_type(column.ty), true);
        let field = StructField::try_from_arrow(&field)?;
        let altered = table
            .add_columns()
            .with_fields([field])
            .await
            .map_err(|e| EngineError::delta(qualified.to_string(), e))?;
        let def = self.entry_or_missing(qualified)?.definition.clone();
        let v = altered.version().ok_or_else(|| missing(&def))?;
        let entry = self.record_write(qualified, v)?;
        entry.definition.columns.push(column);
        entry.fingerprint = None;
        Ok(())
    }

    /// Opens a table for writing: the first time, rolls back Delta versions above the
    /// table's pin (leftovers of a writer that crashed or lost a commit race).
    async fn open_for_write(&mut self, qualified: &str) -> Result<DeltaTable> {
        let entry = self.entry_or_missing(qualified)?.clone();
        let table = self.warehouse.open_table_latest(&entry).await?;
        if self.touched.contains_key(qualified) {
            return Ok(table);
        }
        let def = &entry.definition;
        let latest = table.version().ok_or_else(|| missing(def))?;
        let mut touched = Touched {
            start: latest,
            own: BTreeSet::new(),
            last: entry.delta_version,
        };
        let table = if latest > entry.delta_version {
            warn!(
                table = %qualified,
                latest,
                pinned = entry.delta_version,
                "rolling back table versions above the pinned one"
            );
            let (restored, _) = table
                .restore()
                .with_version_to_restore(entry.delta_version)
                .await
                .map_err(|e| EngineError::delta(qualified.to_string(), e))?;
            let v = restored.version().ok_or_else(|| missing(def))?;
            touched.own.insert(v);
            touched.last = v;
            restored
        } else {
            table
        };
        self.touched.insert(qualified.to_string(), touched);
        Ok(table)
    }

    /// Records a Delta version this transaction wrote to `qualified`.
    fn record_write(&mut self, qualified: &str, version: u64) -> Result<&mut TableEntry> {
        let touched = self.touched.get_mut(qualified).ok_or_else(|| {
            EngineError::Internal(format!("{qualified} was written without being opened"))
        })?;
        touched.own.insert(version);
        touched.last = version;
        let entry =
            self.next.tables.get_mut(qualified).ok_or_else(|| {
                EngineError::Internal(format!("{qualified} is not in the warehouse"))
            })?;
        entry.delta_version = version;
        Ok(entry)
    }

    /// Writes `batches` to a table and records the new Delta version as this transaction's.
    pub async fn write(
        &mut self,
        def: &TableDef,
        batches: Vec<RecordBatch>,
        mode: WriteMode,
        rows: u64,
        units: BTreeMap<String, UnitEntry>,
        fingerprint: Option<String>,
    ) -> Result<()> {
        let name = def.qualified_name();
        let table = self.open_for_write(&name).await?;
        let mut builder = table.write(batches);
        builder = match &mode {
            WriteMode::Overwrite => builder.with_save_mode(SaveMode::Overwrite),
            WriteMode::Append => builder.with_save_mode(SaveMode::Append),
            WriteMode::ReplaceUnits(values) => {
                let column = def.unit_column.as_deref().ok_or_else(|| {
                    EngineError::Internal(format!("{name} has no unit column to replace by"))
                })?;
                let list = values
                    .iter()
                    .map(i64::to_string)
                    .collect::<Vec<_>>()
                    .join(", ");
                builder
                    .with_save_mode(SaveMode::Overwrite)
                    .with_replace_where(format!("{column} IN ({list})"))
            }
        };
        let written = builder
            .await
            .map_err(|e| EngineError::delta(name.clone(), e))?;
        let v = written.version().ok_or_else(|| missing(def))?;
        let entry = self.record_write(&name, v)?;
        entry.rows = rows;
        entry.units = units;
        entry.fingerprint = fingerprint;
        Ok(())
    }

    /// Appends the rows `plan` produces to a table, streaming them (the plan runs in
    /// `state`; Delta's writer reads its stream); returns how many rows were added. An
    /// error of the plan (a NOT NULL violation, bad COPY data) is returned as it was
    /// raised, not as Delta's rendering of it.
    pub async fn append_plan(
        &mut self,
        qualified: &str,
        plan: LogicalPlan,
        state: &datafusion::execution::SessionState,
    ) -> Result<u64> {
        self.write_plan(qualified, plan, state, SaveMode::Append)
            .await
    }

    /// Replaces a table's rows by the rows `plan` produces (as [`Self::append_plan`]
    /// streams them); returns how many rows the table holds now.
    pub async fn overwrite_plan(
        &mut self,
        qualified: &str,
        plan: LogicalPlan,
        state: &datafusion::execution::SessionState,
    ) -> Result<u64> {
        self.write_plan(qualified, plan, state, SaveMode::Overwrite)
            .await
    }

    async fn write_plan(
        &mut self,
        qualified: &str,
        plan: LogicalPlan,
        state: &datafusion::execution::SessionState,
        mode: SaveMode,
    ) -> Result<u64> {
        let physical =
            crate::numeric_display::without_hidden(state.create_physical_plan(&plan).await?)?;
        let rows = datafusion::physical_plan::execute_stream(physical, state.task_ctx())?;
        let (input, first_error) = super::captured::CapturedStream::new(rows);
        let input = LogicalPlanBuilder::scan(
            "input",
            provider_as_source(Arc::new(StreamingTable::try_new(
                input.schema().clone(),
                vec![Arc::new(input)],
            )?)),
            None,
        )?
        .build()?;
        let writer_state: Arc<dyn datafusion::catalog::Session> = Arc::new(
            datafusion::execution::SessionStateBuilder::new_from_existing(state.clone())
                .with_query_planner(deltalake::delta_datafusion::planner::DeltaPlanner::new())
                .build(),
        );
        let table = self.open_for_write(qualified).await?;
        let before = table.version().unwrap_or(0);
        let written = table
            .write(Vec::new())
            .with_input_plan(input)
            .with_session_state(writer_state)
            .with_save_mode(mode)
            .await;
        let written = match written {
            Ok(w) => w,
            Err(e) => {
                return Err(match first_error.take() {
                    Some(original) => original.into(),
                    None => EngineError::delta(qualified.to_string(), e),
                });
            }
        };
        let def = self.entry_or_missing(qualified)?.definition.clone();
        let v = written.version().ok_or_else(|| missing(&def))?;
        let added = if v > before {
            added_rows(&written).await?
        } else {
            0
        };
        let entry = self.record_write(qualified, v)?;
        match mode {
            SaveMode::Overwrite => entry.rows = added,
            _ => entry.rows += added,
        }
        entry.fingerprint = None;
        Ok(added)
    }

    /// Records a rollup's definition and what its states were built from.
    pub fn set_rollup(&mut self, qualified: &str, rollup: lyceum_catalog::RollupDef) -> Result<()> {
        let entry =
            self.next.tables.get_mut(qualified).ok_or_else(|| {
                EngineError::Internal(format!("{qualified} is not in the warehouse"))
            })?;
        entry.rollup = Some(rollup);
        Ok(())
    }

    /// Makes every write visible as warehouse version `base + 1` (or, rebased, a later one).
    pub async fn commit(
        mut self,
        operation: &str,
        load_id: Option<u64>,
        summary: String,
    ) -> Result<WarehouseVersion> {
        for (name, t) in &self.touched {
            if t.own.is_empty() {
                continue;
            }
            let interleaved: Vec<u64> = (t.start.max(self.pinned(name)) + 1..=t.last)
                .filter(|v| !t.own.contains(v))
                .collect();
            if !interleaved.is_empty() {
                return Err(EngineError::Conflict {
                    detail: format!(
                        "table {name} has Delta versions {interleaved:?} written by another writer during this transaction"
                    ),
                });
            }
        }
        for _ in 0..REBASE_ATTEMPTS {
            let mut version = self.next.clone();
            version.format_version = FORMAT_VERSION;
            version.version = self.base.version + 1;
            version.parent = Some(self.base.version);
            version.committed_at = now_rfc3339();
            version.operation = operation.to_string();
            version.load_id = load_id;
            version.summary = summary.clone();
            match self.warehouse.catalog().commit(&version).await {
                Ok(()) => {
                    info!(
                        version = version.version,
                        operation, "committed warehouse version"
                    );
                    self.warehouse.note_committed(version.version);
                    return Ok(version);
                }
                Err(lyceum_catalog::CatalogError::VersionExists { version: v }) => {
                    let latest = self
                        .warehouse
                        .catalog()
                        .get(self.warehouse.catalog().latest_number_from(v).await?)
                        .await?;
                    self.rebase(latest)?;
                }
                Err(e) => return Err(e.into()),
            }
        }
        Err(EngineError::Conflict {
            detail: format!("the warehouse changed under {REBASE_ATTEMPTS} commit attempts"),
        })
    }

    /// Moves this transaction's changes onto `latest`, a version another writer committed
    /// after `base`; a [`EngineError::Conflict`] if that writer changed what this one did.
    fn rebase(&mut self, latest: WarehouseVersion) -> Result<()> {
        let changed: BTreeSet<&String> = self.touched.keys().chain(&self.dropped).collect();
        for name in &changed {
            let before = self.base.tables.get(*name).map(identity);
            let now = latest.tables.get(*name).map(identity);
            if before != now {
                return Err(EngineError::Conflict {
                    detail: format!(
                        "warehouse version {} changed table {name}, which this transaction also changed",
                        latest.version
                    ),
                });
            }
        }
        if let Some(schema) = self
            .created_schemas
            .iter()
            .find(|s| latest.schemas.contains_key(*s))
        {
            return Err(EngineError::Conflict {
                detail: format!(
                    "warehouse version {} created schema {schema} too",
                    latest.version
                ),
            });
        }
        // OIDs this transaction handed out, [base.next_oid, next.next_oid), move above the
        // other writer's.
        let first_own = self.base.next_oid;
        let shift = latest.next_oid.saturating_sub(first_own);
        let moved = |oid: Oid| if oid >= first_own { oid + shift } else { oid };
        let mut merged = latest.clone();
        for name in self.touched.keys() {
            if let Some(entry) = self.next.tables.get(name) {
                let mut entry = entry.clone();
                let o = &mut entry.oids;
                o.table = moved(o.table);
                o.row_type = moved(o.row_type);
                o.primary_key_index = o.primary_key_index.map(moved);
                o.primary_key_constraint = o.primary_key_constraint.map(moved);
                o.foreign_keys = o.foreign_keys.iter().copied().map(moved).collect();
                merged.tables.insert(name.clone(), entry);
            }
        }
        for name in &self.dropped {
            merged.tables.remove(name);
        }
        for name in &self.created_schemas {
            if let Some(s) = self.next.schemas.get(name) {
                merged
                    .schemas
                    .insert(name.clone(), SchemaEntry { oid: moved(s.oid) });
            }
        }
        merged.next_oid = self.next.next_oid + shift;
        debug!(
            from = self.base.version,
            onto = latest.version,
            "rebasing a commit onto a newer warehouse version"
        );
        self.base = latest;
        self.next = merged;
        Ok(())
    }

    fn pinned(&self, name: &str) -> u64 {
        self.base
            .tables
            .get(name)
            .map(|e| e.delta_version)
            .unwrap_or(0)
    }
}

/// What identifies a table's state for conflict checks: its OID and pinned Delta version.
fn identity(entry: &TableEntry) -> (Oid, u64, &str) {
    (
        entry.oids.table,
        entry.delta_version,
        entry.location.as_str(),
    )
}

/// The rows the table's newest commit added (from the commit's operation metrics).
async fn added_rows(table: &DeltaTable) -> Result<u64> {
    use futures::TryStreamExt;
    let history: Vec<_> = table
        .history(Some(1))
        .try_collect()
        .await
        .map_err(|e| EngineError::Internal(format!("reading a commit's metrics: {e}")))?;
    let added = history
        .into_iter()
        .next()
        .and_then(|c| {
            c.info
                .get("operationMetrics")
                .and_then(|m| m.get("num_added_rows"))
                .and_then(|n| n.as_u64())
        })
        .ok_or_else(|| EngineError::Internal("a write's commit has no row count".into()))?;
    Ok(added)
}

/// Creates every star-schema table empty and commits warehouse version 0.
async fn init(warehouse: &Warehouse) -> Result<WarehouseVersion> {
    let mut version = WarehouseVersion::initial(star::all_tables()?, now_rfc3339());
    for entry in version.tables.values_mut() {
        let table = warehouse.open_table_latest(entry).await?;
        entry.delta_version = match table.version() {
            // A previous attempt at initialising created it: its first version is empty.
            Some(_) => 0,
            None => create_empty(&entry.definition, table).await?,
        };
    }
    match warehouse.catalog().commit(&version).await {
        Ok(()) => {
            warehouse.note_committed(0);
            Ok(version)
        }
        // Another writer initialised it at the same time: theirs is as good as ours.
        Err(lyceum_catalog::CatalogError::VersionExists { .. }) => Ok(warehouse.version(0).await?),
        Err(e) => Err(e.into()),
    }
}

fn missing(def: &TableDef) -> EngineError {
    EngineError::Internal(format!(
        "table {} has no Delta version",
        def.qualified_name()
    ))
}

async fn create_empty(def: &TableDef, table: DeltaTable) -> Result<u64> {
    let schema = arrow_schema(def);
    let structure = StructType::try_from_arrow(schema.as_ref())?;
    let created = table
        .create()
        .with_table_name(def.name.clone())
        .with_columns(structure.fields().cloned())
        .with_save_mode(SaveMode::Ignore)
        .await
        .map_err(|e| EngineError::delta(def.qualified_name(), e))?;
    Ok(created.version().unwrap_or(0))
}

pub(crate) fn now_rfc3339() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
}

#[cfg(test)]
mod tests {
    use super::*;
    use lyceum_catalog::{ColumnDef, ColumnType, TableRole};

    fn sandbox_table(name: &str) -> TableDef {
        let column = |name: &str, ty| ColumnDef {
            name: name.into(),
            ty,
            nullable: true,
            sensitivity: Default::default(),
        };
        TableDef {
            schema: "sandbox".into(),
            name: name.into(),
            role: TableRole::Dimension,
            columns: vec![
                column("id", ColumnType::Integer),
                column("label", ColumnType::Varchar),
            ],
            primary_key: vec![],
            foreign_keys: vec![],
            unit_column: None,
        }
    }

    fn warehouse() -> Result<(tempfile::TempDir, Warehouse)> {
        let dir = tempfile::tempdir().map_err(|e| EngineError::io("tempdir", e))?;
        let location = dir.path().join("wh");
        let warehouse = Warehouse::open(&location.to_string_lossy())?;
        Ok((dir, warehouse))
    }

    /// Tables are created, written and dropped after version 0; a commit that lost the
    /// race to a disjoint one is rebased with its OIDs moved; overlapping ones conflict.
    #[tokio::test]
    async fn tables_evolve_and_disjoint_commits_rebase() -> Result<()> {
        let (_dir, wh) = warehouse()?;
        let mut tx = Transaction::begin(&wh).await?;
        tx.create_schema("sandbox")?;
        assert!(matches!(
            tx.create_schema("sandbox"),
            Err(EngineError::DuplicateObject { .. })
        ));
        tx.create_table(sandbox_table("cohort")).await?;
        let ctx = datafusion::prelude::SessionContext::new();
        let plan = ctx
            .sql("SELECT CAST(column1 AS INT) AS id, column2 AS label FROM (VALUES (1, 'a'), (2, 'b'))")
            .await?
            .into_unoptimized_plan();
        let added = tx.append_plan("sandbox.cohort", plan, &ctx.state()).await?;
        assert_eq!(added, 2);
        let v1 = tx
            .commit("ddl", None, "create sandbox.cohort".into())
            .await?;
        assert_eq!(v1.version, 1);
        let cohort = &v1.tables["sandbox.cohort"];
        assert_eq!(cohort.rows, 2);
        assert!(cohort.oids.table >= lyceum_catalog::version::FIRST_ALLOCATED_OID);
        assert!(v1.schemas["sandbox"].oid < cohort.oids.table);

        // Two writers start from version 1 and create different tables.
        let mut a = Transaction::begin(&wh).await?;
        let mut b = Transaction::begin(&wh).await?;
        a.create_table(sandbox_table("a")).await?;
        b.create_table(sandbox_table("b")).await?;
        let taken_by_b = b.entry("sandbox.b").map(|e| e.oids.table);
        let v2 = a.commit("ddl", None, "create a".into()).await?;
        let v3 = b.commit("ddl", None, "create b".into()).await?;
        assert_eq!((v2.version, v3.version), (2, 3));
        let (oid_a, oid_b) = (
            v3.tables["sandbox.a"].oids.table,
            v3.tables["sandbox.b"].oids.table,
        );
        assert_eq!(Some(oid_a), taken_by_b, "both took the same OID at first");
        assert!(oid_b > oid_a, "the rebased commit's OIDs moved above");
        assert_eq!(v3.tables["sandbox.cohort"], v1.tables["sandbox.cohort"]);
        assert!(v3.next_oid > oid_b);

        // Two writers drop the same table: the second conflicts.
        let mut c = Transaction::begin(&wh).await?;
        let mut d = Transaction::begin(&wh).await?;
        c.drop_table("sandbox.a")?;
        d.drop_table("sandbox.a")?;
        let v4 = c.commit("ddl", None, "drop a".into()).await?;
        assert!(!v4.tables.contains_key("sandbox.a"));
        assert!(matches!(
            d.commit("ddl", None, "drop a".into()).await,
            Err(EngineError::Conflict { .. })
        ));
        // A dropped table's OID is never handed out again; time travel still has it.
        let mut e = Transaction::begin(&wh).await?;
        e.create_table(sandbox_table("a")).await?;
        let v5 = e.commit("ddl", None, "create a again".into()).await?;
        assert!(v5.tables["sandbox.a"].oids.table > oid_b);
        assert_ne!(
            v5.tables["sandbox.a"].location,
            wh.version(3).await?.tables["sandbox.a"].location
        );
        Ok(())
    }
}
