//! Rewrites of parsed statements so that SQL written for PostgreSQL plans in DataFusion
//! with PostgreSQL's meaning. Every rule works on the syntax tree (never on text) and
//! changes spelling, not results:
//!
//! - [`PostgresColumnNames`] (ours): an unnamed select item is named as PostgreSQL names
//!   it (`count(*)` → `count`, `x::int` → `x`, `1` → `?column?`), so clients that read
//!   columns by name (pandas, JDBC `getString("count")`) find them.
//! - From `datafusion-pg-catalog`: `pg_catalog.` prefixes on functions, unqualified
//!   catalog tables, `OPERATOR(pg_catalog.~)`, `COLLATE`, `'name'::regclass` lookups,
//!   `current_user`/`current_schema` without parentheses, `= ANY('{...}')`, duplicated
//!   projection names. Its rule that replaces correlated subqueries with NULL is not
//!   used: it changes answers.

use std::collections::HashSet;
use std::ops::ControlFlow;
use std::sync::{Arc, OnceLock};

use datafusion::sql::parser::Statement as DFStatement;
use datafusion::sql::sqlparser::ast::{
    DataType as SqlType, Expr, Ident, Query, Select, SelectItem, SetExpr, Statement, VisitMut,
    VisitorMut,
};
use datafusion_pg_catalog::sql::rules::{
    AliasDuplicatedProjectionRewrite, CurrentUserVariableToSessionUserFunctionCall,
    FixArrayLiteral, PrependUnqualifiedPgTableName, ResolveUnqualifiedIdentifier,
    RewriteArrayAnyAllOperation, RewritePgCatalogOperator, RewriteRegCastToSubquery,
    SqlStatementRewriteRule, StripCallableQualifier, StripCollate,
};

fn rules() -> &'static [Arc<dyn SqlStatementRewriteRule>] {
    static RULES: OnceLock<Vec<Arc<dyn SqlStatementRewriteRule>>> = OnceLock::new();
    RULES.get_or_init(|| {
        vec![
            Arc::new(PostgresColumnNames),
            Arc::new(AliasDuplicatedProjectionRewrite),
            Arc::new(ResolveUnqualifiedIdentifier),
            Arc::new(RewriteArrayAnyAllOperation),
            Arc::new(PrependUnqualifiedPgTableName),
            Arc::new(StripCallableQualifier),
            Arc::new(FixArrayLiteral),
            Arc::new(CurrentUserVariableToSessionUserFunctionCall),
            Arc::new(StripCollate),
            Arc::new(RewritePgCatalogOperator),
            Arc::new(RewriteRegCastToSubquery::new()),
        ]
    })
}

/// Applies every rule to a statement DataFusion will plan.
pub fn rewrite(statement: DFStatement) -> DFStatement {
    match statement {
        DFStatement::Statement(s) => {
            let mut s = *s;
            for rule in rules() {
                s = rule.rewrite(s);
            }
            DFStatement::Statement(Box::new(s))
        }
        other => other,
    }
}

/// Names unnamed select items the way PostgreSQL does, where the name is unique in its
/// select list (DataFusion requires unique names; PostgreSQL allows duplicates, and a
/// duplicate keeps DataFusion's name).
#[derive(Debug)]
pub struct PostgresColumnNames;

impl SqlStatementRewriteRule for PostgresColumnNames {
    fn rewrite(&self, mut s: Statement) -> Statement {
        let _ = s.visit(&mut NameVisitor);
        s
    }
}

struct NameVisitor;

impl VisitorMut for NameVisitor {
    type Break = ();

    fn pre_visit_query(&mut self, query: &mut Query) -> ControlFlow<Self::Break> {
        name_set_expr(query.body.as_mut());
        ControlFlow::Continue(())
    }
}

fn name_set_expr(body: &mut SetExpr) {
    match body {
        SetExpr::Select(select) => name_select(select),
        // Only the first branch of a UNION names the columns.
        SetExpr::SetOperation { left, .. } => name_set_expr(left),
        _ => {}
    }
}

fn name_select(select: &mut Select) {
    let existing: Vec<Option<String>> = select
        .projection
        .iter()
        .map(|item| match item {
            SelectItem::ExprWithAlias { alias, .. } => Some(alias.value.to_lowercase()),
            SelectItem::UnnamedExpr(Expr::Identifier(id)) => Some(id.value.to_lowercase()),
            SelectItem::UnnamedExpr(Expr::CompoundIdentifier(ids)) => {
                ids.last().map(|id| id.value.to_lowercase())
            }
            _ => None,
        })
        .collect();
    let proposed: Vec<Option<String>> = select
        .projection
        .iter()
        .map(|item| match item {
            SelectItem::UnnamedExpr(expr) if !is_column(expr) => postgres_name(expr),
            _ => None,
        })
        .collect();
    let mut taken: HashSet<String> = existing.iter().flatten().cloned().collect();
    let mut counts: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
    for name in proposed.iter().flatten() {
        *counts.entry(name.as_str()).or_default() += 1;
    }
    let unique: Vec<Option<String>> = proposed
        .iter()
        .map(|p| {
            p.as_ref()
                .filter(|n| counts.get(n.as_str()) == Some(&1) && !taken.contains(*n))
                .cloned()
        })
        .collect();
    for (item, name) in select.projection.iter_mut().zip(unique) {
        if let (SelectItem::UnnamedExpr(expr), Some(name)) = (&*item, name) {
            taken.insert(name.clone());
            *item = SelectItem::ExprWithAlias {
                expr: expr.clone(),
                alias: Ident::with_quote('"', name),
            };
        }
    }
}

fn is_column(expr: &Expr) -> bool {
    matches!(expr, Expr::Identifier(_) | Expr::CompoundIdentifier(_))
}

/// PostgreSQL's name for an unnamed select item (`FigureColname` in its parser).
fn postgres_name(expr: &Expr) -> Option<String> {
    Some(match expr {
        Expr::Identifier(id) => id.value.to_lowercase(),
        Expr::CompoundIdentifier(ids) => ids.last()?.value.to_lowercase(),
        Expr::Function(f) => {
            let last = f.name.0.last()?.as_ident()?;
            last.value.to_lowercase()
        }
        Expr::Cast {
            expr, data_type, ..
        } => match postgres_name(expr) {
            Some(n) if n != "?column?" => n,
            _ => type_name(data_type)?,
        },
        Expr::Nested(inner) => postgres_name(inner)?,
        Expr::Case { .. } => "case".into(),
        Expr::Exists { .. } => "exists".into(),
        Expr::Array(_) => "array".into(),
        Expr::Extract { .. } => "extract".into(),
        Expr::Substring { .. } => "substring".into(),
        Expr::Position { .. } => "position".into(),
        Expr::Trim { .. } => "btrim".into(),
        Expr::Ceil { .. } => "ceil".into(),
        Expr::Floor { .. } => "floor".into(),
        Expr::Subquery(_) => return None,
        _ => "?column?".into(),
    })
}

/// PostgreSQL's internal type names, which name a cast of a constant (`'1'::int` → `int4`).
fn type_name(data_type: &SqlType) -> Option<String> {
    let text = data_type.to_string().to_lowercase();
    let base = text.split('(').next().unwrap_or(&text).trim();
    Some(
        match base {
            "int" | "integer" | "int4" => "int4",
            "bigint" | "int8" => "int8",
            "smallint" | "int2" => "int2",
            "real" | "float4" => "float4",
            "double precision" | "double" | "float8" | "float" => "float8",
            "numeric" | "decimal" => "numeric",
            "boolean" | "bool" => "bool",
            "text" => "text",
            "varchar" | "character varying" => "varchar",
            "date" => "date",
            "timestamp" => "timestamp",
            "timestamptz" | "timestamp with time zone" => "timestamptz",
            "interval" => "interval",
            "bytea" => "bytea",
            "regclass" => "regclass",
            "regtype" => "regtype",
            "oid" => "oid",
            _ => return None,
        }
        .to_string(),
    )
}

#[cfg(test)]
mod tests {
    use datafusion::sql::parser::DFParserBuilder;
    use datafusion::sql::sqlparser::dialect::PostgreSqlDialect;

    use super::*;

    fn rewritten(sql: &str) -> String {
        let dialect = PostgreSqlDialect {};
        let statement = DFParserBuilder::new(sql)
            .with_dialect(&dialect)
            .build()
            .and_then(|mut p| p.parse_statement())
            .expect("parses");
        rewrite(statement).to_string()
    }

    #[test]
    fn unnamed_items_get_postgres_names() {
        assert_eq!(
            rewritten("select count(*), max(x) from t"),
            "SELECT count(*) AS \"count\", max(x) AS \"max\" FROM t"
        );
        assert_eq!(
            rewritten("select 1, x::int, '7'::integer as seven"),
            "SELECT 1 AS \"?column?\", x::INT AS \"x\", '7'::INTEGER AS seven"
        );
        // Duplicates keep DataFusion's names (it needs unique names).
        assert_eq!(
            rewritten("select count(*), count(y) from t"),
            "SELECT count(*), count(y) FROM t"
        );
        assert!(rewritten("select version()").contains("AS \"version\""));
        assert!(rewritten("select a, b from t").ends_with("SELECT a, b FROM t"));
    }

    #[test]
    fn catalog_spellings_are_normalised() {
        let sql = rewritten("select pg_catalog.format_type(1, 2) from pg_class");
        assert!(sql.contains("format_type(1, 2)"), "{sql}");
        assert!(sql.contains("pg_catalog.pg_class"), "{sql}");
    }
}
