//! Numeric literals as PostgreSQL types them, before type coercion sees them:
//! - `1` is an `integer` (int4) when it fits one, where DataFusion makes every integer
//!   literal a `bigint`: `SELECT 1`, `VALUES (1)`, `int_column + 1` and
//!   `sum(CASE WHEN ... THEN 1 ELSE 0 END)` have PostgreSQL's types (a `LIMIT` keeps its
//!   own).
//! - `date - date` is an `integer`, `date ± interval` a `timestamp`.
//! - `2.5` is a `numeric` (a `float8` in DataFusion unless `parse_float_as_decimal` is on,
//!   which Lyceum turns on), and `1e15` or `1.5e3` a `numeric` of scale 0, where
//!   DataFusion's decimal parse gives a negative scale its kernels do not expect; one that
//!   needs more than 38 digits is refused.

use arrow::datatypes::DataType;
use arrow::error::ArrowError;
use datafusion::common::tree_node::{Transformed, TreeNode};
use datafusion::common::{Column, DFSchema, DataFusionError, Result, ScalarValue};
use datafusion::config::ConfigOptions;
use datafusion::logical_expr::{
    BinaryExpr, Expr, ExprSchemable, LogicalPlan, LogicalPlanBuilder, Operator, Union, Values,
};
use datafusion::optimizer::AnalyzerRule;

/// The analyzer rule that types literals as PostgreSQL does.
#[derive(Debug, Default)]
pub struct PgLiterals;

impl AnalyzerRule for PgLiterals {
    fn name(&self) -> &str {
        "lyceum_pg_literals"
    }

    fn analyze(&self, plan: LogicalPlan, _config: &ConfigOptions) -> Result<LogicalPlan> {
        // A recursive query's work table has the types its first term was planned with.
        if plan.exists(|n| Ok(matches!(n, LogicalPlan::RecursiveQuery(_))))? {
            return Ok(plan);
        }
        plan.transform_up_with_subqueries(|node| {
            let node = match node {
                // `LIMIT` / `OFFSET` take a bigint.
                LogicalPlan::Limit(_) => return Ok(Transformed::no(node)),
                LogicalPlan::Values(values) => return typed_values(values),
                other => other,
            };
            // An expression's name (`count(Int64(1))`) is how the nodes above read its
            // column: a named output keeps the name it had.
            let named = matches!(
                node,
                LogicalPlan::Projection(_) | LogicalPlan::Aggregate(_) | LogicalPlan::Window(_)
            );
            let schema = super::plan::expression_schema(&node);
            let typed = node.map_expressions(|e| {
                if matches!(e, Expr::GroupingSet(_)) {
                    return Ok(Transformed::no(e));
                }
                let name = (named && !matches!(e, Expr::Alias(_) | Expr::Column(_)))
                    .then(|| e.schema_name().to_string());
                let t = e.transform_up(|e| match e {
                    Expr::BinaryExpr(b) => dates(b, &schema),
                    other => literal(other),
                })?;
                Ok(match name {
                    Some(name) if t.transformed => Transformed::yes(t.data.alias(name)),
                    _ => t,
                })
            })?;
            if !typed.transformed {
                return Ok(typed);
            }
            let node = match typed.data {
                // A union keeps its first schema unless rebuilt.
                LogicalPlan::Union(u) => {
                    LogicalPlan::Union(Union::try_new_with_loose_types(u.inputs)?)
                }
                other => other.recompute_schema()?,
            };
            Ok(Transformed::yes(node))
        })
        .map(|t| t.data)
    }
}

/// Date arithmetic with PostgreSQL's types: `date - date` is an `integer` of days (a
/// `bigint` in DataFusion), `date ± interval` a `timestamp` (a `date` in DataFusion, which
/// lost the interval's hours). Typed before coercion, so that `(d1 - d2) / 7` is an
/// integer division of integers.
fn dates(b: BinaryExpr, schema: &DFSchema) -> Result<Transformed<Expr>> {
    let comparison = matches!(
        b.op,
        Operator::Eq
            | Operator::NotEq
            | Operator::Lt
            | Operator::LtEq
            | Operator::Gt
            | Operator::GtEq
            | Operator::IsDistinctFrom
            | Operator::IsNotDistinctFrom
    );
    if !matches!(b.op, Operator::Plus | Operator::Minus) && !comparison {
        return Ok(Transformed::no(Expr::BinaryExpr(b)));
    }
    // Before coercion a type may not be known yet (`flag = 't'`): such an operand is left
    // to coercion.
    let (Ok(lt), Ok(rt)) = (b.left.get_type(schema), b.right.get_type(schema)) else {
        return Ok(Transformed::no(Expr::BinaryExpr(b)));
    };
    let interval = |t: &DataType| matches!(t, DataType::Interval(_));
    let timestamp = |e: Box<Expr>| {
        Box::new(Expr::Cast(datafusion::logical_expr::Cast::new(
            e,
            DataType::Timestamp(arrow::datatypes::TimeUnit::Microsecond, None),
        )))
    };
    if comparison {
        // Intervals compare by their length, as PostgreSQL's do.
        return Ok(if interval(&lt) && interval(&rt) {
            Transformed::yes(Expr::BinaryExpr(BinaryExpr {
                left: Box::new(super::intervals::interval_key(*b.left)),
                right: Box::new(super::intervals::interval_key(*b.right)),
                op: b.op,
            }))
        } else {
            Transformed::no(Expr::BinaryExpr(b))
        });
    }
    Ok(match (&lt, b.op, &rt) {
        // Days and a time under a day, as PostgreSQL's `timestamp - timestamp`.
        (DataType::Timestamp(..), Operator::Minus, DataType::Timestamp(..)) => {
            Transformed::yes(super::intervals::justify_hours(Expr::BinaryExpr(b)))
        }
        (DataType::Date32, Operator::Minus, DataType::Date32) => Transformed::yes(Expr::Cast(
            datafusion::logical_expr::Cast::new(Box::new(Expr::BinaryExpr(b)), DataType::Int32),
        )),
        (DataType::Date32, Operator::Plus | Operator::Minus, r) if interval(r) => {
            Transformed::yes(Expr::BinaryExpr(BinaryExpr {
                left: timestamp(b.left),
                ..b
            }))
        }
        (l, Operator::Plus, DataType::Date32) if interval(l) => {
            Transformed::yes(Expr::BinaryExpr(BinaryExpr {
                right: timestamp(b.right),
                ..b
            }))
        }
        _ => Transformed::no(Expr::BinaryExpr(b)),
    })
}

fn literal(e: Expr) -> Result<Transformed<Expr>> {
    Ok(match e {
        Expr::Literal(ScalarValue::Int64(Some(v)), meta) if i32::try_from(v).is_ok() => {
            Transformed::yes(Expr::Literal(ScalarValue::Int32(Some(v as i32)), meta))
        }
        Expr::Literal(ScalarValue::Decimal128(Some(v), p, s), meta) if s < 0 => {
            Transformed::yes(Expr::Literal(whole(v, p, s)?, meta))
        }
        other => Transformed::no(other),
    })
}

/// `VALUES` rows with their literals typed, and the types of its columns found again.
fn typed_values(values: Values) -> Result<Transformed<LogicalPlan>> {
    let mut changed = false;
    let mut rows = Vec::with_capacity(values.values.len());
    for row in values.values {
        let mut typed = Vec::with_capacity(row.len());
        for e in row {
            let t = e.transform_up(literal)?;
            changed |= t.transformed;
            typed.push(t.data);
        }
        rows.push(typed);
    }
    if !changed {
        return Ok(Transformed::no(LogicalPlan::Values(Values {
            schema: values.schema,
            values: rows,
        })));
    }
    let plan = LogicalPlanBuilder::values(rows)?.build()?;
    // The names DataFusion gave the columns (`column1`, ...) stay.
    let names: Vec<Expr> = plan
        .schema()
        .iter()
        .zip(values.schema.iter())
        .map(|((q, f), (_, name))| Expr::Column(Column::from((q, f))).alias(name.name()))
        .collect();
    if plan
        .schema()
        .iter()
        .zip(values.schema.iter())
        .all(|((_, a), (_, b))| a.name() == b.name())
    {
        return Ok(Transformed::yes(plan));
    }
    Ok(Transformed::yes(
        LogicalPlanBuilder::from(plan).project(names)?.build()?,
    ))
}

/// `v` × 10^-`s` (`s` < 0) as a decimal of scale 0.
fn whole(v: i128, p: u8, s: i8) -> Result<ScalarValue> {
    let digits = p as u32 + s.unsigned_abs() as u32;
    let value = 10i128
        .checked_pow(s.unsigned_abs() as u32)
        .and_then(|m| v.checked_mul(m))
        .filter(|_| digits <= 38);
    match value {
        Some(value) => Ok(ScalarValue::Decimal128(Some(value), digits as u8, 0)),
        None => Err(DataFusionError::ArrowError(
            Box::new(ArrowError::ArithmeticOverflow(format!(
                "a numeric literal of {digits} digits is out of range: Lyceum's numeric keeps at most 38"
            ))),
            None,
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exponents_become_whole_numbers() {
        assert_eq!(
            whole(1, 1, -15).expect("in range"),
            ScalarValue::Decimal128(Some(10i128.pow(15)), 16, 0)
        );
        assert_eq!(
            whole(15, 2, -2).expect("in range"),
            ScalarValue::Decimal128(Some(1500), 4, 0)
        );
        assert!(whole(1, 1, -40).is_err());
    }
}
