//! What a rollup's joins assume of its tables, checked whenever its states are written.
//!
//! A rollup joins a fact to dimensions along the catalog's foreign keys, and a rollup is
//! only worth its name if those keys hold: every fact key has its dimension row (no
//! orphan, which an inner join would silently drop from the states) and a dimension key
//! is on one row (no duplicate, which would count a fact row twice). Loads conform keys,
//! but a table written some other way may break them. A rollup whose inputs break one is
//! still written, but *disabled* with the reason (`system.rollups`): queries are answered
//! from the base tables until a refresh finds the keys whole again.

use std::collections::{BTreeMap, BTreeSet};

use arrow::array::{Array, AsArray};
use arrow::datatypes::{DataType, Int64Type};
use lyceum_catalog::WarehouseVersion;

use super::build::DefinitionPlanner;
use super::shape::{Shape, column_equality};
use crate::error::Result;

/// A single-column foreign key between two tables a rollup reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Edge {
    /// `schema.table` holding the key.
    pub table: String,
    pub column: String,
    /// `schema.table` it refers to.
    pub references: String,
    pub ref_column: String,
}

/// The catalog's foreign keys from one of `tables` to another.
pub fn edges(manifest: &WarehouseVersion, tables: &BTreeSet<String>) -> Vec<Edge> {
    let mut edges = Vec::new();
    for table in tables {
        let Some(entry) = manifest.tables.get(table) else {
            continue;
        };
        for fk in &entry.definition.foreign_keys {
            if let ([column], [ref_column]) = (fk.columns.as_slice(), fk.ref_columns.as_slice())
                && tables.contains(&fk.references)
            {
                edges.push(Edge {
                    table: table.clone(),
                    column: column.clone(),
                    references: fk.references.clone(),
                    ref_column: ref_column.clone(),
                });
            }
        }
    }
    edges
}

/// `schema.table` as a quoted SQL name.
fn quoted(qualified: &str) -> String {
    qualified
        .split('.')
        .map(ident)
        .collect::<Vec<_>>()
        .join(".")
}

fn ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// The number of rows `sql` counts in its first column and an example from its second.
async fn count_and_example(planner: &DefinitionPlanner, sql: &str) -> Result<(i64, String)> {
    let batches = planner.run(sql).await?;
    let Some(batch) = batches.iter().find(|b| b.num_rows() > 0) else {
        return Ok((0, String::new()));
    };
    let counts = arrow::compute::cast(batch.column(0), &DataType::Int64)?;
    let n = counts.as_primitive::<Int64Type>().value(0);
    let examples = arrow::compute::cast(batch.column(1), &DataType::Utf8)?;
    let examples = examples.as_string::<i32>();
    let example = if examples.is_null(0) {
        String::new()
    } else {
        examples.value(0).to_string()
    };
    Ok((n, example))
}

/// Why `edge`'s keys are not all in its referenced table, reading `edge.table` as
/// `planner` resolves it (all of it, or only rows a load appended).
pub async fn orphans(planner: &DefinitionPlanner, edge: &Edge) -> Result<Option<String>> {
    let (fact, dim) = (quoted(&edge.table), quoted(&edge.references));
    let (column, key) = (ident(&edge.column), ident(&edge.ref_column));
    let sql = format!(
        "SELECT count(*), min(CAST(f.{column} AS VARCHAR)) FROM {fact} f \
         WHERE f.{column} IS NOT NULL \
         AND NOT EXISTS (SELECT 1 FROM {dim} d WHERE d.{key} = f.{column})"
    );
    let (n, example) = count_and_example(planner, &sql).await?;
    Ok((n > 0).then(|| {
        format!(
            "{n} row(s) of {} have a {} with no row in {} (an orphan key, e.g. {example})",
            edge.table, edge.column, edge.references
        )
    }))
}

/// Why `table.column` is not a key: a value on more than one row.
pub async fn duplicates(
    planner: &DefinitionPlanner,
    table: &str,
    column: &str,
) -> Result<Option<String>> {
    let (name, column_sql) = (quoted(table), ident(column));
    let sql = format!(
        "SELECT count(*), min(k) FROM (SELECT CAST({column_sql} AS VARCHAR) AS k FROM {name} \
         WHERE {column_sql} IS NOT NULL GROUP BY {column_sql} HAVING count(*) > 1) dup"
    );
    let (n, example) = count_and_example(planner, &sql).await?;
    Ok((n > 0).then(|| {
        format!(
            "{n} value(s) of {table}.{column} are on more than one row (a duplicate key, e.g. {example})"
        )
    }))
}

/// The first broken key among all of `edges`, reading every table whole.
pub async fn violation(planner: &DefinitionPlanner, edges: &[Edge]) -> Result<Option<String>> {
    let mut keys = BTreeSet::new();
    for edge in edges {
        if keys.insert((edge.references.clone(), edge.ref_column.clone()))
            && let Some(reason) = duplicates(planner, &edge.references, &edge.ref_column).await?
        {
            return Ok(Some(reason));
        }
        if let Some(reason) = orphans(planner, edge).await? {
            return Ok(Some(reason));
        }
    }
    Ok(None)
}

/// The dimensions a rollup of `shape` joins without changing its rows: each joined by
/// one equality `kept.fk = dimension.key` along a catalog foreign key whose column is
/// NOT NULL, and by nothing else. The keys of every such join are checked when states
/// are written (no orphan, no duplicate), so each row of `kept` meets exactly one
/// dimension row and a query that does not join the dimension reads the same rows: it
/// can be answered from the rollup as if the join were not there. Dimension →
/// (the table it is joined to, the canonical text of the join's equality).
pub fn lossless_joins(
    shape: &Shape,
    manifest: &WarehouseVersion,
) -> BTreeMap<String, (String, String)> {
    let split = |text: &str| {
        text.rsplit_once('.')
            .map(|(t, c)| (t.to_string(), c.to_string()))
    };
    let mut joins = BTreeMap::new();
    for dimension in &shape.tables {
        let touching: Vec<(&String, &datafusion::logical_expr::Expr)> = shape
            .predicates
            .iter()
            .filter(|(_, p)| {
                p.column_refs().iter().any(|c| {
                    c.relation
                        .as_ref()
                        .is_some_and(|r| r.to_string() == *dimension)
                })
            })
            .collect();
        let [(text, predicate)] = touching.as_slice() else {
            continue;
        };
        let Some((a, b)) = column_equality(predicate) else {
            continue;
        };
        let (Some(a), Some(b)) = (split(&a), split(&b)) else {
            continue;
        };
        let ((kept, fk), (_, key)) = if b.0 == *dimension {
            (a, b)
        } else if a.0 == *dimension {
            (b, a)
        } else {
            continue;
        };
        let Some(entry) = manifest.tables.get(&kept) else {
            continue;
        };
        let along_key = entry.definition.foreign_keys.iter().any(|f| {
            f.columns == [fk.clone()]
                && f.references == *dimension
                && f.ref_columns == [key.clone()]
        });
        let not_null = entry
            .definition
            .columns
            .iter()
            .any(|c| c.name == fk && !c.nullable);
        if along_key && not_null && kept != *dimension {
            joins.insert(dimension.clone(), (kept, (*text).clone()));
        }
    }
    joins
}
