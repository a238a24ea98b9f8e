//! Warehouse versions: the persisted, versioned catalog format.
//!
//! One JSON document per warehouse version at `_lyceum/versions/{version:020}.json`
//! (a [`crate::log::VersionedLog`]), format 3:
//!
//! ```json
//! { "format_version": 3, "version": 3, "parent": 2,
//!   "committed_at": "2026-11-25T10:00:00Z", "operation": "load", "load_id": 3,
//!   "summary": "load /data/extract: 12 tables changed",
//!   "schemas": { "public": { "oid": 2200 }, "sandbox": { "oid": 100000 }, "system": { "oid": 16384 } },
//!   "tables": { "public.fact_enrollment": {
//!       "definition": { ...TableDef... }, "delta_version": 4, "rows": 15234,
//!       "units": { "202410": { "fingerprint": "<sha256 of the term's rows>", "rows": 812 } },
//!       "fingerprint": "<sha256>", "location": "public/fact_enrollment",
//!       "oids": { "table": 16420, "row_type": 16423, "primary_key_index": 16421,
//!                 "primary_key_constraint": 16422, "foreign_keys": [40160, 40161] } } },
//!   "hierarchies": [ { "name": "calendar", "levels": [["public.dim_date", "date_key"], ...] } ],
//!   "next_oid": 100001 }
//! ```
//!
//! `delta_version` pins the table's Delta Lake version at `<warehouse>/<location>/`;
//! readers of this warehouse version read exactly that. `units` (facts) and `fingerprint`
//! (whole table) are content hashes the loader compares to stay idempotent.
//!
//! Object identifiers: every schema, table, row type, key index and constraint gets an OID
//! once, from `next_oid`, and keeps it in every later version; a dropped object's OID is
//! never handed out again (`next_oid` only grows). Columns are identified as PostgreSQL
//! does, by table OID and position (`attnum`): columns are only ever appended, so a
//! column's position never changes.
//!
//! Format 3 adds rollups: a table entry of role `rollup` carries its definition in
//! `rollup` (see [`crate::rollup`]). A format 2 document is read as it is (it has none).
//!
//! Format 1 (the first release) had no `schemas`, `location`, `oids` or `next_oid`. It is
//! read by [`WarehouseVersion::from_stored`], which gives its objects the OIDs that release
//! derived from the table list (so tools' cached OIDs stay right) and stores them with the
//! next commit.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::error::{CatalogError, Result};
use crate::model::{Hierarchy, TableDef};
use crate::rollup::RollupDef;
use crate::star;

/// The catalog format this build writes and the newest it reads.
pub const FORMAT_VERSION: u32 = 3;

/// A PostgreSQL object identifier.
pub type Oid = u32;

/// FNV-1a of `text`: small and stable across builds and platforms, for identifiers derived
/// from names (format 1's user OIDs, relations Lyceum computes in memory).
pub fn stable_hash(text: &str) -> u32 {
    let mut hash: u32 = 0x811c_9dc5;
    for b in text.bytes() {
        hash ^= u32::from(b);
        hash = hash.wrapping_mul(0x0100_0193);
    }
    hash
}

/// PostgreSQL's OID of the `public` schema.
pub const PUBLIC_SCHEMA_OID: Oid = 2200;
/// The `system` schema's OID (PostgreSQL's `FirstNormalObjectId`).
pub const SYSTEM_SCHEMA_OID: Oid = 16_384;
/// Where OIDs of objects created after a warehouse's first version start: above every
/// OID the star schema's initial layout uses.
pub const FIRST_ALLOCATED_OID: Oid = 100_000;

/// The star schema's initial layout (format 1's rule, kept so its OIDs stay valid): the
/// i-th table by qualified name owns `FIRST_TABLE_OID + 4i ..` (table, primary-key index,
/// primary-key constraint, row type) and `FIRST_FOREIGN_KEY_OID + 32i ..` its foreign keys.
const FIRST_TABLE_OID: Oid = 16_400;
const TABLE_OID_BLOCK: Oid = 4;
const FIRST_FOREIGN_KEY_OID: Oid = 40_000;
const FOREIGN_KEY_OID_BLOCK: Oid = 32;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WarehouseVersion {
    pub format_version: u32,
    pub version: u64,
    pub parent: Option<u64>,
    /// RFC 3339, UTC.
    pub committed_at: String,
    /// `init`, `load`, `ddl` or `dml`.
    pub operation: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub load_id: Option<u64>,
    pub summary: String,
    #[serde(default)]
    pub schemas: BTreeMap<String, SchemaEntry>,
    pub tables: BTreeMap<String, TableEntry>,
    pub hierarchies: Vec<Hierarchy>,
    /// The next OID to hand out.
    #[serde(default)]
    pub next_oid: Oid,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SchemaEntry {
    pub oid: Oid,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TableEntry {
    pub definition: TableDef,
    pub delta_version: u64,
    pub rows: u64,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub units: BTreeMap<String, UnitEntry>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fingerprint: Option<String>,
    /// The Delta table's directory, relative to the warehouse root (`public/dim_term`).
    #[serde(default)]
    pub location: String,
    #[serde(default)]
    pub oids: TableOids,
    /// For a rollup (role [`crate::TableRole::Rollup`]): its definition (format 3).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rollup: Option<RollupDef>,
}

/// The OIDs of one table and the objects that belong to it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TableOids {
    pub table: Oid,
    /// The table's composite row type (`pg_type`).
    pub row_type: Oid,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub primary_key_index: Option<Oid>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub primary_key_constraint: Option<Oid>,
    /// One per foreign key, in the definition's order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub foreign_keys: Vec<Oid>,
}

/// One unit of a fact (the rows of one term): its content hash and row count.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnitEntry {
    pub fingerprint: String,
    pub rows: u64,
}

impl TableEntry {
    /// A new, empty table's entry: its OIDs are taken from `next_oid`.
    pub fn new(definition: TableDef, location: String, next_oid: &mut Oid) -> TableEntry {
        let mut take = || {
            let oid = *next_oid;
            *next_oid += 1;
            oid
        };
        let has_key = !definition.primary_key.is_empty();
        let oids = TableOids {
            table: take(),
            row_type: take(),
            primary_key_index: has_key.then(&mut take),
            primary_key_constraint: has_key.then(&mut take),
            foreign_keys: definition.foreign_keys.iter().map(|_| take()).collect(),
        };
        TableEntry {
            definition,
            delta_version: 0,
            rows: 0,
            units: BTreeMap::new(),
            fingerprint: None,
            location,
            oids,
            rollup: None,
        }
    }
}

impl WarehouseVersion {
    /// Decodes a stored version of any format this build reads, upgrading older formats
    /// in memory (see the module documentation).
    pub fn from_stored(format: u32, value: serde_json::Value, path: &str) -> Result<Self> {
        let mut version: WarehouseVersion =
            serde_json::from_value(value).map_err(|e| CatalogError::Corrupt {
                path: path.to_string(),
                message: e.to_string(),
            })?;
        if format < 2 {
            version.assign_initial_layout();
            version.format_version = FORMAT_VERSION;
        }
        Ok(version)
    }

    /// Version 0 of a new warehouse: `tables` (the star schema), empty, in the initial
    /// OID layout.
    pub fn initial(tables: Vec<TableDef>, committed_at: String) -> Self {
        let mut version = WarehouseVersion {
            format_version: FORMAT_VERSION,
            version: 0,
            parent: None,
            committed_at,
            operation: "init".into(),
            load_id: None,
            summary: "empty star schema".into(),
            schemas: BTreeMap::new(),
            tables: tables
                .into_iter()
                .map(|definition| {
                    let entry = TableEntry {
                        location: default_location(&definition),
                        definition,
                        delta_version: 0,
                        rows: 0,
                        units: BTreeMap::new(),
                        fingerprint: None,
                        oids: TableOids::default(),
                        rollup: None,
                    };
                    (entry.definition.qualified_name(), entry)
                })
                .collect(),
            hierarchies: star::hierarchies(),
            next_oid: 0,
        };
        version.assign_initial_layout();
        version
    }

    /// Gives the star schema's tables and schemas the OIDs of the initial layout.
    fn assign_initial_layout(&mut self) {
        for (i, entry) in self.tables.values_mut().enumerate() {
            let i = i as Oid;
            let table = FIRST_TABLE_OID + i * TABLE_OID_BLOCK;
            let has_key = !entry.definition.primary_key.is_empty();
            let first_fk = FIRST_FOREIGN_KEY_OID + i * FOREIGN_KEY_OID_BLOCK;
            entry.oids = TableOids {
                table,
                row_type: table + 3,
                primary_key_index: has_key.then_some(table + 1),
                primary_key_constraint: has_key.then_some(table + 2),
                foreign_keys: (0..entry.definition.foreign_keys.len() as Oid)
                    .map(|j| first_fk + j)
                    .collect(),
            };
            if entry.location.is_empty() {
                entry.location = default_location(&entry.definition);
            }
        }
        for (name, oid) in [
            (star::PUBLIC, PUBLIC_SCHEMA_OID),
            (star::SYSTEM, SYSTEM_SCHEMA_OID),
        ] {
            self.schemas
                .entry(name.to_string())
                .or_insert(SchemaEntry { oid });
        }
        self.next_oid = self.next_oid.max(FIRST_ALLOCATED_OID);
    }

    pub fn table(&self, qualified: &str) -> Option<&TableEntry> {
        self.tables.get(qualified)
    }

    /// Hands out a new OID.
    pub fn allocate_oid(&mut self) -> Oid {
        let oid = self.next_oid;
        self.next_oid += 1;
        oid
    }

    /// The names of the tables whose pinned Delta version differs from `other`'s, with the
    /// tables `other` had and this version does not (dropped).
    pub fn changed_tables(&self, other: &WarehouseVersion) -> Vec<String> {
        let mut changed: Vec<String> = self
            .tables
            .iter()
            .filter(|(name, entry)| {
                other
                    .tables
                    .get(*name)
                    .map(|o| (o.delta_version, o.oids.table))
                    != Some((entry.delta_version, entry.oids.table))
            })
            .map(|(name, _)| name.clone())
            .collect();
        changed.extend(
            other
                .tables
                .keys()
                .filter(|name| !self.tables.contains_key(*name))
                .cloned(),
        );
        changed.sort();
        changed
    }
}

/// Where a star-schema table's Delta log lives: `<schema>/<name>`.
pub fn default_location(def: &TableDef) -> String {
    format!("{}/{}", def.schema, def.name)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn term_version() -> Result<WarehouseVersion, Box<dyn std::error::Error>> {
        let tables = star::all_tables()?;
        let term = tables
            .iter()
            .find(|t| t.name == "dim_term")
            .ok_or("dim_term")?;
        let mut next_oid = FIRST_ALLOCATED_OID;
        let mut entry = TableEntry::new(term.clone(), default_location(term), &mut next_oid);
        entry.delta_version = 2;
        entry.rows = 15;
        entry.fingerprint = Some("abc".into());
        Ok(WarehouseVersion {
            format_version: FORMAT_VERSION,
            version: 1,
            parent: Some(0),
            committed_at: "2026-11-25T00:00:00Z".into(),
            operation: "load".into(),
            load_id: Some(1),
            summary: "test".into(),
            schemas: BTreeMap::from([(
                "public".to_string(),
                SchemaEntry {
                    oid: PUBLIC_SCHEMA_OID,
                },
            )]),
            tables: BTreeMap::from([(term.qualified_name(), entry)]),
            hierarchies: star::hierarchies()[..1].to_vec(),
            next_oid,
        })
    }

    /// Pins the serialized form: a change here is a format change and needs a new
    /// FORMAT_VERSION and a reader for the old one.
    #[test]
    fn serialized_form_is_stable() -> Result<(), Box<dyn std::error::Error>> {
        let v = term_version()?;
        let json = serde_json::to_string(&v)?;
        let expected = r#"{"format_version":3,"version":1,"parent":0,"committed_at":"2026-11-25T00:00:00Z","operation":"load","load_id":1,"summary":"test","schemas":{"public":{"oid":2200}},"tables":{"public.dim_term":{"definition":{"schema":"public","name":"dim_term","role":"dimension","columns":[{"name":"term_key","type":"integer","nullable":false},{"name":"term_code","type":"varchar","nullable":false},{"name":"term_name","type":"varchar","nullable":false},{"name":"term_type","type":"varchar","nullable":false},{"name":"academic_year","type":"varchar","nullable":false},{"name":"term_seq","type":"small_int","nullable":false},{"name":"start_date","type":"date","nullable":false},{"name":"end_date","type":"date","nullable":false},{"name":"census_date","type":"date","nullable":false}],"primary_key":["term_key"],"foreign_keys":[]},"delta_version":2,"rows":15,"fingerprint":"abc","location":"public/dim_term","oids":{"table":100000,"row_type":100001,"primary_key_index":100002,"primary_key_constraint":100003}}},"hierarchies":[{"name":"calendar","levels":[["public.dim_date","date_key"],["public.dim_date","term_key"],["public.dim_term","academic_year"]]}],"next_oid":100004}"#;
        assert_eq!(json, expected);
        let back: WarehouseVersion = serde_json::from_str(&json)?;
        assert_eq!(back, v);
        Ok(())
    }

    /// A format 1 document (as the first release wrote it) reads with the OIDs that
    /// release showed: position in the sorted table list, 4 OIDs a table from 16400.
    #[test]
    fn format_1_is_upgraded_with_its_old_oids() -> Result<(), Box<dyn std::error::Error>> {
        let old = r#"{"format_version":1,"version":1,"parent":0,"committed_at":"2026-11-25T00:00:00Z","operation":"load","load_id":1,"summary":"test","tables":{
            "public.dim_date":{"definition":{"schema":"public","name":"dim_date","role":"dimension","columns":[{"name":"date_key","type":"integer","nullable":false},{"name":"term_key","type":"integer","nullable":true}],"primary_key":["date_key"],"foreign_keys":[{"columns":["term_key"],"references":"public.dim_term","ref_columns":["term_key"]}]},"delta_version":2,"rows":15},
            "public.dim_term":{"definition":{"schema":"public","name":"dim_term","role":"dimension","columns":[{"name":"term_key","type":"integer","nullable":false}],"primary_key":["term_key"],"foreign_keys":[]},"delta_version":2,"rows":15}},
            "hierarchies":[]}"#;
        let value: serde_json::Value = serde_json::from_str(old)?;
        let v = WarehouseVersion::from_stored(1, value, "test")?;
        assert_eq!(v.format_version, FORMAT_VERSION);
        let date = &v.tables["public.dim_date"];
        assert_eq!(
            date.oids,
            TableOids {
                table: 16_400,
                row_type: 16_403,
                primary_key_index: Some(16_401),
                primary_key_constraint: Some(16_402),
                foreign_keys: vec![40_000],
            }
        );
        assert_eq!(date.location, "public/dim_date");
        assert_eq!(v.tables["public.dim_term"].oids.table, 16_404);
        assert_eq!(v.schemas["public"].oid, PUBLIC_SCHEMA_OID);
        assert_eq!(v.schemas["system"].oid, SYSTEM_SCHEMA_OID);
        assert_eq!(v.next_oid, FIRST_ALLOCATED_OID);
        Ok(())
    }

    #[test]
    fn a_new_warehouse_uses_the_initial_layout_and_allocates_above_it()
    -> Result<(), Box<dyn std::error::Error>> {
        let mut v = WarehouseVersion::initial(star::all_tables()?, "now".into());
        let mut oids: Vec<Oid> = v
            .tables
            .values()
            .flat_map(|t| {
                let o = &t.oids;
                [o.table, o.row_type]
                    .into_iter()
                    .chain(o.primary_key_index)
                    .chain(o.primary_key_constraint)
                    .chain(o.foreign_keys.iter().copied())
            })
            .collect();
        let count = oids.len();
        oids.sort_unstable();
        oids.dedup();
        assert_eq!(oids.len(), count, "no two objects share an OID");
        assert!(
            oids.iter()
                .all(|o| *o >= 16_400 && *o < FIRST_ALLOCATED_OID)
        );
        let a = v.allocate_oid();
        let b = v.allocate_oid();
        assert_eq!((a, b), (FIRST_ALLOCATED_OID, FIRST_ALLOCATED_OID + 1));
        Ok(())
    }
}
