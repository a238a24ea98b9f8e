//! Object identifiers: deterministic, so the same object has the same OID in every
//! session, every warehouse version and every server process (tools cache them).
//!
//! - Namespaces use PostgreSQL's fixed OIDs where PostgreSQL has them (`pg_catalog` = 11,
//!   `public` = 2200); `information_schema` and `system` get fixed OIDs of their own.
//! - Warehouse tables are numbered by their position in the build's star schema
//!   (`lyceum_catalog::star::all_tables`, sorted by qualified name): each table owns a
//!   block of [`TABLE_BLOCK`] OIDs (table, primary-key index, primary-key constraint, row
//!   type), and its foreign keys a block in another range. A table the build does not know
//!   (an older or newer warehouse) gets a stable hash-based block far above.
//! - `pg_catalog` and `information_schema` relations are numbered below 16384, like
//!   PostgreSQL's own system objects.
//! - Roles: 10 is the system owner of every warehouse object (the loader, `lyceum`, which
//!   cannot log in over the wire); users get a stable hash of their name.

use std::sync::OnceLock;

pub const PG_CATALOG_NAMESPACE: i32 = 11;
pub const PUBLIC_NAMESPACE: i32 = 2200;
pub const INFORMATION_SCHEMA_NAMESPACE: i32 = 13_000;
pub const SYSTEM_NAMESPACE: i32 = 16_384;

/// The OID of `pg_class` itself (`classoid` of relations in `pg_description`).
pub const PG_CLASS_OID: i32 = 1259;
/// The OID of `pg_constraint` (`classoid` of constraints).
pub const PG_CONSTRAINT_OID: i32 = 2606;
/// The OID of `pg_namespace`.
pub const PG_NAMESPACE_OID: i32 = 2615;
/// The OID of `pg_database` (`classoid` in `pg_shdescription`).
pub const PG_DATABASE_OID: i32 = 1262;
/// The btree access method (`pg_am`).
pub const BTREE_AM: i32 = 403;

/// The database's OID.
pub const DATABASE_OID: i32 = 16_383;
/// The role that owns every warehouse object.
pub const OWNER_ROLE: i32 = 10;
/// Its name.
pub const OWNER_NAME: &str = "lyceum";

const FIRST_TABLE: i32 = 16_400;
const TABLE_BLOCK: i32 = 4;
const FIRST_FOREIGN_KEY: i32 = 40_000;
const FOREIGN_KEY_BLOCK: i32 = 32;
const UNKNOWN_TABLES: i32 = 1_000_000;
const FIRST_CATALOG_RELATION: i32 = 12_000;
const FIRST_INFORMATION_SCHEMA_RELATION: i32 = 13_100;

/// The OIDs of one warehouse table and its keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TableOids {
    pub table: i32,
    pub primary_key_index: i32,
    pub primary_key_constraint: i32,
    pub row_type: i32,
    /// The first foreign-key constraint; the `i`-th is `foreign_keys + i`.
    pub foreign_keys: i32,
}

/// Qualified names of the tables this build knows, sorted.
fn known_tables() -> &'static [String] {
    static KNOWN: OnceLock<Vec<String>> = OnceLock::new();
    KNOWN.get_or_init(|| {
        let mut names: Vec<String> = lyceum_catalog::star::all_tables()
            .map(|tables| tables.iter().map(|t| t.qualified_name()).collect())
            .unwrap_or_default();
        names.sort();
        names
    })
}

/// FNV-1a: small, stable across builds and platforms.
fn stable_hash(text: &str) -> u32 {
    let mut hash: u32 = 0x811c_9dc5;
    for b in text.bytes() {
        hash ^= u32::from(b);
        hash = hash.wrapping_mul(0x0100_0193);
    }
    hash
}

/// The OIDs of the warehouse table `schema.name`.
pub fn table(qualified: &str) -> TableOids {
    let block = match known_tables().iter().position(|n| n == qualified) {
        Some(i) => i as i32,
        None => {
            let slot = (stable_hash(qualified) % 200_000) as i32;
            (UNKNOWN_TABLES - FIRST_TABLE) / TABLE_BLOCK + slot
        }
    };
    let table = FIRST_TABLE + block * TABLE_BLOCK;
    TableOids {
        table,
        primary_key_index: table + 1,
        primary_key_constraint: table + 2,
        row_type: table + 3,
        foreign_keys: FIRST_FOREIGN_KEY + block * FOREIGN_KEY_BLOCK,
    }
}

/// The OID of the `i`-th relation of `pg_catalog` (in name order).
pub fn catalog_relation(i: usize) -> i32 {
    FIRST_CATALOG_RELATION + i as i32
}

/// The OID of the `i`-th view of `information_schema` (in name order).
pub fn information_schema_relation(i: usize) -> i32 {
    FIRST_INFORMATION_SCHEMA_RELATION + i as i32
}

/// The OID of a namespace, if it is one Lyceum has.
pub fn namespace(name: &str) -> Option<i32> {
    match name {
        "pg_catalog" => Some(PG_CATALOG_NAMESPACE),
        "public" => Some(PUBLIC_NAMESPACE),
        "information_schema" => Some(INFORMATION_SCHEMA_NAMESPACE),
        "system" => Some(SYSTEM_NAMESPACE),
        _ => None,
    }
}

/// The OID of a user.
pub fn role(name: &str) -> i32 {
    if name == OWNER_NAME {
        return OWNER_ROLE;
    }
    20_000 + (stable_hash(name) % 1_000_000_000) as i32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn oids_are_stable_and_distinct() {
        let a = table("public.fact_enrollment");
        let b = table("public.dim_student");
        assert_eq!(a, table("public.fact_enrollment"));
        assert_ne!(a.table, b.table);
        assert!(a.table >= 16_384 && b.table >= 16_384);
        let known = known_tables();
        assert!(known.len() > 10);
        let mut all: Vec<i32> = known
            .iter()
            .flat_map(|n| {
                let o = table(n);
                [
                    o.table,
                    o.primary_key_index,
                    o.primary_key_constraint,
                    o.row_type,
                ]
            })
            .collect();
        let len = all.len();
        all.sort_unstable();
        all.dedup();
        assert_eq!(all.len(), len, "no two objects share an OID");
        let unknown = table("public.not_in_this_build");
        assert!(unknown.table >= UNKNOWN_TABLES);
        assert_eq!(role(OWNER_NAME), OWNER_ROLE);
        assert_ne!(role("admin"), role("analyst"));
    }
}
