//! Analysts' own tables: the writable schema `sandbox` beside the load-only star schema.
//!
//! Statements that change tables (`CREATE TABLE`, `CREATE TABLE AS`, `INSERT`, `DROP
//! TABLE`, `ALTER TABLE ... ADD COLUMN`, `COPY ... FROM STDIN`) are parsed here into a
//! [`Write`]; the session runs them ([`run`]) through the warehouse's one commit path, so
//! each becomes visible as a new warehouse version, atomically, or not at all. Only tables
//! in schema `sandbox` may be written: `public` (the star schema) and `system` change only
//! by loads, and a statement that names them is refused with 42501.
//!
//! Column types are the ones Lyceum stores exactly as PostgreSQL would; a type it cannot
//! (`numeric` without precision, `varchar(n)`, `char(n)`, `real`, `timestamp` without time
//! zone) is refused with 0A000 rather than stored as something else.

pub(crate) mod assign;
pub(crate) mod copy;
mod ingest;
pub(crate) mod run;

use datafusion::sql::parser::Statement as DFStatement;
use datafusion::sql::sqlparser::ast::{
    self, AlterTableOperation, ColumnOption, CopySource, CopyTarget, ObjectName, ObjectType,
    Statement as SqlStatement,
};
use lyceum_catalog::ColumnType;

use super::statement::{Action, ident};
use crate::error::{EngineError, Result};

pub use copy::CopyFormat;
pub use ingest::{IfExists, IfMissing, Ingest};

/// The schema analysts write.
pub const SANDBOX: &str = "sandbox";

/// A table name as written: `[catalog.][schema.]name`, identifiers folded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableName {
    pub schema: Option<String>,
    pub name: String,
}

impl std::fmt::Display for TableName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.schema {
            Some(s) => write!(f, "{s}.{}", self.name),
            None => write!(f, "{}", self.name),
        }
    }
}

/// A column of `CREATE TABLE` / `ALTER TABLE ... ADD COLUMN`.
#[derive(Debug, Clone, PartialEq)]
pub struct ColumnSpec {
    pub name: String,
    pub ty: ColumnType,
    pub nullable: bool,
}

/// A statement that changes a table.
#[derive(Debug, Clone)]
pub enum Write {
    CreateTable {
        table: TableName,
        columns: Vec<ColumnSpec>,
        if_not_exists: bool,
    },
    CreateTableAs {
        table: TableName,
        /// Names given in `CREATE TABLE t (a, b) AS ...`; empty to use the query's.
        columns: Vec<String>,
        query: Box<DFStatement>,
        if_not_exists: bool,
    },
    Insert {
        table: TableName,
        columns: Vec<String>,
        source: Box<DFStatement>,
    },
    DropTable {
        tables: Vec<TableName>,
        if_exists: bool,
    },
    AddColumn {
        table: TableName,
        column: ColumnSpec,
        if_not_exists: bool,
    },
    /// `COPY t [(columns)] FROM STDIN [WITH (...)]`: the rows follow as COPY data.
    CopyFrom {
        table: TableName,
        columns: Vec<String>,
        format: CopyFormat,
    },
}

impl Write {
    /// PostgreSQL's name for the statement (for errors and the catalog's history).
    pub fn kind(&self) -> &'static str {
        match self {
            Write::CreateTable { .. } => "CREATE TABLE",
            Write::CreateTableAs { .. } => "CREATE TABLE AS",
            Write::Insert { .. } => "INSERT",
            Write::DropTable { .. } => "DROP TABLE",
            Write::AddColumn { .. } => "ALTER TABLE",
            Write::CopyFrom { .. } => "COPY",
        }
    }
}

/// Reads a statement that changes tables; `None` if `statement` is not one.
pub(crate) fn classify(statement: &SqlStatement) -> Result<Option<Action>> {
    let write = match statement {
        SqlStatement::CreateTable(create) => {
            if create.temporary || create.external || create.or_replace {
                return Err(unsupported(
                    "CREATE TEMPORARY, EXTERNAL or OR REPLACE TABLE (create it in schema sandbox)",
                ));
            }
            let table = table_name(&create.name)?;
            if !create.constraints.is_empty() {
                return Err(unsupported(
                    "table constraints (sandbox tables have no keys; only NOT NULL is kept)",
                ));
            }
            match &create.query {
                Some(query) => {
                    if create.columns.iter().any(|c| !c.options.is_empty()) {
                        return Err(unsupported("column options in CREATE TABLE AS"));
                    }
                    Write::CreateTableAs {
                        table,
                        columns: create.columns.iter().map(|c| ident(&c.name)).collect(),
                        query: Box::new(DFStatement::Statement(Box::new(SqlStatement::Query(
                            query.clone(),
                        )))),
                        if_not_exists: create.if_not_exists,
                    }
                }
                None => Write::CreateTable {
                    table,
                    columns: create
                        .columns
                        .iter()
                        .map(column_spec)
                        .collect::<Result<_>>()?,
                    if_not_exists: create.if_not_exists,
                },
            }
        }
        SqlStatement::Query(query) => {
            let ast::SetExpr::Select(select) = query.body.as_ref() else {
                return Ok(None);
            };
            let Some(into) = &select.into else {
                return Ok(None);
            };
            if into.temporary || into.unlogged {
                return Err(unsupported(
                    "SELECT INTO a TEMPORARY or UNLOGGED table (select into a table in schema sandbox)",
                ));
            }
            let mut query = query.clone();
            if let ast::SetExpr::Select(select) = query.body.as_mut() {
                select.into = None;
            }
            Write::CreateTableAs {
                table: table_name(&into.name)?,
                columns: vec![],
                query: Box::new(DFStatement::Statement(Box::new(SqlStatement::Query(query)))),
                if_not_exists: false,
            }
        }
        SqlStatement::Insert(insert) => {
            let ast::TableObject::TableName(name) = &insert.table else {
                return Err(unsupported("INSERT INTO a table function"));
            };
            if insert.on.is_some() || insert.returning.is_some() || !insert.assignments.is_empty() {
                return Err(unsupported("INSERT ... ON CONFLICT / RETURNING"));
            }
            let source = insert
                .source
                .clone()
                .ok_or_else(|| unsupported("INSERT without VALUES or a query"))?;
            Write::Insert {
                table: table_name(name)?,
                columns: insert
                    .columns
                    .iter()
                    .map(|c| {
                        c.0.last()
                            .and_then(|p| p.as_ident())
                            .map(ident)
                            .ok_or_else(|| EngineError::Syntax(format!("column name {c}")))
                    })
                    .collect::<Result<_>>()?,
                source: Box::new(DFStatement::Statement(Box::new(SqlStatement::Query(
                    source,
                )))),
            }
        }
        SqlStatement::Drop {
            object_type: ObjectType::Table,
            if_exists,
            names,
            cascade: _,
            restrict: _,
            ..
        } => Write::DropTable {
            tables: names.iter().map(table_name).collect::<Result<_>>()?,
            if_exists: *if_exists,
        },
        SqlStatement::AlterTable(alter) => {
            let [operation] = alter.operations.as_slice() else {
                return Err(unsupported("ALTER TABLE with several actions"));
            };
            let AlterTableOperation::AddColumn {
                if_not_exists,
                column_def,
                column_position: None,
                ..
            } = operation
            else {
                return Err(unsupported(&format!(
                    "ALTER TABLE ... {operation} (only ADD COLUMN of a nullable column)"
                )));
            };
            let column = column_spec(column_def)?;
            if !column.nullable {
                return Err(unsupported(
                    "adding a NOT NULL column (existing rows would have no value)",
                ));
            }
            Write::AddColumn {
                table: table_name(&alter.name)?,
                column,
                if_not_exists: *if_not_exists,
            }
        }
        SqlStatement::Copy {
            source,
            to: false,
            target,
            options,
            legacy_options,
            ..
        } => {
            let CopySource::Table {
                table_name: name,
                columns,
            } = source
            else {
                return Err(unsupported("COPY (query) FROM"));
            };
            if !matches!(target, CopyTarget::Stdin) {
                return Err(EngineError::PermissionDenied(
                    "COPY from a file or program on the server is not allowed; use COPY ... FROM STDIN (psql's \\copy)".into(),
                ));
            }
            Write::CopyFrom {
                table: table_name(name)?,
                columns: columns.iter().map(ident).collect(),
                format: CopyFormat::from_options(options, legacy_options)?,
            }
        }
        _ => return Ok(None),
    };
    Ok(Some(Action::Write(Box::new(write))))
}

pub(crate) fn table_name(name: &ObjectName) -> Result<TableName> {
    let parts: Vec<String> = name
        .0
        .iter()
        .map(|p| {
            p.as_ident()
                .map(ident)
                .ok_or_else(|| EngineError::Syntax(format!("table name {name}")))
        })
        .collect::<Result<_>>()?;
    match parts.as_slice() {
        [table] => Ok(TableName {
            schema: None,
            name: table.clone(),
        }),
        [schema, table] => Ok(TableName {
            schema: Some(schema.clone()),
            name: table.clone(),
        }),
        [catalog, schema, table] if catalog == super::CATALOG => Ok(TableName {
            schema: Some(schema.clone()),
            name: table.clone(),
        }),
        [catalog, _, _] => Err(unsupported(&format!(
            "cross-database references: {catalog}"
        ))),
        _ => Err(EngineError::Syntax(format!(
            "improper qualified name (too many dotted names): {name}"
        ))),
    }
}

fn column_spec(column: &ast::ColumnDef) -> Result<ColumnSpec> {
    let name = ident(&column.name);
    let mut nullable = true;
    for option in &column.options {
        match &option.option {
            ColumnOption::Null => nullable = true,
            ColumnOption::NotNull => nullable = false,
            other => {
                return Err(unsupported(&format!(
                    "the column option {other} (sandbox columns take only NULL / NOT NULL)"
                )));
            }
        }
    }
    Ok(ColumnSpec {
        ty: column_type(&column.data_type).map_err(|e| match e {
            EngineError::Unsupported { what } => EngineError::Unsupported {
                what: format!("{what} (column {name})"),
            },
            other => other,
        })?,
        name,
        nullable,
    })
}

/// The stored type of a declared SQL type, or 0A000 for one Lyceum cannot keep exactly.
pub fn column_type(ty: &ast::DataType) -> Result<ColumnType> {
    use ast::DataType as T;
    use ast::ExactNumberInfo as N;
    Ok(match ty {
        T::SmallInt(_) | T::Int2(_) => ColumnType::SmallInt,
        T::Int(_) | T::Integer(_) | T::Int4(_) => ColumnType::Integer,
        T::BigInt(_) | T::Int8(_) => ColumnType::BigInt,
        T::Numeric(info) | T::Decimal(info) | T::Dec(info) => match info {
            N::PrecisionAndScale(p, s) => decimal(*p, *s)?,
            N::Precision(p) => decimal(*p, 0)?,
            N::None => {
                return Err(unsupported(
                    "numeric without a precision (its values have no fixed scale here; declare numeric(p, s))",
                ));
            }
        },
        T::DoublePrecision | T::Float8 | T::Double(N::None) => ColumnType::Double,
        T::Float(N::Precision(p)) if (25..=53).contains(p) => ColumnType::Double,
        T::Float(N::None) => ColumnType::Double,
        T::Boolean | T::Bool => ColumnType::Boolean,
        T::Text | T::Varchar(None) | T::CharacterVarying(None) | T::CharVarying(None) => {
            ColumnType::Varchar
        }
        T::Custom(name, modifiers) if modifiers.is_empty() => {
            match name.to_string().to_ascii_lowercase().as_str() {
                "timestamptz" => ColumnType::Timestamp,
                other => return Err(unsupported(&format!("type {other}"))),
            }
        }
        T::Date => ColumnType::Date,
        T::Timestamp(None | Some(6), ast::TimezoneInfo::WithTimeZone | ast::TimezoneInfo::Tz) => {
            ColumnType::Timestamp
        }
        T::Varchar(Some(_)) | T::CharacterVarying(Some(_)) | T::CharVarying(Some(_)) => {
            return Err(unsupported(
                "varchar(n) (its length is not enforced here; declare text)",
            ));
        }
        T::Char(_) | T::Character(_) => {
            return Err(unsupported(
                "char(n) (blank-padded text is not kept here; declare text)",
            ));
        }
        T::Timestamp(_, _) => {
            return Err(unsupported(
                "timestamp without time zone (declare timestamptz)",
            ));
        }
        T::Real | T::Float4 | T::Float(_) => {
            return Err(unsupported("real (declare double precision)"));
        }
        other => return Err(unsupported(&format!("type {other}"))),
    })
}

fn decimal(precision: u64, scale: i64) -> Result<ColumnType> {
    if !(1..=38).contains(&precision) || scale < 0 || scale > precision as i64 {
        return Err(unsupported(&format!(
            "numeric({precision}, {scale}) (precision 1 to 38, scale 0 to the precision)"
        )));
    }
    Ok(ColumnType::Decimal {
        precision: precision as u8,
        scale: scale as i8,
    })
}

fn unsupported(what: &str) -> EngineError {
    EngineError::Unsupported { what: what.into() }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Lyceum's SQL, as the Postgres profile parses it.
    fn parse(sql: &str) -> Result<Vec<crate::session::Parsed>> {
        let dialect = datafusion::sql::sqlparser::dialect::PostgreSqlDialect {};
        crate::session::statement::parse(sql, &dialect)
    }

    fn write(sql: &str) -> Write {
        match parse(sql).map(|mut p| p.remove(0).action) {
            Ok(Action::Write(w)) => *w,
            other => panic!("{sql}: {other:?}"),
        }
    }

    #[test]
    fn writes_are_recognised_with_their_types() {
        let Write::CreateTable { table, columns, .. } = write(
            "create table sandbox.Cohort (id int not null, gpa numeric(4,2), name text, at timestamptz, ok boolean, d date, x double precision, n bigint)",
        ) else {
            panic!("not CREATE TABLE")
        };
        assert_eq!(table.to_string(), "sandbox.cohort");
        assert_eq!(columns[0].ty, ColumnType::Integer);
        assert!(!columns[0].nullable);
        assert_eq!(
            columns[1].ty,
            ColumnType::Decimal {
                precision: 4,
                scale: 2
            }
        );
        assert_eq!(columns[3].ty, ColumnType::Timestamp);
        assert_eq!(columns[6].ty, ColumnType::Double);
        for refused in [
            "create table sandbox.t (a numeric)",
            "create table sandbox.t (a varchar(10))",
            "create table sandbox.t (a char(2))",
            "create table sandbox.t (a timestamp)",
            "create table sandbox.t (a real)",
            "create table sandbox.t (a int primary key)",
            "create table sandbox.t (a int, unique (a))",
            "create temp table t (a int)",
            "alter table sandbox.t add column b int not null",
            "alter table sandbox.t drop column b",
        ] {
            assert!(
                matches!(parse(refused), Err(EngineError::Unsupported { .. })),
                "{refused}: {:?}",
                parse(refused).map(|p| p.len())
            );
        }
        assert!(matches!(
            write("CREATE TABLE sandbox.t AS SELECT 1 AS a"),
            Write::CreateTableAs { .. }
        ));
        assert!(matches!(
            write("insert into sandbox.t (a) values (1), (2)"),
            Write::Insert { columns, .. } if columns == ["a"]
        ));
        assert!(matches!(
            write("drop table if exists sandbox.a, sandbox.b"),
            Write::DropTable { tables, if_exists: true } if tables.len() == 2
        ));
        assert!(matches!(
            write("alter table sandbox.t add column note text"),
            Write::AddColumn { column, .. } if column.ty == ColumnType::Varchar
        ));
        assert!(matches!(
            write("COPY sandbox.t (a, b) FROM STDIN (FORMAT csv, HEADER)"),
            Write::CopyFrom { columns, format, .. } if columns == ["a", "b"] && format.header
        ));
        assert!(matches!(
            parse("copy sandbox.t from '/etc/passwd'"),
            Err(EngineError::PermissionDenied(_))
        ));
    }
}
