//! The star schema of `schema.sql` (embedded), plus the warehouse's own `system` tables.
//!
//! `schema.sql` is the contract; this module reads its restricted DDL (one column per line,
//! `NOT NULL`, `PRIMARY KEY`, `REFERENCES t(c)`, `-- (PII)` / `sensitive` comments) rather
//! than restating it. Fact foreign keys and hierarchies, which the DDL leaves to prose, are
//! declared here.

use crate::error::{CatalogError, Result};
use crate::model::{
    ColumnDef, ColumnType, ForeignKey, Hierarchy, Sensitivity, TableDef, TableRole,
};

/// The data model contract, verbatim.
pub const SCHEMA_SQL: &str = include_str!("../schema.sql");

pub const PUBLIC: &str = "public";
pub const SYSTEM: &str = "system";

/// Foreign keys of facts and sub-dimensions that the DDL does not spell out:
/// `(table, column, referenced table, referenced column)`.
const EXTRA_FOREIGN_KEYS: &[(&str, &str, &str, &str)] = &[
    (
        "dim_section",
        "primary_instructor_key",
        "dim_instructor",
        "instructor_key",
    ),
    ("dim_date", "term_key", "dim_term", "term_key"),
    (
        "fact_enrollment",
        "student_key",
        "dim_student",
        "student_key",
    ),
    (
        "fact_enrollment",
        "section_key",
        "dim_section",
        "section_key",
    ),
    ("fact_enrollment", "course_key", "dim_course", "course_key"),
    ("fact_enrollment", "term_key", "dim_term", "term_key"),
    (
        "fact_enrollment",
        "department_key",
        "dim_department",
        "department_key",
    ),
    (
        "fact_enrollment",
        "instructor_key",
        "dim_instructor",
        "instructor_key",
    ),
    (
        "fact_enrollment",
        "registration_date_key",
        "dim_date",
        "date_key",
    ),
    ("fact_enrollment", "drop_date_key", "dim_date", "date_key"),
    (
        "fact_performance",
        "enrollment_id",
        "fact_enrollment",
        "enrollment_id",
    ),
    (
        "fact_performance",
        "student_key",
        "dim_student",
        "student_key",
    ),
    (
        "fact_performance",
        "section_key",
        "dim_section",
        "section_key",
    ),
    ("fact_performance", "course_key", "dim_course", "course_key"),
    ("fact_performance", "term_key", "dim_term", "term_key"),
    ("fact_performance", "due_date_key", "dim_date", "date_key"),
    (
        "fact_performance",
        "submitted_date_key",
        "dim_date",
        "date_key",
    ),
    (
        "fact_attendance",
        "student_key",
        "dim_student",
        "student_key",
    ),
    (
        "fact_attendance",
        "section_key",
        "dim_section",
        "section_key",
    ),
    ("fact_attendance", "course_key", "dim_course", "course_key"),
    ("fact_attendance", "term_key", "dim_term", "term_key"),
    ("fact_attendance", "date_key", "dim_date", "date_key"),
    (
        "fact_student_term",
        "student_key",
        "dim_student",
        "student_key",
    ),
    ("fact_student_term", "term_key", "dim_term", "term_key"),
    (
        "fact_student_term",
        "program_key",
        "dim_program",
        "program_key",
    ),
    ("fact_degree", "student_key", "dim_student", "student_key"),
    ("fact_degree", "program_key", "dim_program", "program_key"),
    ("fact_degree", "conferral_term_key", "dim_term", "term_key"),
    ("fact_degree", "conferral_date_key", "dim_date", "date_key"),
    ("fact_feedback", "student_key", "dim_student", "student_key"),
    ("fact_feedback", "section_key", "dim_section", "section_key"),
    ("fact_feedback", "course_key", "dim_course", "course_key"),
    (
        "fact_feedback",
        "instructor_key",
        "dim_instructor",
        "instructor_key",
    ),
    ("fact_feedback", "term_key", "dim_term", "term_key"),
    (
        "fact_feedback",
        "submitted_date_key",
        "dim_date",
        "date_key",
    ),
];

/// The column by which a load replaces a fact's rows (an extract is authoritative for the
/// terms it carries).
fn unit_column(table: &str) -> Option<&'static str> {
    match table {
        "fact_degree" => Some("conferral_term_key"),
        t if t.starts_with("fact_") => Some("term_key"),
        _ => None,
    }
}

fn role(table: &str) -> TableRole {
    match table {
        "dim_student" | "dim_instructor" => TableRole::Scd2Dimension,
        t if t.starts_with("fact_") => TableRole::Fact,
        _ => TableRole::Dimension,
    }
}

/// The hierarchies of `SCHEMA.md` (beside this crate) (functional dependencies the rollup rewrite relies on).
pub fn hierarchies() -> Vec<Hierarchy> {
    let h = |name: &str, levels: &[(&str, &str)]| Hierarchy {
        name: name.to_string(),
        levels: levels
            .iter()
            .map(|(t, c)| (format!("{PUBLIC}.{t}"), c.to_string()))
            .collect(),
    };
    vec![
        h(
            "calendar",
            &[
                ("dim_date", "date_key"),
                ("dim_date", "term_key"),
                ("dim_term", "academic_year"),
            ],
        ),
        h(
            "organisation",
            &[
                ("dim_section", "section_key"),
                ("dim_section", "course_key"),
                ("dim_course", "department_key"),
                ("dim_department", "college_code"),
                ("dim_department", "division"),
            ],
        ),
        h(
            "program",
            &[
                ("dim_program", "program_key"),
                ("dim_program", "department_key"),
            ],
        ),
    ]
}

/// Every table of the warehouse: the star schema, then the system tables.
pub fn all_tables() -> Result<Vec<TableDef>> {
    let mut tables = parse_ddl(SCHEMA_SQL, PUBLIC)?;
    for (table, column, ref_table, ref_column) in EXTRA_FOREIGN_KEYS {
        let def = tables
            .iter_mut()
            .find(|t| t.name == *table)
            .ok_or_else(|| CatalogError::NoSuchTable {
                name: table.to_string(),
            })?;
        def.foreign_keys.push(ForeignKey {
            columns: vec![column.to_string()],
            references: format!("{PUBLIC}.{ref_table}"),
            ref_columns: vec![ref_column.to_string()],
        });
    }
    tables.extend(system_tables());
    Ok(tables)
}

fn col(name: &str, ty: ColumnType, nullable: bool) -> ColumnDef {
    ColumnDef {
        name: name.to_string(),
        ty,
        nullable,
        sensitivity: Sensitivity::None,
    }
}

/// The warehouse's operational history (see `crates/catalog/SCHEMA.md`, "System tables").
pub fn system_tables() -> Vec<TableDef> {
    use ColumnType::*;
    let sys = |name: &str, columns: Vec<ColumnDef>, pk: &[&str]| TableDef {
        schema: SYSTEM.to_string(),
        name: name.to_string(),
        role: TableRole::System,
        columns,
        primary_key: pk.iter().map(|s| s.to_string()).collect(),
        foreign_keys: vec![],
        unit_column: None,
    };
    vec![
        sys(
            "loads",
            vec![
                col("load_id", BigInt, false),
                col("source", Varchar, false),
                col("started_at", Timestamp, false),
                col("finished_at", Timestamp, false),
                col("files_read", Integer, false),
                col("rows_read", BigInt, false),
                col("rows_loaded", BigInt, false),
                col("rows_cleaned", BigInt, false),
                col("rows_quarantined", BigInt, false),
                col("rows_changed", BigInt, false),
                col("tables_changed", Varchar, false),
                col("warehouse_version", BigInt, false),
            ],
            &["load_id"],
        ),
        sys(
            "load_files",
            vec![
                col("load_id", BigInt, false),
                col("source_file", Varchar, false),
                col("target_table", Varchar, false),
                col("status", Varchar, false),
                col("rows_read", BigInt, false),
                col("rows_loaded", BigInt, false),
                col("rows_cleaned", BigInt, false),
                col("rows_quarantined", BigInt, false),
            ],
            &["load_id", "source_file"],
        ),
        sys(
            "quarantine",
            vec![
                col("load_id", BigInt, false),
                col("source_file", Varchar, false),
                col("line_number", BigInt, false),
                col("column_name", Varchar, true),
                col("rule", Varchar, false),
                col("message", Varchar, false),
                col("raw_value", Varchar, true),
                col("raw_row", Varchar, true),
            ],
            &["load_id", "source_file", "line_number"],
        ),
        sys(
            "cleansing",
            vec![
                col("load_id", BigInt, false),
                col("source_file", Varchar, false),
                col("line_number", BigInt, false),
                col("column_name", Varchar, false),
                col("rule", Varchar, false),
                col("raw_value", Varchar, true),
                col("clean_value", Varchar, true),
            ],
            &[
                "load_id",
                "source_file",
                "line_number",
                "column_name",
                "rule",
            ],
        ),
    ]
}

/// Parses the restricted DDL of `schema.sql`.
pub fn parse_ddl(sql: &str, schema: &str) -> Result<Vec<TableDef>> {
    let corrupt = |line: usize, message: String| CatalogError::Corrupt {
        path: format!("schema.sql:{line}"),
        message,
    };
    let mut tables = Vec::new();
    let mut current: Option<TableDef> = None;
    for (idx, raw) in sql.lines().enumerate() {
        let line_no = idx + 1;
        let (code, comment) = match raw.find("--") {
            Some(pos) => (&raw[..pos], &raw[pos + 2..]),
            None => (raw, ""),
        };
        let code = code.trim().trim_end_matches(',').trim();
        if code.is_empty() {
            continue;
        }
        let upper = code.to_ascii_uppercase();
        if let Some(rest) = upper.strip_prefix("CREATE TABLE ") {
            let name = rest.trim_end_matches('(').trim().to_ascii_lowercase();
            current = Some(TableDef {
                schema: schema.to_string(),
                role: role(&name),
                unit_column: unit_column(&name).map(str::to_string),
                name,
                columns: vec![],
                primary_key: vec![],
                foreign_keys: vec![],
            });
            continue;
        }
        let Some(table) = current.as_mut() else {
            return Err(corrupt(
                line_no,
                format!("statement outside CREATE TABLE: {code}"),
            ));
        };
        if code.starts_with(')') {
            if let Some(done) = current.take() {
                tables.push(done);
            }
            continue;
        }
        if let Some(rest) = upper.strip_prefix("PRIMARY KEY") {
            table.primary_key = split_list(rest);
            for pk in table.primary_key.clone() {
                if let Some(c) = table.columns.iter_mut().find(|c| c.name == pk) {
                    c.nullable = false;
                }
            }
            continue;
        }
        let mut words = code.split_whitespace();
        let (Some(name), Some(type_word)) = (words.next(), words.next()) else {
            return Err(corrupt(line_no, format!("cannot read column: {code}")));
        };
        let name = name.to_ascii_lowercase();
        let ty = parse_type(type_word)
            .ok_or_else(|| corrupt(line_no, format!("unknown type {type_word}")))?;
        let not_null = upper.contains("NOT NULL") || upper.contains("PRIMARY KEY");
        if upper.contains("PRIMARY KEY") {
            table.primary_key = vec![name.clone()];
        }
        if let Some(pos) = upper.find("REFERENCES ") {
            let target = &code[pos + "REFERENCES ".len()..];
            let (ref_table, ref_cols) = target
                .split_once('(')
                .ok_or_else(|| corrupt(line_no, format!("cannot read reference: {target}")))?;
            table.foreign_keys.push(ForeignKey {
                columns: vec![name.clone()],
                references: format!("{schema}.{}", ref_table.trim().to_ascii_lowercase()),
                ref_columns: split_list(&format!("({ref_cols}")),
            });
        }
        let comment_lc = comment.to_ascii_lowercase();
        let sensitivity = if comment_lc.contains("(pii") {
            Sensitivity::Pii
        } else if comment_lc.contains("sensitive") {
            Sensitivity::Demographic
        } else {
            Sensitivity::None
        };
        table.columns.push(ColumnDef {
            name,
            ty,
            nullable: !not_null,
            sensitivity,
        });
    }
    if let Some(open) = current {
        return Err(CatalogError::Corrupt {
            path: "schema.sql".into(),
            message: format!("CREATE TABLE {} is not closed", open.name),
        });
    }
    Ok(tables)
}

fn split_list(s: &str) -> Vec<String> {
    s.trim()
        .trim_start_matches('(')
        .split(')')
        .next()
        .unwrap_or_default()
        .split(',')
        .map(|c| c.trim().to_ascii_lowercase())
        .filter(|c| !c.is_empty())
        .collect()
}

fn parse_type(word: &str) -> Option<ColumnType> {
    let upper = word.to_ascii_uppercase();
    let base = upper.split('(').next().unwrap_or_default();
    Some(match base {
        "SMALLINT" => ColumnType::SmallInt,
        "INTEGER" | "INT" => ColumnType::Integer,
        "BIGINT" => ColumnType::BigInt,
        "DOUBLE" => ColumnType::Double,
        "BOOLEAN" => ColumnType::Boolean,
        "VARCHAR" | "CHAR" | "TEXT" => ColumnType::Varchar,
        "DATE" => ColumnType::Date,
        "TIMESTAMP" => ColumnType::Timestamp,
        "DECIMAL" | "NUMERIC" => {
            let args = upper.split_once('(')?.1.trim_end_matches(')');
            let (p, s) = args.split_once(',')?;
            ColumnType::Decimal {
                precision: p.trim().parse().ok()?,
                scale: s.trim().parse().ok()?,
            }
        }
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schema_sql_has_every_table_of_the_contract() -> Result<()> {
        let tables = all_tables()?;
        let names: Vec<_> = tables
            .iter()
            .filter(|t| t.schema == PUBLIC)
            .map(|t| t.name.as_str())
            .collect();
        assert_eq!(
            names,
            [
                "dim_date",
                "dim_term",
                "dim_department",
                "dim_program",
                "dim_course",
                "dim_section",
                "dim_instructor",
                "dim_student",
                "fact_enrollment",
                "fact_performance",
                "fact_attendance",
                "fact_student_term",
                "fact_degree",
                "fact_feedback"
            ]
        );
        let student =
            tables
                .iter()
                .find(|t| t.name == "dim_student")
                .ok_or(CatalogError::NoSuchTable {
                    name: "dim_student".into(),
                })?;
        assert_eq!(student.role, TableRole::Scd2Dimension);
        assert_eq!(student.columns.len(), 32);
        assert_eq!(student.primary_key, ["student_key"]);
        let email = student.column("email").ok_or(CatalogError::NoSuchTable {
            name: "email".into(),
        })?;
        assert_eq!(
            (email.sensitivity, email.nullable),
            (Sensitivity::Pii, false)
        );
        let pell = student
            .column("is_pell_recipient")
            .ok_or(CatalogError::NoSuchTable {
                name: "pell".into(),
            })?;
        assert_eq!(pell.sensitivity, Sensitivity::Demographic);
        let att = tables.iter().find(|t| t.name == "fact_attendance").ok_or(
            CatalogError::NoSuchTable {
                name: "fact_attendance".into(),
            },
        )?;
        assert_eq!(att.primary_key, ["student_key", "section_key", "date_key"]);
        assert!(
            att.columns
                .iter()
                .all(|c| att.primary_key.contains(&c.name) <= !c.nullable)
        );
        let enr = tables.iter().find(|t| t.name == "fact_enrollment").ok_or(
            CatalogError::NoSuchTable {
                name: "fact_enrollment".into(),
            },
        )?;
        assert_eq!(
            enr.column("credit_hours_attempted").map(|c| c.ty),
            Some(ColumnType::Decimal {
                precision: 3,
                scale: 1
            })
        );
        assert_eq!(enr.unit_column.as_deref(), Some("term_key"));
        assert!(
            enr.foreign_keys
                .iter()
                .any(|fk| fk.references == "public.dim_section")
        );
        let program =
            tables
                .iter()
                .find(|t| t.name == "dim_program")
                .ok_or(CatalogError::NoSuchTable {
                    name: "dim_program".into(),
                })?;
        assert_eq!(program.foreign_keys[0].references, "public.dim_department");
        assert_eq!(program.foreign_keys[0].ref_columns, ["department_key"]);
        Ok(())
    }
}
