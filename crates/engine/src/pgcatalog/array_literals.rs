//! PostgreSQL array literals (`'{1,2}'`, `'{a,"b c",NULL}'`) where an array is expected.
//!
//! PostgreSQL types a quoted literal from its context: in `polroles = '{0}'` the literal
//! is an `oid[]`. DataFusion sees a string and cannot compare it with a list. This
//! analyzer rule runs before type coercion and, where a string literal that reads as an
//! array literal is compared with (or cast to) a list, replaces it with the list value of
//! the list's element type. A string literal compared with a boolean (`indisprimary =
//! 't'`) is read as PostgreSQL reads booleans. Other literals are left alone.

use std::sync::Arc;

use arrow::datatypes::DataType;
use datafusion::common::config::ConfigOptions;
use datafusion::common::tree_node::{Transformed, TreeNode};
use datafusion::common::{DFSchema, ExprSchema, Result, ScalarValue};
use datafusion::logical_expr::utils::merge_schema;
use datafusion::logical_expr::{BinaryExpr, Expr, ExprSchemable, LogicalPlan, Operator};
use datafusion::optimizer::AnalyzerRule;

#[derive(Debug, Default)]
pub struct ArrayLiterals;

impl AnalyzerRule for ArrayLiterals {
    fn name(&self) -> &str {
        "lyceum_pg_array_literals"
    }

    fn analyze(&self, plan: LogicalPlan, _config: &ConfigOptions) -> Result<LogicalPlan> {
        plan.transform_up_with_subqueries(|node| {
            let schema = merge_schema(&node.inputs());
            node.map_expressions(|e| e.transform_up(|e| rewrite(e, &schema)))
        })
        .map(|t| t.data)
    }
}

fn is_comparison(op: &Operator) -> bool {
    matches!(
        op,
        Operator::Eq
            | Operator::NotEq
            | Operator::Lt
            | Operator::LtEq
            | Operator::Gt
            | Operator::GtEq
            | Operator::IsDistinctFrom
            | Operator::IsNotDistinctFrom
            | Operator::AtArrow
            | Operator::ArrowAt
    )
}

fn element_type(data_type: &DataType) -> Option<&DataType> {
    match data_type {
        DataType::List(f) | DataType::LargeList(f) | DataType::FixedSizeList(f, _) => {
            Some(f.data_type())
        }
        _ => None,
    }
}

fn text_literal(expr: &Expr) -> Option<&str> {
    match expr {
        Expr::Literal(ScalarValue::Utf8(Some(s)), _)
        | Expr::Literal(ScalarValue::Utf8View(Some(s)), _)
        | Expr::Literal(ScalarValue::LargeUtf8(Some(s)), _) => Some(s.as_str()),
        _ => None,
    }
}

fn list_literal(text: &str, element: &DataType) -> Option<Expr> {
    let items = parse_array_literal(text)?;
    let values = items
        .into_iter()
        .map(|item| match item {
            None => ScalarValue::try_from(element),
            Some(s) => ScalarValue::try_from_string(s, element),
        })
        .collect::<Result<Vec<_>>>()
        .ok()?;
    Some(Expr::Literal(
        ScalarValue::List(ScalarValue::new_list_nullable(&values, element)),
        None,
    ))
}

/// PostgreSQL's spellings of a boolean (`'t'`, `'yes'`, `'on'`, `'1'`, ...).
fn bool_literal(text: &str) -> Option<Expr> {
    let value = match text.trim().to_ascii_lowercase().as_str() {
        "t" | "true" | "y" | "yes" | "on" | "1" => true,
        "f" | "false" | "n" | "no" | "off" | "0" => false,
        _ => return None,
    };
    Some(Expr::Literal(ScalarValue::Boolean(Some(value)), None))
}

/// The literal `text` as a value of `target`, where PostgreSQL would read it so and
/// DataFusion cannot (arrays, booleans).
fn typed_literal(text: &str, target: &DataType) -> Option<Expr> {
    match target {
        DataType::Boolean => bool_literal(text),
        other => list_literal(text, element_type(other)?),
    }
}

fn rewrite(expr: Expr, schema: &DFSchema) -> Result<Transformed<Expr>> {
    match expr {
        Expr::BinaryExpr(BinaryExpr { left, op, right }) if is_comparison(&op) => {
            let left_type = left.get_type(schema as &dyn ExprSchema).ok();
            let right_type = right.get_type(schema as &dyn ExprSchema).ok();
            let new_right = text_literal(&right)
                .zip(left_type.as_ref())
                .and_then(|(text, target)| typed_literal(text, target));
            let new_left = text_literal(&left)
                .zip(right_type.as_ref())
                .and_then(|(text, target)| typed_literal(text, target));
            let changed = new_left.is_some() || new_right.is_some();
            let expr = Expr::BinaryExpr(BinaryExpr {
                left: new_left.map(Box::new).unwrap_or(left),
                op,
                right: new_right.map(Box::new).unwrap_or(right),
            });
            Ok(if changed {
                Transformed::yes(expr)
            } else {
                Transformed::no(expr)
            })
        }
        Expr::Cast(cast) => {
            let replaced = text_literal(&cast.expr)
                .zip(element_type(cast.field.data_type()))
                .and_then(|(text, element)| list_literal(text, element));
            Ok(match replaced {
                Some(list) => Transformed::yes(list),
                None => Transformed::no(Expr::Cast(cast)),
            })
        }
        other => Ok(Transformed::no(other)),
    }
}

/// The elements of a one-dimensional PostgreSQL array literal (`None` for `NULL`), or
/// `None` if `text` is not one.
pub fn parse_array_literal(text: &str) -> Option<Vec<Option<String>>> {
    let inner = text.trim().strip_prefix('{')?.strip_suffix('}')?;
    let mut items = Vec::new();
    if inner.trim().is_empty() {
        return Some(items);
    }
    let mut chars = inner.chars().peekable();
    loop {
        while chars.peek().is_some_and(|c| c.is_whitespace()) {
            chars.next();
        }
        let mut value = String::new();
        let quoted = chars.peek() == Some(&'"');
        if quoted {
            chars.next();
            loop {
                match chars.next()? {
                    '\\' => value.push(chars.next()?),
                    '"' => break,
                    c => value.push(c),
                }
            }
            while chars.peek().is_some_and(|c| c.is_whitespace()) {
                chars.next();
            }
        } else {
            while let Some(&c) = chars.peek() {
                if c == ',' {
                    break;
                }
                if c == '{' || c == '"' {
                    return None; // nested arrays and stray quotes are not handled
                }
                value.push(c);
                chars.next();
            }
            value = value.trim().to_string();
        }
        if !quoted && value.eq_ignore_ascii_case("null") {
            items.push(None);
        } else {
            items.push(Some(value));
        }
        match chars.next() {
            None => return Some(items),
            Some(',') => continue,
            Some(_) => return None,
        }
    }
}

/// Installs the rule before DataFusion's own analyzer rules (type coercion must see
/// lists, not strings).
pub fn install(ctx: &datafusion::prelude::SessionContext) {
    use datafusion::execution::session_state::SessionStateBuilder;
    let state_ref = ctx.state_ref();
    let existing = state_ref.read().clone();
    let mut rules: Vec<Arc<dyn AnalyzerRule + Send + Sync>> = vec![Arc::new(ArrayLiterals)];
    rules.extend(existing.analyzer().rules.iter().cloned());
    let state = SessionStateBuilder::new_from_existing(existing)
        .with_analyzer_rules(rules)
        .build();
    *state_ref.write() = state;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn array_literals_parse() {
        let s = |v: &str| Some(v.to_string());
        assert_eq!(parse_array_literal("{0}"), Some(vec![s("0")]));
        assert_eq!(parse_array_literal("{}"), Some(vec![]));
        assert_eq!(
            parse_array_literal(r#"{a, "b c",NULL,"NULL","x\"y"}"#),
            Some(vec![s("a"), s("b c"), None, s("NULL"), s("x\"y")])
        );
        assert_eq!(parse_array_literal("{{1},{2}}"), None);
        assert_eq!(parse_array_literal("not an array"), None);
    }
}
