//! What a session can see, as neutral metadata for any endpoint: schemas, tables with
//! their Arrow schemas, primary and foreign keys.
//!
//! The listing reads the session's pinned catalog (the same one its queries and
//! `pg_catalog` read) and the catalog's table definitions for keys, so a table created or
//! dropped by a commit appears or disappears here at once.

use arrow::datatypes::SchemaRef;
use datafusion::datasource::TableType;
use lyceum_catalog::{ForeignKey, star};

use super::{CATALOG, Session};
use crate::error::{EngineError, Result};

/// What kind of relation a table is, in the terms of ODBC/JDBC/Flight SQL table types.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TableKind {
    /// A star-schema or sandbox table.
    Table,
    /// A view.
    View,
    /// Lyceum's own history (`system`) and the emulated catalogs.
    SystemTable,
}

impl TableKind {
    /// The table type name clients filter by (`TABLE`, `VIEW`, `SYSTEM TABLE`).
    pub fn name(self) -> &'static str {
        match self {
            TableKind::Table => "TABLE",
            TableKind::View => "VIEW",
            TableKind::SystemTable => "SYSTEM TABLE",
        }
    }

    /// Every kind, in the order clients list them.
    pub const ALL: [TableKind; 3] = [TableKind::SystemTable, TableKind::Table, TableKind::View];
}

/// One table a session can see.
#[derive(Debug, Clone)]
pub struct TableListing {
    pub schema: String,
    pub name: String,
    pub kind: TableKind,
    /// The columns as queries return them.
    pub columns: SchemaRef,
    pub primary_key: Vec<String>,
    pub foreign_keys: Vec<ForeignKey>,
}

impl TableListing {
    /// `schema.name`
    pub fn qualified_name(&self) -> String {
        format!("{}.{}", self.schema, self.name)
    }
}

/// The catalog as one session sees it now.
#[derive(Debug, Clone)]
pub struct Listing {
    /// The catalog's name (`lyceum`).
    pub catalog: &'static str,
    /// Every schema, sorted.
    pub schemas: Vec<String>,
    /// Every table, sorted by schema and name.
    pub tables: Vec<TableListing>,
}

impl Listing {
    pub fn table(&self, schema: &str, name: &str) -> Option<&TableListing> {
        self.tables
            .iter()
            .find(|t| t.schema == schema && t.name == name)
    }
}

impl Session {
    /// The schemas and tables of the version the session reads now (the latest, its
    /// transaction's, or `lyceum.as_of`).
    pub async fn listing(&mut self) -> Result<Listing> {
        self.pin().await?;
        let definitions = match self.pinned {
            Some(version) => Some(self.engine.snapshot(version).await?),
            None => None,
        };
        let catalog = self
            .ctx
            .catalog(CATALOG)
            .ok_or_else(|| EngineError::Internal("the session has no catalog".into()))?;
        let mut schemas = catalog.schema_names();
        schemas.sort();
        let system = self.engine.profile.system_schemas();
        let mut tables = Vec::new();
        for schema_name in &schemas {
            let Some(schema) = catalog.schema(schema_name) else {
                continue;
            };
            let mut names = schema.table_names();
            names.sort();
            for name in names {
                let Some(provider) = schema.table(&name).await? else {
                    continue;
                };
                let def = definitions.as_ref().and_then(|s| {
                    s.manifest()
                        .tables
                        .values()
                        .map(|e| &e.definition)
                        .find(|d| d.schema == *schema_name && d.name == name)
                });
                let kind = if schema_name == star::SYSTEM || system.contains(&schema_name.as_str())
                {
                    TableKind::SystemTable
                } else if provider.table_type() == TableType::View {
                    TableKind::View
                } else {
                    TableKind::Table
                };
                tables.push(TableListing {
                    schema: schema_name.clone(),
                    name,
                    kind,
                    columns: provider.schema(),
                    primary_key: def.map(|d| d.primary_key.clone()).unwrap_or_default(),
                    foreign_keys: def.map(|d| d.foreign_keys.clone()).unwrap_or_default(),
                });
            }
        }
        Ok(Listing {
            catalog: CATALOG,
            schemas,
            tables,
        })
    }
}
