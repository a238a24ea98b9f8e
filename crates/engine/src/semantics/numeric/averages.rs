//! `avg` of an integer inside a larger expression (`round(100.0 * avg(x::int), 1)`),
//! typed `numeric` before type coercion sees it. PostgreSQL's average of integers is a
//! `numeric`; [`super::PgNumeric`] computes it so, but it runs after type coercion, which
//! has by then planned the arithmetic around DataFusion's `float8` average (`100.0 *
//! avg(..)` in `float8`, so the `round` too). Before coercion, each reference to such an
//! average in a projection's expression is cast to `numeric`: coercion then plans the
//! arithmetic in `numeric`, and the cast is a no-op on the quotient `PgNumeric` makes.

use arrow::datatypes::DataType;
use datafusion::common::tree_node::{Transformed, TreeNode};
use datafusion::common::{Column, Result};
use datafusion::config::ConfigOptions;
use datafusion::logical_expr::{Cast, Expr, ExprSchemable, LogicalPlan};
use datafusion::optimizer::AnalyzerRule;

use super::division::QUOTIENT_SCALE;

#[derive(Debug, Default)]
pub struct PgAverages;

impl AnalyzerRule for PgAverages {
    fn name(&self) -> &str {
        "lyceum_pg_averages"
    }

    fn analyze(&self, plan: LogicalPlan, _config: &ConfigOptions) -> Result<LogicalPlan> {
        plan.transform_up_with_subqueries(|node| {
            let LogicalPlan::Projection(mut p) = node else {
                return Ok(Transformed::no(node));
            };
            let averages = integer_averages(&p.input);
            if averages.is_empty() {
                return Ok(Transformed::no(LogicalPlan::Projection(p)));
            }
            let mut changed = false;
            for e in p.expr.iter_mut() {
                // A bare reference is typed by PgNumeric itself.
                if matches!(e.clone().unalias(), Expr::Column(_)) {
                    continue;
                }
                let rewritten = e.clone().transform_up(|x| match x {
                    Expr::Column(c) if averages.contains(&c) => {
                        Ok(Transformed::yes(Expr::Cast(Cast::new(
                            Box::new(Expr::Column(c)),
                            DataType::Decimal128(38, QUOTIENT_SCALE),
                        ))))
                    }
                    other => Ok(Transformed::no(other)),
                })?;
                if rewritten.transformed {
                    changed = true;
                    *e = rewritten.data;
                }
            }
            if !changed {
                return Ok(Transformed::no(LogicalPlan::Projection(p)));
            }
            LogicalPlan::Projection(p)
                .recompute_schema()
                .map(Transformed::yes)
        })
        .map(|t| t.data)
    }
}

/// The output columns of `input` (an aggregate or window, beneath filters and sorts) that
/// are `avg` of an integer.
fn integer_averages(input: &LogicalPlan) -> Vec<Column> {
    let mut node = input;
    while let LogicalPlan::Filter(_) | LogicalPlan::Sort(_) | LogicalPlan::Limit(_) = node {
        node = node.inputs()[0];
    }
    let (calls, below): (&[Expr], &LogicalPlan) = match node {
        LogicalPlan::Aggregate(a) => (&a.aggr_expr, &a.input),
        LogicalPlan::Window(w) => (&w.window_expr, &w.input),
        _ => return Vec::new(),
    };
    let schema = below.schema();
    let mut found = Vec::new();
    for call in calls {
        let (name, args) = match call.clone().unalias() {
            Expr::AggregateFunction(f) if !f.params.distinct => {
                (f.func.name().to_string(), f.params.args)
            }
            Expr::WindowFunction(w) => (w.fun.name().to_string(), w.params.args),
            _ => continue,
        };
        let integer = args
            .first()
            .and_then(|a| a.get_type(schema).ok())
            .is_some_and(|t| t.is_integer());
        if name == "avg" && integer {
            found.push(Column::from_name(call.schema_name().to_string()));
        }
    }
    found
}
