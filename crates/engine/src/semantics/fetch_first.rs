//! `FETCH FIRST n ROWS ONLY`, the SQL standard's `LIMIT n`, which DataFusion 55 parses
//! but refuses: before planning it becomes the `LIMIT` it means (`FETCH FIRST ROW ONLY`
//! is one row), beside any `OFFSET`. `WITH TIES` and `PERCENT` stay refused.

use std::ops::ControlFlow;

use datafusion::sql::parser::Statement as DFStatement;
use datafusion::sql::sqlparser::ast::{Expr, LimitClause, Query, Value, VisitorMut};

pub fn resolve(statement: DFStatement) -> DFStatement {
    super::ast::visited(statement, &mut FetchFirst)
}

struct FetchFirst;

impl VisitorMut for FetchFirst {
    type Break = ();

    fn pre_visit_query(&mut self, query: &mut Query) -> ControlFlow<()> {
        let Some(fetch) = &query.fetch else {
            return ControlFlow::Continue(());
        };
        if fetch.with_ties || fetch.percent {
            return ControlFlow::Continue(());
        }
        let rows = fetch
            .quantity
            .clone()
            .unwrap_or_else(|| Expr::Value(Value::Number("1".to_string(), false).into()));
        match &mut query.limit_clause {
            None => {
                query.limit_clause = Some(LimitClause::LimitOffset {
                    limit: Some(rows),
                    offset: None,
                    limit_by: vec![],
                });
            }
            Some(LimitClause::LimitOffset {
                limit: limit @ None,
                ..
            }) => *limit = Some(rows),
            // LIMIT and FETCH together: PostgreSQL refuses it too.
            Some(_) => return ControlFlow::Continue(()),
        }
        query.fetch = None;
        ControlFlow::Continue(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::sql::parser::DFParser;

    #[test]
    fn fetch_first_becomes_limit_and_with_ties_stays() {
        let rewrite = |sql: &str| {
            let mut statements = DFParser::parse_sql(sql).expect("the test's SQL parses");
            resolve(statements.pop_front().expect("one statement")).to_string()
        };
        assert_eq!(
            rewrite("SELECT a FROM t ORDER BY a FETCH FIRST 5 ROWS ONLY"),
            "SELECT a FROM t ORDER BY a LIMIT 5"
        );
        assert_eq!(
            rewrite("SELECT a FROM t ORDER BY a OFFSET 2 ROWS FETCH NEXT ROW ONLY"),
            "SELECT a FROM t ORDER BY a LIMIT 1 OFFSET 2 ROWS"
        );
        assert!(
            rewrite("SELECT a FROM t ORDER BY a FETCH FIRST 5 ROWS WITH TIES").contains("FETCH")
        );
    }
}
