//! Catalog tables of objects Lyceum does not have (policies, triggers, extended
//! statistics, publications, partitioning): always empty, in PostgreSQL's column layout
//! with its array types (the built-in export stores those arrays as text, which queries
//! such as `'d' = any(stxkind)` cannot use).

use super::table::{Col, Kind};

pub const PG_POLICY: &[Col] = &[
    ("oid", Kind::Oid, false),
    ("polname", Kind::Name, false),
    ("polrelid", Kind::Oid, false),
    ("polcmd", Kind::Char, false),
    ("polpermissive", Kind::Bool, false),
    ("polroles", Kind::OidList, false),
    ("polqual", Kind::Text, true),
    ("polwithcheck", Kind::Text, true),
];

pub const PG_STATISTIC_EXT: &[Col] = &[
    ("oid", Kind::Oid, false),
    ("stxrelid", Kind::Oid, false),
    ("stxname", Kind::Name, false),
    ("stxnamespace", Kind::Oid, false),
    ("stxowner", Kind::Oid, false),
    ("stxstattarget", Kind::I32, false),
    ("stxkeys", Kind::I16List, false),
    ("stxkind", Kind::TextList, false),
    ("stxexprs", Kind::Text, true),
];

pub const PG_TRIGGER: &[Col] = &[
    ("oid", Kind::Oid, false),
    ("tgrelid", Kind::Oid, false),
    ("tgparentid", Kind::Oid, false),
    ("tgname", Kind::Name, false),
    ("tgfoid", Kind::Oid, false),
    ("tgtype", Kind::I16, false),
    ("tgenabled", Kind::Char, false),
    ("tgisinternal", Kind::Bool, false),
    ("tgconstrrelid", Kind::Oid, false),
    ("tgconstrindid", Kind::Oid, false),
    ("tgconstraint", Kind::Oid, false),
    ("tgdeferrable", Kind::Bool, false),
    ("tginitdeferred", Kind::Bool, false),
    ("tgnargs", Kind::I16, false),
    ("tgattr", Kind::I16List, false),
    ("tgargs", Kind::Text, false),
    ("tgqual", Kind::Text, true),
    ("tgoldtable", Kind::Name, true),
    ("tgnewtable", Kind::Name, true),
];

pub const PG_PUBLICATION_REL: &[Col] = &[
    ("oid", Kind::Oid, false),
    ("prpubid", Kind::Oid, false),
    ("prrelid", Kind::Oid, false),
    ("prqual", Kind::Text, true),
    ("prattrs", Kind::I16List, true),
];

pub const PG_PARTITIONED_TABLE: &[Col] = &[
    ("partrelid", Kind::Oid, false),
    ("partstrat", Kind::Char, false),
    ("partnatts", Kind::I16, false),
    ("partdefid", Kind::Oid, false),
    ("partattrs", Kind::I16List, false),
    ("partclass", Kind::OidList, false),
    ("partcollation", Kind::OidList, false),
    ("partexprs", Kind::Text, true),
];

/// Lyceum has no extensions (not even PL/pgSQL: it runs no procedural code).
pub const PG_EXTENSION: &[Col] = &[
    ("oid", Kind::Oid, false),
    ("extname", Kind::Name, false),
    ("extowner", Kind::Oid, false),
    ("extnamespace", Kind::Oid, false),
    ("extrelocatable", Kind::Bool, false),
    ("extversion", Kind::Text, false),
    ("extconfig", Kind::OidList, true),
    ("extcondition", Kind::TextList, true),
];

/// Security labels (the view over `pg_seclabel`): none.
pub const PG_SECLABELS: &[Col] = &[
    ("objoid", Kind::Oid, false),
    ("classoid", Kind::Oid, false),
    ("objsubid", Kind::I32, false),
    ("objtype", Kind::Text, false),
    ("objnamespace", Kind::Oid, false),
    ("objname", Kind::Text, false),
    ("provider", Kind::Text, false),
    ("label", Kind::Text, false),
];

/// Every table of this module, by name.
pub const TABLES: &[(&str, &[Col])] = &[
    ("pg_policy", PG_POLICY),
    ("pg_statistic_ext", PG_STATISTIC_EXT),
    ("pg_trigger", PG_TRIGGER),
    ("pg_publication_rel", PG_PUBLICATION_REL),
    ("pg_partitioned_table", PG_PARTITIONED_TABLE),
    ("pg_extension", PG_EXTENSION),
    ("pg_seclabels", PG_SECLABELS),
];
