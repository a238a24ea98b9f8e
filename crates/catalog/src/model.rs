//! Table definitions: columns and their types, roles, keys, PII marks, hierarchies.

use serde::{Deserialize, Serialize};

/// A column type in the data model's standard SQL terms (see `schema.sql`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "type")]
pub enum ColumnType {
    SmallInt,
    Integer,
    BigInt,
    Decimal {
        precision: u8,
        scale: i8,
    },
    Double,
    Boolean,
    Varchar,
    Date,
    /// Microseconds, UTC.
    Timestamp,
}

impl ColumnType {
    /// The SQL spelling, as in `schema.sql`.
    pub fn sql_name(&self) -> String {
        match self {
            ColumnType::SmallInt => "SMALLINT".into(),
            ColumnType::Integer => "INTEGER".into(),
            ColumnType::BigInt => "BIGINT".into(),
            ColumnType::Decimal { precision, scale } => format!("DECIMAL({precision},{scale})"),
            ColumnType::Double => "DOUBLE".into(),
            ColumnType::Boolean => "BOOLEAN".into(),
            ColumnType::Varchar => "VARCHAR".into(),
            ColumnType::Date => "DATE".into(),
            ColumnType::Timestamp => "TIMESTAMP".into(),
        }
    }
}

/// How sensitive a column's values are; drives masking by role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Sensitivity {
    #[default]
    None,
    /// Personally identifying: names, emails, phone, birth date, address, free text.
    Pii,
    /// Sensitive demographics: gender, ethnicity, first-generation, Pell, disability.
    Demographic,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ColumnDef {
    pub name: String,
    #[serde(flatten)]
    pub ty: ColumnType,
    pub nullable: bool,
    #[serde(default, skip_serializing_if = "is_default")]
    pub sensitivity: Sensitivity,
}

fn is_default<T: Default + PartialEq>(v: &T) -> bool {
    *v == T::default()
}

/// The role a table plays in the star schema.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TableRole {
    Dimension,
    /// A dimension with SCD type 2 history (`effective_from`/`effective_to`/`is_current`).
    Scd2Dimension,
    Fact,
    /// Operational history kept by the warehouse itself (schema `system`).
    System,
    /// An analyst's own table (schema `sandbox`), written with SQL.
    Sandbox,
    /// A rollup's stored states: the data of a materialized view (see
    /// [`crate::rollup`]). Its columns are the states; the view shows
    /// [`crate::RollupDef::columns`].
    Rollup,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ForeignKey {
    pub columns: Vec<String>,
    /// `schema.table`
    pub references: String,
    pub ref_columns: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TableDef {
    pub schema: String,
    pub name: String,
    pub role: TableRole,
    pub columns: Vec<ColumnDef>,
    pub primary_key: Vec<String>,
    #[serde(default)]
    pub foreign_keys: Vec<ForeignKey>,
    /// Facts are replaced per value of this column by a load (an extract is authoritative
    /// for the terms it contains); `None` = the whole table is one unit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit_column: Option<String>,
}

impl TableDef {
    /// `schema.name`
    pub fn qualified_name(&self) -> String {
        format!("{}.{}", self.schema, self.name)
    }

    pub fn column(&self, name: &str) -> Option<&ColumnDef> {
        self.columns.iter().find(|c| c.name == name)
    }
}

/// A functional-dependency chain, coarsest level last: `date_key → term_key → academic_year`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hierarchy {
    pub name: String,
    /// `(schema.table, column)` from finest to coarsest.
    pub levels: Vec<(String, String)>,
}
