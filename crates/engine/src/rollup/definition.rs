//! A rollup's definition as the engine reads it: the defining query's aggregate, its
//! shape, its group keys and the states it stores, each derived the same way whether the
//! rollup is being built or matched against a query.

use std::collections::BTreeSet;

use arrow::datatypes::DataType;
use datafusion::common::DFSchema;
use datafusion::common::tree_node::TreeNode;
use datafusion::logical_expr::expr::AggregateFunction;
use datafusion::logical_expr::{Aggregate, Expr, ExprSchemable, LogicalPlan, cast, lit, when};
use lyceum_catalog::{SIZE_STATE_FORMAT, StateColumn, StateKind};

use super::histogram;
use super::shape::{Refusal, Shape, TableNamer};
use super::variance::Statistic;
use crate::aggregates::bivariate::{self, Kind};

/// The aggregate at the top of a planned definition (under its projection and sort).
pub fn top_aggregate(plan: &LogicalPlan) -> Result<&Aggregate, Refusal> {
    match plan {
        LogicalPlan::Aggregate(a) => Ok(a),
        LogicalPlan::Projection(p) => top_aggregate(&p.input),
        LogicalPlan::SubqueryAlias(a) => top_aggregate(&a.input),
        LogicalPlan::Sort(s) => top_aggregate(&s.input),
        other => Err(format!(
            "a rollup is a SELECT of keys and aggregates with GROUP BY over a fact and its dimensions, not {}",
            other
                .display()
                .to_string()
                .split(':')
                .next()
                .unwrap_or("this")
        )),
    }
}

/// An aggregate call taken apart.
pub struct Call<'a> {
    /// The function's name (`sum`, `count`, `min`, `max`, `avg`, `var`, `median`...).
    pub name: String,
    pub argument: Option<&'a Expr>,
    /// The second argument of `corr(y, x)`, `regr_*(y, x)`, `covar_*(y, x)` (`x`), or
    /// the fraction of `percentile_cont`.
    pub second: Option<&'a Expr>,
    /// Whether `percentile_cont`'s WITHIN GROUP ordering is descending.
    pub descending: bool,
    pub distinct: bool,
    pub function: &'a AggregateFunction,
}

/// `expr` as an aggregate call with no FILTER, and with one argument (two for the
/// bivariate statistics and `percentile_cont`) and no ORDER BY (but `percentile_cont`'s
/// WITHIN GROUP ordering by its argument).
pub fn call(expr: &Expr) -> Result<Call<'_>, Refusal> {
    let Expr::AggregateFunction(function) = unalias(expr) else {
        return Err(format!("{expr} is not an aggregate call"));
    };
    let params = &function.params;
    let name = function.func.name().to_ascii_lowercase();
    if params.filter.is_some() {
        return Err(format!("{expr} has a FILTER clause"));
    }
    let percentile = name == "percentile_cont";
    let descending = match params.order_by.as_slice() {
        [] => false,
        [sort]
            if percentile
                && params
                    .args
                    .first()
                    .is_some_and(|a| uncast(a) == uncast(&sort.expr)) =>
        {
            !sort.asc
        }
        _ => return Err(format!("{expr} has an ORDER BY")),
    };
    let pairs = percentile || Kind::of(&name).is_some();
    if params.args.len() > 1 && !(pairs && params.args.len() == 2) {
        return Err(format!("{expr} has several arguments"));
    }
    Ok(Call {
        name,
        argument: params.args.first(),
        second: params.args.get(1),
        descending,
        distinct: params.distinct,
        function,
    })
}

fn uncast(expr: &Expr) -> &Expr {
    match expr {
        Expr::Cast(c) => uncast(&c.expr),
        Expr::TryCast(c) => uncast(&c.expr),
        other => other,
    }
}

pub fn unalias(expr: &Expr) -> &Expr {
    match expr {
        Expr::Alias(a) => unalias(&a.expr),
        other => other,
    }
}

/// Whether `expr` counts rows: `count(*)`, planned as `count(1)`.
pub fn counts_rows(argument: Option<&Expr>) -> bool {
    match argument {
        None => true,
        Some(Expr::Literal(value, _)) => !value.is_null(),
        Some(_) => false,
    }
}

/// The states an aggregate over `input` needs, as (kind, argument) with `None` for rows.
pub fn needed_states(
    expr: &Expr,
    input: &DFSchema,
) -> Result<Vec<(StateKind, Option<Expr>)>, Refusal> {
    let call = call(expr)?;
    let arg = call.argument.cloned();
    if call.distinct {
        return match call.name.as_str() {
            "count" if !counts_rows(call.argument) => Ok(vec![(StateKind::Distinct, arg)]),
            _ => Err(format!(
                "{expr} is DISTINCT: a rollup keeps distinct sets for COUNT(DISTINCT x) only"
            )),
        };
    }
    Ok(match call.name.as_str() {
        "count" if counts_rows(call.argument) => vec![(StateKind::Count, None)],
        "count" => vec![(StateKind::Count, arg)],
        "sum" => vec![(StateKind::Sum, arg)],
        "min" => vec![(StateKind::Min, arg)],
        "max" => vec![(StateKind::Max, arg)],
        "avg" => {
            // An integer's average is float8 of its float8 values: their sum is the
            // integers' exact sum (below 2^53), so the integers' states serve it.
            let (arg, _) = beneath_float_cast(call.argument, input)?;
            vec![(StateKind::Sum, arg.clone()), (StateKind::Count, arg)]
        }
        name if Statistic::of(name).is_some() => {
            let (arg, data_type) = beneath_float_cast(call.argument, input)?;
            let Some(arg) = arg else {
                return Err(format!("{expr} has no argument"));
            };
            let squares = squares(arg.clone(), &data_type).ok_or_else(|| {
                format!(
                    "{expr}: a rollup keeps exact sums of squares of integers and decimals only"
                )
            })?;
            vec![
                (StateKind::Count, Some(arg.clone())),
                (StateKind::Sum, Some(arg)),
                (StateKind::Sum, Some(squares)),
            ]
        }
        name if Kind::of(name).is_some() => pair_states(expr, &call, input)?,
        "median" | "percentile_cont" => {
            let (arg, data_type) = beneath_float_cast(call.argument, input)?;
            // A float8 median of decimals would be halved in float8 from their
            // float8 values: not what a histogram of exact values finishes to. (A
            // percentile interpolates in float8 anyway, from each value's float8.)
            let cast_decimal = call.name == "median"
                && matches!(data_type, DataType::Decimal128(..))
                && matches!(call.argument, Some(Expr::Cast(_)));
            if !histogram::kept(&data_type) || cast_decimal {
                return Err(format!(
                    "{expr}: a rollup keeps histograms of integers and decimals only, not of {data_type}"
                ));
            }
            vec![(StateKind::Histogram, arg)]
        }
        other => {
            return Err(format!(
                "{other}() has no re-mergeable state in a rollup yet"
            ));
        }
    })
}

/// The states of `corr(y, x)` and its family: the count of non-null pairs and the sums
/// `Σy`, `Σx`, `Σy²`, `Σx²`, `Σxy` over them, exact (integers and decimals of at most 18
/// digits, as the aggregate itself sums them; see [`crate::aggregates::bivariate`]).
fn pair_states(
    expr: &Expr,
    call: &Call<'_>,
    input: &DFSchema,
) -> Result<Vec<(StateKind, Option<Expr>)>, Refusal> {
    let (Some(y), Some(x)) = (call.argument, call.second) else {
        return Err(format!("{expr} needs two arguments"));
    };
    let both = y.clone().is_not_null().and(x.clone().is_not_null());
    let paired = |e: &Expr| {
        when(both.clone(), e.clone())
            .end()
            .map_err(|e| e.to_string())
    };
    let (py, px) = (paired(y)?, paired(x)?);
    if Kind::of(&call.name) == Some(Kind::RegrCount) {
        return Ok(vec![(StateKind::Count, Some(py))]);
    }
    let type_of = |e: &Expr| e.get_type(input).map_err(|e| e.to_string());
    let (ty, tx) = (type_of(y)?, type_of(x)?);
    let exact = |t: &DataType| bivariate::exact_type(t).as_ref() == Some(t);
    if !exact(&ty) || !exact(&tx) {
        return Err(format!(
            "{expr}: a rollup keeps exact sums of products of integers and decimals only, not of {ty} and {tx}"
        ));
    }
    let widen = |e: Expr, t: &DataType| match t {
        DataType::Decimal128(..) => e,
        _ => cast(e, DataType::Decimal128(20, 0)),
    };
    let product = |a: &Expr, ta: &DataType, b: &Expr, tb: &DataType| {
        widen(a.clone(), ta) * widen(b.clone(), tb)
    };
    Ok(vec![
        (StateKind::Count, Some(py.clone())),
        (StateKind::Sum, Some(py.clone())),
        (StateKind::Sum, Some(px.clone())),
        (StateKind::Sum, Some(product(&py, &ty, &py, &ty))),
        (StateKind::Sum, Some(product(&px, &tx, &px, &tx))),
        (StateKind::Sum, Some(product(&px, &tx, &py, &ty))),
    ])
}

/// An argument DataFusion cast to float8 for `var`, `stddev` or `median`, as the exact
/// integer or decimal beneath the cast (when it is one), with its type.
fn beneath_float_cast(
    argument: Option<&Expr>,
    input: &DFSchema,
) -> Result<(Option<Expr>, DataType), Refusal> {
    let type_of = |e: &Expr| e.get_type(input).map_err(|e| e.to_string());
    match argument {
        Some(Expr::Cast(c)) if c.field.data_type() == &DataType::Float64 => {
            let inner = type_of(&c.expr)?;
            if inner.is_integer() || matches!(inner, DataType::Decimal128(..)) {
                Ok((Some(c.expr.as_ref().clone()), inner))
            } else {
                Ok((argument.cloned(), DataType::Float64))
            }
        }
        Some(a) => Ok((Some(a.clone()), type_of(a)?)),
        None => Ok((None, DataType::Null)),
    }
}

/// `x²` exactly: a decimal's square at twice its scale, an integer's as a decimal of
/// 38 digits (no overflow); `None` for other types.
fn squares(x: Expr, data_type: &DataType) -> Option<Expr> {
    match data_type {
        DataType::Decimal128(..) => Some(x.clone() * x),
        t if t.is_integer() => {
            let wide = cast(x, DataType::Decimal128(20, 0));
            Some(wide.clone() * wide)
        }
        _ => None,
    }
}

/// A stored state: its column, what it holds, and the expression that computes it from
/// the definition's input.
#[derive(Debug, Clone)]
pub struct State {
    pub column: StateColumn,
    /// The aggregate that computes the state from the definition's input (un-normalised);
    /// for a [`StateKind::Size`], the expression computing it from its set's column once
    /// the states are aggregated.
    pub compute: Expr,
}

/// The definition's aggregate, understood.
#[derive(Debug, Clone)]
pub struct Definition {
    pub shape: Shape,
    /// The stored columns: keys first (in GROUP BY order), then states, then the sizes
    /// of the distinct sets.
    pub states: Vec<State>,
}

impl Definition {
    /// Reads `aggregate` (an analysed plan's) as a rollup definition.
    pub fn of(aggregate: &Aggregate, name_of: TableNamer<'_>) -> Result<Definition, Refusal> {
        let shape = Shape::of(&aggregate.input, name_of)?;
        if aggregate
            .group_expr
            .iter()
            .any(|e| matches!(e, Expr::GroupingSet(_)))
        {
            return Err("GROUPING SETS, ROLLUP and CUBE are not rollup definitions".into());
        }
        if aggregate.group_expr.is_empty() {
            return Err("a rollup needs a GROUP BY".into());
        }
        let mut states = Vec::new();
        let mut taken = BTreeSet::new();
        for (i, key) in aggregate.group_expr.iter().enumerate() {
            if key.is_volatile() {
                return Err(format!("the key {key} is volatile"));
            }
            let normal = shape.normalise(key)?;
            let name = match unalias(key) {
                Expr::Column(c) => c.name.clone(),
                _ => format!("key_{i}"),
            };
            let column = unique(&mut taken, name);
            states.push(State {
                column: StateColumn {
                    column,
                    kind: StateKind::Key,
                    argument: normal.to_string(),
                },
                compute: key.clone(),
            });
        }
        let mut seen = BTreeSet::new();
        let mut sizes = Vec::new();
        for expr in &aggregate.aggr_expr {
            if expr.exists(|e| Ok(e.is_volatile_node())).unwrap_or(true) {
                return Err(format!("{expr} is volatile"));
            }
            for (kind, argument) in needed_states(expr, aggregate.input.schema())? {
                let text = match &argument {
                    Some(a) => shape.normalise(a)?.to_string(),
                    None => "*".to_string(),
                };
                if !seen.insert((kind, text.clone())) {
                    continue;
                }
                let compute = state_aggregate(kind, argument);
                let column = unique(&mut taken, format!("{}_{}", kind.name(), seen.len() - 1));
                // A set's size is stored after every other state (named after its set),
                // so a rollup of a format without sizes keeps its columns and names and
                // gains the sizes at the end.
                sizes.extend((kind == StateKind::Distinct).then(|| State {
                    column: StateColumn {
                        column: unique(&mut taken, format!("{column}_size")),
                        kind: StateKind::Size,
                        argument: text.clone(),
                    },
                    compute: super::distinct_set::distinct_size(Expr::Column(
                        datafusion::common::Column::new_unqualified(&column),
                    )),
                }));
                states.push(State {
                    column: StateColumn {
                        column,
                        kind,
                        argument: text,
                    },
                    compute,
                });
            }
        }
        states.extend(sizes);
        Ok(Definition { shape, states })
    }

    /// The definition as a rollup stored in `format` has it: without sizes of sets in
    /// formats before [`SIZE_STATE_FORMAT`].
    pub fn as_stored_in(mut self, format: u32) -> Definition {
        if format < SIZE_STATE_FORMAT {
            self.states.retain(|s| s.column.kind != StateKind::Size);
        }
        self
    }

    /// The stored column holding the size of the distinct set stored in `set`.
    pub fn size_of_set(&self, set: &str) -> Option<&str> {
        let stored = self
            .states
            .iter()
            .find(|s| s.column.kind == StateKind::Distinct && s.column.column == set)?;
        self.state(StateKind::Size, &stored.column.argument)
    }

    pub fn columns(&self) -> Vec<StateColumn> {
        self.states.iter().map(|s| s.column.clone()).collect()
    }

    /// The stored column holding `kind` of `argument` (normalised text).
    pub fn state(&self, kind: StateKind, argument: &str) -> Option<&str> {
        self.states
            .iter()
            .find(|s| s.column.kind == kind && s.column.argument == argument)
            .map(|s| s.column.column.as_str())
    }
}

fn unique(taken: &mut BTreeSet<String>, name: String) -> String {
    let mut candidate = name.clone();
    let mut n = 1;
    while !taken.insert(candidate.clone()) {
        candidate = format!("{name}_{n}");
        n += 1;
    }
    candidate
}

/// The aggregate computing a state from rows.
fn state_aggregate(kind: StateKind, argument: Option<Expr>) -> Expr {
    use datafusion::functions_aggregate::expr_fn::{count, max, min, sum};
    let argument = argument.unwrap_or_else(|| lit(1i64));
    match kind {
        StateKind::Sum => sum(argument),
        StateKind::Count => count(argument),
        StateKind::Min => min(argument),
        StateKind::Max => max(argument),
        StateKind::Distinct => super::distinct_set::distinct_set(argument),
        // Computed from its set after the aggregate (see `Definition::of`).
        StateKind::Size => super::distinct_set::distinct_size(argument),
        StateKind::Histogram => super::histogram::histogram(argument),
        StateKind::Key => argument,
    }
}
