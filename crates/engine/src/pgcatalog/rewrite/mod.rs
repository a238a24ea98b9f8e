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

use std::ops::ControlFlow;
use std::sync::{Arc, OnceLock};

use datafusion::sql::parser::Statement as DFStatement;
use datafusion::sql::sqlparser::ast::{
    DataType as SqlType, Expr, FunctionArguments, Ident, LimitClause, ObjectNamePart, OrderByKind,
    Query, Select, SelectItem, SetExpr, Statement, TableFactor, Value, VisitMut, VisitorMut,
};
use datafusion::sql::sqlparser::dialect::PostgreSqlDialect;
use datafusion::sql::sqlparser::parser::Parser;
mod lifts;
mod names;
mod regtypes;
mod subqueries;
mod syntax;
#[cfg(test)]
mod tests;

use lifts::{DistinctOnSubqueries, InSubqueryValues, TrivialCtes};
pub(crate) use names::postgres_name;
use names::{OwnCatalogTables, PostgresColumnNames};
pub use names::{client_name, client_schema};
use regtypes::RegTypeOutput;
use subqueries::{EmptyCatalogScans, SubqueryForms};
pub use syntax::backslash_escaped;
use syntax::{
    ByteaLiterals, FieldAccess, FromClauseFunctions, LikeEscapes, RegexSubstring,
    SetReturningFunctions, SystemColumns, VectorSubscripts,
};

use datafusion_pg_catalog::sql::rules::{
    CurrentUserVariableToSessionUserFunctionCall, FixArrayLiteral, PrependUnqualifiedPgTableName,
    ResolveUnqualifiedIdentifier, RewriteArrayAnyAllOperation, RewritePgCatalogOperator,
    RewriteRegCastToSubquery, SqlStatementRewriteRule, StripCallableQualifier, StripCollate,
};

fn rules() -> &'static [Arc<dyn SqlStatementRewriteRule>] {
    static RULES: OnceLock<Vec<Arc<dyn SqlStatementRewriteRule>>> = OnceLock::new();
    RULES.get_or_init(|| {
        vec![
            Arc::new(PostgresColumnNames),
            Arc::new(TrivialCtes),
            Arc::new(InSubqueryValues),
            Arc::new(DistinctOnSubqueries),
            Arc::new(FromClauseFunctions),
            Arc::new(VectorSubscripts),
            Arc::new(SystemColumns),
            Arc::new(LikeEscapes),
            Arc::new(RegexSubstring),
            Arc::new(ByteaLiterals),
            Arc::new(SetReturningFunctions),
            Arc::new(FieldAccess),
            Arc::new(RegTypeOutput),
            Arc::new(EmptyCatalogScans),
            Arc::new(SubqueryForms),
            Arc::new(ResolveUnqualifiedIdentifier),
            Arc::new(RewriteArrayAnyAllOperation),
            Arc::new(PrependUnqualifiedPgTableName),
            Arc::new(OwnCatalogTables),
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

/// Calls `f` on every `SELECT` of a query body (each branch of a set operation).
fn for_each_select(body: &mut SetExpr, f: &mut dyn FnMut(&mut Select)) {
    match body {
        SetExpr::Select(select) => f(select),
        SetExpr::SetOperation { left, right, .. } => {
            for_each_select(left, f);
            for_each_select(right, f);
        }
        _ => {}
    }
}

/// The lower-cased parts of a plain table's name in `FROM` (`pg_catalog.pg_class` →
/// `["pg_catalog", "pg_class"]`); `None` for a derived table or a table function.
fn table_name_parts(factor: &TableFactor) -> Option<Vec<String>> {
    let TableFactor::Table {
        name, args: None, ..
    } = factor
    else {
        return None;
    };
    Some(
        name.0
            .iter()
            .filter_map(ObjectNamePart::as_ident)
            .map(|i| i.value.to_lowercase())
            .collect(),
    )
}

/// `s` with `f` applied to every query, outermost first (subqueries and CTEs included):
/// the shape of a rule that reshapes queries.
fn map_queries(mut s: Statement, f: impl FnMut(&mut Query)) -> Statement {
    struct Each<F>(F);
    impl<F: FnMut(&mut Query)> VisitorMut for Each<F> {
        type Break = ();
        fn pre_visit_query(&mut self, q: &mut Query) -> ControlFlow<()> {
            (self.0)(q);
            ControlFlow::Continue(())
        }
    }
    let _ = s.visit(&mut Each(f));
    s
}

/// `s` with `f` applied to every expression, innermost first (sqlparser's post-order
/// walk): the shape of a rule that replaces expressions one at a time.
fn map_exprs(mut s: Statement, mut f: impl FnMut(&mut Expr)) -> Statement {
    let _ = datafusion::sql::sqlparser::ast::visit_expressions_mut(&mut s, |e| {
        f(e);
        ControlFlow::<()>::Continue(())
    });
    s
}

/// An expression of PostgreSQL syntax (the rules build replacements as text).
fn parse_expr(sql: &str) -> Option<Expr> {
    Parser::new(&PostgreSqlDialect {})
        .try_with_sql(sql)
        .ok()?
        .parse_expr()
        .ok()
}
