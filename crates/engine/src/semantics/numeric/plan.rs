//! The plan rewrite: quotients and averages computed as PostgreSQL computes them, and a
//! hidden scale column beside each numeric column shown at another scale than stored.

use std::sync::Arc;

use arrow::datatypes::{DataType, FieldRef};
use datafusion::common::metadata::FieldMetadata;
use datafusion::common::tree_node::{Transformed, TreeNode};
use datafusion::common::{Column, DFSchema, DFSchemaRef, Result, TableReference};
use datafusion::functions_aggregate::count::count_udaf;
use datafusion::functions_aggregate::min_max::max_udaf;
use datafusion::functions_aggregate::sum::sum_udaf;
use datafusion::logical_expr::expr::{
    AggregateFunction, AggregateFunctionParams, WindowFunction, WindowFunctionParams,
};
use datafusion::logical_expr::utils::grouping_set_to_exprlist;
use datafusion::logical_expr::{
    Aggregate, BinaryExpr, Expr, ExprSchemable, LogicalPlan, Operator, Projection, Union, Window,
    WindowFunctionDefinition, lit,
};

use super::display::{HIDDEN_PREFIX, is_hidden};
use super::division;
use super::scale::{Scale, hidden_of, is_numeric, scale_of, stored};

/// Field metadata on a subquery's column whose display scale was dropped with its hidden
/// column: shown in an outer query, its scale is not known.
const SCALE_DROPPED: &str = "lyceum.numeric_scale_dropped";

/// The whole plan rewritten, its hidden columns last.
pub(super) fn rewrite(plan: LogicalPlan) -> Result<LogicalPlan> {
    let plan = tree(plan)?;
    match plan {
        LogicalPlan::Dml(_)
        | LogicalPlan::Ddl(_)
        | LogicalPlan::Copy(_)
        | LogicalPlan::Statement(_)
        | LogicalPlan::Explain(_)
        | LogicalPlan::Analyze(_)
        | LogicalPlan::DescribeTable(_) => Ok(plan),
        query => hidden_last(query),
    }
}

fn tree(plan: LogicalPlan) -> Result<LogicalPlan> {
    plan.transform_up(|node| node_rewrite(node).map(Transformed::yes))
        .map(|t| t.data)
}

fn node_rewrite(node: LogicalPlan) -> Result<LogicalPlan> {
    // Subqueries in expressions are queries of their own, read by position.
    let node = node
        .map_subqueries(|sub| match sub {
            LogicalPlan::Subquery(mut s) => {
                let inner = tree(Arc::unwrap_or_clone(s.subquery))?;
                s.subquery = Arc::new(strip(inner)?);
                Ok(Transformed::yes(LogicalPlan::Subquery(s)))
            }
            other => Ok(Transformed::no(other)),
        })?
        .data;
    match node {
        LogicalPlan::Projection(p) => projection(p.expr, p.input),
        LogicalPlan::Aggregate(a) => aggregate(a),
        LogicalPlan::Window(w) => window(w),
        LogicalPlan::Union(u) => union(u),
        LogicalPlan::Values(v) => values(v),
        // Their inputs' rows are taken by position.
        LogicalPlan::Dml(_)
        | LogicalPlan::Ddl(_)
        | LogicalPlan::Copy(_)
        | LogicalPlan::RecursiveQuery(_)
        | LogicalPlan::Subquery(_) => node
            .map_children(|child| strip(child).map(Transformed::yes))?
            .data
            .recompute_schema(),
        LogicalPlan::Explain(_) | LogicalPlan::Analyze(_) => Ok(node),
        other => {
            let schema = expression_schema(&other);
            other
                .map_expressions(|e| divisions(e, &schema))?
                .data
                .recompute_schema()
        }
    }
}

/// A `VALUES` list whose numeric column holds values of different scales (`1.5` and
/// `0.25`: PostgreSQL shows each with its own) gets a hidden scale column per such column,
/// one literal per row, named above it by a projection.
fn values(v: datafusion::logical_expr::Values) -> Result<LogicalPlan> {
    let empty = DFSchema::empty();
    let fields: Vec<_> = v.schema.fields().iter().cloned().collect();
    let mut hidden: Vec<(usize, Vec<Expr>)> = Vec::new();
    for (c, field) in fields.iter().enumerate() {
        let DataType::Decimal128(_, stored_scale) = field.data_type() else {
            continue;
        };
        let mut scales = Vec::with_capacity(v.values.len());
        let mut differs = false;
        for row in &v.values {
            let Some(e) = row.get(c) else {
                return Ok(LogicalPlan::Values(v));
            };
            let scale = scale_of(e, &empty).unwrap_or(Scale::Unknown);
            differs |= !matches!(scale, Scale::Fixed(s) if s == i32::from(*stored_scale));
            scales.push(scale.expr());
        }
        if differs {
            hidden.push((c, scales));
        }
    }
    if hidden.is_empty() {
        return Ok(LogicalPlan::Values(v));
    }
    let width = fields.len();
    let rows: Vec<Vec<Expr>> = v
        .values
        .iter()
        .enumerate()
        .map(|(r, row)| {
            row.iter()
                .cloned()
                .chain(hidden.iter().map(|(_, scales)| scales[r].clone()))
                .collect()
        })
        .collect();
    let values = datafusion::logical_expr::LogicalPlanBuilder::values(rows)?.build()?;
    let built: Vec<_> = values
        .schema()
        .iter()
        .map(|(q, f)| Column::from((q, f)))
        .collect();
    let mut exprs: Vec<Expr> = built[..width]
        .iter()
        .zip(&fields)
        .map(|(c, f)| Expr::Column(c.clone()).alias(f.name()))
        .collect();
    for (i, (c, _)) in hidden.iter().enumerate() {
        exprs.push(Expr::Column(built[width + i].clone()).alias(hidden_name(fields[*c].name())));
    }
    Projection::try_new(exprs, Arc::new(values)).map(LogicalPlan::Projection)
}

/// The schema a node's expressions are written over: its input's, or for a join both
/// sides' (a semi or anti join's own schema has only one).
pub(crate) fn expression_schema(node: &LogicalPlan) -> DFSchemaRef {
    match node.inputs().as_slice() {
        [one] => Arc::clone(one.schema()),
        // Two sides naming a column alike (a set operation of a table with itself) cannot
        // be joined into one schema: the node's own then.
        [left, right] => match left.schema().as_ref().clone().join(right.schema()) {
            Ok(both) => Arc::new(both),
            Err(_) => Arc::clone(node.schema()),
        },
        _ => Arc::clone(node.schema()),
    }
}

/// `e` (an output of a projection, aggregate or window node) rewritten by [`divisions`],
/// under the name and qualifier it had: the nodes above read its column by them.
fn named(e: Expr, schema: &DFSchema) -> Result<Expr> {
    if matches!(e, Expr::Alias(_) | Expr::Column(_) | Expr::GroupingSet(_)) {
        return divisions(e, schema).map(|t| t.data);
    }
    let (qualifier, field) = e.to_field(schema)?;
    let rewritten = divisions(e, schema)?;
    Ok(if rewritten.transformed {
        rewritten.data.alias_qualified(qualifier, field.name())
    } else {
        rewritten.data
    })
}

/// `e` with every numeric division computed as PostgreSQL's, and casts to integers
/// rounding as PostgreSQL's.
fn divisions(e: Expr, schema: &DFSchema) -> Result<Transformed<Expr>> {
    e.transform_up(|e| match e {
        Expr::BinaryExpr(BinaryExpr {
            left,
            op: Operator::Divide,
            right,
        }) => {
            let (lt, rt) = (left.get_type(schema)?, right.get_type(schema)?);
            let exact = |t: &DataType| is_numeric(t) || t.is_integer();
            if (is_numeric(&lt) || is_numeric(&rt)) && exact(&lt) && exact(&rt) {
                let (ls, rs) = (scale_of(&left, schema)?, scale_of(&right, schema)?);
                Ok(Transformed::yes(division::div(
                    *left,
                    *right,
                    ls.expr(),
                    rs.expr(),
                )))
            } else {
                Ok(Transformed::no(Expr::BinaryExpr(BinaryExpr {
                    left,
                    op: Operator::Divide,
                    right,
                })))
            }
        }
        Expr::ScalarFunction(f) if JSON_WRITERS.contains(&f.func.name()) => {
            json_arguments(f, schema)
        }
        Expr::ScalarFunction(f) if matches!(f.func.name(), "round" | "trunc") => {
            rounding(f, schema)
        }
        Expr::ScalarFunction(f) if integer_result(&f, schema) => Ok(Transformed::yes(Expr::Cast(
            datafusion::logical_expr::Cast::new(Box::new(Expr::ScalarFunction(f)), DataType::Int32),
        ))),
        Expr::Cast(c) if c.field.data_type().is_integer() => {
            let Ok(from) = c.expr.get_type(schema) else {
                return Ok(Transformed::no(Expr::Cast(c)));
            };
            let to = c.field.data_type().clone();
            match super::int_casts::rounded((*c.expr).clone(), &from, to) {
                Some(rounded) => Ok(Transformed::yes(rounded)),
                None => Ok(Transformed::no(Expr::Cast(c))),
            }
        }
        other => Ok(Transformed::no(other)),
    })
}

/// `round` and `trunc` as PostgreSQL resolves them: of an integer and a number of digits,
/// the `numeric` versions (`round(sum(x), -2)` is numeric); of one integer, the `float8`
/// ones; `round` of a `float8` rounds half to even (`rint`), as PostgreSQL's does.
fn rounding(
    mut f: datafusion::logical_expr::expr::ScalarFunction,
    schema: &DFSchema,
) -> Result<Transformed<Expr>> {
    let Some(first) = f.args.first() else {
        return Ok(Transformed::no(Expr::ScalarFunction(f)));
    };
    let t = first.get_type(schema)?;
    let cast =
        |e: Expr, to: DataType| Expr::Cast(datafusion::logical_expr::Cast::new(Box::new(e), to));
    match (f.args.len(), &t) {
        (2, t) if t.is_integer() => {
            f.args[0] = cast(f.args[0].clone(), DataType::Decimal128(38, 0));
            Ok(Transformed::yes(Expr::ScalarFunction(f)))
        }
        (1, t) if t.is_integer() || matches!(t, DataType::Float64 | DataType::Float32) => {
            let x = if t.is_integer() {
                cast(f.args[0].clone(), DataType::Float64)
            } else {
                f.args[0].clone()
            };
            if f.func.name() == "round" {
                Ok(Transformed::yes(super::int_casts::rint(x)))
            } else {
                f.args[0] = x;
                Ok(Transformed::yes(Expr::ScalarFunction(f)))
            }
        }
        _ => Ok(Transformed::no(Expr::ScalarFunction(f))),
    }
}

/// Functions writing their arguments as JSON text, where a numeric is written at the
/// scale PostgreSQL shows it.
const JSON_WRITERS: &[&str] = &[
    "to_json",
    "to_jsonb",
    "json_build_object",
    "jsonb_build_object",
    "json_build_array",
    "jsonb_build_array",
];

/// A JSON writer with each numeric argument of a fixed shown scale cast to that scale
/// (which is exact: the stored value is already rounded there).
fn json_arguments(
    mut f: datafusion::logical_expr::expr::ScalarFunction,
    schema: &DFSchema,
) -> Result<Transformed<Expr>> {
    let mut changed = false;
    for arg in f.args.iter_mut() {
        let Ok(DataType::Decimal128(_, stored_scale)) = arg.get_type(schema) else {
            continue;
        };
        if let Scale::Fixed(shown) = scale_of(arg, schema)?
            && shown != i32::from(stored_scale)
            && let Ok(shown) = i8::try_from(shown)
            && (0..=38).contains(&shown)
        {
            *arg = Expr::Cast(datafusion::logical_expr::Cast::new(
                Box::new(arg.clone()),
                DataType::Decimal128(38, shown),
            ));
            changed = true;
        }
    }
    let e = Expr::ScalarFunction(f);
    Ok(if changed {
        Transformed::yes(e)
    } else {
        Transformed::no(e)
    })
}

/// A function whose PostgreSQL result is an `integer` where DataFusion's is wider:
/// `cardinality`, and `gcd` / `lcm` of integers.
fn integer_result(f: &datafusion::logical_expr::expr::ScalarFunction, schema: &DFSchema) -> bool {
    let narrow = |e: &Expr| {
        let inner = match e {
            Expr::Cast(c) => c.expr.as_ref(),
            e => e,
        };
        inner
            .get_type(schema)
            .is_ok_and(|t| matches!(t, DataType::Int8 | DataType::Int16 | DataType::Int32))
    };
    match f.func.name() {
        "cardinality" => true,
        "gcd" | "lcm" => f.args.iter().all(narrow),
        _ => false,
    }
}

fn hidden_name(name: &str) -> String {
    format!("{HIDDEN_PREFIX}{name}")
}

/// The hidden column a value of this type shown at `scale` needs (none at its own).
fn hidden_for(scale: Scale, data_type: &DataType) -> Option<Expr> {
    match scale {
        Scale::Fixed(s) if Some(s) == stored(data_type) => None,
        other => Some(other.expr()),
    }
}

/// A projection of `exprs`, with a hidden column for each numeric one shown at another
/// scale than stored.
fn projection(exprs: Vec<Expr>, input: Arc<LogicalPlan>) -> Result<LogicalPlan> {
    let schema = Arc::clone(input.schema());
    let mut out = Vec::with_capacity(exprs.len());
    let mut hidden = Vec::new();
    for e in exprs {
        let e = named(e, &schema)?;
        let (qualifier, field) = e.to_field(&schema)?;
        if !is_hidden(field.name()) && is_numeric(field.data_type()) {
            let scale = scale_of(&e, &schema)?;
            if let Some(h) = hidden_for(scale, field.data_type()) {
                hidden.push(h.alias_qualified(qualifier.clone(), hidden_name(field.name())));
            }
        }
        out.push(e);
    }
    out.extend(hidden);
    Projection::try_new(out, input).map(LogicalPlan::Projection)
}

/// `avg(x)` of an integer or numeric `x`: its argument and the call's parameters.
fn numeric_avg(e: &Expr, schema: &DFSchema) -> Result<Option<(Expr, AggregateFunctionParams)>> {
    let Expr::AggregateFunction(f) = e.clone().unalias() else {
        return Ok(None);
    };
    if f.func.name() != "avg" || f.params.args.len() != 1 {
        return Ok(None);
    }
    let Some(argument) = avg_argument(&f.params.args[0], schema)? else {
        return Ok(None);
    };
    Ok(Some((argument, f.params)))
}

/// What `avg(arg)` averages when PostgreSQL's average is a numeric: `arg` of a numeric, the
/// integer beneath DataFusion's float8 cast (as a bigint, which `sum` takes), else none.
fn avg_argument(arg: &Expr, schema: &DFSchema) -> Result<Option<Expr>> {
    Ok(match arg.get_type(schema)? {
        t if is_numeric(&t) => Some(arg.clone()),
        DataType::Float64 => match arg {
            Expr::Cast(c) if c.expr.get_type(schema)?.is_integer() => Some(Expr::Cast(
                datafusion::logical_expr::Cast::new(c.expr.clone(), DataType::Int64),
            )),
            _ => None,
        },
        _ => None,
    })
}

/// Each of `exprs` rewritten by [`named`].
fn all_named(exprs: Vec<Expr>, schema: &DFSchema) -> Result<Vec<Expr>> {
    exprs.into_iter().map(|e| named(e, schema)).collect()
}

fn aggregate_call(
    func: Arc<datafusion::logical_expr::AggregateUDF>,
    args: Vec<Expr>,
    params: &AggregateFunctionParams,
) -> Expr {
    Expr::AggregateFunction(AggregateFunction::new_udf(
        func,
        args,
        params.distinct,
        params.filter.clone(),
        params.order_by.clone(),
        params.null_treatment,
    ))
}

/// The scale of the first numeric argument shown at another scale than stored, if any.
fn shown_scale(args: &[Expr], schema: &DFSchema) -> Result<Option<Expr>> {
    for a in args {
        let t = a.get_type(schema)?;
        if is_numeric(&t)
            && let Some(h) = hidden_for(scale_of(a, schema)?, &t)
        {
            return Ok(Some(h));
        }
    }
    Ok(None)
}

/// What an aggregate of a numeric shown at another scale than stored is shown at:
/// `sum` at the largest of its inputs' (as PostgreSQL's `sum` keeps), others not known.
fn aggregate_scale(e: &Expr, schema: &DFSchema) -> Result<Option<Expr>> {
    let Expr::AggregateFunction(f) = e.clone().unalias() else {
        return Ok(None);
    };
    let Some(scale) = shown_scale(&f.params.args, schema)? else {
        return Ok(None);
    };
    let params = AggregateFunctionParams {
        distinct: false,
        order_by: vec![],
        ..f.params.clone()
    };
    Ok(Some(match f.func.name() {
        "sum" => aggregate_call(max_udaf(), vec![scale], &params),
        _ => aggregate_call(max_udaf(), vec![Scale::Unknown.expr()], &params),
    }))
}

/// How an aggregate or window call of the query is finished above the node computing it.
#[derive(Debug, Clone, Copy)]
enum Finish {
    /// As computed: the node's column at this position among its calls.
    Column(usize),
    /// `avg`: the sum and count at these positions, divided as PostgreSQL divides.
    Average(usize, usize),
    /// `sum` of a `bigint`: PostgreSQL's is a `numeric` (never overflowing).
    Numeric(usize),
    /// `ntile`: PostgreSQL's is an `integer`.
    Integer(usize),
}

/// `sum(x)` of a `bigint` `x` (not an integer DataFusion widened to one to sum it).
fn is_bigint_sum(name: &str, args: &[Expr], schema: &DFSchema) -> Result<bool> {
    let [arg] = args else { return Ok(false) };
    if name != "sum" || arg.get_type(schema)? != DataType::Int64 {
        return Ok(false);
    }
    Ok(match arg {
        Expr::Cast(c) => !c.expr.get_type(schema)?.is_integer(),
        _ => true,
    })
}

/// The projection finishing `calls` (their first names `names`) over `inner`, whose first
/// `passed` columns pass through (group keys, or a window's input).
fn finish(
    inner: Arc<LogicalPlan>,
    passed: usize,
    finishes: &[Finish],
    names: &[String],
) -> Result<LogicalPlan> {
    let schema = Arc::clone(inner.schema());
    let column = |i: usize| Expr::Column(Column::from(schema.qualified_field(i)));
    let mut exprs: Vec<Expr> = (0..passed)
        .filter(|i| !is_hidden(schema.field(*i).name()))
        .map(column)
        .collect();
    for (f, name) in finishes.iter().zip(names) {
        exprs.push(match *f {
            Finish::Column(at) => column(passed + at),
            Finish::Average(sum, count) => {
                let (sum, count) = (column(passed + sum), column(passed + count));
                let sum_scale = scale_of(&sum, &schema)?.expr();
                division::div(sum, count, sum_scale, lit(0)).alias(name)
            }
            Finish::Numeric(at) => Expr::Cast(datafusion::logical_expr::Cast::new(
                Box::new(column(passed + at)),
                DataType::Decimal128(38, 0),
            ))
            .alias(name),
            Finish::Integer(at) => Expr::Cast(datafusion::logical_expr::Cast::new(
                Box::new(column(passed + at)),
                DataType::Int32,
            ))
            .alias(name),
        });
    }
    // Hidden columns of the node come back through the projection.
    projection(exprs, inner)
}

/// An aggregate with `avg` of a numeric as `sum / count` divided as PostgreSQL divides,
/// `sum` of a bigint as a numeric, and hidden columns for its keys and aggregates shown at
/// another scale than stored.
fn aggregate(a: Aggregate) -> Result<LogicalPlan> {
    let input = a.input;
    let schema = Arc::clone(input.schema());
    let group = all_named(a.group_expr, &schema)?;
    let aggr = all_named(a.aggr_expr, &schema)?;
    let original = Aggregate::try_new(Arc::clone(&input), group.clone(), aggr.clone())?;
    let group_width = original.schema.fields().len() - aggr.len();
    let names: Vec<String> = original.schema.fields()[group_width..]
        .iter()
        .map(|f| f.name().clone())
        .collect();

    let mut calls = Vec::with_capacity(aggr.len());
    let mut finishes = Vec::with_capacity(aggr.len());
    let mut finished = false;
    for (i, e) in aggr.into_iter().enumerate() {
        if let Some((x, params)) = numeric_avg(&e, &schema)? {
            let sum = aggregate_call(sum_udaf(), vec![x.clone()], &params)
                .alias(format!("__lyceum_avg_sum_{i}"));
            let count = aggregate_call(count_udaf(), vec![x], &params)
                .alias(format!("__lyceum_avg_count_{i}"));
            finishes.push(Finish::Average(calls.len(), calls.len() + 1));
            calls.push(sum);
            calls.push(count);
            finished = true;
            continue;
        }
        let bigint_sum = match e.clone().unalias() {
            Expr::AggregateFunction(f) => is_bigint_sum(f.func.name(), &f.params.args, &schema)?,
            _ => false,
        };
        finished |= bigint_sum;
        finishes.push(if bigint_sum {
            Finish::Numeric(calls.len())
        } else {
            Finish::Column(calls.len())
        });
        calls.push(e);
    }
    let mut hidden = Vec::new();
    // Group keys shown per row: a group's values are equal, their scale taken as the largest.
    for (k, key) in grouping_set_to_exprlist(&group)?.into_iter().enumerate() {
        let t = key.get_type(&schema)?;
        if is_numeric(&t)
            && let Some(h) = hidden_for(scale_of(key, &schema)?, &t)
        {
            let name = original.schema.field(k).name().clone();
            let call = aggregate_call(
                max_udaf(),
                vec![h],
                &AggregateFunctionParams {
                    args: vec![],
                    distinct: false,
                    filter: None,
                    order_by: vec![],
                    null_treatment: None,
                },
            );
            hidden.push(call.alias(hidden_name(&name)));
        }
    }
    for call in &calls {
        if let Some(h) = aggregate_scale(call, &schema)? {
            let name = match call {
                Expr::Alias(alias) => alias.name.clone(),
                other => other.schema_name().to_string(),
            };
            hidden.push(h.alias(hidden_name(&name)));
        }
    }
    calls.extend(hidden);
    let inner = LogicalPlan::Aggregate(Aggregate::try_new(input, group, calls)?);
    if !finished {
        return Ok(inner);
    }
    finish(Arc::new(inner), group_width, &finishes, &names)
}

/// A window node with `avg` of a numeric as `sum / count` over the same window, `sum` of a
/// bigint as a numeric, and hidden columns for window aggregates shown at another scale
/// than stored.
fn window(w: Window) -> Result<LogicalPlan> {
    let input = w.input;
    let schema = Arc::clone(input.schema());
    let exprs = all_named(w.window_expr, &schema)?;
    let original = Window::try_new(exprs.clone(), Arc::clone(&input))?;
    let base = schema.fields().len();
    let names: Vec<String> = original.schema.fields()[base..]
        .iter()
        .map(|f| f.name().clone())
        .collect();
    let mut calls = Vec::with_capacity(exprs.len());
    let mut finishes = Vec::with_capacity(exprs.len());
    let mut finished = false;
    let mut hidden = Vec::new();
    for (i, e) in exprs.into_iter().enumerate() {
        let Some((function, params)) = window_call(&e) else {
            finishes.push(Finish::Column(calls.len()));
            calls.push(e);
            continue;
        };
        if let Some(x) = window_avg(&function, &params, &schema)? {
            let sum_params = WindowFunctionParams {
                args: vec![x.clone()],
                ..params.clone()
            };
            let (sum_name, count_name) = (
                format!("__lyceum_avg_sum_{i}"),
                format!("__lyceum_avg_count_{i}"),
            );
            if let Some(h) = window_scale(
                &WindowFunctionDefinition::AggregateUDF(sum_udaf()),
                &sum_params,
                &schema,
            )? {
                hidden.push(h.alias(hidden_name(&sum_name)));
            }
            let sum = over(sum_udaf(), vec![x.clone()], &params).alias(sum_name);
            let count = over(count_udaf(), vec![x], &params).alias(count_name);
            finishes.push(Finish::Average(calls.len(), calls.len() + 1));
            calls.push(sum);
            calls.push(count);
            finished = true;
            continue;
        }
        if let Some(h) = window_scale(&function, &params, &schema)? {
            hidden.push(h.alias(hidden_name(&names[i])));
        }
        let bigint_sum = matches!(&function, WindowFunctionDefinition::AggregateUDF(f)
            if is_bigint_sum(f.name(), &params.args, &schema)?);
        let ntile =
            matches!(&function, WindowFunctionDefinition::WindowUDF(f) if f.name() == "ntile");
        finished |= bigint_sum || ntile;
        finishes.push(if bigint_sum {
            Finish::Numeric(calls.len())
        } else if ntile {
            Finish::Integer(calls.len())
        } else {
            Finish::Column(calls.len())
        });
        calls.push(e);
    }
    calls.extend(hidden);
    let inner = LogicalPlan::Window(Window::try_new(calls, input)?);
    if !finished {
        return Ok(inner);
    }
    finish(Arc::new(inner), base, &finishes, &names)
}

fn window_call(e: &Expr) -> Option<(WindowFunctionDefinition, WindowFunctionParams)> {
    match e.clone().unalias() {
        Expr::WindowFunction(w) => {
            let WindowFunction { fun, params } = *w;
            Some((fun, params))
        }
        _ => None,
    }
}

fn over(
    func: Arc<datafusion::logical_expr::AggregateUDF>,
    args: Vec<Expr>,
    params: &WindowFunctionParams,
) -> Expr {
    Expr::from(WindowFunction {
        fun: WindowFunctionDefinition::AggregateUDF(func),
        params: WindowFunctionParams {
            args,
            ..params.clone()
        },
    })
}

fn window_avg(
    function: &WindowFunctionDefinition,
    params: &WindowFunctionParams,
    schema: &DFSchema,
) -> Result<Option<Expr>> {
    let WindowFunctionDefinition::AggregateUDF(f) = function else {
        return Ok(None);
    };
    if f.name() != "avg" || params.args.len() != 1 || params.distinct {
        return Ok(None);
    }
    avg_argument(&params.args[0], schema)
}

fn window_scale(
    function: &WindowFunctionDefinition,
    params: &WindowFunctionParams,
    schema: &DFSchema,
) -> Result<Option<Expr>> {
    let Some(scale) = shown_scale(&params.args, schema)? else {
        return Ok(None);
    };
    let sum = matches!(function, WindowFunctionDefinition::AggregateUDF(f) if f.name() == "sum");
    let scale = if sum { scale } else { Scale::Unknown.expr() };
    Ok(Some(over(max_udaf(), vec![scale], params)))
}

/// A union whose inputs all carry the scale of each column any of them shows at another
/// scale than stored (an integer beside a numeric keeps its 0 digits).
fn union(u: Union) -> Result<LogicalPlan> {
    let inputs = u.inputs;
    let Some(first) = inputs.first() else {
        return Union::try_new(inputs).map(LogicalPlan::Union);
    };
    let names: Vec<(Option<TableReference>, FieldRef)> = first
        .schema()
        .iter()
        .filter(|(_, f)| !is_hidden(f.name()))
        .map(|(q, f)| (q.cloned(), Arc::clone(f)))
        .collect();
    let width = names.len();
    let mut scales: Vec<Vec<Scale>> = Vec::with_capacity(inputs.len());
    let mut shown = vec![false; width];
    let mut hidden_anywhere = false;
    for input in &inputs {
        let schema = input.schema();
        hidden_anywhere |= schema.fields().len() != width;
        let mut row = Vec::with_capacity(width);
        for (k, flag) in shown.iter_mut().enumerate() {
            let (q, f) = schema.qualified_field(k);
            let scale = if is_numeric(f.data_type()) {
                scale_of(&Expr::Column(Column::from((q, f))), schema)?
            } else {
                Scale::Fixed(0)
            };
            *flag |=
                is_numeric(f.data_type()) && hidden_for(scale.clone(), f.data_type()).is_some();
            row.push(scale);
        }
        scales.push(row);
    }
    if !hidden_anywhere && !shown.contains(&true) {
        return Union::try_new(inputs).map(LogicalPlan::Union);
    }
    let mut rebuilt = Vec::with_capacity(inputs.len());
    for (input, row) in inputs.into_iter().zip(scales) {
        let schema = Arc::clone(input.schema());
        let mut exprs: Vec<Expr> = (0..width)
            .map(|k| Expr::Column(Column::from(schema.qualified_field(k))))
            .collect();
        for (k, scale) in row.into_iter().enumerate() {
            if shown[k] {
                exprs.push(scale.expr().alias(hidden_name(names[k].1.name())));
            }
        }
        rebuilt.push(Arc::new(LogicalPlan::Projection(Projection::try_new(
            exprs, input,
        )?)));
    }
    Union::try_new(rebuilt).map(LogicalPlan::Union)
}

/// `plan` without its hidden columns, for a consumer that reads rows by position. A column
/// that had one is marked: shown by an outer query, its scale is not known.
fn strip(plan: LogicalPlan) -> Result<LogicalPlan> {
    let schema = Arc::clone(plan.schema());
    if !schema.fields().iter().any(|f| is_hidden(f.name())) {
        return Ok(plan);
    }
    let exprs = schema
        .iter()
        .filter(|(_, f)| !is_hidden(f.name()))
        .map(|(q, f)| {
            let column = Column::from((q, f));
            let col = Expr::Column(column.clone());
            if hidden_of(&column, &schema).is_some() {
                let metadata = FieldMetadata::from(std::collections::BTreeMap::from([(
                    SCALE_DROPPED.to_string(),
                    "true".to_string(),
                )]));
                col.alias_qualified_with_metadata(q.cloned(), f.name(), Some(metadata))
            } else {
                col
            }
        })
        .collect();
    Projection::try_new(exprs, Arc::new(plan)).map(LogicalPlan::Projection)
}

/// Whether a scalar subquery's column lost its display scale.
pub(super) fn scale_dropped(field: &arrow::datatypes::Field) -> bool {
    field.metadata().contains_key(SCALE_DROPPED)
}

/// The plan with its hidden columns after all the others.
fn hidden_last(plan: LogicalPlan) -> Result<LogicalPlan> {
    let schema = Arc::clone(plan.schema());
    let fields = schema.fields();
    let first_hidden = fields.iter().position(|f| is_hidden(f.name()));
    let Some(first_hidden) = first_hidden else {
        return Ok(plan);
    };
    if fields[first_hidden..].iter().all(|f| is_hidden(f.name())) {
        return Ok(plan);
    }
    let (visible, hidden): (Vec<_>, Vec<_>) = schema
        .iter()
        .map(|(q, f)| (is_hidden(f.name()), Expr::Column(Column::from((q, f)))))
        .partition(|(h, _)| !h);
    let exprs = visible.into_iter().chain(hidden).map(|(_, e)| e).collect();
    Projection::try_new(exprs, Arc::new(plan)).map(LogicalPlan::Projection)
}
