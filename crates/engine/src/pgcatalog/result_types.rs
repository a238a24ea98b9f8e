//! The PostgreSQL types of a query's result columns where the Arrow type alone does not
//! say them. Arrow has one string type; PostgreSQL reports a column of the star schema,
//! declared `VARCHAR(n)`, as `varchar` when a query passes it through unchanged (selected,
//! grouped by, filtered, sorted, joined, unioned with another `varchar`) and as `text`
//! once a function or operator has computed a new value from it. Each output column is
//! followed down the plan to the table column it passes through, if any.

use std::collections::HashMap;
use std::sync::Arc;

use arrow::datatypes::{DataType, Schema, SchemaRef};
use datafusion::common::TableReference;
use datafusion::logical_expr::{Distinct, Expr, JoinType, LogicalPlan};

use super::relations::Model;

/// Field metadata naming the PostgreSQL type OID a result column reports.
pub const RESULT_TYPE_KEY: &str = "lyceum.pg_type_oid";

/// `schema` (the plan's, as clients name it) with the declared type of each column that
/// passes a table column through.
pub fn annotate(plan: &LogicalPlan, schema: SchemaRef, model: &Model) -> SchemaRef {
    let types: Vec<Option<i32>> = (0..schema.fields().len())
        .map(|i| origin(plan, i, model))
        .collect();
    if types.iter().all(Option::is_none) {
        return schema;
    }
    let fields: Vec<_> = schema
        .fields()
        .iter()
        .zip(types)
        .map(|(f, t)| match t {
            Some(oid)
                if is_text(f.data_type())
                    || oid == VARCHAR_ARRAY && is_text_list(f.data_type()) =>
            {
                let mut metadata: HashMap<String, String> = f.metadata().clone();
                metadata.insert(RESULT_TYPE_KEY.to_string(), oid.to_string());
                f.as_ref().clone().with_metadata(metadata)
            }
            _ => f.as_ref().clone(),
        })
        .collect();
    Arc::new(Schema::new_with_metadata(fields, schema.metadata().clone()))
}

/// PostgreSQL's `varchar[]`: `array_agg` of a `varchar` column.
const VARCHAR_ARRAY: i32 = 1015;

fn is_text_list(data_type: &DataType) -> bool {
    matches!(data_type, DataType::List(f) | DataType::LargeList(f) if is_text(f.data_type()))
}

fn is_text(data_type: &DataType) -> bool {
    matches!(
        data_type,
        DataType::Utf8 | DataType::Utf8View | DataType::LargeUtf8
    )
}

/// The declared result type of output column `i` of `plan`, when it is a table column
/// passed through.
fn origin(plan: &LogicalPlan, i: usize, model: &Model) -> Option<i32> {
    match plan {
        LogicalPlan::TableScan(scan) => {
            let field = scan.projected_schema.fields().get(i)?;
            let (schema, table) = match &scan.table_name {
                TableReference::Bare { table } => ("public", table.as_ref()),
                TableReference::Partial { schema, table }
                | TableReference::Full { schema, table, .. } => (schema.as_ref(), table.as_ref()),
            };
            let oid = model.relation_oid(schema, table)?;
            model
                .relations
                .get(&oid)?
                .columns
                .iter()
                .find(|c| &c.name == field.name())?
                .result_type
        }
        LogicalPlan::Projection(p) => expr_origin(p.expr.get(i)?, &p.input, model),
        LogicalPlan::Filter(f) => origin(&f.input, i, model),
        LogicalPlan::Sort(s) => origin(&s.input, i, model),
        LogicalPlan::Limit(l) => origin(&l.input, i, model),
        LogicalPlan::SubqueryAlias(a) => origin(&a.input, i, model),
        LogicalPlan::Repartition(r) => origin(&r.input, i, model),
        LogicalPlan::Distinct(Distinct::All(input)) => origin(input, i, model),
        LogicalPlan::Distinct(Distinct::On(on)) => {
            expr_origin(on.select_expr.get(i)?, &on.input, model)
        }
        LogicalPlan::Window(w) => {
            let width = w.input.schema().fields().len();
            if i < width {
                origin(&w.input, i, model)
            } else {
                same_type_window(w.window_expr.get(i - width)?, &w.input, model)
            }
        }
        LogicalPlan::Aggregate(a) => {
            let keys: Vec<&Expr> = match a.group_expr.as_slice() {
                // GROUPING SETS / ROLLUP / CUBE: one output column per distinct key.
                [Expr::GroupingSet(set)] => set.distinct_expr(),
                keys => keys.iter().collect(),
            };
            // With grouping sets an internal grouping id follows the keys.
            let group_columns = a.group_expr_len().ok()?;
            match keys.get(i) {
                Some(key) => expr_origin(key, &a.input, model),
                None => same_type_aggregate(
                    a.aggr_expr.get(i.checked_sub(group_columns)?)?,
                    &a.input,
                    model,
                ),
            }
        }
        LogicalPlan::Join(j) => match j.join_type {
            JoinType::LeftSemi | JoinType::LeftAnti | JoinType::LeftMark => {
                origin(&j.left, i, model)
            }
            JoinType::RightSemi | JoinType::RightAnti | JoinType::RightMark => {
                origin(&j.right, i, model)
            }
            _ => {
                let left = j.left.schema().fields().len();
                if i < left {
                    origin(&j.left, i, model)
                } else {
                    origin(&j.right, i - left, model)
                }
            }
        },
        LogicalPlan::Union(u) => {
            // A branch selecting a string literal takes the others' type.
            let mut found = None;
            for input in &u.inputs {
                match (origin(input, i, model), untyped_output(input, i)) {
                    (Some(t), _) if found.is_none_or(|f| f == t) => found = Some(t),
                    (None, true) => {}
                    _ => return None,
                }
            }
            found
        }
        _ => None,
    }
}

/// Whether output column `i` of `plan` is a string literal or NULL (through projections).
fn untyped_output(plan: &LogicalPlan, i: usize) -> bool {
    match plan {
        LogicalPlan::Projection(p) => p.expr.get(i).is_some_and(|e| {
            let e = match e {
                Expr::Alias(a) => a.expr.as_ref(),
                e => e,
            };
            let e = match e {
                Expr::Cast(c) => c.expr.as_ref(),
                e => e,
            };
            matches!(e, Expr::Literal(v, _) if v.is_null() || is_text(&v.data_type()))
        }),
        LogicalPlan::SubqueryAlias(a) => untyped_output(&a.input, i),
        _ => false,
    }
}

/// Aggregates whose result has their argument's type (`anyelement` in PostgreSQL; its
/// `min` and `max` of a `varchar` are of `text`).
const SAME_TYPE_AGGREGATES: &[&str] = &["mode", "first_value", "last_value"];

/// Window functions whose result has their first argument's type.
const SAME_TYPE_WINDOWS: &[&str] = &["lag", "lead", "first_value", "last_value", "nth_value"];

/// An aggregate whose result has its argument's type, over a column passed through.
fn same_type_aggregate(expr: &Expr, input: &LogicalPlan, model: &Model) -> Option<i32> {
    match expr {
        Expr::Alias(a) => same_type_aggregate(&a.expr, input, model),
        Expr::AggregateFunction(f) if SAME_TYPE_AGGREGATES.contains(&f.func.name()) => {
            expr_origin(f.params.args.first()?, input, model)
        }
        // An array of its argument's type: varchar[] of a varchar column.
        Expr::AggregateFunction(f) if f.func.name() == "array_agg" => {
            (expr_origin(f.params.args.first()?, input, model)?
                == crate::pgcatalog::oids::VARCHAR_TYPE)
                .then_some(VARCHAR_ARRAY)
        }
        _ => None,
    }
}

/// A window function whose result has its argument's type, over a column passed through.
fn same_type_window(expr: &Expr, input: &LogicalPlan, model: &Model) -> Option<i32> {
    match expr {
        Expr::Alias(a) => same_type_window(&a.expr, input, model),
        Expr::WindowFunction(w) if SAME_TYPE_WINDOWS.contains(&w.fun.name()) => {
            let first = expr_origin(w.params.args.first()?, input, model)?;
            // `lag(x, 1, 'n/a')`: a default of another type makes the result `text`.
            w.params
                .args
                .get(2)
                .is_none_or(|d| {
                    matches!(branch_origin(d, input, model), Branch::Untyped)
                        || branch_origin(d, input, model) == Branch::Declared(first)
                })
                .then_some(first)
        }
        _ => None,
    }
}

/// What one branch of a `CASE` or `coalesce` says of the result's type.
#[derive(Debug, PartialEq, Eq)]
enum Branch {
    /// A string literal or NULL: it takes the other branches' type.
    Untyped,
    /// A table column passed through, of this declared type.
    Declared(i32),
    /// Anything else (`text` computed by a function or operator).
    Other,
}

fn branch_origin(expr: &Expr, input: &LogicalPlan, model: &Model) -> Branch {
    match expr {
        Expr::Literal(v, _) if v.is_null() || is_text(&v.data_type()) => Branch::Untyped,
        Expr::Cast(c) if matches!(c.expr.as_ref(), Expr::Literal(..)) => {
            branch_origin(&c.expr, input, model)
        }
        e => match expr_origin(e, input, model) {
            Some(t) => Branch::Declared(t),
            None => Branch::Other,
        },
    }
}

/// The declared type shared by branches that are columns of it or untyped literals
/// (PostgreSQL resolves `CASE` and `coalesce` to it).
fn common_origin<'e>(
    branches: impl Iterator<Item = &'e Expr>,
    input: &LogicalPlan,
    model: &Model,
) -> Option<i32> {
    let mut found = None;
    for b in branches {
        match branch_origin(b, input, model) {
            Branch::Untyped => {}
            Branch::Declared(t) if found.is_none_or(|f| f == t) => found = Some(t),
            _ => return None,
        }
    }
    found
}

fn expr_origin(expr: &Expr, input: &LogicalPlan, model: &Model) -> Option<i32> {
    match expr {
        Expr::Alias(a) => expr_origin(&a.expr, input, model),
        Expr::Column(c) => {
            let index = input.schema().index_of_column(c).ok()?;
            origin(input, index, model)
        }
        Expr::Case(case) => common_origin(
            case.when_then_expr
                .iter()
                .map(|(_, then)| then.as_ref())
                .chain(case.else_expr.as_deref()),
            input,
            model,
        ),
        Expr::ScalarFunction(f) if matches!(f.func.name(), "coalesce" | "greatest" | "least") => {
            common_origin(f.args.iter(), input, model)
        }
        // `array_agg(DISTINCT x ORDER BY x)` is sorted after aggregating.
        Expr::ScalarFunction(f) if f.func.name() == "array_sort" => {
            expr_origin(f.args.first()?, input, model)
        }
        Expr::ScalarFunction(f) if f.func.name() == "nullif" => {
            expr_origin(f.args.first()?, input, model)
        }
        _ => None,
    }
}
