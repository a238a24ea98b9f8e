//! PostgreSQL's catalog functions over Lyceum's catalog: definitions of keys and indexes,
//! descriptions, visibility, privileges and role names. They answer from the model of the
//! warehouse version the session reads ([`CatalogState`]), never from fixed text.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use arrow::array::{BooleanArray, StringArray};
use arrow::datatypes::DataType;
use datafusion::logical_expr::{ColumnarValue, Signature, Volatility};
use datafusion::prelude::SessionContext;

use super::oids;
use super::relations::Model;
use crate::session::SessionInfo;
use crate::sqlfn::{int_arg, shape, text_arg, udf};

/// What a session's catalog functions read: the model of the version it pinned and the
/// names of the roles.
#[derive(Default)]
pub struct CatalogState {
    model: RwLock<Arc<Model>>,
    roles: RwLock<HashMap<i32, String>>,
}

impl CatalogState {
    pub fn set_model(&self, model: Arc<Model>) {
        if let Ok(mut m) = self.model.write() {
            *m = model;
        }
    }

    pub fn set_roles(&self, names: impl IntoIterator<Item = String>) {
        let mut map: HashMap<i32, String> =
            names.into_iter().map(|n| (oids::role(&n), n)).collect();
        map.insert(oids::OWNER_ROLE, oids::OWNER_NAME.to_string());
        if let Ok(mut r) = self.roles.write() {
            *r = map;
        }
    }

    pub fn model(&self) -> Arc<Model> {
        self.model.read().map(|m| m.clone()).unwrap_or_default()
    }

    fn role_name(&self, oid: i32) -> Option<String> {
        self.roles.read().ok()?.get(&oid).cloned()
    }
}

/// The `pg_class`-relative `classoid` of a catalog name (`obj_description(oid, 'pg_proc')`).
fn class_oid(catalog: &str) -> Option<i32> {
    Some(match catalog.trim_start_matches("pg_catalog.") {
        "pg_class" => oids::PG_CLASS_OID,
        "pg_proc" => 1255,
        "pg_type" => 1247,
        "pg_namespace" => oids::PG_NAMESPACE_OID,
        "pg_constraint" => oids::PG_CONSTRAINT_OID,
        "pg_am" => 2601,
        "pg_operator" => 2617,
        "pg_database" => oids::PG_DATABASE_OID,
        "pg_collation" => 3456,
        "pg_language" => 2612,
        "pg_cast" => 2605,
        "pg_opclass" => 2616,
        "pg_opfamily" => 2753,
        _ => return None,
    })
}

/// Privileges every user has on the read-only warehouse (grants come with roles).
const READ_PRIVILEGES: &[&str] = &["SELECT", "USAGE", "CONNECT"];

/// Whether a privilege list (`'SELECT, INSERT'`, `'select with grant option'`) holds.
fn privileges_hold(list: &str, superuser: bool) -> bool {
    list.split(',').all(|p| {
        let p = p.trim().to_ascii_uppercase();
        let (name, grant) = match p.strip_suffix("WITH GRANT OPTION") {
            Some(name) => (name.trim().to_string(), true),
            None => (p, false),
        };
        READ_PRIVILEGES.contains(&name.as_str()) && (!grant || superuser)
    })
}

/// `information_schema._pg_expandarray(array)`: PostgreSQL's set of `(x, n)` rows, one per
/// element with its 1-based position, as a list of structs (the select list unnests it).
fn expandarray() -> datafusion::logical_expr::ScalarUDF {
    use arrow::array::{Array, ArrayRef, AsArray, Int32Array, ListArray, StructArray};
    use arrow::buffer::OffsetBuffer;
    use arrow::datatypes::{Field, Fields};
    use datafusion::common::exec_err;
    #[derive(Debug, PartialEq, Eq, Hash)]
    struct ExpandArray {
        signature: Signature,
    }
    fn struct_fields(element: &DataType) -> Fields {
        Fields::from(vec![
            Field::new("x", element.clone(), true),
            Field::new("n", DataType::Int32, false),
        ])
    }
    impl datafusion::logical_expr::ScalarUDFImpl for ExpandArray {
        fn name(&self) -> &str {
            "lyceum_expandarray"
        }
        fn signature(&self) -> &Signature {
            &self.signature
        }
        fn return_type(&self, args: &[DataType]) -> datafusion::error::Result<DataType> {
            match args.first() {
                Some(DataType::List(f)) => Ok(DataType::List(Arc::new(Field::new_list_field(
                    DataType::Struct(struct_fields(f.data_type())),
                    true,
                )))),
                other => exec_err!("_pg_expandarray needs an array, not {other:?}"),
            }
        }
        fn invoke_with_args(
            &self,
            args: datafusion::logical_expr::ScalarFunctionArgs,
        ) -> datafusion::error::Result<ColumnarValue> {
            let Some(arg) = args.args.first() else {
                return exec_err!("_pg_expandarray needs an array");
            };
            let array = arg.to_array(args.number_rows)?;
            let Some(list) = array.as_list_opt::<i32>() else {
                return exec_err!("_pg_expandarray needs an array");
            };
            let offsets = list.offsets();
            let mut positions = Vec::with_capacity(list.values().len());
            for w in offsets.windows(2) {
                positions.extend(1..=(w[1] - w[0]));
            }
            let element = list.values().data_type().clone();
            let start = offsets.first().copied().unwrap_or(0) as usize;
            let end = offsets.last().copied().unwrap_or(0) as usize;
            let values = list.values().slice(start, end - start);
            let shifted: Vec<i32> = offsets.iter().map(|o| o - offsets[0]).collect();
            let structs = StructArray::try_new(
                struct_fields(&element),
                vec![values, Arc::new(Int32Array::from(positions)) as ArrayRef],
                None,
            )?;
            let out = ListArray::try_new(
                Arc::new(Field::new_list_field(
                    DataType::Struct(struct_fields(&element)),
                    true,
                )),
                OffsetBuffer::new(shifted.into()),
                Arc::new(structs),
                list.nulls().cloned(),
            )?;
            Ok(match arg {
                ColumnarValue::Scalar(_) => {
                    ColumnarValue::Scalar(datafusion::scalar::ScalarValue::try_from_array(&out, 0)?)
                }
                ColumnarValue::Array(_) => ColumnarValue::Array(Arc::new(out)),
            })
        }
    }
    datafusion::logical_expr::ScalarUDF::new_from_impl(ExpandArray {
        signature: Signature::any(1, Volatility::Immutable),
    })
}

/// `json_build_object(key, value, ...)`: a JSON object, as text.
fn json_build_object() -> datafusion::logical_expr::ScalarUDF {
    udf(
        "json_build_object",
        &["jsonb_build_object"],
        Signature::variadic_any(Volatility::Stable),
        DataType::Utf8,
        |args| {
            use arrow::array::Array;
            if args.args.len() % 2 != 0 {
                return datafusion::common::exec_err!(
                    "argument list must have even number of elements"
                );
            }
            let arrays: Vec<arrow::array::ArrayRef> = args
                .args
                .iter()
                .map(|a| a.to_array(args.number_rows))
                .collect::<datafusion::error::Result<_>>()?;
            let mut out = Vec::with_capacity(args.number_rows);
            for row in 0..args.number_rows {
                let mut object = serde_json::Map::new();
                for pair in arrays.chunks(2) {
                    let key = arrow::util::display::array_value_to_string(&pair[0], row)?;
                    let value = &pair[1];
                    let json = if value.is_null(row) {
                        serde_json::Value::Null
                    } else {
                        let text = arrow::util::display::array_value_to_string(value, row)?;
                        match value.data_type() {
                            DataType::Boolean => serde_json::Value::Bool(text == "true"),
                            t if t.is_numeric() => text
                                .parse::<serde_json::Number>()
                                .map(serde_json::Value::Number)
                                .unwrap_or(serde_json::Value::String(text)),
                            _ => serde_json::Value::String(text),
                        }
                    };
                    object.insert(key, json);
                }
                out.push(Some(serde_json::Value::Object(object).to_string()));
            }
            shape(args, Arc::new(StringArray::from(out)))
        },
    )
}

/// PostgreSQL's `format(fmt, args...)`: `%s` (text), `%I` (identifier, quoted when it
/// must be), `%L` (literal, quoted; NULL unquoted), `%%`.
fn format_function() -> datafusion::logical_expr::ScalarUDF {
    udf(
        "format",
        &[],
        Signature::variadic_any(Volatility::Stable),
        DataType::Utf8,
        |args| {
            let formats = text_arg(args, 0)?;
            let values: Vec<Vec<Option<String>>> = (1..args.args.len())
                .map(|i| text_arg(args, i))
                .collect::<datafusion::error::Result<_>>()?;
            let mut out = Vec::with_capacity(formats.len());
            for (row, fmt) in formats.iter().enumerate() {
                let Some(fmt) = fmt else {
                    out.push(None);
                    continue;
                };
                let mut text = String::new();
                let mut next = 0;
                let mut chars = fmt.chars();
                while let Some(c) = chars.next() {
                    if c != '%' {
                        text.push(c);
                        continue;
                    }
                    let spec = chars.next();
                    if spec == Some('%') {
                        text.push('%');
                        continue;
                    }
                    let value = values.get(next).and_then(|v| v[row].clone());
                    next += 1;
                    match spec {
                        Some('s') => text.push_str(value.as_deref().unwrap_or("")),
                        Some('I') => match value {
                            Some(v) => text.push_str(&super::relations::quote_ident(&v)),
                            None => {
                                return datafusion::common::exec_err!(
                                    "null values cannot be formatted as an SQL identifier"
                                );
                            }
                        },
                        Some('L') => match value {
                            Some(v) => text.push_str(&format!("'{}'", v.replace('\'', "''"))),
                            None => text.push_str("NULL"),
                        },
                        other => {
                            return datafusion::common::exec_err!(
                                "unrecognized format() type specifier {other:?}"
                            );
                        }
                    }
                }
                out.push(Some(text));
            }
            shape(args, Arc::new(StringArray::from(out)))
        },
    )
}

/// `pg_show_all_settings()`, the function behind `pg_settings`.
struct ShowAllSettings(Arc<SessionInfo>);

impl std::fmt::Debug for ShowAllSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ShowAllSettings")
    }
}

impl datafusion::catalog::TableFunctionImpl for ShowAllSettings {
    fn call(
        &self,
        _args: &[datafusion::prelude::Expr],
    ) -> datafusion::error::Result<Arc<dyn datafusion::datasource::TableProvider>> {
        Ok(super::dynamic::pg_settings(&self.0))
    }
}

/// The schemas unqualified names are looked up in: `pg_catalog`, then the search path.
fn search_path(session: &SessionInfo) -> Vec<String> {
    let path = session.settings().get("search_path").unwrap_or_default();
    let mut schemas = vec!["pg_catalog".to_string()];
    schemas.extend(
        path.split(',')
            .map(|p| p.trim().trim_matches('"').to_string())
            .filter(|p| !p.is_empty() && p != "$user" && p != "pg_catalog"),
    );
    schemas
}

/// The OID of a relation named `schema.name` or `name` (found along the search path),
/// with PostgreSQL's identifier rules (unquoted names fold to lower case).
pub fn relation_by_name(model: &Model, path: &[String], name: &str) -> Option<i32> {
    let parts: Vec<String> = split_qualified(name)?;
    match parts.as_slice() {
        [schema, table] => model.relation_oid(schema, table),
        [table] => path
            .iter()
            .find_map(|schema| model.relation_oid(schema, table)),
        _ => None,
    }
}

/// `a.b`, `"A".b`: the parts of a qualified name, folded and unquoted.
fn split_qualified(name: &str) -> Option<Vec<String>> {
    let mut parts = Vec::new();
    let mut chars = name.trim().chars().peekable();
    loop {
        let mut part = String::new();
        if chars.peek() == Some(&'"') {
            chars.next();
            loop {
                match chars.next()? {
                    '"' if chars.peek() == Some(&'"') => {
                        chars.next();
                        part.push('"');
                    }
                    '"' => break,
                    c => part.push(c),
                }
            }
        } else {
            while let Some(&c) = chars.peek() {
                if c == '.' {
                    break;
                }
                part.extend(c.to_lowercase());
                chars.next();
            }
        }
        parts.push(part);
        match chars.next() {
            None => return Some(parts),
            Some('.') => continue,
            Some(_) => return None,
        }
    }
}

/// A relation is visible when no relation of the same name comes earlier in the path.
fn visible(model: &Model, path: &[String], relation: &super::relations::Relation) -> bool {
    path.iter()
        .find(|schema| {
            model
                .relations
                .values()
                .any(|r| &r.schema == *schema && r.name == relation.name)
        })
        .is_some_and(|first| *first == relation.schema)
}

/// Registers the catalog functions on a session's context.
pub fn register(
    ctx: &SessionContext,
    state: &Arc<CatalogState>,
    info: &Arc<SessionInfo>,
    static_descriptions: &Arc<HashMap<(i32, i32, i32), String>>,
    type_oids: &Arc<HashMap<String, i32>>,
) {
    let text = DataType::Utf8;
    ctx.register_udtf(
        "pg_show_all_settings",
        Arc::new(ShowAllSettings(info.clone())),
    );
    let s = state.clone();
    ctx.register_udf(udf(
        "pg_get_constraintdef",
        &[],
        Signature::variadic_any(Volatility::Stable),
        text.clone(),
        move |args| {
            let model = s.model();
            let out: StringArray = int_arg(args, 0)?
                .into_iter()
                .map(|oid| oid.and_then(|o| model.constraint_defs.get(&o).cloned()))
                .collect();
            shape(args, Arc::new(out))
        },
    ));

    let s = state.clone();
    ctx.register_udf(udf(
        "pg_get_indexdef",
        &[],
        Signature::variadic_any(Volatility::Stable),
        text.clone(),
        move |args| {
            let model = s.model();
            let oids = int_arg(args, 0)?;
            let columns = if args.args.len() > 1 {
                int_arg(args, 1)?
            } else {
                vec![Some(0); oids.len()]
            };
            let out: StringArray = oids
                .into_iter()
                .zip(columns)
                .map(|(oid, column)| {
                    let oid = oid?;
                    match column.unwrap_or(0) {
                        0 => model.index_defs.get(&oid).cloned(),
                        n => model
                            .relations
                            .get(&oid)
                            .and_then(|r| r.columns.get(usize::try_from(n - 1).ok()?))
                            .map(|c| c.name.clone()),
                    }
                })
                .collect();
            shape(args, Arc::new(out))
        },
    ));

    let s = state.clone();
    let builtin = static_descriptions.clone();
    ctx.register_udf(udf(
        "obj_description",
        &[],
        Signature::variadic_any(Volatility::Stable),
        text.clone(),
        move |args| {
            let model = s.model();
            let oids = int_arg(args, 0)?;
            let catalogs = if args.args.len() > 1 {
                text_arg(args, 1)?
            } else {
                vec![Some("pg_class".to_string()); oids.len()]
            };
            let out: StringArray = oids
                .into_iter()
                .zip(catalogs)
                .map(|(oid, catalog)| {
                    let oid = oid?;
                    let class = class_oid(catalog.as_deref().unwrap_or("pg_class"))?;
                    if class == oids::PG_CLASS_OID {
                        model.descriptions.get(&(oid, 0)).cloned()
                    } else {
                        builtin.get(&(oid, class, 0)).cloned()
                    }
                })
                .collect();
            shape(args, Arc::new(out))
        },
    ));

    let s = state.clone();
    ctx.register_udf(udf(
        "col_description",
        &[],
        Signature::any(2, Volatility::Stable),
        text.clone(),
        move |args| {
            let model = s.model();
            let out: StringArray = int_arg(args, 0)?
                .into_iter()
                .zip(int_arg(args, 1)?)
                .map(|(oid, n)| model.descriptions.get(&(oid?, n?)).cloned())
                .collect();
            shape(args, Arc::new(out))
        },
    ));

    ctx.register_udf(udf(
        "shobj_description",
        &[],
        Signature::any(2, Volatility::Stable),
        text.clone(),
        move |args| {
            let out: StringArray = int_arg(args, 0)?
                .into_iter()
                .zip(text_arg(args, 1)?)
                .map(|(oid, catalog)| {
                    (oid? == oids::DATABASE_OID && catalog.as_deref() == Some("pg_database"))
                        .then(|| super::dynamic::pg_shdescription_text().to_string())
                })
                .collect();
            shape(args, Arc::new(out))
        },
    ));

    let s = state.clone();
    ctx.register_udf(udf(
        "pg_get_userbyid",
        &[],
        Signature::any(1, Volatility::Stable),
        text.clone(),
        move |args| {
            let out: StringArray = int_arg(args, 0)?
                .into_iter()
                .map(|oid| {
                    let oid = oid?;
                    Some(
                        s.role_name(oid)
                            .unwrap_or_else(|| format!("unknown (OID={oid})")),
                    )
                })
                .collect();
            shape(args, Arc::new(out))
        },
    ));

    let s = state.clone();
    let session = info.clone();
    ctx.register_udf(udf(
        "pg_table_is_visible",
        &[],
        Signature::any(1, Volatility::Stable),
        DataType::Boolean,
        move |args| {
            let model = s.model();
            let path = search_path(&session);
            let out: BooleanArray = int_arg(args, 0)?
                .into_iter()
                .map(|oid| {
                    let relation = model.relations.get(&oid?)?;
                    Some(visible(&model, &path, relation))
                })
                .collect();
            shape(args, Arc::new(out))
        },
    ));

    for name in [
        "pg_type_is_visible",
        "pg_function_is_visible",
        "pg_operator_is_visible",
        "pg_opclass_is_visible",
        "pg_collation_is_visible",
        "pg_conversion_is_visible",
    ] {
        // Every type, function, operator and collation is a built-in of pg_catalog,
        // which is always searched first.
        ctx.register_udf(udf(
            name,
            &[],
            Signature::any(1, Volatility::Stable),
            DataType::Boolean,
            move |args| {
                let out: BooleanArray = int_arg(args, 0)?
                    .into_iter()
                    .map(|oid| oid.map(|_| true))
                    .collect();
                shape(args, Arc::new(out))
            },
        ));
    }

    for name in [
        "has_table_privilege",
        "has_schema_privilege",
        "has_database_privilege",
        "has_column_privilege",
        "has_any_column_privilege",
        "has_function_privilege",
        "has_sequence_privilege",
        "has_type_privilege",
    ] {
        let superuser = info.identity.superuser;
        ctx.register_udf(udf(
            name,
            &[],
            Signature::variadic_any(Volatility::Stable),
            DataType::Boolean,
            move |args| {
                let last = args.args.len().saturating_sub(1);
                let out: BooleanArray = text_arg(args, last)?
                    .into_iter()
                    .map(|p| p.map(|p| privileges_hold(&p, superuser)))
                    .collect();
                shape(args, Arc::new(out))
            },
        ));
    }

    for name in [
        "pg_get_statisticsobjdef",
        "pg_get_statisticsobjdef_columns",
        "pg_get_triggerdef",
        "pg_get_partkeydef",
        "pg_get_partition_constraintdef",
        "pg_get_ruledef",
        "pg_get_serial_sequence",
    ] {
        // Definitions of object kinds Lyceum has none of: NULL, as PostgreSQL answers for
        // an OID that is no such object.
        ctx.register_udf(udf(
            name,
            &[],
            Signature::variadic_any(Volatility::Stable),
            DataType::Utf8,
            |args| {
                let out: StringArray = int_arg(args, 0)?
                    .into_iter()
                    .map(|_| None::<String>)
                    .collect();
                shape(args, Arc::new(out))
            },
        ));
    }

    // The text of `oid::regclass`, `::regnamespace`, `::regrole` (see rewrite's
    // `RegTypeOutput`): the name, qualified when the search path does not reach it; the
    // number for an OID that names nothing, as PostgreSQL prints it.
    let s = state.clone();
    let session = info.clone();
    ctx.register_udf(udf(
        "lyceum_regclass_out",
        &[],
        Signature::any(1, Volatility::Stable),
        DataType::Utf8,
        move |args| {
            let model = s.model();
            let path = search_path(&session);
            let out: StringArray = int_arg(args, 0)?
                .into_iter()
                .map(|oid| {
                    let oid = oid?;
                    Some(match model.relations.get(&oid) {
                        Some(r) if visible(&model, &path, r) => {
                            super::relations::quote_ident(&r.name)
                        }
                        Some(r) => format!(
                            "{}.{}",
                            super::relations::quote_ident(&r.schema),
                            super::relations::quote_ident(&r.name)
                        ),
                        None => oid.to_string(),
                    })
                })
                .collect();
            shape(args, Arc::new(out))
        },
    ));
    // `x::regclass` for a computed x: an OID stays an OID, a name is looked up (an
    // error for a relation that does not exist, as the cast is in PostgreSQL).
    let s = state.clone();
    let session = info.clone();
    ctx.register_udf(udf(
        "lyceum_regclass",
        &[],
        Signature::any(1, Volatility::Stable),
        DataType::Int32,
        move |args| {
            let Some(arg) = args.args.first() else {
                return datafusion::common::exec_err!("regclass needs a value");
            };
            if arg.data_type().is_integer() {
                let out: arrow::array::Int32Array = int_arg(args, 0)?.into_iter().collect();
                return shape(args, Arc::new(out));
            }
            let model = s.model();
            let path = search_path(&session);
            let mut out = Vec::with_capacity(args.number_rows);
            for name in text_arg(args, 0)? {
                match name {
                    None => out.push(None),
                    Some(name) => match relation_by_name(&model, &path, &name) {
                        Some(oid) => out.push(Some(oid)),
                        None => {
                            return Err(datafusion::error::DataFusionError::Plan(format!(
                                "table '{name}' not found (relation \"{name}\" does not exist)"
                            )));
                        }
                    },
                }
            }
            shape(args, Arc::new(arrow::array::Int32Array::from(out)))
        },
    ));
    ctx.register_udf(udf(
        "lyceum_regnamespace_out",
        &[],
        Signature::any(1, Volatility::Stable),
        DataType::Utf8,
        |args| {
            let out: StringArray = int_arg(args, 0)?
                .into_iter()
                .map(|oid| {
                    let oid = oid?;
                    Some(
                        ["pg_catalog", "public", "information_schema", "system"]
                            .into_iter()
                            .find(|n| oids::namespace(n) == Some(oid))
                            .map(str::to_string)
                            .unwrap_or_else(|| oid.to_string()),
                    )
                })
                .collect();
            shape(args, Arc::new(out))
        },
    ));
    let s = state.clone();
    ctx.register_udf(udf(
        "lyceum_regrole_out",
        &[],
        Signature::any(1, Volatility::Stable),
        DataType::Utf8,
        move |args| {
            let out: StringArray = int_arg(args, 0)?
                .into_iter()
                .map(|oid| {
                    let oid = oid?;
                    Some(s.role_name(oid).unwrap_or_else(|| oid.to_string()))
                })
                .collect();
            shape(args, Arc::new(out))
        },
    ));

    ctx.register_udf(udf(
        "lyceum_partition_ancestors",
        &[],
        Signature::any(1, Volatility::Stable),
        DataType::List(Arc::new(arrow::datatypes::Field::new_list_field(
            DataType::Int32,
            true,
        ))),
        // No relation is a partition or partitioned: the set is empty for every OID.
        |args| {
            use arrow::array::{Int32Builder, ListBuilder};
            let mut list = ListBuilder::new(Int32Builder::new());
            for oid in int_arg(args, 0)? {
                list.append(oid.is_some());
            }
            shape(args, Arc::new(list.finish()))
        },
    ));

    // Sizes: a table's data files; indexes and catalog relations have no files of
    // their own (Lyceum's keys are not stored as separate indexes).
    for name in [
        "pg_relation_size",
        "pg_table_size",
        "pg_total_relation_size",
    ] {
        let s = state.clone();
        ctx.register_udf(udf(
            name,
            &[],
            Signature::variadic_any(Volatility::Stable),
            DataType::Int64,
            move |args| {
                let model = s.model();
                let out: arrow::array::Int64Array = int_arg(args, 0)?
                    .into_iter()
                    .map(|oid| {
                        let r = model.relations.get(&oid?)?;
                        Some(i64::try_from(r.bytes).unwrap_or(i64::MAX))
                    })
                    .collect();
                shape(args, Arc::new(out))
            },
        ));
    }
    let s = state.clone();
    ctx.register_udf(udf(
        "pg_indexes_size",
        &[],
        Signature::any(1, Volatility::Stable),
        DataType::Int64,
        move |args| {
            let model = s.model();
            let out: arrow::array::Int64Array = int_arg(args, 0)?
                .into_iter()
                .map(|oid| model.relations.get(&oid?).map(|_| 0))
                .collect();
            shape(args, Arc::new(out))
        },
    ));
    let s = state.clone();
    ctx.register_udf(udf(
        "pg_database_size",
        &[],
        Signature::any(1, Volatility::Stable),
        DataType::Int64,
        move |args| {
            let total: u64 = s.model().relations.values().map(|r| r.bytes).sum();
            let total = i64::try_from(total).unwrap_or(i64::MAX);
            let out: arrow::array::Int64Array = text_arg(args, 0)?
                .into_iter()
                .map(|db| {
                    let db = db?;
                    (db == crate::session::CATALOG || db == oids::DATABASE_OID.to_string())
                        .then_some(total)
                })
                .collect();
            shape(args, Arc::new(out))
        },
    ));
    ctx.register_udf(udf(
        "pg_size_pretty",
        &[],
        Signature::any(1, Volatility::Immutable),
        DataType::Utf8,
        |args| {
            let array = match args.args.first() {
                Some(v) => v.to_array(args.number_rows)?,
                None => return datafusion::common::exec_err!("pg_size_pretty needs a size"),
            };
            let array = arrow::compute::cast(&array, &DataType::Int64)?;
            let sizes = arrow::array::AsArray::as_primitive::<arrow::datatypes::Int64Type>(&array);
            let out: StringArray = sizes.iter().map(|v| v.map(size_pretty)).collect();
            shape(args, Arc::new(out))
        },
    ));
    // Lyceum does not count scans: unknown.
    ctx.register_udf(udf(
        "pg_stat_get_numscans",
        &[],
        Signature::any(1, Volatility::Stable),
        DataType::Int64,
        |args| {
            let out: arrow::array::Int64Array =
                int_arg(args, 0)?.into_iter().map(|_| None::<i64>).collect();
            shape(args, Arc::new(out))
        },
    ));

    // to_regtype / to_regclass / to_regnamespace: a name's OID, or NULL when nothing has
    // that name (they never raise an error, unlike the casts).
    let types = type_oids.clone();
    ctx.register_udf(udf(
        "to_regtype",
        &[],
        Signature::any(1, Volatility::Stable),
        DataType::Int32,
        move |args| {
            let out: arrow::array::Int32Array = text_arg(args, 0)?
                .into_iter()
                .map(|name| {
                    let name = name?.trim().to_lowercase();
                    let name = name.strip_prefix("pg_catalog.").unwrap_or(&name);
                    let name = name.trim_matches('"');
                    types.get(name).copied()
                })
                .collect();
            shape(args, Arc::new(out))
        },
    ));
    let s = state.clone();
    let session = info.clone();
    ctx.register_udf(udf(
        "to_regclass",
        &[],
        Signature::any(1, Volatility::Stable),
        DataType::Int32,
        move |args| {
            let model = s.model();
            let path = search_path(&session);
            let out: arrow::array::Int32Array = text_arg(args, 0)?
                .into_iter()
                .map(|name| relation_by_name(&model, &path, &name?))
                .collect();
            shape(args, Arc::new(out))
        },
    ));
    ctx.register_udf(udf(
        "to_regnamespace",
        &[],
        Signature::any(1, Volatility::Stable),
        DataType::Int32,
        |args| {
            let out: arrow::array::Int32Array = text_arg(args, 0)?
                .into_iter()
                .map(|name| oids::namespace(name?.trim().trim_matches('"')))
                .collect();
            shape(args, Arc::new(out))
        },
    ));

    ctx.register_udf(udf(
        "lyceum_like_escape",
        &[],
        Signature::any(2, Volatility::Immutable),
        DataType::Utf8,
        |args| {
            let out: StringArray = text_arg(args, 0)?
                .into_iter()
                .zip(text_arg(args, 1)?)
                .map(|(pattern, escape)| {
                    let pattern = pattern?;
                    Some(match escape.as_deref().and_then(|e| e.chars().next()) {
                        Some(c) => super::rewrite::backslash_escaped(&pattern, c),
                        None => pattern,
                    })
                })
                .collect();
            shape(args, Arc::new(out))
        },
    ));
    ctx.register_udf(json_build_object());
    ctx.register_udf(udf(
        "lyceum_subscripts",
        &[],
        Signature::any(2, Volatility::Immutable),
        DataType::List(Arc::new(arrow::datatypes::Field::new_list_field(
            DataType::Int32,
            true,
        ))),
        // generate_subscripts(array, 1): the subscripts 1..n of a one-dimensional array.
        |args| {
            use arrow::array::{Array, AsArray, Int32Builder, ListBuilder};
            let array = match args.args.first() {
                Some(v) => v.to_array(args.number_rows)?,
                None => return datafusion::common::exec_err!("generate_subscripts needs an array"),
            };
            let dims = int_arg(args, 1)?;
            let Some(list) = array.as_list_opt::<i32>() else {
                return datafusion::common::exec_err!("generate_subscripts needs an array");
            };
            let mut out = ListBuilder::new(Int32Builder::new());
            for (row, dim) in dims.iter().enumerate() {
                if list.is_null(row) || *dim != Some(1) {
                    out.append(false);
                    continue;
                }
                let n = list.value_length(row);
                for i in 1..=n {
                    out.values().append_value(i);
                }
                out.append(true);
            }
            shape(args, Arc::new(out.finish()))
        },
    ));
    ctx.register_udf(expandarray());
    ctx.register_udf(format_function());

    ctx.register_udf(udf(
        "pg_relation_is_publishable",
        &[],
        Signature::any(1, Volatility::Stable),
        DataType::Boolean,
        // Lyceum has no logical replication: no relation can be published.
        |args| {
            let out: BooleanArray = int_arg(args, 0)?
                .into_iter()
                .map(|oid| oid.map(|_| false))
                .collect();
            shape(args, Arc::new(out))
        },
    ));

    ctx.register_udf(udf(
        "pg_is_in_recovery",
        &[],
        Signature::exact(vec![], Volatility::Stable),
        DataType::Boolean,
        |_| Ok(ColumnarValue::Scalar(false.into())),
    ));

    ctx.register_udf(udf(
        "pg_get_expr",
        &[],
        Signature::variadic_any(Volatility::Stable),
        text,
        // Lyceum's catalog holds no expression trees (no defaults, no expression or
        // partial indexes): every column pg_get_expr reads is NULL.
        |args| {
            let out: StringArray = text_arg(args, 0)?.into_iter().collect();
            shape(args, Arc::new(out))
        },
    ));
}

/// PostgreSQL's `pg_size_pretty` (checked against PostgreSQL 15): bytes below 10 kB, then
/// the largest unit that keeps the number below 20480, rounded half up.
pub fn size_pretty(size: i64) -> String {
    const LIMIT: i64 = 10 * 1024;
    const LIMIT2: i64 = LIMIT * 2 - 1;
    if size.abs() < LIMIT {
        return format!("{size} bytes");
    }
    let mut size = size >> 9; // half-kB
    for unit in ["kB", "MB", "GB", "TB"] {
        if size.abs() < LIMIT2 {
            return format!("{} {unit}", (size + 1) / 2);
        }
        size >>= 10;
    }
    format!("{} PB", (size + 1) / 2)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_print_like_postgres() {
        assert_eq!(size_pretty(8192), "8192 bytes");
        assert_eq!(size_pretty(10 * 1024), "10 kB");
        assert_eq!(size_pretty(123_456_789), "118 MB");
        assert_eq!(size_pretty(20 * 1024 * 1024 - 1), "20 MB");
        assert_eq!(size_pretty(5_000_000_000_000), "4657 GB");
    }

    #[test]
    fn read_privileges_only() {
        assert!(privileges_hold("SELECT", false));
        assert!(privileges_hold("select, usage", false));
        assert!(!privileges_hold("INSERT", true));
        assert!(!privileges_hold("SELECT, UPDATE", false));
        assert!(!privileges_hold("SELECT WITH GRANT OPTION", false));
        assert!(privileges_hold("SELECT WITH GRANT OPTION", true));
    }

    #[test]
    fn class_oids_match_postgres() {
        assert_eq!(class_oid("pg_class"), Some(1259));
        assert_eq!(class_oid("pg_catalog.pg_proc"), Some(1255));
        assert_eq!(class_oid("nope"), None);
    }
}
