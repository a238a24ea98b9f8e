//! The SQL-standard `information_schema`, in PostgreSQL's layout (tools read
//! `udt_name`, `numeric_precision`, `table_constraints`, ...), built from the same model as
//! `pg_catalog`. It replaces DataFusion's own, smaller one.
//!
//! Lyceum has no views of its own, sequences, triggers, check constraints or routines
//! defined by users: those views are absent or empty, as they would be in PostgreSQL.

use super::oids;
use super::relations::{Column, Model, Relation};
use super::table::{Col, Kind, Rows, V};
use crate::session::CATALOG;

pub const SCHEMATA: &[Col] = &[
    ("catalog_name", Kind::Name, false),
    ("schema_name", Kind::Name, false),
    ("schema_owner", Kind::Name, false),
    ("default_character_set_catalog", Kind::Name, true),
    ("default_character_set_schema", Kind::Name, true),
    ("default_character_set_name", Kind::Name, true),
    ("sql_path", Kind::Text, true),
];

pub const TABLES: &[Col] = &[
    ("table_catalog", Kind::Name, false),
    ("table_schema", Kind::Name, false),
    ("table_name", Kind::Name, false),
    ("table_type", Kind::Text, false),
    ("self_referencing_column_name", Kind::Name, true),
    ("reference_generation", Kind::Text, true),
    ("user_defined_type_catalog", Kind::Name, true),
    ("user_defined_type_schema", Kind::Name, true),
    ("user_defined_type_name", Kind::Name, true),
    ("is_insertable_into", Kind::Text, false),
    ("is_typed", Kind::Text, false),
    ("commit_action", Kind::Text, true),
];

pub const COLUMNS: &[Col] = &[
    ("table_catalog", Kind::Name, false),
    ("table_schema", Kind::Name, false),
    ("table_name", Kind::Name, false),
    ("column_name", Kind::Name, false),
    ("ordinal_position", Kind::I32, false),
    ("column_default", Kind::Text, true),
    ("is_nullable", Kind::Text, false),
    ("data_type", Kind::Text, false),
    ("character_maximum_length", Kind::I32, true),
    ("character_octet_length", Kind::I32, true),
    ("numeric_precision", Kind::I32, true),
    ("numeric_precision_radix", Kind::I32, true),
    ("numeric_scale", Kind::I32, true),
    ("datetime_precision", Kind::I32, true),
    ("interval_type", Kind::Text, true),
    ("interval_precision", Kind::I32, true),
    ("character_set_catalog", Kind::Name, true),
    ("character_set_schema", Kind::Name, true),
    ("character_set_name", Kind::Name, true),
    ("collation_catalog", Kind::Name, true),
    ("collation_schema", Kind::Name, true),
    ("collation_name", Kind::Name, true),
    ("domain_catalog", Kind::Name, true),
    ("domain_schema", Kind::Name, true),
    ("domain_name", Kind::Name, true),
    ("udt_catalog", Kind::Name, false),
    ("udt_schema", Kind::Name, false),
    ("udt_name", Kind::Name, false),
    ("scope_catalog", Kind::Name, true),
    ("scope_schema", Kind::Name, true),
    ("scope_name", Kind::Name, true),
    ("maximum_cardinality", Kind::I32, true),
    ("dtd_identifier", Kind::Name, false),
    ("is_self_referencing", Kind::Text, false),
    ("is_identity", Kind::Text, false),
    ("identity_generation", Kind::Text, true),
    ("identity_start", Kind::Text, true),
    ("identity_increment", Kind::Text, true),
    ("identity_maximum", Kind::Text, true),
    ("identity_minimum", Kind::Text, true),
    ("identity_cycle", Kind::Text, false),
    ("is_generated", Kind::Text, false),
    ("generation_expression", Kind::Text, true),
    ("is_updatable", Kind::Text, false),
];

pub const VIEWS: &[Col] = &[
    ("table_catalog", Kind::Name, false),
    ("table_schema", Kind::Name, false),
    ("table_name", Kind::Name, false),
    ("view_definition", Kind::Text, true),
    ("check_option", Kind::Text, false),
    ("is_updatable", Kind::Text, false),
    ("is_insertable_into", Kind::Text, false),
    ("is_trigger_updatable", Kind::Text, false),
    ("is_trigger_deletable", Kind::Text, false),
    ("is_trigger_insertable_into", Kind::Text, false),
];

pub const TABLE_CONSTRAINTS: &[Col] = &[
    ("constraint_catalog", Kind::Name, false),
    ("constraint_schema", Kind::Name, false),
    ("constraint_name", Kind::Name, false),
    ("table_catalog", Kind::Name, false),
    ("table_schema", Kind::Name, false),
    ("table_name", Kind::Name, false),
    ("constraint_type", Kind::Text, false),
    ("is_deferrable", Kind::Text, false),
    ("initially_deferred", Kind::Text, false),
    ("enforced", Kind::Text, false),
    ("nulls_distinct", Kind::Text, true),
];

pub const KEY_COLUMN_USAGE: &[Col] = &[
    ("constraint_catalog", Kind::Name, false),
    ("constraint_schema", Kind::Name, false),
    ("constraint_name", Kind::Name, false),
    ("table_catalog", Kind::Name, false),
    ("table_schema", Kind::Name, false),
    ("table_name", Kind::Name, false),
    ("column_name", Kind::Name, false),
    ("ordinal_position", Kind::I32, false),
    ("position_in_unique_constraint", Kind::I32, true),
];

pub const REFERENTIAL_CONSTRAINTS: &[Col] = &[
    ("constraint_catalog", Kind::Name, false),
    ("constraint_schema", Kind::Name, false),
    ("constraint_name", Kind::Name, false),
    ("unique_constraint_catalog", Kind::Name, false),
    ("unique_constraint_schema", Kind::Name, false),
    ("unique_constraint_name", Kind::Name, false),
    ("match_option", Kind::Text, false),
    ("update_rule", Kind::Text, false),
    ("delete_rule", Kind::Text, false),
];

pub const CONSTRAINT_COLUMN_USAGE: &[Col] = &[
    ("table_catalog", Kind::Name, false),
    ("table_schema", Kind::Name, false),
    ("table_name", Kind::Name, false),
    ("column_name", Kind::Name, false),
    ("constraint_catalog", Kind::Name, false),
    ("constraint_schema", Kind::Name, false),
    ("constraint_name", Kind::Name, false),
];

pub const TABLE_PRIVILEGES: &[Col] = &[
    ("grantor", Kind::Name, false),
    ("grantee", Kind::Name, false),
    ("table_catalog", Kind::Name, false),
    ("table_schema", Kind::Name, false),
    ("table_name", Kind::Name, false),
    ("privilege_type", Kind::Text, false),
    ("is_grantable", Kind::Text, false),
    ("with_hierarchy", Kind::Text, false),
];

pub const CHARACTER_SETS: &[Col] = &[
    ("character_set_catalog", Kind::Name, true),
    ("character_set_schema", Kind::Name, true),
    ("character_set_name", Kind::Name, false),
    ("character_repertoire", Kind::Name, false),
    ("form_of_use", Kind::Name, false),
    ("default_collate_catalog", Kind::Name, false),
    ("default_collate_schema", Kind::Name, true),
    ("default_collate_name", Kind::Name, true),
];

pub const SEQUENCES: &[Col] = &[
    ("sequence_catalog", Kind::Name, false),
    ("sequence_schema", Kind::Name, false),
    ("sequence_name", Kind::Name, false),
    ("data_type", Kind::Text, false),
    ("numeric_precision", Kind::I32, false),
    ("numeric_precision_radix", Kind::I32, false),
    ("numeric_scale", Kind::I32, false),
    ("start_value", Kind::Text, false),
    ("minimum_value", Kind::Text, false),
    ("maximum_value", Kind::Text, false),
    ("increment", Kind::Text, false),
    ("cycle_option", Kind::Text, false),
];

pub const TRIGGERS: &[Col] = &[
    ("trigger_catalog", Kind::Name, false),
    ("trigger_schema", Kind::Name, false),
    ("trigger_name", Kind::Name, false),
    ("event_manipulation", Kind::Text, false),
    ("event_object_catalog", Kind::Name, false),
    ("event_object_schema", Kind::Name, false),
    ("event_object_table", Kind::Name, false),
    ("action_order", Kind::I32, false),
    ("action_condition", Kind::Text, true),
    ("action_statement", Kind::Text, false),
    ("action_orientation", Kind::Text, false),
    ("action_timing", Kind::Text, false),
];

pub const CHECK_CONSTRAINTS: &[Col] = &[
    ("constraint_catalog", Kind::Name, false),
    ("constraint_schema", Kind::Name, false),
    ("constraint_name", Kind::Name, false),
    ("check_clause", Kind::Text, false),
];

/// Every view of this schema, by name.
pub const ALL: &[(&str, &[Col])] = &[
    ("character_sets", CHARACTER_SETS),
    ("check_constraints", CHECK_CONSTRAINTS),
    ("columns", COLUMNS),
    ("constraint_column_usage", CONSTRAINT_COLUMN_USAGE),
    ("key_column_usage", KEY_COLUMN_USAGE),
    ("referential_constraints", REFERENTIAL_CONSTRAINTS),
    ("schemata", SCHEMATA),
    ("sequences", SEQUENCES),
    ("table_constraints", TABLE_CONSTRAINTS),
    ("table_privileges", TABLE_PRIVILEGES),
    ("tables", TABLES),
    ("triggers", TRIGGERS),
    ("views", VIEWS),
];

/// The SQL type of a column, as `data_type` names it, and its `udt_name`.
fn sql_type(c: &Column) -> (String, String) {
    let (data_type, udt) = match c.type_oid {
        16 => ("boolean", "bool"),
        17 => ("bytea", "bytea"),
        18 => ("\"char\"", "char"),
        19 => ("name", "name"),
        20 => ("bigint", "int8"),
        21 => ("smallint", "int2"),
        23 => ("integer", "int4"),
        25 => ("text", "text"),
        26 => ("oid", "oid"),
        700 => ("real", "float4"),
        701 => ("double precision", "float8"),
        1043 => ("character varying", "varchar"),
        1082 => ("date", "date"),
        1083 => ("time without time zone", "time"),
        1114 => ("timestamp without time zone", "timestamp"),
        1184 => ("timestamp with time zone", "timestamptz"),
        1186 => ("interval", "interval"),
        1700 => ("numeric", "numeric"),
        1005 => ("ARRAY", "_int2"),
        1007 => ("ARRAY", "_int4"),
        1016 => ("ARRAY", "_int8"),
        1009 => ("ARRAY", "_text"),
        1028 => ("ARRAY", "_oid"),
        1000 => ("ARRAY", "_bool"),
        1022 => ("ARRAY", "_float8"),
        2205 => ("regclass", "regclass"),
        2206 => ("regtype", "regtype"),
        24 => ("regproc", "regproc"),
        _ => ("USER-DEFINED", "unknown"),
    };
    (data_type.to_string(), udt.to_string())
}

/// `numeric_precision`, `numeric_precision_radix`, `numeric_scale`, `datetime_precision`.
fn precision(c: &Column) -> (Option<i32>, Option<i32>, Option<i32>, Option<i32>) {
    match c.type_oid {
        21 => (Some(16), Some(2), Some(0), None),
        23 => (Some(32), Some(2), Some(0), None),
        20 => (Some(64), Some(2), Some(0), None),
        700 => (Some(24), Some(2), None, None),
        701 => (Some(53), Some(2), None, None),
        1700 if c.typmod >= 4 => {
            let m = c.typmod - 4;
            (Some((m >> 16) & 0xffff), Some(10), Some(m & 0xffff), None)
        }
        1700 => (None, Some(10), None, None),
        1082 => (None, None, None, Some(0)),
        1083 | 1114 | 1184 | 1186 => (None, None, None, Some(6)),
        _ => (None, None, None, None),
    }
}

fn text_or_null(s: Option<String>) -> V {
    V::Text(s)
}

/// Relations shown here: tables of the warehouse and of the catalogs (PostgreSQL lists
/// its own catalog tables too), not indexes.
fn shown(model: &Model) -> Vec<&Relation> {
    let mut all: Vec<&Relation> = model
        .relations
        .values()
        .filter(|r| r.kind == 'r' || r.kind == 'v')
        .collect();
    all.sort_by(|a, b| (&a.schema, &a.name).cmp(&(&b.schema, &b.name)));
    all
}

/// Builds every view of `information_schema` for a model.
pub fn views(model: &Model, schemas: &[&str]) -> Vec<(&'static str, Rows)> {
    let mut schemata = Rows::new(SCHEMATA);
    for s in schemas {
        schemata.push(vec![
            V::text(CATALOG),
            V::text(*s),
            V::text(oids::OWNER_NAME),
            V::Text(None),
            V::Text(None),
            V::Text(None),
            V::Text(None),
        ]);
    }

    let mut tables = Rows::new(TABLES);
    let mut columns = Rows::new(COLUMNS);
    let mut privileges = Rows::new(TABLE_PRIVILEGES);
    for r in shown(model) {
        tables.push(vec![
            V::text(CATALOG),
            V::text(&r.schema),
            V::text(&r.name),
            V::text(if r.kind == 'v' { "VIEW" } else { "BASE TABLE" }),
            V::Text(None),
            V::Text(None),
            V::Text(None),
            V::Text(None),
            V::Text(None),
            V::text("NO"),
            V::text("NO"),
            V::Text(None),
        ]);
        privileges.push(vec![
            V::text(oids::OWNER_NAME),
            V::text("PUBLIC"),
            V::text(CATALOG),
            V::text(&r.schema),
            V::text(&r.name),
            V::text("SELECT"),
            V::text("NO"),
            V::text("YES"),
        ]);
        for (i, c) in r.columns.iter().enumerate() {
            let (data_type, udt) = sql_type(c);
            let (precision, radix, scale, datetime) = precision(c);
            let collatable = matches!(c.type_oid, 25 | 1043 | 19);
            columns.push(vec![
                V::text(CATALOG),
                V::text(&r.schema),
                V::text(&r.name),
                V::text(&c.name),
                V::i32(i as i32 + 1),
                V::Text(None),
                V::text(if c.not_null { "NO" } else { "YES" }),
                V::text(data_type),
                V::I32(None),
                V::I32(collatable.then_some(1_073_741_824)),
                V::I32(precision),
                V::I32(radix),
                V::I32(scale),
                V::I32(datetime),
                V::Text(None),
                V::I32(None),
                V::Text(None),
                V::Text(None),
                V::Text(None),
                text_or_null(collatable.then(|| CATALOG.to_string())),
                text_or_null(collatable.then(|| "pg_catalog".to_string())),
                text_or_null(collatable.then(|| "default".to_string())),
                V::Text(None),
                V::Text(None),
                V::Text(None),
                V::text(CATALOG),
                V::text("pg_catalog"),
                V::text(udt),
                V::Text(None),
                V::Text(None),
                V::Text(None),
                V::I32(None),
                V::text((i + 1).to_string()),
                V::text("NO"),
                V::text("NO"),
                V::Text(None),
                V::Text(None),
                V::Text(None),
                V::Text(None),
                V::Text(None),
                V::text("NO"),
                V::text("NEVER"),
                V::Text(None),
                V::text("NO"),
            ]);
        }
    }

    let mut constraints = Rows::new(TABLE_CONSTRAINTS);
    let mut key_columns = Rows::new(KEY_COLUMN_USAGE);
    let mut referential = Rows::new(REFERENTIAL_CONSTRAINTS);
    let mut usage = Rows::new(CONSTRAINT_COLUMN_USAGE);
    for r in shown(model) {
        for c in &r.constraints {
            constraints.push(vec![
                V::text(CATALOG),
                V::text(&r.schema),
                V::text(&c.name),
                V::text(CATALOG),
                V::text(&r.schema),
                V::text(&r.name),
                V::text(if c.kind == 'p' {
                    "PRIMARY KEY"
                } else {
                    "FOREIGN KEY"
                }),
                V::text("NO"),
                V::text("NO"),
                V::text("YES"),
                V::Text((c.kind == 'p').then(|| "YES".to_string())),
            ]);
            let column_name = |rel: &Relation, attnum: i16| {
                usize::try_from(attnum - 1)
                    .ok()
                    .and_then(|i| rel.columns.get(i))
                    .map(|col| col.name.clone())
                    .unwrap_or_default()
            };
            for (position, attnum) in c.columns.iter().enumerate() {
                key_columns.push(vec![
                    V::text(CATALOG),
                    V::text(&r.schema),
                    V::text(&c.name),
                    V::text(CATALOG),
                    V::text(&r.schema),
                    V::text(&r.name),
                    V::text(column_name(r, *attnum)),
                    V::i32(position as i32 + 1),
                    V::I32((c.kind == 'f').then_some(position as i32 + 1)),
                ]);
            }
            // The columns a constraint uses: its own for a key, the referenced ones for a
            // foreign key (PostgreSQL's definition).
            let (table, cols) = match &c.references {
                Some((target, ref_cols, _)) => match model.relations.get(target) {
                    Some(t) => (t, ref_cols.clone()),
                    None => continue,
                },
                None => (r, c.columns.clone()),
            };
            for attnum in cols {
                usage.push(vec![
                    V::text(CATALOG),
                    V::text(&table.schema),
                    V::text(&table.name),
                    V::text(column_name(table, attnum)),
                    V::text(CATALOG),
                    V::text(&r.schema),
                    V::text(&c.name),
                ]);
            }
            if let Some((target, _, _)) = &c.references
                && let Some(t) = model.relations.get(target)
            {
                referential.push(vec![
                    V::text(CATALOG),
                    V::text(&r.schema),
                    V::text(&c.name),
                    V::text(CATALOG),
                    V::text(&t.schema),
                    V::text(format!("{}_pkey", t.name)),
                    V::text("NONE"),
                    V::text("NO ACTION"),
                    V::text("NO ACTION"),
                ]);
            }
        }
    }

    let mut character_sets = Rows::new(CHARACTER_SETS);
    character_sets.push(vec![
        V::Text(None),
        V::Text(None),
        V::text("UTF8"),
        V::text("UCS"),
        V::text("UTF8"),
        V::text(CATALOG),
        V::Text(None),
        V::Text(None),
    ]);

    vec![
        ("character_sets", character_sets),
        ("check_constraints", Rows::new(CHECK_CONSTRAINTS)),
        ("columns", columns),
        ("constraint_column_usage", usage),
        ("key_column_usage", key_columns),
        ("referential_constraints", referential),
        ("schemata", schemata),
        ("sequences", Rows::new(SEQUENCES)),
        ("table_constraints", constraints),
        ("table_privileges", privileges),
        ("tables", tables),
        ("triggers", Rows::new(TRIGGERS)),
        ("views", Rows::new(VIEWS)),
    ]
}
