//! `numeric` as PostgreSQL computes and prints it. Two things differ from DataFusion's
//! decimals:
//! - **Division and `avg`**: PostgreSQL rounds each quotient at a scale chosen from its
//!   operands ([`division`]); `avg(x)` is `sum(x) / count(x)` divided so (and a `numeric`
//!   for integer `x` as well, where DataFusion gave `float8`).
//! - **Display scale**: every PostgreSQL value carries the digits it is shown with, so one
//!   column can print `3.0000000000000000` and `0.97849462365591397849`. The rule adds a
//!   hidden scale column beside every numeric column shown at another scale than its Arrow
//!   type's ([`display`]), carried through projections, aggregates, windows and unions up
//!   to the result, and dropped where rows go by position (subqueries, `INSERT`, `CREATE
//!   TABLE AS`, recursive CTEs).

mod averages;
mod cast_scale;
pub mod display;
pub mod division;
mod int_casts;
mod intervals;
mod literals;
mod plan;
mod scale;

pub use literals::PgLiterals;
pub(crate) use plan::expression_schema;

use datafusion::common::Result;
use datafusion::common::tree_node::TreeNode;
use datafusion::config::ConfigOptions;
use datafusion::logical_expr::LogicalPlan;
use datafusion::optimizer::AnalyzerRule;
use datafusion::optimizer::analyzer::type_coercion::TypeCoercion;

/// Lyceum's numeric rules in a session (whose `parse_float_as_decimal` is on): the rule
/// typing literals before DataFusion's own (type coercion must see their final types),
/// and [`PgNumeric`] after the rules `ctx` has.
pub fn install(ctx: &datafusion::prelude::SessionContext) {
    use datafusion::execution::session_state::SessionStateBuilder;
    use std::sync::Arc;
    let state_ref = ctx.state_ref();
    let existing = state_ref.read().clone();
    let mut rules: Vec<Arc<dyn AnalyzerRule + Send + Sync>> = vec![
        Arc::new(super::refusals::PgRefusals),
        Arc::new(literals::PgLiterals),
        Arc::new(averages::PgAverages),
    ];
    rules.extend(existing.analyzer().rules.iter().cloned());
    rules.push(Arc::new(PgNumeric));
    let state = SessionStateBuilder::new_from_existing(existing)
        .with_analyzer_rules(rules)
        .build();
    *state_ref.write() = state;
}

/// The analyzer rule giving numeric division, `avg` and display scales PostgreSQL's
/// meaning. It runs after type coercion and before the rollup rule (which then sees
/// `avg` as the `sum` and `count` it is answered from).
#[derive(Debug, Default)]
pub struct PgNumeric;

impl AnalyzerRule for PgNumeric {
    fn name(&self) -> &str {
        "lyceum_pg_numeric"
    }

    fn analyze(&self, plan: LogicalPlan, config: &ConfigOptions) -> Result<LogicalPlan> {
        // A plan analyzed before (a prepared statement executed) has its scale columns.
        let analyzed = plan.exists(|node| {
            Ok(node
                .schema()
                .fields()
                .iter()
                .any(|f| display::is_hidden(f.name())))
        })?;
        if analyzed {
            return Ok(plan);
        }
        // An `avg` of integers is a numeric now, no longer the float8 its consumers were
        // coerced to: coerce them again.
        TypeCoercion::new().analyze(plan::rewrite(plan)?, config)
    }
}
