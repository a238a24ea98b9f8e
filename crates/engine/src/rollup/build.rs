//! Planning a rollup: its definition read against one warehouse version, and the plan
//! computing its stored rows (one per group: the keys, then each state).

use std::sync::Arc;

use datafusion::arrow::datatypes::Schema;
use datafusion::catalog::CatalogProvider;
use datafusion::execution::SessionStateBuilder;
use datafusion::execution::context::SessionContext;
use datafusion::execution::runtime_env::RuntimeEnv;
use datafusion::logical_expr::{Expr, LogicalPlan, LogicalPlanBuilder};
use datafusion::prelude::SessionConfig;
use lyceum_catalog::{
    ColumnDef, ROLLUP_STATE_FORMAT, RollupDef, StateKind, TableDef, TableRole, WarehouseVersion,
    star,
};
use std::collections::BTreeMap;

use super::set::RollupSet;
use crate::error::EngineError;
use crate::session::sandbox::assign::{assignment_plan, column_of};
use crate::session::sandbox::run::column_def;
use crate::warehouse::transaction::Transaction;

use super::definition::{Definition, State, top_aggregate};
use super::shape::{Refusal, TableNamer};

/// Plans rollup definitions against one version's catalog, the same way when a rollup is
/// built and whenever a version holding it is opened: PostgreSQL's dialect and no
/// endpoint's rewrites, so a definition means the same whoever reads it.
pub struct DefinitionPlanner {
    ctx: SessionContext,
}

impl DefinitionPlanner {
    pub fn new(
        catalog_name: &str,
        catalog: Arc<dyn CatalogProvider>,
        runtime: &Arc<RuntimeEnv>,
    ) -> crate::Result<DefinitionPlanner> {
        let mut config = SessionConfig::new()
            .with_default_catalog_and_schema(catalog_name, "public")
            .with_create_default_catalog_and_schema(false)
            .with_information_schema(false);
        config.options_mut().sql_parser.dialect = datafusion::config::Dialect::PostgreSQL;
        // Literals typed as in the sessions whose queries the rollup answers (`1` an int4,
        // `2.5` a numeric), so that a definition's states and a query's calls read alike.
        config.options_mut().sql_parser.parse_float_as_decimal = true;
        let defaults = SessionStateBuilder::new()
            .with_config(config)
            .with_runtime_env(runtime.clone())
            .with_default_features()
            .build();
        let mut rules: Vec<Arc<dyn datafusion::optimizer::AnalyzerRule + Send + Sync>> =
            vec![Arc::new(crate::semantics::numeric::PgLiterals)];
        rules.extend(defaults.analyzer().rules.iter().cloned());
        let state = SessionStateBuilder::new_from_existing(defaults)
            .with_analyzer_rules(rules)
            .build();
        let mut ctx = SessionContext::new_with_state(state);
        datafusion_functions_json::register_all(&mut ctx)?;
        crate::aggregates::register(&ctx);
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

    /// Every row of `sql` (a check over the planner's tables).
    pub async fn run(
        &self,
        sql: &str,
    ) -> datafusion::error::Result<Vec<datafusion::arrow::record_batch::RecordBatch>> {
        self.ctx.sql(sql).await?.collect().await
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
    // Sizes of sets are computed from the aggregated sets.
    let aggregated = |s: &&State| !matches!(s.column.kind, StateKind::Key | StateKind::Size);
    let computes: Vec<Expr> = definition
        .states
        .iter()
        .filter(aggregated)
        .map(|s| s.compute.clone().alias(&s.column.column))
        .collect();
    let grouped = LogicalPlanBuilder::from(aggregate.input.as_ref().clone())
        .aggregate(aggregate.group_expr.clone(), computes)
        .and_then(LogicalPlanBuilder::build)
        .map_err(|e| e.to_string())?;
    let schema = grouped.schema().clone();
    let stored = definition
        .states
        .iter()
        .filter(|s| s.column.kind != StateKind::Size)
        .count();
    if schema.fields().len() != stored {
        return Err("internal: the states plan has other columns than the states".into());
    }
    let mut columns = schema.columns().into_iter();
    let named = definition
        .states
        .iter()
        .map(|s| {
            let value = if s.column.kind == StateKind::Size {
                s.compute.clone()
            } else {
                Expr::Column(columns.next()?)
            };
            Some(value.alias(&s.column.column))
        })
        .collect::<Option<Vec<_>>>()
        .ok_or("internal: the states plan has fewer columns than the states")?;
    let plan = LogicalPlanBuilder::from(grouped)
        .project(named)
        .and_then(LogicalPlanBuilder::build)
        .map_err(|e| e.to_string())?;
    Ok((definition, plan))
}

/// A rollup's states computed against one warehouse version: the stored table's
/// definition, the plan writing its rows (in `planner`), and the catalog entry
/// describing them.
pub struct Built {
    pub table: TableDef,
    pub plan: LogicalPlan,
    pub rollup: RollupDef,
    pub planner: DefinitionPlanner,
}

/// Plans rollup `schema.name` defined by `query` against `manifest`, whose tables are
/// `catalog` (identified in plans by `set`).
pub async fn build(
    catalog: Arc<dyn CatalogProvider>,
    set: &RollupSet,
    manifest: &WarehouseVersion,
    runtime: &Arc<RuntimeEnv>,
    name: &str,
    query: &str,
) -> crate::Result<Built> {
    let planner = DefinitionPlanner::new(crate::session::CATALOG, catalog, runtime)?;
    let (planned, analysed) = planner.plan(query).await?;
    let (definition, plan) =
        states_plan(&analysed, &|s| set.name_of(s)).map_err(|reason| EngineError::Unsupported {
            what: format!("this materialized view: {reason}"),
        })?;
    let mut built_from = BTreeMap::new();
    for table in &definition.shape.tables {
        let entry = manifest.tables.get(table).ok_or_else(|| {
            EngineError::Internal(format!("{table} is not in version {}", manifest.version))
        })?;
        built_from.insert(table.clone(), entry.delta_version);
    }
    let table = TableDef {
        schema: star::PUBLIC.to_string(),
        name: name.to_string(),
        role: TableRole::Rollup,
        columns: columns_of(plan.schema().as_arrow())?,
        primary_key: vec![],
        foreign_keys: vec![],
        unit_column: None,
    };
    let edges = super::constraints::edges(manifest, &definition.shape.tables);
    let disabled = Box::pin(super::constraints::violation(&planner, &edges)).await?;
    let rollup = RollupDef {
        query: query.to_string(),
        columns: columns_of(planned.schema().as_arrow())?,
        state_format: ROLLUP_STATE_FORMAT,
        states: definition.columns(),
        built_from,
        disabled,
    };
    Ok(Built {
        table,
        plan,
        rollup,
        planner,
    })
}

/// Writes a rollup's states again (`REFRESH`, or a load that changed what it reads): the
/// stored columns must be the ones the definition computes now, or those less the sizes of
/// sets that state format 3 added (they are added to the table).
pub async fn rewrite(tx: &mut Transaction, qualified: &str, built: Built) -> crate::Result<u64> {
    let Some(entry) = tx.entry(qualified) else {
        return Err(EngineError::Internal(format!(
            "{qualified} is not in the warehouse"
        )));
    };
    let mut stored = entry.definition.clone();
    // A rollup of a format without sizes of sets gains them, at the end of its table.
    let added = built
        .table
        .columns
        .get(stored.columns.len()..)
        .unwrap_or_default();
    let sizes_only = added.iter().all(|c| {
        built
            .rollup
            .states
            .iter()
            .any(|s| s.column == c.name && s.kind == StateKind::Size)
    });
    if !added.is_empty()
        && sizes_only
        && same_columns(
            &built.table.columns[..stored.columns.len()],
            &stored.columns,
        )
    {
        for column in added.iter().cloned() {
            tx.add_column(
                qualified,
                ColumnDef {
                    nullable: true,
                    ..column
                },
            )
            .await?;
        }
        stored = tx
            .entry(qualified)
            .map(|e| e.definition.clone())
            .ok_or_else(|| EngineError::Internal(format!("{qualified} is not in the warehouse")))?;
    }
    if !same_columns(&built.table.columns, &stored.columns) {
        return Err(EngineError::Unsupported {
            what: format!(
                "refreshing {qualified}: its definition now computes other columns than it stores (drop it and create it again)"
            ),
        });
    }
    let plan = assignment_plan(built.plan, &stored, &[])?;
    let rows = tx
        .overwrite_plan(qualified, plan, &built.planner.state())
        .await?;
    tx.set_rollup(qualified, built.rollup)?;
    Ok(rows)
}

fn columns_of(schema: &Schema) -> crate::Result<Vec<ColumnDef>> {
    schema
        .fields()
        .iter()
        .map(|f| column_of(f, f.name()).map(|spec| column_def(&spec)))
        .collect()
}

fn same_columns(a: &[ColumnDef], b: &[ColumnDef]) -> bool {
    a.len() == b.len()
        && a.iter()
            .zip(b)
            .all(|(x, y)| x.name == y.name && x.ty == y.ty)
}
