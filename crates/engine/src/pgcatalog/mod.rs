//! PostgreSQL's system catalog (`pg_catalog`) over Lyceum's catalog, for the queries BI
//! tools and drivers send when they connect and browse.
//!
//! What it is made of:
//! - [`relations`]: namespaces, tables, columns, primary keys (as indexes and
//!   constraints), foreign keys and descriptions of the warehouse version a session reads,
//!   with stable OIDs ([`oids`]);
//! - [`dynamic`]: users, the session's settings, the database;
//! - PostgreSQL's own built-in catalog content (types, functions, operators, casts, access
//!   methods, ranges, collations, keywords), which `datafusion-pg-catalog` ships as data
//!   exported from PostgreSQL, minus the parts that describe a PostgreSQL installation
//!   rather than its built-ins (its roles, statistics, database descriptions);
//! - [`functions`]: `pg_get_constraintdef`, `obj_description`, `pg_table_is_visible`,
//!   `has_table_privilege`, ... answered from the same model;
//! - [`rewrite`]: syntax-tree rewrites for PostgreSQL spellings DataFusion lacks;
//! - `session_functions`: `current_setting`, `current_schema`, `pg_backend_pid`, ...;
//! - [`PostgresProfile`]: all of this as the session core's Postgres profile.
//!
//! A relation that Lyceum does not have is not invented: tables such as `pg_trigger` or
//! `pg_inherits` are PostgreSQL's built-in (empty) content, which is the truth here too.

pub mod array_literals;
pub mod dynamic;
pub mod empty;
pub mod functions;
pub mod information_schema;
pub mod oids;
mod profile;
pub mod relations;
pub mod result_types;
pub mod rewrite;
mod session_functions;
mod settings;
pub mod table;
pub mod types;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use arrow::array::{Array, AsArray, Int32Array, RecordBatch, StringArray};
use arrow::datatypes::{DataType, Field, Int16Type, Int32Type, SchemaRef};
use async_trait::async_trait;
use datafusion::catalog::{CatalogProvider, SchemaProvider};
use datafusion::datasource::{MemTable, TableProvider};
use datafusion::error::Result as DfResult;
use datafusion::prelude::SessionContext;
use datafusion_pg_catalog::pg_catalog::{ArrowTable, PgCatalogStaticTables};
use lyceum_catalog::PrincipalStore;

pub use functions::CatalogState;
pub use profile::PostgresProfile;
pub use relations::Model;
pub use rewrite::rewrite;
pub use session_functions::version_string;
pub use settings::{SERVER_VERSION, SERVER_VERSION_NUM};

use crate::error::Result;
use crate::session::{SessionInfo, Snapshot};
use relations::{SystemRelation, TypeInfo, WarehouseTable};

/// Catalog content shared by every session of a process.
pub struct StaticTables {
    /// PostgreSQL's built-in catalog tables, by name.
    builtin: HashMap<&'static str, BuiltinTable>,
    /// Storage facts of every built-in type, by OID.
    types: HashMap<i32, TypeInfo>,
    /// Type name (`int4`, `pg_catalog.int4`, `integer`) → OID, for `to_regtype`.
    type_oids: Arc<HashMap<String, i32>>,
    /// Descriptions of built-in objects: `(objoid, classoid, objsubid)` → text.
    descriptions: Arc<HashMap<(i32, i32, i32), String>>,
    /// `pg_description` rows of built-in objects other than relations.
    builtin_descriptions: relations::DescriptionRows,
    keywords: Arc<ArrowTable>,
    /// Relations of `pg_catalog` and `information_schema` with their schemas.
    catalog_relations: Vec<SystemRelation>,
    information_schema: Vec<SystemRelation>,
    /// The relation tables of recently pinned versions.
    cache: Mutex<Vec<(u64, Arc<VersionCatalog>)>>,
}

/// Tables Lyceum computes itself; every other name comes from the built-ins.
pub(crate) const OWN_TABLES: &[&str] = &[
    "pg_namespace",
    "pg_class",
    "pg_attribute",
    "pg_index",
    "pg_constraint",
    "pg_description",
    "pg_tables",
    "pg_depend",
    "pg_roles",
    "pg_user",
    "pg_authid",
    "pg_settings",
    "pg_database",
    "pg_shdescription",
    "pg_stat_activity",
    "pg_stat_gssapi",
];

/// Built-in content that describes a PostgreSQL installation, not its built-ins: shown
/// empty (Lyceum has no such objects).
///
/// `pg_depend`, `pg_rewrite` and `pg_init_privs` refer to PostgreSQL's own relations by
/// OIDs that Lyceum numbers differently; shown with their rows they would point at the
/// wrong objects.
const EMPTIED: &[&str] = &[
    "pg_auth_members",
    "pg_statistic",
    "pg_shdepend",
    "pg_db_role_setting",
    "pg_rewrite",
    "pg_init_privs",
];

/// Views `datafusion-pg-catalog` defines with no rows (none of these objects exist).
fn empty_views() -> Vec<(&'static str, SchemaRef)> {
    use datafusion_pg_catalog::pg_catalog::pg_views;
    vec![
        ("pg_views", pg_views::pg_views().schema()),
        ("pg_matviews", pg_views::pg_matviews().schema()),
        (
            "pg_stat_user_tables",
            pg_views::pg_stat_user_tables().schema(),
        ),
    ]
}

impl StaticTables {
    pub fn load() -> Result<StaticTables> {
        let s = PgCatalogStaticTables::try_new()?;
        let exported: HashMap<&'static str, Arc<ArrowTable>> = HashMap::from([
            ("pg_aggregate", s.pg_aggregate.clone()),
            ("pg_am", s.pg_am.clone()),
            ("pg_amop", s.pg_amop.clone()),
            ("pg_amproc", s.pg_amproc.clone()),
            ("pg_cast", s.pg_cast.clone()),
            ("pg_collation", s.pg_collation.clone()),
            ("pg_conversion", s.pg_conversion.clone()),
            ("pg_language", s.pg_language.clone()),
            ("pg_opclass", s.pg_opclass.clone()),
            ("pg_operator", s.pg_operator.clone()),
            ("pg_opfamily", s.pg_opfamily.clone()),
            ("pg_proc", s.pg_proc.clone()),
            ("pg_range", s.pg_range.clone()),
            ("pg_ts_config", s.pg_ts_config.clone()),
            ("pg_ts_dict", s.pg_ts_dict.clone()),
            ("pg_ts_parser", s.pg_ts_parser.clone()),
            ("pg_ts_template", s.pg_ts_template.clone()),
            ("pg_type", s.pg_type.clone()),
            ("pg_attrdef", s.pg_attrdef.clone()),
            ("pg_default_acl", s.pg_default_acl.clone()),
            ("pg_enum", s.pg_enum.clone()),
            ("pg_event_trigger", s.pg_event_trigger.clone()),
            ("pg_foreign_data_wrapper", s.pg_foreign_data_wrapper.clone()),
            ("pg_foreign_server", s.pg_foreign_server.clone()),
            ("pg_foreign_table", s.pg_foreign_table.clone()),
            ("pg_inherits", s.pg_inherits.clone()),
            ("pg_init_privs", s.pg_init_privs.clone()),
            ("pg_largeobject", s.pg_largeobject.clone()),
            ("pg_largeobject_metadata", s.pg_largeobject_metadata.clone()),
            ("pg_publication", s.pg_publication.clone()),
            (
                "pg_publication_namespace",
                s.pg_publication_namespace.clone(),
            ),
            ("pg_replication_origin", s.pg_replication_origin.clone()),
            ("pg_rewrite", s.pg_rewrite.clone()),
            ("pg_seclabel", s.pg_seclabel.clone()),
            ("pg_sequence", s.pg_sequence.clone()),
            ("pg_shseclabel", s.pg_shseclabel.clone()),
            ("pg_statistic_ext_data", s.pg_statistic_ext_data.clone()),
            ("pg_subscription", s.pg_subscription.clone()),
            ("pg_subscription_rel", s.pg_subscription_rel.clone()),
            ("pg_tablespace", s.pg_tablespace.clone()),
            ("pg_user_mapping", s.pg_user_mapping.clone()),
            ("pg_auth_members", s.pg_auth_members.clone()),
            ("pg_statistic", s.pg_statistic.clone()),
            ("pg_shdepend", s.pg_shdepend.clone()),
            ("pg_db_role_setting", s.pg_db_role_setting.clone()),
        ]);
        let functions = FunctionOids::of(&s.pg_proc);
        let mut builtin: HashMap<&'static str, BuiltinTable> = exported
            .iter()
            .map(|(name, t)| (*name, (t.schema(), t.data().to_vec())))
            .collect();
        if let Some(pg_type) = builtin.get_mut("pg_type") {
            *pg_type = regprocs_as_oids(pg_type, REGPROC_COLUMNS_OF_PG_TYPE, &mut |_, name| {
                functions.by_name(name)
            })?;
        }
        if let Some(pg_type) = builtin.get_mut("pg_type") {
            // `aclitem[]` in PostgreSQL (NULL for every built-in type), exported as text.
            let acl = DataType::List(Arc::new(Field::new_list_field(DataType::Utf8, true)));
            *pg_type = nulls_retyped(pg_type, "typacl", &acl)?;
        }
        if let Some(pg_aggregate) = builtin.get_mut("pg_aggregate") {
            // `aggfnoid` names an overloaded aggregate (`pg_catalog.avg` seven times); the
            // rows are in OID order, as PostgreSQL lists them, so the n-th row of a name is
            // the n-th aggregate of that name.
            let mut seen: HashMap<String, usize> = HashMap::new();
            *pg_aggregate = regprocs_as_oids(
                pg_aggregate,
                REGPROC_COLUMNS_OF_PG_AGGREGATE,
                &mut |column, name| {
                    if column != "aggfnoid" {
                        return functions.by_name(name);
                    }
                    let n = seen.entry(name.to_string()).or_default();
                    *n += 1;
                    functions.aggregate(name, *n - 1)
                },
            )?;
        }
        let types = type_infos(&s.pg_type);
        let type_oids = Arc::new(type_names(&s.pg_type));
        let (descriptions, builtin_descriptions) = builtin_descriptions(&s.pg_description);

        let mut catalog_relations: Vec<SystemRelation> = builtin
            .iter()
            .map(|(name, t)| (name.to_string(), t.0.clone()))
            .collect();
        catalog_relations.extend(empty_views().into_iter().map(|(n, s)| (n.to_string(), s)));
        catalog_relations.extend(own_table_schemas());
        catalog_relations.sort_by(|a, b| a.0.cmp(&b.0));
        catalog_relations.dedup_by(|a, b| a.0 == b.0);

        Ok(StaticTables {
            builtin,
            types,
            type_oids,
            descriptions: Arc::new(descriptions),
            builtin_descriptions,
            keywords: s.pg_get_keywords.clone(),
            catalog_relations,
            information_schema: information_schema::ALL
                .iter()
                .map(|(name, cols)| (name.to_string(), table::schema(cols)))
                .collect(),
            cache: Mutex::new(Vec::new()),
        })
    }

    /// The built-in table `name` as a table (emptied where it describes an installation).
    fn builtin_table(&self, name: &str) -> DfResult<Option<Arc<dyn TableProvider>>> {
        let Some(table) = self.builtin.get(name) else {
            return Ok(None);
        };
        let batches = if EMPTIED.contains(&name) {
            vec![]
        } else {
            table.1.clone()
        };
        Ok(Some(Arc::new(MemTable::try_new(
            table.0.clone(),
            vec![batches],
        )?)))
    }
}

/// A built-in table's schema and rows.
type BuiltinTable = (SchemaRef, Vec<arrow::record_batch::RecordBatch>);

/// `pg_type`'s `regproc` columns: function OIDs in PostgreSQL (joined with `pg_proc.oid` by
/// drivers such as Npgsql), exported as function names.
const REGPROC_COLUMNS_OF_PG_TYPE: &[&str] = &[
    "typinput",
    "typoutput",
    "typreceive",
    "typsend",
    "typmodin",
    "typmodout",
    "typanalyze",
    "typsubscript",
];

/// `pg_aggregate`'s `regproc` columns.
const REGPROC_COLUMNS_OF_PG_AGGREGATE: &[&str] = &[
    "aggfnoid",
    "aggtransfn",
    "aggfinalfn",
    "aggcombinefn",
    "aggserialfn",
    "aggdeserialfn",
    "aggmtransfn",
    "aggminvtransfn",
    "aggmfinalfn",
];

/// The `oid` column and a name column of a batch of a static catalog table; `None` when
/// the batch lacks them (a datafusion-pg-catalog version with another layout).
fn oids_and_names<'a>(
    batch: &'a RecordBatch,
    name: &str,
) -> Option<(&'a Int32Array, &'a StringArray)> {
    Some((
        batch
            .column_by_name("oid")?
            .as_primitive_opt::<Int32Type>()?,
        batch.column_by_name(name)?.as_string_opt::<i32>()?,
    ))
}

/// Function OIDs of `pg_proc` by name.
struct FunctionOids {
    /// The smallest OID of each name (the support-function names `pg_type` and
    /// `pg_aggregate` hold are unique in `pg_proc`).
    first: HashMap<String, i32>,
    /// The OIDs of the aggregates of each name, ascending.
    aggregates: HashMap<String, Vec<i32>>,
}

impl FunctionOids {
    fn of(pg_proc: &ArrowTable) -> Self {
        let mut first = HashMap::new();
        let mut aggregates: HashMap<String, Vec<i32>> = HashMap::new();
        for batch in pg_proc.data() {
            let Some((oid, name)) = oids_and_names(batch, "proname") else {
                continue;
            };
            let kind = batch
                .column_by_name("prokind")
                .and_then(|k| k.as_string_opt::<i32>());
            for i in 0..batch.num_rows() {
                let (name, oid) = (name.value(i), oid.value(i));
                first
                    .entry(name.to_string())
                    .and_modify(|o: &mut i32| *o = (*o).min(oid))
                    .or_insert(oid);
                if kind.is_some_and(|k| k.value(i) == "a") {
                    aggregates.entry(name.to_string()).or_default().push(oid);
                }
            }
        }
        for oids in aggregates.values_mut() {
            oids.sort_unstable();
        }
        FunctionOids { first, aggregates }
    }

    /// The OID of a function name as a `regproc` column shows it (`-` is none: 0).
    fn by_name(&self, name: &str) -> i32 {
        let name = name.strip_prefix("pg_catalog.").unwrap_or(name);
        self.first.get(name).copied().unwrap_or(0)
    }

    /// The OID of the `n`-th aggregate (from 0, in OID order) called `name`.
    fn aggregate(&self, name: &str, n: usize) -> i32 {
        let name = name.strip_prefix("pg_catalog.").unwrap_or(name);
        self.aggregates
            .get(name)
            .and_then(|oids| oids.get(n))
            .copied()
            .unwrap_or(0)
    }
}

/// The table with `column`, NULL in every row, as a column of `data_type` (unchanged if
/// some row has a value).
fn nulls_retyped(table: &BuiltinTable, column: &str, data_type: &DataType) -> Result<BuiltinTable> {
    use arrow::datatypes::Schema;
    let (schema, batches) = table;
    let Ok(index) = schema.index_of(column) else {
        return Ok(table.clone());
    };
    if batches
        .iter()
        .any(|b| b.column(index).null_count() != b.num_rows())
    {
        return Ok(table.clone());
    }
    let mut fields: Vec<Field> = schema.fields().iter().map(|f| f.as_ref().clone()).collect();
    fields[index] = Field::new(column, data_type.clone(), true);
    let new_schema = Arc::new(Schema::new_with_metadata(fields, schema.metadata().clone()));
    let mut out = Vec::with_capacity(batches.len());
    for batch in batches {
        let mut arrays = batch.columns().to_vec();
        arrays[index] = arrow::array::new_null_array(data_type, batch.num_rows());
        out.push(arrow::record_batch::RecordBatch::try_new(
            new_schema.clone(),
            arrays,
        )?);
    }
    Ok((new_schema, out))
}

/// The table with `columns` turned from function names into OIDs (`-` is 0, no function).
fn regprocs_as_oids(
    table: &BuiltinTable,
    columns: &[&str],
    oid_of: &mut dyn FnMut(&str, &str) -> i32,
) -> Result<BuiltinTable> {
    use arrow::array::{ArrayRef, Int32Array};
    use arrow::datatypes::{DataType, Field, Schema};
    let (schema, batches) = table;
    let fields: Vec<Field> = schema
        .fields()
        .iter()
        .map(|f| {
            if columns.contains(&f.name().as_str()) {
                Field::new(f.name(), DataType::Int32, false).with_metadata(HashMap::from([(
                    arrow_pg::datatypes::PG_OID_ALIAS_KEY.to_string(),
                    "oid".to_string(),
                )]))
            } else {
                f.as_ref().clone()
            }
        })
        .collect();
    let new_schema = Arc::new(Schema::new_with_metadata(fields, schema.metadata().clone()));
    let mut out = Vec::with_capacity(batches.len());
    for batch in batches {
        let mut arrays: Vec<ArrayRef> = Vec::with_capacity(batch.num_columns());
        for (i, field) in schema.fields().iter().enumerate() {
            let column = batch.column(i);
            if columns.contains(&field.name().as_str())
                && let Some(names) = column.as_string_opt::<i32>()
            {
                let oids: Int32Array = (0..names.len())
                    .map(|r| Some(oid_of(field.name(), names.value(r))))
                    .collect();
                arrays.push(Arc::new(oids));
            } else {
                arrays.push(column.clone());
            }
        }
        out.push(arrow::record_batch::RecordBatch::try_new(
            new_schema.clone(),
            arrays,
        )?);
    }
    Ok((new_schema, out))
}

/// The schemas of the tables Lyceum computes (for `pg_class`/`pg_attribute` of
/// `pg_catalog` itself).
fn own_table_schemas() -> Vec<SystemRelation> {
    use table::schema;
    vec![
        ("pg_namespace".into(), schema(relations::PG_NAMESPACE)),
        ("pg_class".into(), schema(relations::PG_CLASS)),
        ("pg_attribute".into(), schema(relations::PG_ATTRIBUTE)),
        ("pg_index".into(), schema(relations::PG_INDEX)),
        ("pg_constraint".into(), schema(relations::PG_CONSTRAINT)),
        ("pg_description".into(), schema(relations::PG_DESCRIPTION)),
        ("pg_tables".into(), schema(relations::PG_TABLES)),
        ("pg_depend".into(), schema(relations::PG_DEPEND)),
        ("pg_roles".into(), schema(dynamic::PG_ROLES)),
        ("pg_user".into(), schema(dynamic::PG_USER)),
        ("pg_authid".into(), schema(dynamic::PG_AUTHID)),
        ("pg_settings".into(), schema(dynamic::PG_SETTINGS)),
        ("pg_database".into(), schema(dynamic::PG_DATABASE)),
        ("pg_shdescription".into(), schema(dynamic::PG_SHDESCRIPTION)),
        ("pg_stat_activity".into(), schema(dynamic::PG_STAT_ACTIVITY)),
        ("pg_stat_gssapi".into(), schema(dynamic::PG_STAT_GSSAPI)),
    ]
    .into_iter()
    .chain(
        empty::TABLES
            .iter()
            .map(|(name, cols)| (name.to_string(), schema(cols))),
    )
    .collect()
}

/// `typlen`, `typbyval`, `typalign`, `typstorage` of every built-in type.
fn type_infos(pg_type: &ArrowTable) -> HashMap<i32, TypeInfo> {
    let mut infos = HashMap::new();
    for batch in pg_type.data() {
        let col = |name: &str| batch.column_by_name(name).cloned();
        let (Some(oid), Some(len), Some(byval), Some(align), Some(storage)) = (
            col("oid"),
            col("typlen"),
            col("typbyval"),
            col("typalign"),
            col("typstorage"),
        ) else {
            continue;
        };
        let (Some(oid), Some(len), Some(byval), Some(align), Some(storage)) = (
            oid.as_primitive_opt::<Int32Type>(),
            len.as_primitive_opt::<Int16Type>(),
            byval.as_boolean_opt(),
            align.as_string_opt::<i32>(),
            storage.as_string_opt::<i32>(),
        ) else {
            continue;
        };
        for i in 0..batch.num_rows() {
            if oid.is_null(i) {
                continue;
            }
            infos.insert(
                oid.value(i),
                TypeInfo {
                    len: len.value(i),
                    byval: byval.value(i),
                    align: align.value(i).to_string(),
                    storage: storage.value(i).to_string(),
                },
            );
        }
    }
    infos
}

/// Every built-in type by name, with the SQL spellings PostgreSQL's type parser accepts.
fn type_names(pg_type: &ArrowTable) -> HashMap<String, i32> {
    let mut names = HashMap::new();
    for batch in pg_type.data() {
        let Some((oid, name)) = oids_and_names(batch, "typname") else {
            continue;
        };
        for i in 0..batch.num_rows() {
            names.insert(name.value(i).to_string(), oid.value(i));
        }
    }
    for (sql, internal) in [
        ("integer", "int4"),
        ("int", "int4"),
        ("smallint", "int2"),
        ("bigint", "int8"),
        ("real", "float4"),
        ("double precision", "float8"),
        ("boolean", "bool"),
        ("character varying", "varchar"),
        ("character", "bpchar"),
        ("char", "bpchar"),
        ("decimal", "numeric"),
        ("timestamp without time zone", "timestamp"),
        ("timestamp with time zone", "timestamptz"),
        ("time without time zone", "time"),
        ("time with time zone", "timetz"),
    ] {
        if let Some(oid) = names.get(internal).copied() {
            names.insert(sql.to_string(), oid);
        }
    }
    names
}

/// Built-in descriptions, as a lookup map and as `pg_description` rows (relations of
/// PostgreSQL's own catalog are left out: Lyceum numbers its relations itself).
fn builtin_descriptions(
    pg_description: &ArrowTable,
) -> (HashMap<(i32, i32, i32), String>, relations::DescriptionRows) {
    let mut map = HashMap::new();
    let mut rows = Vec::new();
    for batch in pg_description.data() {
        let col = |name: &str| batch.column_by_name(name).cloned();
        let (Some(objoid), Some(classoid), Some(objsubid), Some(text)) = (
            col("objoid"),
            col("classoid"),
            col("objsubid"),
            col("description"),
        ) else {
            continue;
        };
        let (Some(objoid), Some(classoid), Some(objsubid), Some(text)) = (
            objoid.as_primitive_opt::<Int32Type>(),
            classoid.as_primitive_opt::<Int32Type>(),
            objsubid.as_primitive_opt::<Int32Type>(),
            text.as_string_opt::<i32>(),
        ) else {
            continue;
        };
        for i in 0..batch.num_rows() {
            let key = (objoid.value(i), classoid.value(i), objsubid.value(i));
            if key.1 == oids::PG_CLASS_OID {
                continue;
            }
            map.insert(key, text.value(i).to_string());
            rows.push((key, text.value(i).to_string()));
        }
    }
    (map, rows)
}

/// The relation tables of one warehouse version.
pub struct VersionCatalog {
    model: Arc<Model>,
    tables: HashMap<&'static str, Arc<dyn TableProvider>>,
    information_schema: HashMap<&'static str, Arc<dyn TableProvider>>,
}

/// How many versions' relation tables stay cached.
const CACHE: usize = 4;

async fn version_catalog(
    snapshot: &Snapshot,
    statics: &StaticTables,
) -> Result<Arc<VersionCatalog>> {
    // Versions are cached by number; an uncommitted view shares its base's number.
    let cacheable = !snapshot.is_uncommitted();
    if cacheable
        && let Ok(cache) = statics.cache.lock()
        && let Some((_, c)) = cache.iter().find(|(v, _)| *v == snapshot.version())
    {
        return Ok(c.clone());
    }
    let catalog = snapshot.catalog();
    let manifest = snapshot.manifest();
    let mut found = Vec::new();
    let mut schema_names = catalog.schema_names();
    schema_names.sort();
    for schema_name in &schema_names {
        let Some(schema) = catalog.schema(schema_name) else {
            continue;
        };
        let mut names = schema.table_names();
        names.sort();
        for name in names {
            if let Some(provider) = schema.table(&name).await? {
                found.push((schema_name.clone(), name, provider));
            }
        }
    }
    let tables: Vec<WarehouseTable<'_>> = found
        .iter()
        .map(|(schema, name, provider)| {
            let qualified = format!("{schema}.{name}");
            let entry = manifest.tables.get(&qualified);
            WarehouseTable {
                def: entry.map(|e| &e.definition),
                oids: entry.map_or_else(
                    || oids::computed_table(&qualified),
                    |e| oids::TableOids::from(&e.oids),
                ),
                schema,
                name,
                provider: provider.clone(),
                rows: entry.map(|e| e.rows).unwrap_or(0),
                bytes: snapshot.table_bytes(&format!("{schema}.{name}")),
            }
        })
        .collect();
    let mut namespaces: Vec<(String, i32)> = oids::builtin_namespaces().into();
    namespaces.extend(
        manifest
            .schemas
            .iter()
            .map(|(name, entry)| (name.clone(), oids::pg(entry.oid))),
    );
    let model = relations::model(
        namespaces,
        &tables,
        &statics.catalog_relations,
        &statics.information_schema,
    );
    let namespaces: Vec<&str> = model.namespaces.iter().map(|(n, _)| n.as_str()).collect();
    let mut description = relations::pg_description(&model);
    relations::append_descriptions(&mut description, &statics.builtin_descriptions);
    let built: Vec<(&'static str, table::Rows)> = vec![
        ("pg_namespace", relations::pg_namespace(&model)),
        ("pg_class", relations::pg_class(&model)),
        (
            "pg_attribute",
            relations::pg_attribute(&model, &statics.types),
        ),
        ("pg_index", relations::pg_index(&model)),
        ("pg_constraint", relations::pg_constraint(&model)),
        ("pg_description", description),
        ("pg_tables", relations::pg_tables(&model)),
        ("pg_depend", relations::pg_depend(&model)),
        ("pg_database", dynamic::pg_database()?),
        ("pg_shdescription", dynamic::pg_shdescription()),
    ];
    let built = built.into_iter().chain(
        empty::TABLES
            .iter()
            .map(|(name, cols)| (*name, table::Rows::new(cols))),
    );
    let mut tables = HashMap::new();
    for (name, rows) in built {
        tables.insert(name, rows.table()?);
    }
    let mut info = HashMap::new();
    for (name, rows) in information_schema::views(&model, &namespaces) {
        info.insert(name, rows.table()?);
    }
    let version = Arc::new(VersionCatalog {
        model: Arc::new(model),
        tables,
        information_schema: info,
    });
    if cacheable && let Ok(mut cache) = statics.cache.lock() {
        cache.retain(|(v, _)| *v != snapshot.version());
        cache.push((snapshot.version(), version.clone()));
        if cache.len() > CACHE {
            cache.remove(0);
        }
    }
    Ok(version)
}

/// `(oid, name)` of every stored user.
pub fn users_of(principals: &lyceum_catalog::Principals) -> Vec<(i32, String)> {
    principals
        .users
        .iter()
        .map(|(name, u)| (oids::pg(u.oid), name.clone()))
        .collect()
}

/// The catalog a session sees for a snapshot: its schemas plus `pg_catalog`. Updates the
/// session's catalog state (the model its catalog functions read).
pub async fn session_catalog(
    snapshot: &Snapshot,
    info: &Arc<SessionInfo>,
    registry: &Arc<crate::session::Registry>,
    statics: &Arc<StaticTables>,
    principals: &PrincipalStore,
    state: &CatalogState,
) -> Result<Arc<dyn CatalogProvider>> {
    let version = version_catalog(snapshot, statics).await?;
    state.set_model(version.model.clone());
    let users = principals.load().await?;
    state.set_roles(users_of(&users));
    let mut tables = version.tables.clone();
    for (name, table) in dynamic::role_tables(principals, info) {
        tables.insert(name, table);
    }
    tables.insert("pg_settings", dynamic::pg_settings(info));
    tables.insert(
        "pg_stat_activity",
        dynamic::pg_stat_activity(registry, info),
    );
    tables.insert("pg_stat_gssapi", dynamic::pg_stat_gssapi(registry));
    let pg_catalog = Arc::new(PgCatalogSchema {
        tables,
        statics: statics.clone(),
    });
    Ok(Arc::new(SessionCatalog {
        inner: snapshot.catalog(),
        viewer: info.clone(),
        pg_catalog,
        information_schema: Arc::new(InformationSchema(version.information_schema.clone())),
    }))
}

/// Registers the catalog functions (and PostgreSQL type names) on a session's context.
pub fn register_functions(
    ctx: &SessionContext,
    statics: &Arc<StaticTables>,
    state: &Arc<CatalogState>,
    info: &Arc<SessionInfo>,
) {
    use datafusion_pg_catalog::pg_catalog::{
        array_bounds_udf, format_type, generate_series_arg_coercion, quote_ident_udf,
    };
    ctx.register_udf(format_type::create_format_type_udf());
    ctx.register_udf(quote_ident_udf::create_quote_ident_udf());
    ctx.register_udf(quote_ident_udf::create_parse_ident_udf());
    ctx.register_udf(array_bounds_udf::create_array_upper_udf());
    ctx.register_udf(array_bounds_udf::create_array_lower_udf());
    ctx.register_udtf("pg_get_keywords", statics.keywords.clone());
    ctx.register_udf(encoding_to_char());
    functions::register(ctx, state, info, &statics.descriptions, &statics.type_oids);
    {
        use datafusion::execution::session_state::SessionStateBuilder;
        let state_ref = ctx.state_ref();
        let existing = state_ref.read().clone();
        let with_types = SessionStateBuilder::new_from_existing(existing)
            .with_type_planner(Arc::new(types::PgTypePlanner::default()))
            .build();
        *state_ref.write() = with_types;
    }
    generate_series_arg_coercion::CoerceIntArgsToBigInt::widen(ctx);
    array_literals::install(ctx);
}

/// `pg_encoding_to_char(6)` is `UTF8`, the one encoding Lyceum speaks.
fn encoding_to_char() -> datafusion::logical_expr::ScalarUDF {
    use arrow::array::StringArray;
    use arrow::datatypes::DataType;
    use datafusion::logical_expr::{Signature, Volatility};
    crate::sqlfn::udf(
        "pg_encoding_to_char",
        &[],
        Signature::any(1, Volatility::Immutable),
        DataType::Utf8,
        |args| {
            let out: StringArray = crate::sqlfn::int_arg(args, 0)?
                .into_iter()
                .map(|e| match e? {
                    6 => Some("UTF8"),
                    0 => Some("SQL_ASCII"),
                    _ => Some(""),
                })
                .collect();
            crate::sqlfn::shape(args, Arc::new(out))
        },
    )
}

/// A snapshot's schemas plus `pg_catalog` and `information_schema`.
#[derive(Debug)]
struct SessionCatalog {
    inner: Arc<dyn CatalogProvider>,
    viewer: Arc<SessionInfo>,
    pg_catalog: Arc<PgCatalogSchema>,
    information_schema: Arc<InformationSchema>,
}

/// The views of `information_schema` for one version.
#[derive(Debug)]
struct InformationSchema(HashMap<&'static str, Arc<dyn TableProvider>>);

#[async_trait]
impl SchemaProvider for InformationSchema {
    fn table_names(&self) -> Vec<String> {
        let mut names: Vec<String> = self.0.keys().map(|k| k.to_string()).collect();
        names.sort();
        names
    }

    async fn table(&self, name: &str) -> DfResult<Option<Arc<dyn TableProvider>>> {
        Ok(self.0.get(name.to_ascii_lowercase().as_str()).cloned())
    }

    fn table_exist(&self, name: &str) -> bool {
        self.0.contains_key(name.to_ascii_lowercase().as_str())
    }
}

impl CatalogProvider for SessionCatalog {
    fn schema_names(&self) -> Vec<String> {
        let mut names = self.inner.schema_names();
        names.push("pg_catalog".into());
        names.push("information_schema".into());
        names
    }

    fn schema(&self, name: &str) -> Option<Arc<dyn SchemaProvider>> {
        match name {
            "pg_catalog" => Some(self.pg_catalog.clone()),
            "information_schema" => Some(self.information_schema.clone()),
            _ => self
                .inner
                .schema(name)
                .map(|schema| crate::privileges::guard_schema(name, schema, &self.viewer)),
        }
    }
}

/// `pg_catalog`: Lyceum's tables first, then PostgreSQL's built-ins.
struct PgCatalogSchema {
    tables: HashMap<&'static str, Arc<dyn TableProvider>>,
    statics: Arc<StaticTables>,
}

impl std::fmt::Debug for PgCatalogSchema {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgCatalogSchema").finish_non_exhaustive()
    }
}

#[async_trait]
impl SchemaProvider for PgCatalogSchema {
    fn table_names(&self) -> Vec<String> {
        self.statics
            .catalog_relations
            .iter()
            .map(|(n, _)| n.clone())
            .collect()
    }

    async fn table(&self, name: &str) -> DfResult<Option<Arc<dyn TableProvider>>> {
        let name = name.to_ascii_lowercase();
        if let Some(t) = self.tables.get(name.as_str()) {
            return Ok(Some(t.clone()));
        }
        if let Some((_, schema)) = empty_views().into_iter().find(|(n, _)| *n == name) {
            return Ok(Some(Arc::new(MemTable::try_new(schema, vec![vec![]])?)));
        }
        self.statics.builtin_table(&name)
    }

    fn table_exist(&self, name: &str) -> bool {
        let name = name.to_ascii_lowercase();
        OWN_TABLES.contains(&name.as_str())
            || empty::TABLES.iter().any(|(n, _)| *n == name)
            || self
                .statics
                .catalog_relations
                .iter()
                .any(|(n, _)| *n == name)
    }
}
