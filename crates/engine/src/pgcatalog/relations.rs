//! The relation-level catalog of one warehouse version: `pg_namespace`, `pg_class`,
//! `pg_attribute`, `pg_index`, `pg_constraint`, `pg_description` and `pg_tables`, built
//! from the version's table definitions (keys, foreign keys, roles, PII marks) and the
//! Arrow schemas its tables are read with, so that what a tool reads in the catalog is
//! exactly what a query returns.

use std::collections::HashMap;
use std::sync::Arc;

use arrow::datatypes::{DataType, Field, SchemaRef};
use datafusion::datasource::TableProvider;
use lyceum_catalog::{Sensitivity, TableDef, TableRole};

use super::oids::{self, TableOids};
use super::table::{Col, Kind, Rows, V};

/// Storage facts of a type, from `pg_type` (`attlen`, `attbyval`, `attalign`, `attstorage`).
#[derive(Debug, Clone)]
pub struct TypeInfo {
    pub len: i16,
    pub byval: bool,
    pub align: String,
    pub storage: String,
}

/// One column as the catalog shows it.
#[derive(Debug, Clone)]
pub struct Column {
    pub name: String,
    pub type_oid: i32,
    pub typmod: i32,
    pub not_null: bool,
    pub description: Option<String>,
    /// The type a query reading the column reports, when it is not the one its Arrow
    /// type maps to: `varchar` (1043) for a text column of the star schema, which
    /// `schema.sql` declares `VARCHAR(n)`.
    pub result_type: Option<i32>,
}

/// A primary key or foreign key, by column positions (1-based `attnum`s).
#[derive(Debug, Clone)]
pub struct Constraint {
    pub oid: i32,
    pub name: String,
    pub columns: Vec<i16>,
    /// `p` or `f`.
    pub kind: char,
    /// For a foreign key: the referenced table, its columns and its key's index.
    pub references: Option<(i32, Vec<i16>, i32)>,
    pub definition: String,
}

/// A relation (table, view or index).
#[derive(Debug, Clone)]
pub struct Relation {
    pub oid: i32,
    pub namespace: i32,
    pub schema: String,
    pub name: String,
    /// `r` table, `v` view, `i` index.
    pub kind: char,
    pub row_type: i32,
    pub columns: Vec<Column>,
    pub tuples: f64,
    /// Bytes on storage (0 for indexes and catalog relations, which have no files).
    pub bytes: u64,
    pub description: Option<String>,
    /// The primary key (`p`) and foreign keys (`f`) of a table.
    pub constraints: Vec<Constraint>,
    /// For an index: the table, its key columns and its definition.
    pub index_of: Option<(i32, Vec<i16>, String)>,
    /// For a table with a primary key: the key's index (else 0).
    pub primary_key_index: i32,
}

/// What the catalog functions need to answer (`pg_get_constraintdef`, ...).
#[derive(Debug, Default)]
pub struct Model {
    pub relations: HashMap<i32, Relation>,
    pub constraint_defs: HashMap<i32, String>,
    pub index_defs: HashMap<i32, String>,
    /// `(objoid, objsubid)` → text, for relations (`classoid` = `pg_class`).
    pub descriptions: HashMap<(i32, i32), String>,
    /// Every schema of the version with its OID, `pg_catalog` first.
    pub namespaces: Vec<(String, i32)>,
}

impl Model {
    pub fn namespace_oid(&self, name: &str) -> Option<i32> {
        self.namespaces
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, oid)| *oid)
    }

    pub fn namespace_name(&self, oid: i32) -> Option<&str> {
        self.namespaces
            .iter()
            .find(|(_, o)| *o == oid)
            .map(|(n, _)| n.as_str())
    }

    /// The OID of `schema.name`, if the relation exists in this version.
    pub fn relation_oid(&self, schema: &str, name: &str) -> Option<i32> {
        self.relations
            .values()
            .find(|r| r.schema == schema && r.name == name)
            .map(|r| r.oid)
    }
}

/// A table of the version being catalogued.
pub struct WarehouseTable<'a> {
    pub def: Option<&'a TableDef>,
    /// Its OIDs, as the catalog assigned them.
    pub oids: TableOids,
    pub schema: &'a str,
    pub name: &'a str,
    pub provider: Arc<dyn TableProvider>,
    pub rows: u64,
    /// Bytes of its data files.
    pub bytes: u64,
}

/// A relation of `pg_catalog` or `information_schema`: name and Arrow schema.
pub type SystemRelation = (String, SchemaRef);

fn column_type(field: &Field) -> (i32, i32) {
    let oid = arrow_pg::datatypes::field_into_pg_type(&Arc::new(field.clone()))
        .map(|t| t.oid() as i32)
        .unwrap_or(25);
    let typmod = match field.data_type() {
        DataType::Decimal128(p, s) | DataType::Decimal256(p, s) => {
            ((i32::from(*p) << 16) | (i32::from(*s) & 0xffff)) + 4
        }
        _ => -1,
    };
    (oid, typmod)
}

/// `varchar` for a text column of a star table (declared `VARCHAR(n)` by `schema.sql`);
/// an analyst's or Lyceum's own text columns are `text`, as the catalog cannot tell
/// `VARCHAR` from `TEXT` there.
fn declared_result_type(def: &TableDef, column: &lyceum_catalog::ColumnDef) -> Option<i32> {
    let star = matches!(
        def.role,
        TableRole::Dimension | TableRole::Scd2Dimension | TableRole::Fact | TableRole::Rollup
    );
    (star && column.ty == lyceum_catalog::ColumnType::Varchar).then_some(oids::VARCHAR_TYPE)
}

fn table_description(def: &TableDef) -> String {
    let key = def.primary_key.join(", ");
    match def.role {
        TableRole::Dimension => format!("Dimension of the star schema (key: {key})."),
        TableRole::Scd2Dimension => format!(
            "Dimension with SCD type 2 history: one row per version of a {} natural key, \
             with effective_from, effective_to and is_current (key: {key}).",
            def.name.trim_start_matches("dim_")
        ),
        TableRole::Fact => match &def.unit_column {
            Some(unit) => format!(
                "Fact table of the star schema (key: {key}); each load replaces the rows of \
                 the {unit} values its extract contains."
            ),
            None => format!("Fact table of the star schema (key: {key})."),
        },
        TableRole::System => "Warehouse history kept by Lyceum's loads.".to_string(),
        TableRole::Sandbox => "An analyst's table in schema sandbox, written with SQL.".to_string(),
        TableRole::Rollup => {
            "A rollup: a materialized view whose stored aggregate states answer matching queries."
                .to_string()
        }
    }
}

fn column_description(sensitivity: Sensitivity) -> Option<String> {
    match sensitivity {
        Sensitivity::None => None,
        Sensitivity::Pii => Some("PII: personally identifying information.".into()),
        Sensitivity::Demographic => Some("Sensitive demographic attribute.".into()),
    }
}

/// Quotes an identifier the way PostgreSQL prints it (only when it must).
pub fn quote_ident(name: &str) -> String {
    let plain = name
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_lowercase() || c == '_')
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if plain {
        name.to_string()
    } else {
        format!("\"{}\"", name.replace('"', "\"\""))
    }
}

/// Builds the model of one version: its warehouse tables, `pg_catalog` and
/// `information_schema`.
pub fn model(
    namespaces: Vec<(String, i32)>,
    tables: &[WarehouseTable<'_>],
    catalog_relations: &[SystemRelation],
    information_schema: &[SystemRelation],
) -> Model {
    let mut model = Model {
        namespaces,
        ..Model::default()
    };
    // OIDs and attnums first: foreign keys refer to other tables' keys.
    let mut oids_of: HashMap<String, (TableOids, SchemaRef)> = HashMap::new();
    for t in tables {
        let qualified = format!("{}.{}", t.schema, t.name);
        oids_of.insert(qualified.clone(), (t.oids.clone(), t.provider.schema()));
    }
    let attnum = |schema: &SchemaRef, column: &str| -> Option<i16> {
        schema
            .index_of(column)
            .ok()
            .and_then(|i| i16::try_from(i + 1).ok())
    };
    for t in tables {
        let qualified = format!("{}.{}", t.schema, t.name);
        let (ids, schema) = &oids_of[&qualified];
        let namespace = model
            .namespace_oid(t.schema)
            .unwrap_or(oids::SYSTEM_NAMESPACE);
        let columns = schema
            .fields()
            .iter()
            .map(|f| {
                let def_col = t.def.and_then(|d| d.column(f.name()));
                let (type_oid, typmod) = column_type(f);
                Column {
                    name: f.name().clone(),
                    type_oid,
                    typmod,
                    not_null: def_col.map_or(!f.is_nullable(), |c| !c.nullable),
                    description: def_col.and_then(|c| column_description(c.sensitivity)),
                    result_type: t
                        .def
                        .zip(def_col)
                        .and_then(|(d, c)| declared_result_type(d, c)),
                }
            })
            .collect();
        let mut constraints = Vec::new();
        if let Some(def) = t.def {
            let pk: Option<Vec<i16>> = def.primary_key.iter().map(|c| attnum(schema, c)).collect();
            if let Some(pk) = pk.filter(|k| !k.is_empty()) {
                let cols = def
                    .primary_key
                    .iter()
                    .map(|c| quote_ident(c))
                    .collect::<Vec<_>>();
                let index_def = format!(
                    "CREATE UNIQUE INDEX {} ON {}.{} USING btree ({})",
                    quote_ident(&format!("{}_pkey", t.name)),
                    quote_ident(t.schema),
                    quote_ident(t.name),
                    cols.join(", ")
                );
                constraints.push(Constraint {
                    oid: ids.primary_key_constraint,
                    name: format!("{}_pkey", t.name),
                    columns: pk.clone(),
                    kind: 'p',
                    references: None,
                    definition: format!("PRIMARY KEY ({})", cols.join(", ")),
                });
                model.relations.insert(
                    ids.primary_key_index,
                    Relation {
                        oid: ids.primary_key_index,
                        namespace,
                        schema: t.schema.to_string(),
                        name: format!("{}_pkey", t.name),
                        kind: 'i',
                        row_type: 0,
                        columns: def
                            .primary_key
                            .iter()
                            .filter_map(|c| schema.field_with_name(c).ok())
                            .map(|f| {
                                let (type_oid, typmod) = column_type(f);
                                Column {
                                    name: f.name().clone(),
                                    type_oid,
                                    typmod,
                                    not_null: true,
                                    description: None,
                                    result_type: None,
                                }
                            })
                            .collect(),
                        tuples: t.rows as f64,
                        bytes: 0,
                        description: None,
                        constraints: vec![],
                        index_of: Some((ids.table, pk, index_def.clone())),
                        primary_key_index: 0,
                    },
                );
                model.index_defs.insert(ids.primary_key_index, index_def);
            }
            for (i, fk) in def.foreign_keys.iter().enumerate() {
                let Some((ref_ids, ref_schema)) = oids_of.get(&fk.references) else {
                    continue; // the referenced table is not in this version
                };
                let cols: Option<Vec<i16>> = fk.columns.iter().map(|c| attnum(schema, c)).collect();
                let ref_cols: Option<Vec<i16>> = fk
                    .ref_columns
                    .iter()
                    .map(|c| attnum(ref_schema, c))
                    .collect();
                let (Some(cols), Some(ref_cols)) = (cols, ref_cols) else {
                    continue;
                };
                let (ref_schema_name, ref_table) = fk
                    .references
                    .split_once('.')
                    .unwrap_or(("public", &fk.references));
                let ref_name = if ref_schema_name == "public" {
                    quote_ident(ref_table)
                } else {
                    format!(
                        "{}.{}",
                        quote_ident(ref_schema_name),
                        quote_ident(ref_table)
                    )
                };
                let quoted = |names: &[String]| {
                    names
                        .iter()
                        .map(|c| quote_ident(c))
                        .collect::<Vec<_>>()
                        .join(", ")
                };
                constraints.push(Constraint {
                    oid: ids.foreign_key(i),
                    name: format!("{}_{}_fkey", t.name, fk.columns.join("_")),
                    columns: cols,
                    kind: 'f',
                    references: Some((ref_ids.table, ref_cols, ref_ids.primary_key_index)),
                    definition: format!(
                        "FOREIGN KEY ({}) REFERENCES {ref_name}({})",
                        quoted(&fk.columns),
                        quoted(&fk.ref_columns)
                    ),
                });
            }
        }
        for c in &constraints {
            model.constraint_defs.insert(c.oid, c.definition.clone());
        }
        let relation = Relation {
            oid: ids.table,
            namespace,
            schema: t.schema.to_string(),
            name: t.name.to_string(),
            kind: if t.def.is_some_and(|d| d.role == TableRole::Rollup) {
                'm'
            } else {
                'r'
            },
            row_type: ids.row_type,
            columns,
            tuples: t.rows as f64,
            bytes: t.bytes,
            description: t.def.map(table_description),
            constraints,
            index_of: None,
            primary_key_index: ids.primary_key_index,
        };
        model.relations.insert(ids.table, relation);
    }
    let mut unknown = 0;
    let mut oid_of = |schema: &str, name: &str| {
        let oid = oids::system_relation(schema, name, unknown);
        if oid >= 16_000 {
            unknown += 1;
        }
        oid
    };
    let mut system = Vec::new();
    for r in catalog_relations {
        let oid = oid_of("pg_catalog", &r.0);
        system.push((oid, "pg_catalog", oids::PG_CATALOG_NAMESPACE, 'r', r));
    }
    for r in information_schema {
        let oid = oid_of("information_schema", &r.0);
        system.push((
            oid,
            "information_schema",
            oids::INFORMATION_SCHEMA_NAMESPACE,
            'v',
            r,
        ));
    }
    for (oid, schema_name, namespace, kind, (name, schema)) in system {
        model.relations.insert(
            oid,
            Relation {
                oid,
                namespace,
                schema: schema_name.to_string(),
                name: name.clone(),
                kind,
                row_type: 0,
                columns: schema
                    .fields()
                    .iter()
                    .map(|f| {
                        let (type_oid, typmod) = column_type(f);
                        Column {
                            name: f.name().clone(),
                            type_oid,
                            typmod,
                            not_null: !f.is_nullable(),
                            description: None,
                            result_type: None,
                        }
                    })
                    .collect(),
                tuples: -1.0,
                bytes: 0,
                description: None,
                constraints: vec![],
                index_of: None,
                primary_key_index: 0,
            },
        );
    }
    for r in model.relations.values() {
        if let Some(d) = &r.description {
            model.descriptions.insert((r.oid, 0), d.clone());
        }
        for (i, c) in r.columns.iter().enumerate() {
            if let Some(d) = &c.description {
                model.descriptions.insert((r.oid, i as i32 + 1), d.clone());
            }
        }
    }
    model
}

pub const PG_NAMESPACE: &[Col] = &[
    ("oid", Kind::Oid, false),
    ("nspname", Kind::Name, false),
    ("nspowner", Kind::Oid, false),
    ("nspacl", Kind::TextList, true),
];

pub fn pg_namespace(model: &Model) -> Rows {
    let mut rows = Rows::new(PG_NAMESPACE);
    for (name, oid) in &model.namespaces {
        rows.push(vec![
            V::oid(*oid),
            V::text(name),
            V::oid(oids::OWNER_ROLE),
            V::TextList(None),
        ]);
    }
    rows
}

pub const PG_CLASS: &[Col] = &[
    ("oid", Kind::Oid, false),
    ("relname", Kind::Name, false),
    ("relnamespace", Kind::Oid, false),
    ("reltype", Kind::Oid, false),
    ("reloftype", Kind::Oid, false),
    ("relowner", Kind::Oid, false),
    ("relam", Kind::Oid, false),
    ("relfilenode", Kind::Oid, false),
    ("reltablespace", Kind::Oid, false),
    ("relpages", Kind::I32, false),
    ("reltuples", Kind::F32, false),
    ("relallvisible", Kind::I32, false),
    ("reltoastrelid", Kind::Oid, false),
    ("relhasindex", Kind::Bool, false),
    ("relisshared", Kind::Bool, false),
    ("relpersistence", Kind::Char, false),
    ("relkind", Kind::Char, false),
    ("relnatts", Kind::I16, false),
    ("relchecks", Kind::I16, false),
    ("relhasrules", Kind::Bool, false),
    ("relhastriggers", Kind::Bool, false),
    ("relhassubclass", Kind::Bool, false),
    ("relrowsecurity", Kind::Bool, false),
    ("relforcerowsecurity", Kind::Bool, false),
    ("relispopulated", Kind::Bool, false),
    ("relreplident", Kind::Char, false),
    ("relispartition", Kind::Bool, false),
    ("relrewrite", Kind::Oid, false),
    ("relfrozenxid", Kind::I32, false),
    ("relminmxid", Kind::I32, false),
    ("relacl", Kind::TextList, true),
    ("reloptions", Kind::TextList, true),
    ("relpartbound", Kind::Text, true),
];

fn sorted(model: &Model) -> Vec<&Relation> {
    let mut all: Vec<&Relation> = model.relations.values().collect();
    all.sort_by_key(|r| r.oid);
    all
}

pub fn pg_class(model: &Model) -> Rows {
    let mut rows = Rows::new(PG_CLASS);
    // PostgreSQL keeps foreign keys with (internal) triggers on both tables, and tools
    // look for foreign keys only where `relhastriggers` says so.
    let referenced: std::collections::HashSet<i32> = model
        .relations
        .values()
        .flat_map(|r| r.constraints.iter())
        .filter_map(|c| c.references.as_ref().map(|(table, _, _)| *table))
        .collect();
    for r in sorted(model) {
        let has_index = r.constraints.iter().any(|c| c.kind == 'p');
        let has_triggers =
            r.constraints.iter().any(|c| c.kind == 'f') || referenced.contains(&r.oid);
        rows.push(vec![
            V::oid(r.oid),
            V::text(&r.name),
            V::oid(r.namespace),
            V::oid(r.row_type),
            V::oid(0),
            V::oid(oids::OWNER_ROLE),
            V::oid(if r.kind == 'i' { oids::BTREE_AM } else { 0 }),
            V::oid(0),
            V::oid(0),
            V::i32(0),
            V::F32(Some(r.tuples as f32)),
            V::i32(0),
            V::oid(0),
            V::bool(has_index),
            V::bool(false),
            V::text("p"),
            V::text(r.kind.to_string()),
            V::i16(r.columns.len() as i16),
            V::i16(0),
            V::bool(r.kind == 'v'),
            V::bool(has_triggers),
            V::bool(false),
            V::bool(false),
            V::bool(false),
            V::bool(true),
            V::text("n"),
            V::bool(false),
            V::oid(0),
            V::i32(0),
            V::i32(0),
            V::TextList(None),
            V::TextList(None),
            V::Text(None),
        ]);
    }
    rows
}

pub const PG_ATTRIBUTE: &[Col] = &[
    ("attrelid", Kind::Oid, false),
    ("attname", Kind::Name, false),
    ("atttypid", Kind::Oid, false),
    ("attstattarget", Kind::I32, false),
    ("attlen", Kind::I16, false),
    ("attnum", Kind::I16, false),
    ("attndims", Kind::I32, false),
    ("attcacheoff", Kind::I32, false),
    ("atttypmod", Kind::I32, false),
    ("attbyval", Kind::Bool, false),
    ("attalign", Kind::Char, false),
    ("attstorage", Kind::Char, false),
    ("attcompression", Kind::Char, false),
    ("attnotnull", Kind::Bool, false),
    ("atthasdef", Kind::Bool, false),
    ("atthasmissing", Kind::Bool, false),
    ("attidentity", Kind::Char, false),
    ("attgenerated", Kind::Char, false),
    ("attisdropped", Kind::Bool, false),
    ("attislocal", Kind::Bool, false),
    ("attinhcount", Kind::I32, false),
    ("attcollation", Kind::Oid, false),
    ("attacl", Kind::TextList, true),
    ("attoptions", Kind::TextList, true),
    ("attfdwoptions", Kind::TextList, true),
    ("attmissingval", Kind::Text, true),
];

/// Text types sort with the default collation (100), others have none.
fn collation(type_oid: i32) -> i32 {
    match type_oid {
        25 | 1043 | 1042 | 19 | 18 => 100,
        _ => 0,
    }
}

pub fn pg_attribute(model: &Model, types: &HashMap<i32, TypeInfo>) -> Rows {
    let mut rows = Rows::new(PG_ATTRIBUTE);
    let unknown = TypeInfo {
        len: -1,
        byval: false,
        align: "i".into(),
        storage: "x".into(),
    };
    for r in sorted(model) {
        for (i, c) in r.columns.iter().enumerate() {
            let info = types.get(&c.type_oid).unwrap_or(&unknown);
            let is_array = types
                .get(&c.type_oid)
                .is_some_and(|t| t.len == -1 && t.align == "a");
            rows.push(vec![
                V::oid(r.oid),
                V::text(&c.name),
                V::oid(c.type_oid),
                V::i32(-1),
                V::i16(info.len),
                V::i16(i as i16 + 1),
                V::i32(i32::from(is_array)),
                V::i32(-1),
                V::i32(c.typmod),
                V::bool(info.byval),
                V::text(&info.align),
                V::text(&info.storage),
                V::text(""),
                V::bool(c.not_null),
                V::bool(false),
                V::bool(false),
                V::text(""),
                V::text(""),
                V::bool(false),
                V::bool(true),
                V::i32(0),
                V::oid(collation(c.type_oid)),
                V::TextList(None),
                V::TextList(None),
                V::TextList(None),
                V::Text(None),
            ]);
        }
    }
    rows
}

pub const PG_INDEX: &[Col] = &[
    ("indexrelid", Kind::Oid, false),
    ("indrelid", Kind::Oid, false),
    ("indnatts", Kind::I16, false),
    ("indnkeyatts", Kind::I16, false),
    ("indisunique", Kind::Bool, false),
    ("indnullsnotdistinct", Kind::Bool, false),
    ("indisprimary", Kind::Bool, false),
    ("indisexclusion", Kind::Bool, false),
    ("indimmediate", Kind::Bool, false),
    ("indisclustered", Kind::Bool, false),
    ("indisvalid", Kind::Bool, false),
    ("indcheckxmin", Kind::Bool, false),
    ("indisready", Kind::Bool, false),
    ("indislive", Kind::Bool, false),
    ("indisreplident", Kind::Bool, false),
    ("indkey", Kind::I16List, false),
    ("indcollation", Kind::OidList, false),
    ("indclass", Kind::OidList, false),
    ("indoption", Kind::I16List, false),
    ("indexprs", Kind::Text, true),
    ("indpred", Kind::Text, true),
];

pub fn pg_index(model: &Model) -> Rows {
    let mut rows = Rows::new(PG_INDEX);
    for r in sorted(model) {
        let Some((table, keys, _)) = &r.index_of else {
            continue;
        };
        let n = keys.len() as i16;
        rows.push(vec![
            V::oid(r.oid),
            V::oid(*table),
            V::i16(n),
            V::i16(n),
            V::bool(true),
            V::bool(false),
            V::bool(true),
            V::bool(false),
            V::bool(true),
            V::bool(false),
            V::bool(true),
            V::bool(false),
            V::bool(true),
            V::bool(true),
            V::bool(false),
            V::I16List(Some(keys.clone())),
            V::I32List(Some(
                r.columns.iter().map(|c| collation(c.type_oid)).collect(),
            )),
            V::I32List(Some(vec![0; keys.len()])),
            V::I16List(Some(vec![0; keys.len()])),
            V::Text(None),
            V::Text(None),
        ]);
    }
    rows
}

pub const PG_CONSTRAINT: &[Col] = &[
    ("oid", Kind::Oid, false),
    ("conname", Kind::Name, false),
    ("connamespace", Kind::Oid, false),
    ("contype", Kind::Char, false),
    ("condeferrable", Kind::Bool, false),
    ("condeferred", Kind::Bool, false),
    ("convalidated", Kind::Bool, false),
    ("conrelid", Kind::Oid, false),
    ("contypid", Kind::Oid, false),
    ("conindid", Kind::Oid, false),
    ("conparentid", Kind::Oid, false),
    ("confrelid", Kind::Oid, false),
    ("confupdtype", Kind::Char, false),
    ("confdeltype", Kind::Char, false),
    ("confmatchtype", Kind::Char, false),
    ("conislocal", Kind::Bool, false),
    ("coninhcount", Kind::I32, false),
    ("connoinherit", Kind::Bool, false),
    ("conkey", Kind::I16List, true),
    ("confkey", Kind::I16List, true),
    ("conpfeqop", Kind::OidList, true),
    ("conppeqop", Kind::OidList, true),
    ("conffeqop", Kind::OidList, true),
    ("confdelsetcols", Kind::I16List, true),
    ("conexclop", Kind::OidList, true),
    ("conbin", Kind::Text, true),
];

pub fn pg_constraint(model: &Model) -> Rows {
    let mut rows = Rows::new(PG_CONSTRAINT);
    for r in sorted(model) {
        let pk_index = r
            .constraints
            .iter()
            .find(|c| c.kind == 'p')
            .map(|_| r.primary_key_index)
            .unwrap_or(0);
        for c in &r.constraints {
            let (confrelid, confkey, conindid) = match &c.references {
                Some((table, cols, index)) => (*table, Some(cols.clone()), *index),
                None => (0, None, pk_index),
            };
            let fk = c.kind == 'f';
            rows.push(vec![
                V::oid(c.oid),
                V::text(&c.name),
                V::oid(r.namespace),
                V::text(c.kind.to_string()),
                V::bool(false),
                V::bool(false),
                V::bool(true),
                V::oid(r.oid),
                V::oid(0),
                V::oid(conindid),
                V::oid(0),
                V::oid(confrelid),
                V::text(if fk { "a" } else { " " }),
                V::text(if fk { "a" } else { " " }),
                V::text(if fk { "s" } else { " " }),
                V::bool(true),
                V::i32(0),
                V::bool(true),
                V::I16List(Some(c.columns.clone())),
                V::I16List(confkey),
                V::I32List(None),
                V::I32List(None),
                V::I32List(None),
                V::I16List(None),
                V::I32List(None),
                V::Text(None),
            ]);
        }
    }
    rows
}

pub const PG_DESCRIPTION: &[Col] = &[
    ("objoid", Kind::Oid, false),
    ("classoid", Kind::Oid, false),
    ("objsubid", Kind::I32, false),
    ("description", Kind::Text, false),
];

/// Descriptions of relations and their columns (the built-in functions' and types'
/// descriptions come from PostgreSQL's own catalog, appended by the caller).
pub fn pg_description(model: &Model) -> Rows {
    let mut rows = Rows::new(PG_DESCRIPTION);
    let mut entries: Vec<_> = model.descriptions.iter().collect();
    entries.sort();
    for ((oid, sub), text) in entries {
        rows.push(vec![
            V::oid(*oid),
            V::oid(oids::PG_CLASS_OID),
            V::i32(*sub),
            V::text(text),
        ]);
    }
    rows
}

pub const PG_DEPEND: &[Col] = &[
    ("classid", Kind::Oid, false),
    ("objid", Kind::Oid, false),
    ("objsubid", Kind::I32, false),
    ("refclassid", Kind::Oid, false),
    ("refobjid", Kind::Oid, false),
    ("refobjsubid", Kind::I32, false),
    ("deptype", Kind::Char, false),
];

/// Dependencies between Lyceum's objects, as PostgreSQL records them: a key's index
/// depends internally (`i`) on its constraint; a constraint automatically (`a`) on the
/// columns it constrains; a foreign key normally (`n`) on the key it references.
pub fn pg_depend(model: &Model) -> Rows {
    let mut rows = Rows::new(PG_DEPEND);
    for r in sorted(model) {
        for c in &r.constraints {
            if c.kind == 'p' {
                let index = r.primary_key_index;
                rows.push(vec![
                    V::oid(oids::PG_CLASS_OID),
                    V::oid(index),
                    V::i32(0),
                    V::oid(oids::PG_CONSTRAINT_OID),
                    V::oid(c.oid),
                    V::i32(0),
                    V::text("i"),
                ]);
            }
            for attnum in &c.columns {
                rows.push(vec![
                    V::oid(oids::PG_CONSTRAINT_OID),
                    V::oid(c.oid),
                    V::i32(0),
                    V::oid(oids::PG_CLASS_OID),
                    V::oid(r.oid),
                    V::i32(i32::from(*attnum)),
                    V::text("a"),
                ]);
            }
            if let Some((_, _, referenced_index)) = &c.references {
                rows.push(vec![
                    V::oid(oids::PG_CONSTRAINT_OID),
                    V::oid(c.oid),
                    V::i32(0),
                    V::oid(oids::PG_CLASS_OID),
                    V::oid(*referenced_index),
                    V::i32(0),
                    V::text("n"),
                ]);
            }
        }
    }
    rows
}

/// `pg_description` rows of built-in objects: `(objoid, classoid, objsubid)` and text.
pub type DescriptionRows = Vec<((i32, i32, i32), String)>;

pub fn append_descriptions(rows: &mut Rows, builtin: &DescriptionRows) {
    for ((objoid, classoid, objsubid), text) in builtin {
        rows.push(vec![
            V::oid(*objoid),
            V::oid(*classoid),
            V::i32(*objsubid),
            V::text(text),
        ]);
    }
}

pub const PG_TABLES: &[Col] = &[
    ("schemaname", Kind::Name, false),
    ("tablename", Kind::Name, false),
    ("tableowner", Kind::Name, false),
    ("tablespace", Kind::Name, true),
    ("hasindexes", Kind::Bool, false),
    ("hasrules", Kind::Bool, false),
    ("hastriggers", Kind::Bool, false),
    ("rowsecurity", Kind::Bool, false),
];

pub fn pg_tables(model: &Model) -> Rows {
    let mut rows = Rows::new(PG_TABLES);
    for r in sorted(model).into_iter().filter(|r| r.kind == 'r') {
        rows.push(vec![
            V::text(&r.schema),
            V::text(&r.name),
            V::text(oids::OWNER_NAME),
            V::Text(None),
            V::bool(r.constraints.iter().any(|c| c.kind == 'p')),
            V::bool(false),
            V::bool(false),
            V::bool(false),
        ]);
    }
    rows
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_are_quoted_only_when_needed() {
        assert_eq!(quote_ident("fact_enrollment"), "fact_enrollment");
        assert_eq!(quote_ident("Mixed"), "\"Mixed\"");
        assert_eq!(quote_ident("has space"), "\"has space\"");
        assert_eq!(quote_ident("1st"), "\"1st\"");
    }
}
