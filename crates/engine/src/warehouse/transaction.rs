//! A write transaction over many tables: all of them become visible in one warehouse
//! version, or none does.
//!
//! Protocol:
//! 1. `begin` reads the latest warehouse version B (creating version 0, the empty star
//!    schema, if the warehouse is new) and rolls back every table whose latest Delta
//!    version is above its pin in B (a crashed or losing writer's leftovers) by restoring
//!    the pinned version.
//! 2. Writes go to the tables' Delta logs; every version the transaction creates is noted.
//! 3. `commit` checks that, for each table it touched, every Delta version between the one
//!    it started from and its last write is its own (else another writer interleaved:
//!    [`EngineError::Conflict`]), then writes warehouse version B+1 with a create-if-absent
//!    put. If B+1 already exists, another writer won: [`EngineError::Conflict`].
//!
//! Nothing a transaction writes is visible before step 3 succeeds, and a crash at any
//! point leaves version B the latest, intact; the next writer's step 1 cleans up.

use std::collections::{BTreeMap, BTreeSet};

use arrow::record_batch::RecordBatch;
use deltalake::DeltaTable;
use deltalake::kernel::StructType;
use deltalake::kernel::engine::arrow_conversion::TryFromArrow;
use deltalake::protocol::SaveMode;
use lyceum_catalog::{FORMAT_VERSION, TableDef, TableEntry, UnitEntry, WarehouseVersion, star};
use tracing::{info, warn};

use super::{Warehouse, arrow_schema};
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
    /// The latest Delta version when the transaction began.
    start: u64,
    own: BTreeSet<u64>,
    last: u64,
}

pub struct Transaction {
    warehouse: Warehouse,
    base: WarehouseVersion,
    next: BTreeMap<String, TableEntry>,
    touched: BTreeMap<String, Touched>,
}

impl Transaction {
    /// Starts a transaction on the latest warehouse version, initialising the warehouse
    /// (version 0: every table, empty) if it has none, and rolling back leftovers.
    pub async fn begin(warehouse: &Warehouse) -> Result<Transaction> {
        let base = match warehouse.latest().await? {
            Some(v) => v,
            None => init(warehouse).await?,
        };
        let mut tx = Transaction {
            warehouse: warehouse.clone(),
            next: base.tables.clone(),
            base,
            touched: BTreeMap::new(),
        };
        tx.roll_back_leftovers().await?;
        Ok(tx)
    }

    pub fn base(&self) -> &WarehouseVersion {
        &self.base
    }

    /// The entry a table will have when this transaction commits.
    pub fn entry(&self, qualified: &str) -> Option<&TableEntry> {
        self.next.get(qualified)
    }

    async fn roll_back_leftovers(&mut self) -> Result<()> {
        let entries: Vec<_> = self.base.tables.values().cloned().collect();
        for entry in entries {
            let def = &entry.definition;
            let table = self.warehouse.open_table_latest(def).await?;
            let latest = table.version().ok_or_else(|| missing(def))?;
            let mut touched = Touched {
                start: latest,
                own: BTreeSet::new(),
                last: entry.delta_version,
            };
            if latest > entry.delta_version {
                warn!(
                    table = %def.qualified_name(),
                    latest,
                    pinned = entry.delta_version,
                    "rolling back table versions above the pinned one"
                );
                let (restored, _) = table
                    .restore()
                    .with_version_to_restore(entry.delta_version)
                    .await
                    .map_err(|e| EngineError::delta(def.qualified_name(), e))?;
                let v = restored.version().ok_or_else(|| missing(def))?;
                touched.own.insert(v);
                touched.last = v;
            }
            self.touched.insert(def.qualified_name(), touched);
        }
        Ok(())
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
        let table = self.warehouse.open_table_latest(def).await?;
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
        let touched = self
            .touched
            .get_mut(&name)
            .ok_or_else(|| EngineError::Internal(format!("{name} is not in the warehouse")))?;
        touched.own.insert(v);
        touched.last = v;
        let entry = self
            .next
            .get_mut(&name)
            .ok_or_else(|| EngineError::Internal(format!("{name} is not in the warehouse")))?;
        entry.delta_version = v;
        entry.rows = rows;
        entry.units = units;
        entry.fingerprint = fingerprint;
        Ok(())
    }

    /// Makes every write visible as warehouse version `base + 1`.
    pub async fn commit(
        self,
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
                        "table {name} has Delta versions {interleaved:?} written by another writer during this load"
                    ),
                });
            }
        }
        let version = WarehouseVersion {
            format_version: FORMAT_VERSION,
            version: self.base.version + 1,
            parent: Some(self.base.version),
            committed_at: now_rfc3339(),
            operation: operation.to_string(),
            load_id,
            summary,
            tables: self.next,
            hierarchies: self.base.hierarchies.clone(),
        };
        match self.warehouse.catalog().commit(&version).await {
            Ok(()) => {
                info!(version = version.version, "committed warehouse version");
                Ok(version)
            }
            Err(lyceum_catalog::CatalogError::VersionExists { version: v }) => {
                Err(EngineError::Conflict {
                    detail: format!("warehouse version {v} was committed by another writer"),
                })
            }
            Err(e) => Err(e.into()),
        }
    }

    fn pinned(&self, name: &str) -> u64 {
        self.base
            .tables
            .get(name)
            .map(|e| e.delta_version)
            .unwrap_or(0)
    }
}

/// Creates every table empty and commits warehouse version 0.
async fn init(warehouse: &Warehouse) -> Result<WarehouseVersion> {
    let mut tables = BTreeMap::new();
    for def in star::all_tables()? {
        let name = def.qualified_name();
        let table = warehouse.open_table_latest(&def).await?;
        let version = match table.version() {
            // A previous attempt at initialising created it: its first version is empty.
            Some(_) => 0,
            None => create_empty(&def, table).await?,
        };
        tables.insert(
            name,
            TableEntry {
                definition: def,
                delta_version: version,
                rows: 0,
                units: BTreeMap::new(),
                fingerprint: None,
            },
        );
    }
    let version = WarehouseVersion {
        format_version: FORMAT_VERSION,
        version: 0,
        parent: None,
        committed_at: now_rfc3339(),
        operation: "init".into(),
        load_id: None,
        summary: "empty star schema".into(),
        tables,
        hierarchies: star::hierarchies(),
    };
    match warehouse.catalog().commit(&version).await {
        Ok(()) => Ok(version),
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
