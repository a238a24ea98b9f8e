//! `array_agg(DISTINCT x ORDER BY x)` in the order asked for. DataFusion 55 keeps the
//! distinct values in a set and sorts them at the end, but when another aggregate of the
//! same query needs the opposite order it reverses this one's ordering too and the values
//! come out backwards (`array_agg(x ORDER BY x DESC), array_agg(DISTINCT x ORDER BY x)`
//! gave `{3,2,1}` for the second). Before planning, the ordering is taken off the
//! aggregate and applied to its result with `array_sort`, with PostgreSQL's NULL
//! placement (last ascending, first descending, unless written).

use std::ops::ControlFlow;

use datafusion::sql::parser::Statement as DFStatement;
use datafusion::sql::sqlparser::ast::{
    DuplicateTreatment, Expr, Function, FunctionArg, FunctionArgExpr, FunctionArgumentClause,
    FunctionArgumentList, FunctionArguments, Ident, ObjectName, ObjectNamePart, Query, Value,
    VisitorMut,
};

/// `statement` with each `array_agg(DISTINCT x ORDER BY x)` sorted after aggregating.
pub fn resolve(statement: DFStatement) -> DFStatement {
    super::ast::visited(statement, &mut DistinctOrder)
}

struct DistinctOrder;

impl VisitorMut for DistinctOrder {
    type Break = ();

    // An unnamed select item keeps PostgreSQL's name for it (`array_agg`).
    fn pre_visit_query(&mut self, query: &mut Query) -> ControlFlow<()> {
        super::ast::name_query_items(query, &|e| {
            matches!(e, Expr::Function(f) if sorted_after(f).is_some())
                .then(|| "array_agg".to_string())
        });
        ControlFlow::Continue(())
    }

    fn post_visit_expr(&mut self, expr: &mut Expr) -> ControlFlow<()> {
        if let Expr::Function(f) = expr
            && let Some(sorted) = sorted_after(f)
        {
            *expr = sorted;
        }
        ControlFlow::Continue(())
    }
}

fn sorted_after(f: &Function) -> Option<Expr> {
    let [ObjectNamePart::Identifier(name)] = f.name.0.as_slice() else {
        return None;
    };
    if !name.value.eq_ignore_ascii_case("array_agg") || f.over.is_some() {
        return None;
    }
    let FunctionArguments::List(list) = &f.args else {
        return None;
    };
    if list.duplicate_treatment != Some(DuplicateTreatment::Distinct) {
        return None;
    }
    let [FunctionArgumentClause::OrderBy(order)] = list.clauses.as_slice() else {
        return None;
    };
    let [key] = order.as_slice() else {
        return None;
    };
    let ascending = key.options.asc.unwrap_or(true);
    let nulls_first = key.options.nulls_first.unwrap_or(!ascending);
    let mut unordered = f.clone();
    if let FunctionArguments::List(list) = &mut unordered.args {
        list.clauses.clear();
    }
    let text = |s: &str| {
        FunctionArg::Unnamed(FunctionArgExpr::Expr(Expr::Value(
            Value::SingleQuotedString(s.to_string()).into(),
        )))
    };
    Some(Expr::Function(Function {
        name: ObjectName(vec![ObjectNamePart::Identifier(Ident::new("array_sort"))]),
        uses_odbc_syntax: false,
        parameters: FunctionArguments::None,
        args: FunctionArguments::List(FunctionArgumentList {
            duplicate_treatment: None,
            args: vec![
                FunctionArg::Unnamed(FunctionArgExpr::Expr(Expr::Function(unordered))),
                text(if ascending { "ASC" } else { "DESC" }),
                text(if nulls_first {
                    "NULLS FIRST"
                } else {
                    "NULLS LAST"
                }),
            ],
            clauses: vec![],
        }),
        filter: None,
        null_treatment: None,
        over: None,
        within_group: vec![],
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::sql::parser::DFParser;

    #[test]
    fn the_ordering_moves_to_array_sort_and_other_aggregates_stay() {
        let mut statements = DFParser::parse_sql(
            "SELECT array_agg(DISTINCT x ORDER BY x DESC) FILTER (WHERE x > 1), \
             array_agg(x ORDER BY x), array_agg(DISTINCT x) FROM t",
        )
        .expect("the test's SQL parses");
        let out = resolve(statements.pop_front().expect("one statement")).to_string();
        assert!(
            out.contains(
                "array_sort(array_agg(DISTINCT x) FILTER (WHERE x > 1), 'DESC', 'NULLS FIRST')"
            ),
            "{out}"
        );
        assert!(out.contains("array_agg(x ORDER BY x)"), "{out}");
        assert_eq!(out.matches("array_sort").count(), 1, "{out}");
    }
}
