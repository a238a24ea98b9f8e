//! What Lyceum cannot yet answer as PostgreSQL would, refused with 0A000 rather than
//! answered differently. Checked on the plan before type coercion, where an argument still
//! has the type the query gave it (after coercion `stddev(x)` of a numeric and
//! `stddev(x::float8)` look alike):
//! - `stddev` / `variance` and their `_samp` / `_pop` forms of an integer or numeric:
//!   PostgreSQL computes them in `numeric`, at its own scale; DataFusion in `float8`.
//! - `sqrt`, `exp`, `ln`, `log`, `power` of a numeric: `numeric` results in PostgreSQL.
//! - Row comparisons are rewritten, not refused: `ROW(a, b) = ROW(c, d)` is
//!   `a = c AND b = d` (NULL when a pair is unknown and none differs), `<>` the `OR` of the
//!   pairs' `<>`; DataFusion compared the rows as values (`ROW(1, NULL) = ROW(1, NULL)` was
//!   true). Other comparisons of rows are refused.

use datafusion::common::tree_node::{Transformed, TreeNode};
use datafusion::common::{DFSchema, DataFusionError, Result};
use datafusion::config::ConfigOptions;
use datafusion::logical_expr::{BinaryExpr, Expr, ExprSchemable, LogicalPlan, Operator};
use datafusion::optimizer::AnalyzerRule;

/// Aggregates PostgreSQL computes in `numeric` for integer and numeric arguments.
const NUMERIC_STATISTICS: &[&str] = &[
    "stddev",
    "stddev_samp",
    "stddev_pop",
    "variance",
    "var",
    "var_samp",
    "var_pop",
];

/// Functions PostgreSQL computes in `numeric` for a numeric argument.
const NUMERIC_MATH: &[&str] = &["sqrt", "exp", "ln", "log", "log10", "power", "pow"];

#[derive(Debug, Default)]
pub struct PgRefusals;

impl AnalyzerRule for PgRefusals {
    fn name(&self) -> &str {
        "lyceum_pg_refusals"
    }

    fn analyze(&self, plan: LogicalPlan, _config: &ConfigOptions) -> Result<LogicalPlan> {
        plan.transform_up_with_subqueries(|node| {
            let schema = super::numeric::expression_schema(&node);
            node.map_expressions(|e| e.transform_up(|e| check(e, &schema)))
        })
        .map(|t| t.data)
    }
}

fn refuse(what: String) -> DataFusionError {
    DataFusionError::NotImplemented(what)
}

fn check(e: Expr, schema: &DFSchema) -> Result<Transformed<Expr>> {
    match &e {
        Expr::AggregateFunction(f) if NUMERIC_STATISTICS.contains(&f.func.name()) => {
            exact_statistic(f.func.name(), &f.params.args, schema)?;
            Ok(Transformed::no(e))
        }
        Expr::WindowFunction(w) if NUMERIC_STATISTICS.contains(&w.fun.name()) => {
            exact_statistic(w.fun.name(), &w.params.args, schema)?;
            Ok(Transformed::no(e))
        }
        Expr::ScalarFunction(f) if NUMERIC_MATH.contains(&f.func.name()) => {
            let numeric = f.args.iter().any(|a| {
                a.get_type(schema)
                    .is_ok_and(|t| matches!(t, arrow::datatypes::DataType::Decimal128(..)))
            });
            if numeric {
                return Err(refuse(format!(
                    "{}() of a numeric is not supported: PostgreSQL computes it in numeric at \
                     its own scale (cast the argument to float8 for a float8 result)",
                    f.func.name()
                )));
            }
            Ok(Transformed::no(e))
        }
        Expr::BinaryExpr(b) if is_row(&b.left) || is_row(&b.right) => row_comparison(b),
        _ => Ok(Transformed::no(e)),
    }
}

/// `e` beneath the aliases DataFusion names a `ROW(...)` with.
fn unaliased(mut e: &Expr) -> &Expr {
    while let Expr::Alias(a) = e {
        e = &a.expr;
    }
    e
}

/// Refuses a statistic of an integer or numeric (PostgreSQL's is a `numeric`).
fn exact_statistic(name: &str, args: &[Expr], schema: &DFSchema) -> Result<()> {
    if let Some(arg) = args.first()
        && let Ok(t) = arg.get_type(schema)
        && (t.is_integer() || matches!(t, arrow::datatypes::DataType::Decimal128(..)))
    {
        return Err(refuse(format!(
            "{name}() of an integer or numeric is not supported: PostgreSQL computes it in \
             numeric at its own scale (cast the argument to float8 for a float8 result)"
        )));
    }
    Ok(())
}

fn is_row(e: &Expr) -> bool {
    matches!(unaliased(e), Expr::ScalarFunction(f) if matches!(f.func.name(), "struct" | "named_struct" | "row"))
}

/// The fields of a row constructor, in order.
fn fields(e: &Expr) -> Option<Vec<Expr>> {
    let Expr::ScalarFunction(f) = unaliased(e) else {
        return None;
    };
    match f.func.name() {
        "struct" | "row" => Some(f.args.clone()),
        // named_struct('name', value, ...)
        "named_struct" => Some(f.args.iter().skip(1).step_by(2).cloned().collect()),
        _ => None,
    }
}

fn row_comparison(b: &BinaryExpr) -> Result<Transformed<Expr>> {
    let unsupported = || {
        Err(refuse(format!(
            "the row comparison {} is not supported (compare the fields one by one)",
            b.op
        )))
    };
    let (Some(left), Some(right)) = (fields(&b.left), fields(&b.right)) else {
        return unsupported();
    };
    if left.len() != right.len() || left.is_empty() {
        return unsupported();
    }
    let pairs = left.into_iter().zip(right);
    let combined = match b.op {
        Operator::Eq => pairs.map(|(l, r)| l.eq(r)).reduce(Expr::and),
        Operator::NotEq => pairs.map(|(l, r)| l.not_eq(r)).reduce(Expr::or),
        Operator::IsDistinctFrom => pairs
            .map(|(l, r)| {
                Expr::BinaryExpr(BinaryExpr::new(
                    Box::new(l),
                    Operator::IsDistinctFrom,
                    Box::new(r),
                ))
            })
            .reduce(Expr::or),
        Operator::IsNotDistinctFrom => pairs
            .map(|(l, r)| {
                Expr::BinaryExpr(BinaryExpr::new(
                    Box::new(l),
                    Operator::IsNotDistinctFrom,
                    Box::new(r),
                ))
            })
            .reduce(Expr::and),
        _ => return unsupported(),
    };
    match combined {
        Some(e) => Ok(Transformed::yes(e)),
        None => unsupported(),
    }
}
