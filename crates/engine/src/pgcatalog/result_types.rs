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
            Some(oid) if is_text(f.data_type()) => {
                let mut metadata: HashMap<String, String> = f.metadata().clone();
                metadata.insert(RESULT_TYPE_KEY.to_string(), oid.to_string());
                f.as_ref().clone().with_metadata(metadata)
            }
            _ => f.as_ref().clone(),
        })
        .collect();
    Arc::new(Schema::new_with_metadata(fields, schema.metadata().clone()))
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
        LogicalPlan::Window(w) => {
            if i < w.input.schema().fields().len() {
                origin(&w.input, i, model)
            } else {
                None
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
            let mut types = u.inputs.iter().map(|input| origin(input, i, model));
            let first = types.next()??;
            types.all(|t| t == Some(first)).then_some(first)
        }
        _ => None,
    }
}

/// An aggregate whose result has its argument's type (PostgreSQL's `mode(anyelement)`),
/// over a column passed through.
fn same_type_aggregate(expr: &Expr, input: &LogicalPlan, model: &Model) -> Option<i32> {
    match expr {
        Expr::Alias(a) => same_type_aggregate(&a.expr, input, model),
        Expr::AggregateFunction(f) if f.func.name() == "mode" => {
            expr_origin(f.params.args.first()?, input, model)
        }
        _ => None,
    }
}

fn expr_origin(expr: &Expr, input: &LogicalPlan, model: &Model) -> Option<i32> {
    match expr {
        Expr::Alias(a) => expr_origin(&a.expr, input, model),
        Expr::Column(c) => {
            let index = input.schema().index_of_column(c).ok()?;
            origin(input, index, model)
        }
        _ => None,
    }
}
