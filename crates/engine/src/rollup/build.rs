//! Planning a rollup: its definition read against one warehouse version, and the plan
//! computing its stored rows (one per group: the keys, then each state).

use std::sync::Arc;

use datafusion::catalog::CatalogProvider;
use datafusion::execution::SessionStateBuilder;
use datafusion::execution::context::SessionContext;
use datafusion::execution::runtime_env::RuntimeEnv;
use datafusion::logical_expr::{Expr, LogicalPlan, LogicalPlanBuilder};
use datafusion::prelude::SessionConfig;
use lyceum_catalog::StateKind;

use super::definition::{Definition, top_aggregate};
use super::shape::{Refusal, TableNamer};

/// Plans rollup definitions against one version's catalog, the same way when a rollup is
/// built and whenever a version holding it is opened (no endpoint's rewrites, so the
/// definition means the same to every endpoint).
pub struct DefinitionPlanner {
    ctx: SessionContext,
}

impl DefinitionPlanner {
    pub fn new(
        catalog_name: &str,
        catalog: Arc<dyn CatalogProvider>,
        runtime: &Arc<RuntimeEnv>,
        dialect: datafusion::config::Dialect,
    ) -> crate::Result<DefinitionPlanner> {
        let mut config = SessionConfig::new()
            .with_default_catalog_and_schema(catalog_name, "public")
            .with_create_default_catalog_and_schema(false)
            .with_information_schema(false);
        config.options_mut().sql_parser.dialect = dialect;
        let state = SessionStateBuilder::new()
            .with_config(config)
            .with_runtime_env(runtime.clone())
            .with_default_features()
            .build();
        let mut ctx = SessionContext::new_with_state(state);
        datafusion_functions_json::register_all(&mut ctx)?;
        ctx.register_catalog(catalog_name, catalog);
        Ok(DefinitionPlanner { ctx })
    }

    /// The definition as written, planned (what a view over it reads) and analysed (what
    /// the rollup's states are derived from).
    pub async fn plan(&self, sql: &str) -> datafusion::error::Result<(LogicalPlan, LogicalPlan)> {
        let state = self.ctx.state();
        let planned = state.create_logical_plan(sql).await?;
        let analysed = state.analyzer().execute_and_check(
            planned.clone(),
            state.config_options(),
            |_, _| {},
        )?;
        Ok((planned, analysed))
    }

    pub fn state(&self) -> datafusion::execution::SessionState {
        self.ctx.state()
    }
}

/// The plan computing a rollup's stored rows from its analysed definition: the
/// definition's input grouped by its keys, one aggregate per state, each column named as
/// the definition names it.
pub fn states_plan(
    analysed: &LogicalPlan,
    name_of: TableNamer<'_>,
) -> Result<(Definition, LogicalPlan), Refusal> {
    let aggregate = top_aggregate(analysed)?;
    let definition = Definition::of(aggregate, name_of)?;
    let computes: Vec<Expr> = definition
        .states
        .iter()
        .filter(|s| s.column.kind != StateKind::Key)
        .map(|s| s.compute.clone())
        .collect();
    let grouped = LogicalPlanBuilder::from(aggregate.input.as_ref().clone())
        .aggregate(aggregate.group_expr.clone(), computes)
        .and_then(LogicalPlanBuilder::build)
        .map_err(|e| e.to_string())?;
    let schema = grouped.schema().clone();
    if schema.fields().len() != definition.states.len() {
        return Err("internal: the states plan has other columns than the states".into());
    }
    let named: Vec<Expr> = definition
        .states
        .iter()
        .enumerate()
        .map(|(i, s)| Expr::Column(schema.columns()[i].clone()).alias(&s.column.column))
        .collect();
    let plan = LogicalPlanBuilder::from(grouped)
        .project(named)
        .and_then(LogicalPlanBuilder::build)
        .map_err(|e| e.to_string())?;
    Ok((definition, plan))
}
