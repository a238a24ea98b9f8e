//! `mod(a, b)`: PostgreSQL's function form of `a % b` (same types, same remainder's sign as
//! the dividend), which DataFusion 55 lacks: written as the operator before planning. An
//! unnamed select item keeps PostgreSQL's name for it (`mod`).

use std::ops::ControlFlow;

use datafusion::sql::parser::Statement as DFStatement;
use datafusion::sql::sqlparser::ast::{
    BinaryOperator, Expr, Function, FunctionArg, FunctionArgExpr, FunctionArguments,
    ObjectNamePart, Query, VisitorMut,
};

pub fn resolve(statement: DFStatement) -> DFStatement {
    super::ast::visited(statement, &mut Modulo)
}

struct Modulo;

impl VisitorMut for Modulo {
    type Break = ();

    fn pre_visit_query(&mut self, query: &mut Query) -> ControlFlow<()> {
        super::ast::name_query_items(query, &|e| {
            matches!(e, Expr::Function(f) if operands(f).is_some()).then(|| "mod".to_string())
        });
        ControlFlow::Continue(())
    }

    fn post_visit_expr(&mut self, expr: &mut Expr) -> ControlFlow<()> {
        if let Expr::Function(f) = expr
            && let Some((a, b)) = operands(f)
        {
            *expr = Expr::Nested(Box::new(Expr::BinaryOp {
                left: Box::new(Expr::Nested(Box::new(a))),
                op: BinaryOperator::Modulo,
                right: Box::new(Expr::Nested(Box::new(b))),
            }));
        }
        ControlFlow::Continue(())
    }
}

/// The two operands of a plain `mod(a, b)` call.
fn operands(f: &Function) -> Option<(Expr, Expr)> {
    let [ObjectNamePart::Identifier(name)] = f.name.0.as_slice() else {
        return None;
    };
    if !name.value.eq_ignore_ascii_case("mod") || f.over.is_some() || f.filter.is_some() {
        return None;
    }
    let FunctionArguments::List(list) = &f.args else {
        return None;
    };
    if list.duplicate_treatment.is_some() || !list.clauses.is_empty() {
        return None;
    }
    match list.args.as_slice() {
        [
            FunctionArg::Unnamed(FunctionArgExpr::Expr(a)),
            FunctionArg::Unnamed(FunctionArgExpr::Expr(b)),
        ] => Some((a.clone(), b.clone())),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::sql::parser::DFParser;

    #[test]
    fn mod_becomes_the_operator_under_its_name() {
        let mut statements =
            DFParser::parse_sql("SELECT mod(a, 5), sum(mod(a + 1, b)) AS s FROM t")
                .expect("the test's SQL parses");
        let out = resolve(statements.pop_front().expect("one statement")).to_string();
        assert_eq!(
            out,
            r#"SELECT ((a) % (5)) AS "mod", sum(((a + 1) % (b))) AS s FROM t"#
        );
    }
}
