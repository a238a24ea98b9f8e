//! PostgreSQL type names DataFusion's SQL planner does not know, for casts clients write
//! (`'lyceum'::name`, `x::"char"`, `indkey::int2[]`): mapped to the Arrow type Lyceum
//! stores such values as. The OID types (`regclass`, ...) and `pg_catalog.`-qualified
//! built-ins are planned by `datafusion-pg-catalog`'s planner, which this one falls back on.

use std::sync::Arc;

use arrow::datatypes::{DataType, Field, FieldRef};
use datafusion::common::Result;
use datafusion::logical_expr::planner::TypePlanner;
use datafusion::sql::sqlparser::ast::{DataType as SqlType, ObjectNamePart};
use datafusion_pg_catalog::pg_catalog::oid_type_planner::PgOidTypePlanner;

#[derive(Debug, Default)]
pub struct PgTypePlanner {
    fallback: PgOidTypePlanner,
}

/// The last part of a custom type name, lower-cased (`pg_catalog.name` → `name`).
fn custom_name(sql_type: &SqlType) -> Option<String> {
    let SqlType::Custom(name, args) = sql_type else {
        return None;
    };
    if !args.is_empty() {
        return None;
    }
    match name.0.last()? {
        ObjectNamePart::Identifier(ident) => Some(ident.value.to_lowercase()),
        _ => None,
    }
}

fn list_of(data_type: DataType) -> DataType {
    DataType::List(Arc::new(Field::new_list_field(data_type, true)))
}

impl TypePlanner for PgTypePlanner {
    fn plan_type_field(&self, sql_type: &SqlType) -> Result<Option<FieldRef>> {
        let planned = match custom_name(sql_type).as_deref() {
            // Names and one-byte chars are text; int2vector/oidvector are arrays.
            Some("name") | Some("char") | Some("bpchar") | Some("pg_node_tree")
            | Some("aclitem") => Some(DataType::Utf8),
            Some("int2vector") => Some(list_of(DataType::Int16)),
            Some("oidvector") => Some(list_of(DataType::Int32)),
            _ => None,
        };
        match planned {
            Some(data_type) => Ok(Some(Arc::new(Field::new("", data_type, true)))),
            None => self.fallback.plan_type_field(sql_type),
        }
    }
}
