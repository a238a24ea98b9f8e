//! Object identifiers: deterministic, so the same object has the same OID in every
//! session, every warehouse version and every server process (tools cache them).
//!
//! - Namespaces use PostgreSQL's fixed OIDs where PostgreSQL has them (`pg_catalog` = 11,
//!   `public` = 2200); `information_schema` and `system` get fixed OIDs of their own.
//! - Warehouse schemas, tables, keys and users have the OIDs the catalog assigned them once
//!   and stores (`lyceum_catalog::version`, `lyceum_catalog::principals`): they survive
//!   commits, restarts and upgrades. Relations Lyceum computes in memory
//!   (`system.snapshots`) get a stable hash-based block far above allocated OIDs.
//! - `pg_catalog` and `information_schema` relations have the OIDs PostgreSQL 15 gives them
//!   (`pg_class` is 1259, as tools assume); one PostgreSQL does not have gets an OID of a
//!   range PostgreSQL leaves unused (16000..16383).
//! - Roles: 10 is the system owner of every warehouse object (the loader, `lyceum`, which
//!   cannot log in over the wire); users have their stored OIDs.

pub const PG_CATALOG_NAMESPACE: i32 = 11;
pub const PUBLIC_NAMESPACE: i32 = 2200;
pub const INFORMATION_SCHEMA_NAMESPACE: i32 = 13_283;
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
/// `varchar`, the type PostgreSQL reports for a column declared `VARCHAR(n)`.
pub const VARCHAR_TYPE: i32 = 1043;

const TABLE_BLOCK: i32 = 4;
const UNKNOWN_TABLES: i32 = 1_000_000;
const FIRST_UNKNOWN_SYSTEM_RELATION: i32 = 16_000;

/// The relations of `pg_catalog` and `information_schema` in PostgreSQL 15, with their
/// OIDs (from the catalog export `datafusion-pg-catalog` ships).
const POSTGRES_RELATIONS: &[(&str, &str, i32)] = &[
    ("pg_catalog", "pg_aggregate", 2600),
    ("pg_catalog", "pg_am", 2601),
    ("pg_catalog", "pg_amop", 2602),
    ("pg_catalog", "pg_amproc", 2603),
    ("pg_catalog", "pg_attrdef", 2604),
    ("pg_catalog", "pg_attribute", 1249),
    ("pg_catalog", "pg_auth_members", 1261),
    ("pg_catalog", "pg_authid", 1260),
    ("pg_catalog", "pg_available_extension_versions", 12085),
    ("pg_catalog", "pg_available_extensions", 12081),
    ("pg_catalog", "pg_backend_memory_contexts", 12138),
    ("pg_catalog", "pg_cast", 2605),
    ("pg_catalog", "pg_class", 1259),
    ("pg_catalog", "pg_collation", 3456),
    ("pg_catalog", "pg_config", 12130),
    ("pg_catalog", "pg_constraint", 2606),
    ("pg_catalog", "pg_conversion", 2607),
    ("pg_catalog", "pg_cursors", 12077),
    ("pg_catalog", "pg_database", 1262),
    ("pg_catalog", "pg_db_role_setting", 2964),
    ("pg_catalog", "pg_default_acl", 826),
    ("pg_catalog", "pg_depend", 2608),
    ("pg_catalog", "pg_description", 2609),
    ("pg_catalog", "pg_enum", 3501),
    ("pg_catalog", "pg_event_trigger", 3466),
    ("pg_catalog", "pg_extension", 3079),
    ("pg_catalog", "pg_file_settings", 12110),
    ("pg_catalog", "pg_foreign_data_wrapper", 2328),
    ("pg_catalog", "pg_foreign_server", 1417),
    ("pg_catalog", "pg_foreign_table", 3118),
    ("pg_catalog", "pg_group", 12010),
    ("pg_catalog", "pg_hba_file_rules", 12114),
    ("pg_catalog", "pg_ident_file_mappings", 12118),
    ("pg_catalog", "pg_index", 2610),
    ("pg_catalog", "pg_indexes", 12043),
    ("pg_catalog", "pg_inherits", 2611),
    ("pg_catalog", "pg_init_privs", 3394),
    ("pg_catalog", "pg_language", 2612),
    ("pg_catalog", "pg_largeobject", 2613),
    ("pg_catalog", "pg_largeobject_metadata", 2995),
    ("pg_catalog", "pg_locks", 12073),
    ("pg_catalog", "pg_matviews", 12038),
    ("pg_catalog", "pg_namespace", 2615),
    ("pg_catalog", "pg_opclass", 2616),
    ("pg_catalog", "pg_operator", 2617),
    ("pg_catalog", "pg_opfamily", 2753),
    ("pg_catalog", "pg_parameter_acl", 6243),
    ("pg_catalog", "pg_partitioned_table", 3350),
    ("pg_catalog", "pg_policies", 12018),
    ("pg_catalog", "pg_policy", 3256),
    ("pg_catalog", "pg_prepared_statements", 12095),
    ("pg_catalog", "pg_prepared_xacts", 12090),
    ("pg_catalog", "pg_proc", 1255),
    ("pg_catalog", "pg_publication", 6104),
    ("pg_catalog", "pg_publication_namespace", 6237),
    ("pg_catalog", "pg_publication_rel", 6106),
    ("pg_catalog", "pg_publication_tables", 12068),
    ("pg_catalog", "pg_range", 3541),
    ("pg_catalog", "pg_replication_origin", 6000),
    ("pg_catalog", "pg_replication_origin_status", 12339),
    ("pg_catalog", "pg_replication_slots", 12257),
    ("pg_catalog", "pg_rewrite", 2618),
    ("pg_catalog", "pg_roles", 12000),
    ("pg_catalog", "pg_rules", 12023),
    ("pg_catalog", "pg_seclabel", 3596),
    ("pg_catalog", "pg_seclabels", 12099),
    ("pg_catalog", "pg_sequence", 2224),
    ("pg_catalog", "pg_sequences", 12048),
    ("pg_catalog", "pg_settings", 12104),
    ("pg_catalog", "pg_shadow", 12005),
    ("pg_catalog", "pg_shdepend", 1214),
    ("pg_catalog", "pg_shdescription", 2396),
    ("pg_catalog", "pg_shmem_allocations", 12134),
    ("pg_catalog", "pg_shseclabel", 3592),
    ("pg_catalog", "pg_stat_activity", 12222),
    ("pg_catalog", "pg_stat_all_indexes", 12183),
    ("pg_catalog", "pg_stat_all_tables", 12142),
    ("pg_catalog", "pg_stat_archiver", 12285),
    ("pg_catalog", "pg_stat_bgwriter", 12289),
    ("pg_catalog", "pg_stat_checkpointer", 12293),
    ("pg_catalog", "pg_stat_database", 12266),
    ("pg_catalog", "pg_stat_database_conflicts", 12271),
    ("pg_catalog", "pg_stat_gssapi", 12253),
    ("pg_catalog", "pg_stat_io", 12297),
    ("pg_catalog", "pg_stat_progress_analyze", 12305),
    ("pg_catalog", "pg_stat_progress_basebackup", 12325),
    ("pg_catalog", "pg_stat_progress_cluster", 12315),
    ("pg_catalog", "pg_stat_progress_copy", 12329),
    ("pg_catalog", "pg_stat_progress_create_index", 12320),
    ("pg_catalog", "pg_stat_progress_vacuum", 12310),
    ("pg_catalog", "pg_stat_recovery_prefetch", 12240),
    ("pg_catalog", "pg_stat_replication", 12227),
    ("pg_catalog", "pg_stat_replication_slots", 12262),
    ("pg_catalog", "pg_stat_slru", 12232),
    ("pg_catalog", "pg_stat_ssl", 12249),
    ("pg_catalog", "pg_stat_subscription", 12244),
    ("pg_catalog", "pg_stat_subscription_stats", 12343),
    ("pg_catalog", "pg_stat_sys_indexes", 12188),
    ("pg_catalog", "pg_stat_sys_tables", 12152),
    ("pg_catalog", "pg_stat_user_functions", 12275),
    ("pg_catalog", "pg_stat_user_indexes", 12192),
    ("pg_catalog", "pg_stat_user_tables", 12161),
    ("pg_catalog", "pg_stat_wal", 12301),
    ("pg_catalog", "pg_stat_wal_receiver", 12236),
    ("pg_catalog", "pg_stat_xact_all_tables", 12147),
    ("pg_catalog", "pg_stat_xact_sys_tables", 12157),
    ("pg_catalog", "pg_stat_xact_user_functions", 12280),
    ("pg_catalog", "pg_stat_xact_user_tables", 12166),
    ("pg_catalog", "pg_statio_all_indexes", 12196),
    ("pg_catalog", "pg_statio_all_sequences", 12209),
    ("pg_catalog", "pg_statio_all_tables", 12170),
    ("pg_catalog", "pg_statio_sys_indexes", 12201),
    ("pg_catalog", "pg_statio_sys_sequences", 12214),
    ("pg_catalog", "pg_statio_sys_tables", 12175),
    ("pg_catalog", "pg_statio_user_indexes", 12205),
    ("pg_catalog", "pg_statio_user_sequences", 12218),
    ("pg_catalog", "pg_statio_user_tables", 12179),
    ("pg_catalog", "pg_statistic", 2619),
    ("pg_catalog", "pg_statistic_ext", 3381),
    ("pg_catalog", "pg_statistic_ext_data", 3429),
    ("pg_catalog", "pg_stats", 12053),
    ("pg_catalog", "pg_stats_ext", 12058),
    ("pg_catalog", "pg_stats_ext_exprs", 12063),
    ("pg_catalog", "pg_subscription", 6100),
    ("pg_catalog", "pg_subscription_rel", 6102),
    ("pg_catalog", "pg_tables", 12033),
    ("pg_catalog", "pg_tablespace", 1213),
    ("pg_catalog", "pg_timezone_abbrevs", 12122),
    ("pg_catalog", "pg_timezone_names", 12126),
    ("pg_catalog", "pg_transform", 3576),
    ("pg_catalog", "pg_trigger", 2620),
    ("pg_catalog", "pg_ts_config", 3602),
    ("pg_catalog", "pg_ts_config_map", 3603),
    ("pg_catalog", "pg_ts_dict", 3600),
    ("pg_catalog", "pg_ts_parser", 3601),
    ("pg_catalog", "pg_ts_template", 3764),
    ("pg_catalog", "pg_type", 1247),
    ("pg_catalog", "pg_user", 12014),
    ("pg_catalog", "pg_user_mapping", 1418),
    ("pg_catalog", "pg_user_mappings", 12334),
    ("pg_catalog", "pg_views", 12028),
    ("pg_catalog", "pg_wait_events", 12347),
    ("information_schema", "_pg_foreign_data_wrappers", 13582),
    ("information_schema", "_pg_foreign_servers", 13594),
    ("information_schema", "_pg_foreign_table_columns", 13573),
    ("information_schema", "_pg_foreign_tables", 13606),
    ("information_schema", "_pg_user_mappings", 13619),
    (
        "information_schema",
        "administrable_role_authorizations",
        13317,
    ),
    ("information_schema", "applicable_roles", 13312),
    ("information_schema", "attributes", 13321),
    ("information_schema", "character_sets", 13326),
    (
        "information_schema",
        "check_constraint_routine_usage",
        13331,
    ),
    ("information_schema", "check_constraints", 13336),
    (
        "information_schema",
        "collation_character_set_applicability",
        13346,
    ),
    ("information_schema", "collations", 13341),
    ("information_schema", "column_column_usage", 13351),
    ("information_schema", "column_domain_usage", 13356),
    ("information_schema", "column_options", 13578),
    ("information_schema", "column_privileges", 13361),
    ("information_schema", "column_udt_usage", 13366),
    ("information_schema", "columns", 13371),
    ("information_schema", "constraint_column_usage", 13376),
    ("information_schema", "constraint_table_usage", 13381),
    ("information_schema", "data_type_privileges", 13563),
    ("information_schema", "domain_constraints", 13386),
    ("information_schema", "domain_udt_usage", 13391),
    ("information_schema", "domains", 13395),
    ("information_schema", "element_types", 13568),
    ("information_schema", "enabled_roles", 13400),
    ("information_schema", "foreign_data_wrapper_options", 13586),
    ("information_schema", "foreign_data_wrappers", 13590),
    ("information_schema", "foreign_server_options", 13598),
    ("information_schema", "foreign_servers", 13602),
    ("information_schema", "foreign_table_options", 13611),
    ("information_schema", "foreign_tables", 13615),
    (
        "information_schema",
        "information_schema_catalog_name",
        13303,
    ),
    ("information_schema", "key_column_usage", 13404),
    ("information_schema", "parameters", 13409),
    ("information_schema", "referential_constraints", 13414),
    ("information_schema", "role_column_grants", 13419),
    ("information_schema", "role_routine_grants", 13433),
    ("information_schema", "role_table_grants", 13496),
    ("information_schema", "role_udt_grants", 13525),
    ("information_schema", "role_usage_grants", 13534),
    ("information_schema", "routine_column_usage", 13423),
    ("information_schema", "routine_privileges", 13428),
    ("information_schema", "routine_routine_usage", 13437),
    ("information_schema", "routine_sequence_usage", 13442),
    ("information_schema", "routine_table_usage", 13447),
    ("information_schema", "routines", 13452),
    ("information_schema", "schemata", 13457),
    ("information_schema", "sequences", 13461),
    ("information_schema", "sql_features", 13466),
    ("information_schema", "sql_implementation_info", 13471),
    ("information_schema", "sql_parts", 13476),
    ("information_schema", "sql_sizing", 13481),
    ("information_schema", "table_constraints", 13486),
    ("information_schema", "table_privileges", 13491),
    ("information_schema", "tables", 13500),
    ("information_schema", "transforms", 13505),
    ("information_schema", "triggered_update_columns", 13510),
    ("information_schema", "triggers", 13515),
    ("information_schema", "udt_privileges", 13520),
    ("information_schema", "usage_privileges", 13529),
    ("information_schema", "user_defined_types", 13538),
    ("information_schema", "user_mapping_options", 13624),
    ("information_schema", "user_mappings", 13629),
    ("information_schema", "view_column_usage", 13543),
    ("information_schema", "view_routine_usage", 13548),
    ("information_schema", "view_table_usage", 13553),
    ("information_schema", "views", 13558),
];

/// The OIDs of one warehouse table and its keys, as the catalog's `pg_*` tables use them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableOids {
    pub table: i32,
    /// 0 when the table has no primary key.
    pub primary_key_index: i32,
    pub primary_key_constraint: i32,
    pub row_type: i32,
    /// One per foreign key, in the definition's order.
    pub foreign_keys: Vec<i32>,
}

/// A catalog OID as the `pg_*` tables carry it: they are below 2^31 (allocation starts
/// low and grows by one per object), and `oid` columns are read as `int4` here.
pub fn pg(oid: lyceum_catalog::Oid) -> i32 {
    i32::try_from(oid).unwrap_or(i32::MAX)
}

impl From<&lyceum_catalog::TableOids> for TableOids {
    fn from(o: &lyceum_catalog::TableOids) -> Self {
        TableOids {
            table: pg(o.table),
            primary_key_index: o.primary_key_index.map(pg).unwrap_or(0),
            primary_key_constraint: o.primary_key_constraint.map(pg).unwrap_or(0),
            row_type: pg(o.row_type),
            foreign_keys: o.foreign_keys.iter().copied().map(pg).collect(),
        }
    }
}

impl TableOids {
    /// The OID of the `i`-th foreign key (0 if the catalog has none for it).
    pub fn foreign_key(&self, i: usize) -> i32 {
        self.foreign_keys.get(i).copied().unwrap_or(0)
    }
}

/// The OIDs of a relation Lyceum computes in memory and the catalog does not store
/// (`system.snapshots`): a stable hash-based block far above allocated OIDs.
pub fn computed_table(qualified: &str) -> TableOids {
    let slot = (lyceum_catalog::version::stable_hash(qualified) % 200_000) as i32;
    let table = UNKNOWN_TABLES + slot * TABLE_BLOCK;
    TableOids {
        table,
        primary_key_index: 0,
        primary_key_constraint: 0,
        row_type: table + 3,
        foreign_keys: vec![],
    }
}

/// The OID of relation `name` of `pg_catalog` or `information_schema`: PostgreSQL's, or
/// for a relation PostgreSQL does not have, `fallback` (its position among those).
pub fn system_relation(schema: &str, name: &str, fallback: usize) -> i32 {
    POSTGRES_RELATIONS
        .iter()
        .find(|(s, n, _)| *s == schema && *n == name)
        .map(|(_, _, oid)| *oid)
        .unwrap_or(FIRST_UNKNOWN_SYSTEM_RELATION + fallback as i32)
}

/// The fixed OIDs of the schemas every version has besides the catalog's own.
pub fn builtin_namespaces() -> [(String, i32); 2] {
    [
        ("pg_catalog".to_string(), PG_CATALOG_NAMESPACE),
        (
            "information_schema".to_string(),
            INFORMATION_SCHEMA_NAMESPACE,
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn system_relations_have_postgres_oids_and_computed_tables_stable_ones() {
        assert_eq!(system_relation("pg_catalog", "pg_class", 0), PG_CLASS_OID);
        assert_eq!(
            system_relation("pg_catalog", "pg_constraint", 0),
            PG_CONSTRAINT_OID
        );
        assert_eq!(system_relation("pg_catalog", "no_such", 3), 16_003);
        let a = computed_table("system.snapshots");
        assert_eq!(a, computed_table("system.snapshots"));
        assert!(a.table >= UNKNOWN_TABLES);
    }
}
