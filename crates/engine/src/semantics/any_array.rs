//! `x op ANY (array)` with SQL's NULLs. DataFusion 55 plans it over the array's non-NULL
//! elements only, so `3 = ANY (ARRAY[5, NULL])` and `0 > ANY (ARRAY[1, NULL])` were false
//! where PostgreSQL answers NULL (one comparison is unknown, none is true). Before
//! planning, each such comparison becomes: NULL for a NULL array; true when DataFusion's
//! answer is; otherwise NULL when `x` is NULL (and the array not empty) or the array holds a
//! NULL; else false. `ANY (subquery)` and `ALL` are planned with SQL's NULLs already.
//! Only the outermost query is rewritten (see [`AnyArrays`]).

use std::ops::ControlFlow;

use datafusion::sql::parser::Statement as DFStatement;
use datafusion::sql::sqlparser::ast::{
    Expr, Ident, Query, SelectItem, SetExpr, VisitMut, VisitorMut,
};
use datafusion::sql::sqlparser::dialect::PostgreSqlDialect;
use datafusion::sql::sqlparser::parser::Parser;

/// `statement` with every `op ANY (array)` answering as SQL defines it.
pub fn resolve(mut statement: DFStatement) -> DFStatement {
    if let DFStatement::Statement(s) = &mut statement {
        let _ = s.visit(&mut AnyArrays { depth: 0 });
    }
    statement
}

/// Rewrites the outermost query's comparisons only: in a subquery the `CASE` repeats what
/// may be an outer reference, and DataFusion cannot decorrelate that (pgAdmin's
/// `EXISTS (... att.attnum = ANY (conkey))`); a subquery keeps DataFusion's plan.
struct AnyArrays {
    depth: usize,
}

impl VisitorMut for AnyArrays {
    type Break = ();

    // An unnamed select item keeps the name PostgreSQL gives it, not its rewrite's (`case`).
    fn pre_visit_query(&mut self, query: &mut Query) -> ControlFlow<()> {
        self.depth += 1;
        if self.depth == 1 {
            name_items(&mut query.body);
        }
        ControlFlow::Continue(())
    }

    fn post_visit_query(&mut self, _query: &mut Query) -> ControlFlow<()> {
        self.depth = self.depth.saturating_sub(1);
        ControlFlow::Continue(())
    }

    fn post_visit_expr(&mut self, expr: &mut Expr) -> ControlFlow<()> {
        if self.depth <= 1
            && is_any_of_array(expr)
            && let Some(rewritten) = with_nulls(expr)
        {
            *expr = rewritten;
        }
        ControlFlow::Continue(())
    }
}

fn name_items(body: &mut SetExpr) {
    match body {
        SetExpr::Select(select) => {
            for item in &mut select.projection {
                if let SelectItem::UnnamedExpr(e) = item
                    && is_any_of_array(e)
                {
                    *item = SelectItem::ExprWithAlias {
                        expr: e.clone(),
                        alias: Ident::with_quote('"', "?column?"),
                    };
                }
            }
        }
        SetExpr::SetOperation { left, right, .. } => {
            name_items(left);
            name_items(right);
        }
        _ => {}
    }
}

fn is_any_of_array(e: &Expr) -> bool {
    matches!(e, Expr::AnyOp { right, .. } if !matches!(right.as_ref(), Expr::Subquery(_)))
}

/// The comparison as a `CASE` over DataFusion's own answer (`None`: left as it is).
fn with_nulls(any: &Expr) -> Option<Expr> {
    let Expr::AnyOp { left, right, .. } = any else {
        return None;
    };
    let (x, array) = (left.to_string(), right.to_string());
    let sql = format!(
        "CASE WHEN ({array}) IS NULL THEN NULL \
              WHEN {any} THEN TRUE \
              WHEN cardinality({array}) = 0 THEN FALSE \
              WHEN ({x}) IS NULL THEN NULL \
              WHEN array_position({array}, NULL) IS NOT NULL THEN NULL \
              ELSE FALSE END"
    );
    Parser::new(&PostgreSqlDialect {})
        .try_with_sql(&sql)
        .ok()?
        .parse_expr()
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::sql::parser::DFParser;

    #[test]
    fn any_of_an_array_is_wrapped_and_a_subquery_is_not() {
        let mut statements = DFParser::parse_sql(
            "SELECT 3 = ANY (ARRAY[5, NULL]), x IN (SELECT 1), 1 = ANY (SELECT 1), \
             EXISTS (SELECT 1 FROM u WHERE t.a = ANY (u.b)) FROM t",
        )
        .expect("the test's SQL parses");
        let out = resolve(statements.pop_front().expect("one statement")).to_string();
        assert!(
            out.contains("WHEN 3 = ANY(ARRAY[5, NULL]) THEN true"),
            "{out}"
        );
        assert!(
            out.contains("array_position(ARRAY[5, NULL], NULL)"),
            "{out}"
        );
        assert!(out.contains("1 = ANY(SELECT 1)"), "{out}");
        assert!(out.contains("t.a = ANY(u.b)"), "{out}");
        assert_eq!(out.matches("CASE").count(), 1, "{out}");
    }
}
