//! PostgreSQL's JSON syntax written as calls of Lyceum's JSON functions, before planning:
//! `x::json` / `x::jsonb` (DataFusion 55 has no such types), the operators `->`, `->>`,
//! `#>`, `#>>`, `@>`, `<@`, `?`, `?|`, `?&` and, on an operand that is `jsonb`
//! by its syntax, `||` and `-`; and the aggregates `json_agg`, `jsonb_agg`,
//! `json_object_agg`, `jsonb_object_agg` as `array_agg` (which keeps `DISTINCT`,
//! `ORDER BY`, `FILTER` and `OVER`) finished by a function writing the JSON. A select item
//! without a name keeps the one PostgreSQL gives it.

use std::ops::ControlFlow;

use datafusion::sql::parser::Statement as DFStatement;
use datafusion::sql::sqlparser::ast::{
    BinaryOperator, DataType, Expr, Function, FunctionArg, FunctionArgExpr, FunctionArguments,
    Ident, ObjectName, ObjectNamePart, Query, Value, VisitorMut,
};

use super::super::ast::{self, call};

/// `statement` with its JSON syntax as function calls.
pub fn resolve(statement: DFStatement) -> DFStatement {
    ast::visited(statement, &mut JsonSyntax)
}

struct JsonSyntax;

impl VisitorMut for JsonSyntax {
    type Break = ();

    // An unnamed item keeps the name PostgreSQL gives it, not its rewrite's.
    fn pre_visit_query(&mut self, query: &mut Query) -> ControlFlow<()> {
        ast::name_query_items(query, &|e| {
            is_json_syntax(e).then(|| pg_name(e).unwrap_or_else(|| "?column?".to_string()))
        });
        ControlFlow::Continue(())
    }

    fn post_visit_expr(&mut self, expr: &mut Expr) -> ControlFlow<()> {
        if let Some(rewritten) = rewrite(expr) {
            *expr = rewritten;
        }
        ControlFlow::Continue(())
    }
}

/// Whether the pass rewrites `e` itself.
fn is_json_syntax(e: &Expr) -> bool {
    match e {
        Expr::Nested(inner) => is_json_syntax(inner),
        Expr::Cast { data_type, .. } => is_json_type(data_type),
        Expr::BinaryOp { op, left, right } => {
            json_operator(op).is_some()
                || matches!(op, BinaryOperator::StringConcat) && (is_jsonb(left) || is_jsonb(right))
                || matches!(op, BinaryOperator::Minus) && is_jsonb(left)
        }
        Expr::Function(f) => aggregate(f).is_some(),
        _ => false,
    }
}

/// PostgreSQL's name for a select item: a column's, a function's, a cast's operand's (or
/// its type's), else none (`?column?`).
fn pg_name(e: &Expr) -> Option<String> {
    match e {
        Expr::Nested(inner) => pg_name(inner),
        Expr::Identifier(i) => Some(i.value.clone()),
        Expr::CompoundIdentifier(parts) => parts.last().map(|i| i.value.clone()),
        Expr::Function(f) => f
            .name
            .0
            .last()
            .and_then(|p| p.as_ident())
            .map(|i| i.value.to_lowercase()),
        Expr::Cast {
            expr, data_type, ..
        } => pg_name(expr).or_else(|| match data_type {
            DataType::JSON => Some("json".to_string()),
            DataType::JSONB => Some("jsonb".to_string()),
            _ => None,
        }),
        _ => None,
    }
}

fn is_json_type(t: &DataType) -> bool {
    matches!(t, DataType::JSON | DataType::JSONB)
}

/// The function an operator that only JSON has becomes, and whether it swaps operands.
fn json_operator(op: &BinaryOperator) -> Option<(&'static str, bool)> {
    Some(match op {
        BinaryOperator::Arrow => ("lyceum_json_get", false),
        BinaryOperator::LongArrow => ("lyceum_json_get_text", false),
        BinaryOperator::HashArrow => ("lyceum_json_path", false),
        BinaryOperator::HashLongArrow => ("lyceum_json_path_text", false),
        BinaryOperator::AtArrow => ("lyceum_jsonb_contains", false),
        BinaryOperator::ArrowAt => ("lyceum_jsonb_contains", true),
        BinaryOperator::Question => ("lyceum_jsonb_exists", false),
        BinaryOperator::QuestionPipe => ("lyceum_jsonb_exists_any", false),
        BinaryOperator::QuestionAnd => ("lyceum_jsonb_exists_all", false),
        _ => return None,
    })
}

/// Functions whose result is `jsonb` (after this pass or as written).
const JSONB_FUNCTIONS: &[&str] = &[
    "lyceum_jsonb",
    "jsonb_build_object",
    "jsonb_build_array",
    "to_jsonb",
    "jsonb_set",
    "jsonb_strip_nulls",
    "jsonb_agg",
    "jsonb_object_agg",
    "lyceum_jsonb_agg",
    "lyceum_jsonb_object_agg",
    "lyceum_jsonb_concat",
    "lyceum_jsonb_delete",
];

/// Functions whose result is `json`.
const JSON_FUNCTIONS: &[&str] = &[
    "lyceum_json",
    "json_build_object",
    "json_build_array",
    "to_json",
    "json_agg",
    "json_object_agg",
    "lyceum_json_agg",
    "lyceum_json_object_agg",
];

fn function_name(f: &Function) -> Option<String> {
    match f.name.0.as_slice() {
        [part] => part.as_ident().map(|i| i.value.to_lowercase()),
        _ => None,
    }
}

/// Whether `e` is `jsonb` by its syntax alone.
fn is_jsonb(e: &Expr) -> bool {
    match e {
        Expr::Nested(inner) => is_jsonb(inner),
        Expr::Cast { data_type, .. } => matches!(data_type, DataType::JSONB),
        Expr::Function(f) => function_name(f).is_some_and(|n| {
            JSONB_FUNCTIONS.contains(&n.as_str())
                || is_get(&n) && first_arg(f).is_some_and(is_jsonb)
        }),
        Expr::BinaryOp { op, left, .. } => {
            matches!(op, BinaryOperator::Arrow | BinaryOperator::HashArrow) && is_jsonb(left)
        }
        _ => false,
    }
}

/// Whether `e` is `json` or `jsonb` by its syntax alone.
fn is_json(e: &Expr) -> bool {
    match e {
        Expr::Nested(inner) => is_json(inner),
        Expr::Cast { data_type, .. } => is_json_type(data_type),
        Expr::Function(f) => function_name(f).is_some_and(|n| {
            JSONB_FUNCTIONS.contains(&n.as_str())
                || JSON_FUNCTIONS.contains(&n.as_str())
                || is_get(&n) && first_arg(f).is_some_and(is_json)
        }),
        Expr::BinaryOp { op, left, .. } => {
            matches!(op, BinaryOperator::Arrow | BinaryOperator::HashArrow) && is_json(left)
        }
        _ => false,
    }
}

/// `->` and `#>` after this pass: their result has their first operand's type.
fn is_get(name: &str) -> bool {
    matches!(name, "lyceum_json_get" | "lyceum_json_path")
}

fn first_arg(f: &Function) -> Option<&Expr> {
    match &f.args {
        FunctionArguments::List(list) => match list.args.first()? {
            FunctionArg::Unnamed(FunctionArgExpr::Expr(e)) => Some(e),
            _ => None,
        },
        _ => None,
    }
}

fn boolean(b: bool) -> Expr {
    Expr::Value(Value::Boolean(b).into())
}

/// The rewritten form of `e`, if the pass rewrites it.
fn rewrite(e: &Expr) -> Option<Expr> {
    match e {
        Expr::Cast {
            expr, data_type, ..
        } if is_json_type(data_type) => Some(call(
            if matches!(data_type, DataType::JSON) {
                "lyceum_json"
            } else {
                "lyceum_jsonb"
            },
            vec![expr.as_ref().clone()],
        )),
        Expr::TypedString(t) if is_json_type(&t.data_type) => Some(call(
            if matches!(t.data_type, DataType::JSON) {
                "lyceum_json"
            } else {
                "lyceum_jsonb"
            },
            vec![Expr::Value(t.value.clone())],
        )),
        Expr::BinaryOp { left, op, right } => {
            let (l, r) = (left.as_ref().clone(), right.as_ref().clone());
            if let Some((name, swap)) = json_operator(op) {
                return Some(call(name, if swap { vec![r, l] } else { vec![l, r] }));
            }
            match op {
                BinaryOperator::StringConcat if is_jsonb(left) || is_jsonb(right) => {
                    Some(call("lyceum_jsonb_concat", vec![l, r]))
                }
                BinaryOperator::Minus if is_jsonb(left) => {
                    Some(call("lyceum_jsonb_delete", vec![l, r]))
                }
                _ => None,
            }
        }
        Expr::Function(f) => aggregate(f),
        _ => None,
    }
}

/// `json_agg(x ...)` as `lyceum_json_agg(array_agg(x ...), x is json)`, and
/// `json_object_agg(k, v ...)` as `lyceum_json_object_agg(array_agg(struct(k, v) ...), v
/// is json)`.
fn aggregate(f: &Function) -> Option<Expr> {
    let name = function_name(f)?;
    let (finish, pairs) = match name.as_str() {
        "json_agg" => ("lyceum_json_agg", false),
        "jsonb_agg" => ("lyceum_jsonb_agg", false),
        "json_object_agg" => ("lyceum_json_object_agg", true),
        "jsonb_object_agg" => ("lyceum_jsonb_object_agg", true),
        _ => return None,
    };
    let FunctionArguments::List(list) = &f.args else {
        return None;
    };
    let args: Vec<&Expr> = list
        .args
        .iter()
        .map(|a| match a {
            FunctionArg::Unnamed(FunctionArgExpr::Expr(e)) => Some(e),
            _ => None,
        })
        .collect::<Option<_>>()?;
    let (element, json_values) = match (pairs, args.as_slice()) {
        (false, [x]) => ((*x).clone(), is_json(x)),
        (true, [k, v]) => (call("struct", vec![(*k).clone(), (*v).clone()]), is_json(v)),
        _ => return None,
    };
    let mut array_agg = f.clone();
    array_agg.name = ObjectName(vec![ObjectNamePart::Identifier(Ident::new("array_agg"))]);
    if let FunctionArguments::List(list) = &mut array_agg.args {
        list.args = vec![FunctionArg::Unnamed(FunctionArgExpr::Expr(element))];
    }
    Some(call(
        finish,
        vec![Expr::Function(array_agg), boolean(json_values)],
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::sql::parser::DFParser;

    fn rewritten(sql: &str) -> String {
        let dialect = datafusion::sql::sqlparser::dialect::PostgreSqlDialect {};
        let mut statements =
            DFParser::parse_sql_with_dialect(sql, &dialect).expect("the test's SQL parses");
        resolve(statements.pop_front().expect("one statement")).to_string()
    }

    #[test]
    fn casts_and_operators_become_calls() {
        let out = rewritten(
            "SELECT a::json ->> 'q', a::jsonb -> 'r', a::jsonb @> '{}', '[1]'::jsonb <@ a::jsonb, \
             a::jsonb ? 'k', a::jsonb || b::jsonb, a::jsonb - 'k', x || y, x - 1 FROM t",
        );
        for want in [
            r#"lyceum_json_get_text(lyceum_json(a), 'q') AS "?column?""#,
            r#"lyceum_json_get(lyceum_jsonb(a), 'r') AS "?column?""#,
            "lyceum_jsonb_contains(lyceum_jsonb(a), '{}')",
            "lyceum_jsonb_contains(lyceum_jsonb(a), lyceum_jsonb('[1]'))",
            "lyceum_jsonb_exists(lyceum_jsonb(a), 'k')",
            "lyceum_jsonb_concat(lyceum_jsonb(a), lyceum_jsonb(b))",
            "lyceum_jsonb_delete(lyceum_jsonb(a), 'k')",
            "x || y",
            "x - 1",
        ] {
            assert!(out.contains(want), "{want} not in {out}");
        }
    }

    #[test]
    fn json_aggregates_keep_their_clauses_on_array_agg() {
        let out = rewritten(
            "SELECT json_agg(DISTINCT x ORDER BY x) FILTER (WHERE x > 1), \
             jsonb_object_agg(k, v::jsonb) FROM t",
        );
        assert!(
            out.contains(
                r#"lyceum_json_agg(array_agg(DISTINCT x ORDER BY x) FILTER (WHERE x > 1), false) AS "json_agg""#
            ),
            "{out}"
        );
        assert!(
            out.contains("lyceum_jsonb_object_agg(array_agg(struct(k, lyceum_jsonb(v))), true)"),
            "{out}"
        );
    }
}
