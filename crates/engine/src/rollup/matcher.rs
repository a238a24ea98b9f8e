//! Answering one aggregate of a query from one rollup, or saying why it cannot be.
//!
//! The aggregate is answered when it reads the same tables joined the same way as the
//! rollup (its shape), with the rollup's filters among its own; its other filters, its
//! group keys and the arguments of its DISTINCT/MIN/MAX calls are expressions of the
//! rollup's keys (or of columns its joins make equal to a key); and each of its other
//! aggregates merges stored states. The answer is then an aggregate over the rollup's
//! rows: groups of the rollup are finer than or equal to the query's, so merging their
//! states gives what the query would compute from the base rows. At the rollup's own
//! grain the answer is a projection of its rows instead (see [`super::grain`]).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use arrow::datatypes::DataType;
use datafusion::common::tree_node::{Transformed, TreeNode, TreeNodeRecursion};
use datafusion::common::{Column, TableReference};
use datafusion::functions::core::expr_fn::coalesce;
use datafusion::functions_aggregate::expr_fn::{max, min, sum};
use datafusion::logical_expr::expr::AggregateFunction;
use datafusion::logical_expr::utils::conjunction;
use datafusion::logical_expr::{
    Aggregate, Expr, ExprSchemable, JoinType, LogicalPlan, LogicalPlanBuilder, TableSource, cast,
    lit,
};
use lyceum_catalog::StateKind;

use super::decimal_avg::decimal_avg;
use super::definition::{Definition, call, counts_rows, needed_states};
use super::distinct_set::distinct_count;
use super::grain;
use super::histogram::{histogram_median, histogram_percentile};
use super::shape::{Refusal, Shape, base_reference, canonical};
use super::variance::{Statistic, variance};
use crate::aggregates::bivariate::{self, Kind};

/// A rollup ready to answer queries of one warehouse version.
#[derive(Clone)]
pub struct Usable {
    pub definition: Definition,
    pub source: Arc<dyn TableSource>,
    /// The name its rows are scanned under (`schema.view`).
    pub reference: TableReference,
    /// The dimensions it joins without changing its rows (see
    /// [`super::constraints::lossless_joins`]): a query that does not join them is
    /// answered as if the rollup did not either.
    pub lossless: BTreeMap<String, (String, String)>,
}

/// How a rollup answers one aggregate.
#[derive(Debug)]
pub struct Answer {
    /// The plan, with the aggregate's output schema.
    pub plan: LogicalPlan,
    /// The dimensions the query reads that the rollup does not, joined back to the
    /// rollup's rows on its keys.
    pub joined_back: Vec<String>,
    /// Whether the query is at the rollup's grain: its rows answer without a merge.
    pub at_grain: bool,
}

/// The plan answering `aggregate` (whose input has `shape`) from `rollup`, with the same
/// output schema. `facts` are the version's fact tables (never joined back).
///
/// A dimension the query joins that the rollup does not is joined back to the rollup's
/// rows when every condition naming it relates it only to the rollup's keys (and to other
/// such dimensions): every base row of a rollup group then meets the same dimension rows,
/// so joining the group's states to them repeats each state as often as the base rows
/// were repeated, and merging repeated states (sums, counts, bounds, sets, histograms)
/// gives what the base rows would.
pub fn answer(
    aggregate: &Aggregate,
    shape: &Shape,
    rollup: &Usable,
    facts: &BTreeSet<String>,
) -> Result<Answer, Refusal> {
    let def = &rollup.definition;
    // The rollup may join more dimensions than the query, where those joins keep its rows:
    // the conditions of those joins are then not the query's to have.
    let dropped: Option<BTreeSet<&str>> = def
        .shape
        .tables
        .difference(&shape.tables)
        .map(|table| {
            rollup
                .lossless
                .get(table)
                .filter(|(kept, _)| shape.tables.contains(kept))
                .map(|(_, join)| join.as_str())
        })
        .collect();
    let back: Vec<&String> = shape.tables.difference(&def.shape.tables).collect();
    let reads = || {
        format!(
            "it reads {}, the query reads {}",
            list(def.shape.tables.iter()),
            list(shape.tables.iter())
        )
    };
    let Some(dropped) = dropped else {
        return Err(reads());
    };
    if let Some(fact) = back.iter().find(|t| facts.contains(**t)) {
        return Err(format!("{} ({fact} is not joined back)", reads()));
    }
    if let Some(missing) = def
        .shape
        .predicates
        .keys()
        .find(|p| !shape.predicates.contains_key(*p) && !dropped.contains(p.as_str()))
    {
        return Err(format!("the query does not have its condition {missing}"));
    }
    let back_references: Vec<TableReference> = back.iter().map(|t| base_reference(t)).collect();
    let onto = Onto {
        rollup,
        back: &back_references,
    };
    // The query's other conditions over the rollup's keys: a filter of its rows, or (where
    // they name a dimension joined back) a condition of that dimension's join, the last
    // joined of those they name.
    let mut residual = Vec::new();
    let mut joins: Vec<Vec<Expr>> = vec![Vec::new(); back.len()];
    for (text, predicate) in &shape.predicates {
        if !def.shape.predicates.contains_key(text) {
            let over_keys = onto
                .keys(predicate)
                .map_err(|e| format!("the filter {}: {e}", canonical(predicate)))?;
            let last = over_keys
                .column_refs()
                .into_iter()
                .filter_map(|c| {
                    let relation = c.relation.as_ref()?;
                    back_references.iter().position(|b| b == relation)
                })
                .max();
            match last {
                Some(i) => joins[i].push(over_keys),
                None => residual.push(over_keys),
            }
        }
    }
    let mut group = Vec::new();
    for key in &aggregate.group_expr {
        if matches!(key, Expr::GroupingSet(_)) {
            return Err("GROUPING SETS, ROLLUP and CUBE are not answered from rollups yet".into());
        }
        if key.is_volatile() {
            return Err(format!("the group key {key} is volatile"));
        }
        let normal = shape.normalise(key)?;
        group.push(
            onto.keys(&normal)
                .map_err(|e| format!("the group key {key}: {e}"))?,
        );
    }
    let input_schema = aggregate.input.schema();
    let mut merges = Vec::new();
    for expr in &aggregate.aggr_expr {
        merges.push(onto.merge(expr, shape, input_schema)?);
    }
    let mut builder =
        LogicalPlanBuilder::scan(rollup.reference.clone(), rollup.source.clone(), None)
            .map_err(|e| e.to_string())?;
    if let Some(filter) = conjunction(residual) {
        builder = builder.filter(filter).map_err(|e| e.to_string())?;
    }
    for ((table, reference), on) in back.iter().zip(&back_references).zip(joins) {
        let source = shape
            .source(table)
            .ok_or_else(|| format!("internal: no source of {table}"))?;
        let dimension = LogicalPlanBuilder::scan(reference.clone(), source, None)
            .and_then(LogicalPlanBuilder::build)
            .map_err(|e| e.to_string())?;
        builder = builder
            .join_on(dimension, JoinType::Inner, on)
            .map_err(|e| e.to_string())?;
    }
    let projected = at_grain(&builder, &group, &merges, &back, rollup);
    let at_grain = projected.is_some();
    let merged = match projected {
        Some(plan) => plan,
        None => builder
            .aggregate(group, merges.iter().map(|(e, _)| e.clone()))
            .map_err(|e| e.to_string())?
            .build()
            .map_err(|e| e.to_string())?,
    };
    // The query's names and types, in its order.
    let wanted = aggregate.schema.as_ref();
    let got = merged.schema().clone();
    if got.fields().len() != wanted.fields().len() {
        return Err("internal: the merged aggregate has other columns".into());
    }
    let mut outputs = Vec::new();
    for i in 0..wanted.fields().len() {
        let (qualifier, field) = wanted.qualified_field(i);
        let (got_qualifier, got_field) = got.qualified_field(i);
        let mut expr = Expr::Column(Column::new(got_qualifier.cloned(), got_field.name()));
        if let Some(j) = i.checked_sub(aggregate.group_expr.len())
            && merges[j].1
        {
            expr = coalesce(vec![expr, lit(0i64)]);
        }
        if got_field.data_type() != field.data_type() {
            expr = cast(expr, field.data_type().clone());
        }
        outputs.push(expr.alias_qualified(qualifier.cloned(), field.name()));
    }
    let plan = LogicalPlanBuilder::from(merged)
        .project(outputs)
        .map_err(|e| e.to_string())?
        .build()
        .map_err(|e| e.to_string())?;
    if !plan
        .schema()
        .logically_equivalent_names_and_types(&aggregate.schema)
    {
        return Err("internal: the merged answer's columns differ from the query's".into());
    }
    Ok(Answer {
        plan,
        joined_back: back.into_iter().cloned().collect(),
        at_grain,
    })
}

impl std::fmt::Debug for Usable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Usable")
            .field("reference", &self.reference)
            .field("definition", &self.definition)
            .finish_non_exhaustive()
    }
}

/// The merged groups as a projection of the stored rows, where the query is at the
/// rollup's grain and every merge can be finished from one row (see [`grain`]).
fn at_grain(
    builder: &LogicalPlanBuilder,
    group: &[Expr],
    merges: &[(Expr, bool)],
    back: &[&String],
    rollup: &Usable,
) -> Option<LogicalPlan> {
    if !back.is_empty() || !grain::covers_keys(group, &rollup.definition, &rollup.reference) {
        return None;
    }
    let schema = builder.schema();
    let finished = merges
        .iter()
        .enumerate()
        .map(|(i, (merge, _))| {
            grain::single_row(merge, schema, &rollup.definition)
                .map(|e| e.alias(format!("__lyceum_merged_{i}")))
        })
        .collect::<Option<Vec<_>>>()?;
    builder
        .clone()
        .project(group.iter().cloned().chain(finished))
        .and_then(LogicalPlanBuilder::build)
        .ok()
}

fn list<'a>(names: impl Iterator<Item = &'a String>) -> String {
    names.cloned().collect::<Vec<_>>().join(", ")
}

/// Rewrites normalised expressions onto a rollup's stored columns (and the columns of the
/// dimensions joined back to it, which stay as they are).
struct Onto<'a> {
    rollup: &'a Usable,
    back: &'a [TableReference],
}

impl Onto<'_> {
    fn column(&self, name: &str) -> Expr {
        Expr::Column(Column::new(Some(self.rollup.reference.clone()), name))
    }

    /// The key column holding `text` (a normalised expression), directly or through a
    /// join equality of the definition.
    fn key(&self, text: &str) -> Option<Expr> {
        let def = &self.rollup.definition;
        if let Some(c) = def.state(StateKind::Key, text) {
            return Some(self.column(c));
        }
        def.shape
            .equal_to(text)
            .iter()
            .find_map(|other| def.state(StateKind::Key, other))
            .map(|c| self.column(c))
    }

    /// `expr` (normalised) over the rollup's keys.
    fn keys(&self, expr: &Expr) -> Result<Expr, Refusal> {
        let mut refusal = None;
        let rewritten = expr
            .clone()
            .transform_down(|e| {
                if let Some(key) = self.key(&e.to_string()) {
                    return Ok(Transformed::new(key, true, TreeNodeRecursion::Jump));
                }
                match e {
                    Expr::Column(c)
                        if c.relation.as_ref().is_some_and(|r| self.back.contains(r)) =>
                    {
                        Ok(Transformed::new(
                            Expr::Column(c),
                            false,
                            TreeNodeRecursion::Jump,
                        ))
                    }
                    Expr::Column(c) => {
                        refusal
                            .get_or_insert_with(|| format!("{c} is not among the rollup's keys"));
                        Ok(Transformed::new(
                            Expr::Column(c),
                            false,
                            TreeNodeRecursion::Jump,
                        ))
                    }
                    Expr::AggregateFunction(_)
                    | Expr::WindowFunction(_)
                    | Expr::ScalarSubquery(_)
                    | Expr::Exists(_)
                    | Expr::InSubquery(_)
                    | Expr::OuterReferenceColumn(..) => {
                        refusal.get_or_insert_with(|| format!("{e} cannot be computed from keys"));
                        Ok(Transformed::new(e, false, TreeNodeRecursion::Jump))
                    }
                    other => Ok(Transformed::no(other)),
                }
            })
            .map_err(|e| e.to_string())?
            .data;
        match refusal {
            Some(r) => Err(r),
            None => {
                if rewritten.is_volatile() {
                    return Err(format!("{expr} is volatile"));
                }
                Ok(rewritten)
            }
        }
    }

    /// The stored columns of the states the definition derives for `expr` (as
    /// [`needed_states`] derives them, arguments beneath DataFusion's casts included).
    fn derived_states(
        &self,
        expr: &Expr,
        shape: &Shape,
        input: &datafusion::common::DFSchema,
    ) -> Result<Vec<Expr>, Refusal> {
        let def = &self.rollup.definition;
        let mut columns = Vec::new();
        for (kind, argument) in needed_states(expr, input)? {
            let text = match &argument {
                Some(a) => shape.normalise(a)?.to_string(),
                None => "*".to_string(),
            };
            let column = def
                .state(kind, &text)
                .ok_or_else(|| format!("{expr}: the rollup stores no {} of {text}", kind.name()))?;
            columns.push(self.column(column));
        }
        Ok(columns)
    }

    /// The merge answering one aggregate call, and whether it counts (a count of no
    /// rollup rows is 0, not NULL).
    fn merge(
        &self,
        expr: &Expr,
        shape: &Shape,
        input: &datafusion::common::DFSchema,
    ) -> Result<(Expr, bool), Refusal> {
        let call = call(expr)?;
        let def = &self.rollup.definition;
        let normal = match call.argument {
            Some(a) => Some(shape.normalise(a)?),
            None => None,
        };
        let text = normal.as_ref().map(|n| n.to_string());
        // Of keys alone: the same aggregate over the rollup's rows, for the calls whose
        // answer does not depend on how many base rows a group had.
        let over_keys = |normal: &Expr| -> Result<Expr, Refusal> {
            let argument = self.keys(normal)?;
            let mut function: AggregateFunction = call.function.clone();
            function.params.args = vec![argument];
            Ok(Expr::AggregateFunction(function))
        };
        if call.distinct && call.name == "count" {
            // Of a key: a count of distinct key values; else the union of stored sets.
            let Some(n) = &normal else {
                return Err(format!("{expr} has no argument"));
            };
            return match over_keys(n) {
                Ok(e) => Ok((e, true)),
                Err(not_key) => match text
                    .as_deref()
                    .and_then(|t| def.state(StateKind::Distinct, t))
                {
                    Some(column) => Ok((distinct_count(self.column(column)), true)),
                    None => Err(format!(
                        "{expr}: {not_key}, and the rollup keeps no distinct set of it"
                    )),
                },
            };
        }
        if call.distinct || matches!(call.name.as_str(), "min" | "max") {
            let stored = if call.distinct {
                None
            } else {
                let kind = if call.name == "min" {
                    StateKind::Min
                } else {
                    StateKind::Max
                };
                text.as_deref().and_then(|t| def.state(kind, t))
            };
            if let Some(column) = stored {
                let c = self.column(column);
                return Ok((if call.name == "min" { min(c) } else { max(c) }, false));
            }
            return match &normal {
                Some(n) if !counts_rows(call.argument) => over_keys(n)
                    .map(|e| (e, false))
                    .map_err(|e| format!("{expr}: {e}")),
                _ => Err(format!("{expr} has no stored state")),
            };
        }
        let state = |kind: StateKind| -> Result<Expr, Refusal> {
            let argument = if kind == StateKind::Count && counts_rows(call.argument) {
                "*".to_string()
            } else {
                text.clone().unwrap_or_else(|| "*".into())
            };
            def.state(kind, &argument)
                .or_else(|| {
                    // `avg(x)` of an integer is answered as `sum(x::int8) / count(x::int8)`
                    // (PostgreSQL's numeric average): its states are stored under `x`.
                    let inner = beneath_int8_cast(call.argument?, input)?;
                    def.state(kind, &shape.normalise(inner).ok()?.to_string())
                })
                .map(|c| self.column(c))
                .ok_or_else(|| {
                    format!("{expr}: the rollup stores no {} of {argument}", kind.name())
                })
        };
        match call.name.as_str() {
            "sum" => Ok((sum(state(StateKind::Sum)?), false)),
            "count" => Ok((sum(state(StateKind::Count)?), true)),
            "avg" => {
                let output = expr.get_type(input).map_err(|e| e.to_string())?;
                let [total, count] =
                    <[Expr; 2]>::try_from(self.derived_states(expr, shape, input)?)
                        .map_err(|_| format!("internal: {expr} needs two states"))?
                        .map(sum);
                match output {
                    DataType::Float64 => Ok((
                        cast(total, DataType::Float64) / cast(count, DataType::Float64),
                        false,
                    )),
                    DataType::Decimal128(..) => Ok((decimal_avg(total, count, output), false)),
                    other => Err(format!(
                        "{expr}: an average of type {other} is not merged from rollups yet (its rounding must match)"
                    )),
                }
            }
            "median" => {
                let output = expr.get_type(input).map_err(|e| e.to_string())?;
                let [histogram] = <[Expr; 1]>::try_from(self.derived_states(expr, shape, input)?)
                    .map_err(|_| format!("internal: {expr} needs one state"))?;
                Ok((histogram_median(histogram, output), false))
            }
            "percentile_cont" => {
                let fraction = percentile_fraction(call.second)
                    .ok_or_else(|| format!("{expr}: its fraction is not a constant in [0, 1]"))?;
                let fraction = if call.descending {
                    1.0 - fraction
                } else {
                    fraction
                };
                let scale = match call.argument {
                    Some(Expr::Cast(c)) => c.expr.get_type(input).map_err(|e| e.to_string())?,
                    Some(a) => a.get_type(input).map_err(|e| e.to_string())?,
                    None => DataType::Null,
                };
                let scale = match scale {
                    DataType::Decimal128(_, s) => s,
                    _ => 0,
                };
                let [histogram] = <[Expr; 1]>::try_from(self.derived_states(expr, shape, input)?)
                    .map_err(|_| format!("internal: {expr} needs one state"))?;
                Ok((histogram_percentile(histogram, fraction, scale), false))
            }
            name => match Statistic::of(name) {
                None if Kind::of(name).is_some() => {
                    self.bivariate(Kind::of(name), expr, shape, input)
                }
                Some(statistic) => {
                    let merged = self
                        .derived_states(expr, shape, input)?
                        .into_iter()
                        .map(sum)
                        .collect::<Vec<_>>();
                    let [count, total, squares] = <[Expr; 3]>::try_from(merged)
                        .map_err(|_| format!("internal: {expr} needs three states"))?;
                    Ok((variance(statistic, count, total, squares), false))
                }
                None => Err(format!(
                    "{name}() has no re-mergeable state in a rollup yet"
                )),
            },
        }
    }

    /// `corr(y, x)` and its family from the merged pair sums.
    fn bivariate(
        &self,
        kind: Option<Kind>,
        expr: &Expr,
        shape: &Shape,
        input: &datafusion::common::DFSchema,
    ) -> Result<(Expr, bool), Refusal> {
        let merged = self
            .derived_states(expr, shape, input)?
            .into_iter()
            .map(sum)
            .collect::<Vec<_>>();
        match kind {
            Some(Kind::RegrCount) => {
                let [count] = <[Expr; 1]>::try_from(merged)
                    .map_err(|_| format!("internal: {expr} needs one state"))?;
                Ok((count, true))
            }
            Some(kind) => {
                let sums = <[Expr; 6]>::try_from(merged)
                    .map_err(|_| format!("internal: {expr} needs six states"))?;
                Ok((bivariate::of_sums(kind, sums), false))
            }
            None => Err(format!("internal: {expr} is not a regression")),
        }
    }
}

/// `x` of `CAST(x AS Int64)` for an integer `x`.
fn beneath_int8_cast<'e>(
    argument: &'e Expr,
    input: &datafusion::common::DFSchema,
) -> Option<&'e Expr> {
    match argument {
        Expr::Cast(c) if c.field.data_type() == &DataType::Int64 => {
            let inner = c.expr.get_type(input).ok()?;
            inner.is_integer().then_some(c.expr.as_ref())
        }
        _ => None,
    }
}

/// `percentile_cont`'s fraction, a constant in [0, 1] (beneath DataFusion's float8 cast).
fn percentile_fraction(second: Option<&Expr>) -> Option<f64> {
    let mut e = second?;
    while let Expr::Cast(c) = e {
        e = &c.expr;
    }
    let Expr::Literal(value, _) = e else {
        return None;
    };
    match value.cast_to(&DataType::Float64).ok()? {
        datafusion::scalar::ScalarValue::Float64(Some(f)) if (0.0..=1.0).contains(&f) => Some(f),
        _ => None,
    }
}
