//! `EXCEPT ALL` and `INTERSECT ALL` with SQL's multiset meaning.
//!
//! DataFusion 55 plans `L EXCEPT ALL R` as an anti join of `L` with `R` on every column
//! (NULLs equal), which removes every copy of a row that `R` holds once, and
//! `INTERSECT ALL` as a semi join, which keeps every copy of `L`'s row however few `R`
//! holds: `(VALUES (1),(1),(1),(2)) EXCEPT ALL (VALUES (1),(2))` gives no rows where SQL
//! (and PostgreSQL) gives `1, 1`. The rule numbers the copies of each row on both sides
//! (`row_number() OVER (PARTITION BY every column)`) and joins on the number too: the
//! `k`-th copy of a row survives `EXCEPT ALL` when `R` has fewer than `k` copies, and
//! `INTERSECT ALL` when it has at least `k`, which is `max(m - n, 0)` and `min(m, n)`.
//!
//! The plan shape is recognised by what the builder makes of the set operation and
//! nothing else makes: a semi or anti join on all of the left side's columns with NULLs
//! equal and no filter, whose left side is not a `DISTINCT` (the plain `EXCEPT` and
//! `INTERSECT` put one there, and over distinct left rows the join is already right).

use datafusion::common::tree_node::{Transformed, TreeNode};
use datafusion::common::{Column, NullEquality, Result, internal_err};
use datafusion::config::ConfigOptions;
use datafusion::functions_window::expr_fn::row_number;
use datafusion::logical_expr::{
    Distinct, Expr, ExprFunctionExt, Join, JoinType, LogicalPlan, LogicalPlanBuilder,
};
use datafusion::optimizer::AnalyzerRule;

const COPY_NUMBER: &str = "__lyceum_copy_number";

/// The analyzer rule that gives `EXCEPT ALL` / `INTERSECT ALL` their multiset meaning.
#[derive(Debug, Default)]
pub struct MultisetSetOperations;

impl AnalyzerRule for MultisetSetOperations {
    fn name(&self) -> &str {
        "lyceum_multiset_set_operations"
    }

    fn analyze(&self, plan: LogicalPlan, _config: &ConfigOptions) -> Result<LogicalPlan> {
        plan.transform_up_with_subqueries(|node| match node {
            LogicalPlan::Join(join) if is_set_operation_all(&join) => {
                numbered(join).map(Transformed::yes)
            }
            other => Ok(Transformed::no(other)),
        })
        .map(|t| t.data)
    }
}

fn is_set_operation_all(join: &Join) -> bool {
    matches!(join.join_type, JoinType::LeftAnti | JoinType::LeftSemi)
        && join.null_equality == NullEquality::NullEqualsNull
        && join.filter.is_none()
        && !join.on.is_empty()
        && join.on.len() == join.left.schema().fields().len()
        && join.on.len() == join.right.schema().fields().len()
        && join
            .on
            .iter()
            .all(|(l, r)| key_column(l).is_some() && key_column(r).is_some())
        && !matches!(
            join.left.as_ref(),
            LogicalPlan::Distinct(Distinct::All(_) | Distinct::On(_))
        )
        && !has_copy_number(&join.left)
}

fn has_copy_number(plan: &LogicalPlan) -> bool {
    plan.schema()
        .fields()
        .iter()
        .any(|f| f.name() == COPY_NUMBER)
}

/// The column a set operation's join key compares: the column itself, or the column
/// cast to the type both sides share.
fn key_column(expr: &Expr) -> Option<&Column> {
    match expr {
        Expr::Column(c) => Some(c),
        Expr::Cast(cast) => key_column(&cast.expr),
        Expr::TryCast(cast) => key_column(&cast.expr),
        _ => None,
    }
}

/// `expr` reading its column from the side aliased `alias`.
fn requalified(expr: &Expr, alias: &str) -> Result<Expr> {
    expr.clone()
        .transform(|e| match e {
            Expr::Column(c) => Ok(Transformed::yes(Expr::Column(Column::new(
                Some(alias),
                c.name,
            )))),
            other => Ok(Transformed::no(other)),
        })
        .map(|t| t.data)
}

/// `join` over both sides numbered by copy, keeping the left side's columns.
fn numbered(join: Join) -> Result<LogicalPlan> {
    let left_columns: Vec<Expr> = join
        .left
        .schema()
        .columns()
        .into_iter()
        .map(|c| {
            Expr::Column(Column::new(Some("l"), c.name.clone())).alias_qualified(c.relation, c.name)
        })
        .collect();
    let mut left_keys = Vec::with_capacity(join.on.len() + 1);
    let mut right_keys = Vec::with_capacity(join.on.len() + 1);
    for (l, r) in &join.on {
        left_keys.push(requalified(l, "l")?);
        right_keys.push(requalified(r, "r")?);
    }
    left_keys.push(Expr::Column(Column::new(Some("l"), COPY_NUMBER)));
    right_keys.push(Expr::Column(Column::new(Some("r"), COPY_NUMBER)));
    let left = with_copy_numbers(join.left.as_ref().clone(), "l")?;
    let right = with_copy_numbers(join.right.as_ref().clone(), "r")?;
    let joined = LogicalPlanBuilder::from(left)
        .join_with_expr_keys(right, join.join_type, (left_keys, right_keys), None)?
        .build()?;
    // NULLs are one value to a set operation, as in the join this one replaces.
    let LogicalPlan::Join(mut joined) = joined else {
        return internal_err!("a join was built as another plan");
    };
    joined.null_equality = NullEquality::NullEqualsNull;
    LogicalPlanBuilder::from(LogicalPlan::Join(joined))
        .project(left_columns)?
        .build()
}

/// `plan` under alias `alias` with a column numbering the copies of each of its rows.
fn with_copy_numbers(plan: LogicalPlan, alias: &str) -> Result<LogicalPlan> {
    let columns: Vec<Expr> = plan
        .schema()
        .columns()
        .into_iter()
        .map(Expr::Column)
        .collect();
    let number = row_number()
        .partition_by(columns)
        .build()?
        .alias(COPY_NUMBER);
    LogicalPlanBuilder::from(plan)
        .window(vec![number])?
        .alias(alias)?
        .build()
}
