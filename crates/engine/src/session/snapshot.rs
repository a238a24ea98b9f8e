//! One warehouse version as a DataFusion catalog: every table at its pinned Delta version,
//! plus `system.snapshots` (the history of warehouse versions up to this one).

use std::collections::HashMap;
use std::sync::Arc;

use arrow::array::{ArrayRef, RecordBatch, StringArray, UInt64Array};
use arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use async_trait::async_trait;
use datafusion::catalog::{
    CatalogProvider, MemoryCatalogProvider, MemorySchemaProvider, SchemaProvider, TableProvider,
};
use datafusion::datasource::{MemTable, TableType, ViewTable};
use datafusion::execution::SessionStateBuilder;
use datafusion::execution::runtime_env::RuntimeEnv;
use datafusion::logical_expr::Expr;
use datafusion::physical_plan::ExecutionPlan;
use lyceum_catalog::{TableRole, WarehouseVersion, star};

use crate::error::{EngineError, Result};
use crate::warehouse::Warehouse;

use super::computed::ComputedTable;
use crate::rollup::RollupSet;
use crate::rollup::build::DefinitionPlanner;
use crate::rollup::set::{Opened, provider_address};

pub struct Snapshot {
    manifest: WarehouseVersion,
    catalog: Arc<MemoryCatalogProvider>,
    /// Bytes of data files per table (`schema.table`), for the catalog's size functions.
    sizes: HashMap<String, u64>,
    /// A transaction's uncommitted writes: its version number is its base's, so nothing
    /// derived from it may be shared by version.
    uncommitted: bool,
    /// The providers of the warehouse's own tables (by address), to tell them from
    /// system views and table functions in a plan.
    warehouse_tables: std::collections::HashSet<usize>,
    /// The version's rollups, each usable or not (see [`crate::rollup`]).
    rollups: Arc<RollupSet>,
}

impl Snapshot {
    /// Every table of `manifest` at its pinned Delta version, each in its own schema; each
    /// rollup as a view over its definition (planned in PostgreSQL's dialect), its states kept
    /// for the rewrite.
    pub async fn open(
        warehouse: &Warehouse,
        manifest: WarehouseVersion,
        runtime: &Arc<RuntimeEnv>,
    ) -> Result<Snapshot> {
        let state = SessionStateBuilder::new()
            .with_runtime_env(runtime.clone())
            .build();
        let catalog = Arc::new(MemoryCatalogProvider::new());
        let mut schemas: HashMap<String, Arc<MemorySchemaProvider>> = HashMap::new();
        for name in manifest
            .schemas
            .keys()
            .map(String::as_str)
            .chain([star::PUBLIC, star::SYSTEM])
        {
            schemas
                .entry(name.to_string())
                .or_insert_with(|| Arc::new(MemorySchemaProvider::new()));
        }
        let mut sizes = HashMap::new();
        let mut warehouse_tables = std::collections::HashSet::new();
        let mut tables = HashMap::new();
        let mut rollups = Vec::new();
        for entry in manifest.tables.values() {
            let def = &entry.definition;
            let table = warehouse.open_table_at(entry).await?;
            if let Ok(state) = table.snapshot() {
                let bytes: i64 = state.log_data().iter().map(|f| f.size()).sum();
                sizes.insert(def.qualified_name(), u64::try_from(bytes).unwrap_or(0));
            }
            table
                .update_datafusion_session(&state)
                .map_err(|e| EngineError::delta(def.qualified_name(), e))?;
            let provider = table.table_provider().await?;
            warehouse_tables.insert(provider_address(&provider));
            if def.role == TableRole::Rollup {
                // Its name is the view's; its states are read only by the rewrite.
                rollups.push((entry, provider));
                continue;
            }
            tables.insert(def.qualified_name(), provider.clone());
            schemas
                .entry(def.schema.clone())
                .or_insert_with(|| Arc::new(MemorySchemaProvider::new()))
                .register_table(def.name.clone(), provider)?;
        }
        if let Some(system) = schemas.get(star::SYSTEM) {
            system.register_table(
                "snapshots".into(),
                Arc::new(HistoryTable {
                    warehouse: warehouse.clone(),
                    upto: manifest.clone(),
                }),
            )?;
        }
        for (name, schema) in &schemas {
            catalog.register_schema(name, schema.clone())?;
        }
        let mut opened = Vec::new();
        if !rollups.is_empty() {
            let planner = DefinitionPlanner::new(super::CATALOG, catalog.clone(), runtime)?;
            for (entry, provider) in rollups {
                let Some(def) = entry.rollup.as_ref() else {
                    continue;
                };
                let planned = planner
                    .plan(&def.query)
                    .await
                    .map_err(|e| format!("its definition does not plan: {e}"));
                if let (Ok((view, _)), Some(schema)) =
                    (&planned, schemas.get(&entry.definition.schema))
                {
                    let view = ViewTable::new(view.clone(), Some(def.query.clone()));
                    schema.register_table(entry.definition.name.clone(), Arc::new(view))?;
                }
                opened.push(Opened {
                    entry,
                    def,
                    provider,
                    planned: planned.map(|(_, analysed)| analysed),
                });
            }
        }
        let rollups = Arc::new(RollupSet::new(&manifest, &tables, opened));
        if let Some(system) = schemas.get(star::SYSTEM) {
            let set = rollups.clone();
            let sizes = sizes.clone();
            system.register_table(
                "rollups".into(),
                Arc::new(ComputedTable::new(
                    crate::rollup::system_table::schema(),
                    move || {
                        crate::rollup::system_table::batch(&set, &|t| {
                            sizes.get(t).copied().unwrap_or(0)
                        })
                    },
                )),
            )?;
        }
        Ok(Snapshot {
            catalog,
            sizes,
            uncommitted: false,
            warehouse_tables,
            rollups,
            manifest,
        })
    }

    /// Whether `provider` is one of this committed version's warehouse tables (whose rows
    /// are fixed by the version).
    pub fn is_warehouse_table(&self, provider: &Arc<dyn TableProvider>) -> bool {
        !self.uncommitted && self.warehouse_tables.contains(&provider_address(provider))
    }

    /// The warehouse as an open transaction's writes left it (seen by that session only).
    pub async fn open_uncommitted(
        warehouse: &Warehouse,
        manifest: WarehouseVersion,
        runtime: &Arc<RuntimeEnv>,
    ) -> Result<Snapshot> {
        let mut snapshot = Snapshot::open(warehouse, manifest, runtime).await?;
        snapshot.uncommitted = true;
        Ok(snapshot)
    }

    /// Whether this is an open transaction's view rather than a committed version.
    pub fn is_uncommitted(&self) -> bool {
        self.uncommitted
    }

    pub fn version(&self) -> u64 {
        self.manifest.version
    }

    pub fn manifest(&self) -> &WarehouseVersion {
        &self.manifest
    }

    /// Bytes of `schema.table`'s data files in this version (0 for tables Lyceum keeps in
    /// memory, such as `system.snapshots`).
    pub fn table_bytes(&self, qualified: &str) -> u64 {
        self.sizes.get(qualified).copied().unwrap_or(0)
    }

    pub fn catalog(&self) -> Arc<dyn CatalogProvider> {
        self.catalog.clone()
    }

    /// Adds a table to schema `system` (one the engine, not the version, keeps).
    pub(crate) fn add_system_table(&self, name: &str, table: Arc<dyn TableProvider>) -> Result<()> {
        if let Some(system) = self.catalog.schema(star::SYSTEM) {
            system.register_table(name.to_string(), table)?;
        }
        Ok(())
    }

    /// The version's rollups, for the session's rewrite rule.
    pub fn rollups(&self) -> &Arc<RollupSet> {
        &self.rollups
    }
}

/// `system.snapshots`: read when a query scans it, not when a version is pinned (pinning
/// must not cost a request per version).
#[derive(Debug)]
struct HistoryTable {
    warehouse: Warehouse,
    upto: WarehouseVersion,
}

fn history_schema() -> SchemaRef {
    Arc::new(Schema::new(vec![
        Field::new("version", DataType::UInt64, false),
        Field::new("committed_at", DataType::Utf8, false),
        Field::new("operation", DataType::Utf8, false),
        Field::new("load_id", DataType::UInt64, true),
        Field::new("summary", DataType::Utf8, false),
        Field::new("tables_changed", DataType::Utf8, false),
    ]))
}

#[async_trait]
impl TableProvider for HistoryTable {
    fn schema(&self) -> SchemaRef {
        history_schema()
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
        let table = snapshots_table(&self.warehouse, &self.upto)
            .await
            .map_err(|e| datafusion::error::DataFusionError::External(Box::new(e)))?;
        table.scan(state, projection, filters, limit).await
    }
}

/// `system.snapshots`: one row per warehouse version up to this one.
async fn snapshots_table(warehouse: &Warehouse, upto: &WarehouseVersion) -> Result<Arc<MemTable>> {
    let mut versions = Vec::new();
    let mut prev: Option<WarehouseVersion> = None;
    for v in warehouse.catalog().list_versions().await? {
        if v > upto.version {
            break;
        }
        let manifest = if v == upto.version {
            upto.clone()
        } else {
            warehouse.version(v).await?
        };
        let changed = match &prev {
            Some(p) => manifest.changed_tables(p).join(","),
            None => manifest
                .tables
                .keys()
                .cloned()
                .collect::<Vec<_>>()
                .join(","),
        };
        versions.push((
            manifest.version,
            manifest.committed_at.clone(),
            manifest.operation.clone(),
            manifest.load_id,
            manifest.summary.clone(),
            changed,
        ));
        prev = Some(manifest);
    }
    let schema = history_schema();
    let columns: Vec<ArrayRef> = vec![
        Arc::new(UInt64Array::from_iter_values(versions.iter().map(|v| v.0))),
        Arc::new(StringArray::from_iter_values(
            versions.iter().map(|v| v.1.as_str()),
        )),
        Arc::new(StringArray::from_iter_values(
            versions.iter().map(|v| v.2.as_str()),
        )),
        Arc::new(UInt64Array::from(
            versions.iter().map(|v| v.3).collect::<Vec<_>>(),
        )),
        Arc::new(StringArray::from_iter_values(
            versions.iter().map(|v| v.4.as_str()),
        )),
        Arc::new(StringArray::from_iter_values(
            versions.iter().map(|v| v.5.as_str()),
        )),
    ];
    let batch = RecordBatch::try_new(schema.clone(), columns)?;
    Ok(Arc::new(MemTable::try_new(schema, vec![vec![batch]])?))
}
