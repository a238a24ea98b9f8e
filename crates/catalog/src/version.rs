//! Warehouse versions: the persisted, versioned catalog format.
//!
//! One JSON document per warehouse version at `_lyceum/versions/{version:020}.json`:
//!
//! ```json
//! { "format_version": 1, "version": 3, "parent": 2,
//!   "committed_at": "2026-11-25T10:00:00Z", "operation": "load", "load_id": 3,
//!   "summary": "load /data/extract: 12 tables changed",
//!   "tables": { "public.fact_enrollment": {
//!       "definition": { ...TableDef... }, "delta_version": 4, "rows": 15234,
//!       "units": { "202410": { "fingerprint": "<sha256 of the term's rows>", "rows": 812 } }, "fingerprint": "<sha256>" } },
//!   "hierarchies": [ { "name": "calendar", "levels": [["public.dim_date", "date_key"], ...] } ] }
//! ```
//!
//! `delta_version` pins the table's Delta Lake version; readers of this warehouse version
//! read exactly that. `units` (facts) and `fingerprint` (whole table) are content hashes
//! the loader compares to stay idempotent.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::model::{Hierarchy, TableDef};

/// The catalog format this build writes and the newest it reads.
pub const FORMAT_VERSION: u32 = 1;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WarehouseVersion {
    pub format_version: u32,
    pub version: u64,
    pub parent: Option<u64>,
    /// RFC 3339, UTC.
    pub committed_at: String,
    /// `init` or `load`.
    pub operation: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub load_id: Option<u64>,
    pub summary: String,
    pub tables: BTreeMap<String, TableEntry>,
    pub hierarchies: Vec<Hierarchy>,
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
}

/// One unit of a fact (the rows of one term): its content hash and row count.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnitEntry {
    pub fingerprint: String,
    pub rows: u64,
}

impl WarehouseVersion {
    pub fn table(&self, qualified: &str) -> Option<&TableEntry> {
        self.tables.get(qualified)
    }

    /// The names of the tables whose pinned Delta version differs from `other`'s.
    pub fn changed_tables(&self, other: &WarehouseVersion) -> Vec<String> {
        self.tables
            .iter()
            .filter(|(name, entry)| {
                other.tables.get(*name).map(|o| o.delta_version) != Some(entry.delta_version)
            })
            .map(|(name, _)| name.clone())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::star;

    /// Pins the serialized form: a change here is a format change and needs a new
    /// FORMAT_VERSION and a reader for the old one.
    #[test]
    fn serialized_form_is_stable() -> Result<(), Box<dyn std::error::Error>> {
        let tables = star::all_tables()?;
        let term = tables
            .iter()
            .find(|t| t.name == "dim_term")
            .ok_or("dim_term")?;
        let v = WarehouseVersion {
            format_version: FORMAT_VERSION,
            version: 1,
            parent: Some(0),
            committed_at: "2026-11-25T00:00:00Z".into(),
            operation: "load".into(),
            load_id: Some(1),
            summary: "test".into(),
            tables: BTreeMap::from([(
                term.qualified_name(),
                TableEntry {
                    definition: term.clone(),
                    delta_version: 2,
                    rows: 15,
                    units: BTreeMap::new(),
                    fingerprint: Some("abc".into()),
                },
            )]),
            hierarchies: star::hierarchies()[..1].to_vec(),
        };
        let json = serde_json::to_string(&v)?;
        let expected = r#"{"format_version":1,"version":1,"parent":0,"committed_at":"2026-11-25T00:00:00Z","operation":"load","load_id":1,"summary":"test","tables":{"public.dim_term":{"definition":{"schema":"public","name":"dim_term","role":"dimension","columns":[{"name":"term_key","type":"integer","nullable":false},{"name":"term_code","type":"varchar","nullable":false},{"name":"term_name","type":"varchar","nullable":false},{"name":"term_type","type":"varchar","nullable":false},{"name":"academic_year","type":"varchar","nullable":false},{"name":"term_seq","type":"small_int","nullable":false},{"name":"start_date","type":"date","nullable":false},{"name":"end_date","type":"date","nullable":false},{"name":"census_date","type":"date","nullable":false}],"primary_key":["term_key"],"foreign_keys":[]},"delta_version":2,"rows":15,"fingerprint":"abc"}},"hierarchies":[{"name":"calendar","levels":[["public.dim_date","date_key"],["public.dim_date","term_key"],["public.dim_term","academic_year"]]}]}"#;
        assert_eq!(json, expected);
        let back: WarehouseVersion = serde_json::from_str(&json)?;
        assert_eq!(back, v);
        Ok(())
    }
}
