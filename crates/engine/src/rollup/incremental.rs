//! Incremental refresh: when the tables a rollup reads were only appended to since it was
//! built (a new term of enrollments, a new week of attendance), the states of the new
//! rows are computed from those rows alone and merged into the stored states, instead of
//! recomputing every group from every row.
//!
//! A rollup's input is an inner join of its tables, filtered row by row, so it is linear
//! in each table: with changed tables `T1..Tk`, each `Ti = Ti_old + ΔTi` (Δ: the Delta
//! files added since the build, none removed; or, for a table rewritten with every old
//! row kept, such as a dimension a load rewrote to add rows, the rows that are new),
//!
//! ```text
//! new input = old input + Σi ( T1_old .. T(i-1)_old ⋈ ΔTi ⋈ T(i+1)_new .. Tk_new ⋈ unchanged )
//! ```
//!
//! Each term is the definition planned over an [`Overlay`] of the version that reads
//! those tables so; its states are merged with the stored ones group by group (sums and
//! counts by sum, minima by min, maxima by max, distinct sets by union). Anything else
//! (a row changed or deleted, a definition whose states differ from the stored
//! ones, a rollup disabled by a broken key) is rebuilt in full by the caller.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use datafusion::catalog::{CatalogProvider, TableProvider};
use datafusion::common::Column;
use datafusion::datasource::{MemTable, provider_as_source, source_as_provider};
use datafusion::execution::runtime_env::RuntimeEnv;
use datafusion::functions_aggregate::expr_fn::{max, min, sum};
use datafusion::logical_expr::{Expr, LogicalPlan, LogicalPlanBuilder, TableSource};
use datafusion::physical_plan::{ExecutionPlan, collect};
use deltalake::DeltaTable;
use lyceum_catalog::{ROLLUP_STATE_FORMAT, RollupDef, StateKind, TableEntry, WarehouseVersion};

use super::build::{DefinitionPlanner, states_plan};
use super::constraints;
use super::distinct_set::{distinct_size, distinct_union};
use super::histogram::histogram_union;
use super::overlay::Overlay;
use super::row_delta;
use super::set::{RollupSet, provider_address};
use crate::error::{EngineError, Result};
use crate::session::sandbox::assign::assignment_plan;
use crate::warehouse::Warehouse;
use crate::warehouse::transaction::Transaction;

/// A table a load only appended to since a rollup was built.
struct Appended {
    /// `schema.table`.
    table: String,
    /// The table as the rollup was built from it.
    old: Arc<dyn TableProvider>,
    /// Only the files added since.
    added: Arc<dyn TableProvider>,
}

/// What an incremental refresh did.
#[derive(Debug, Clone)]
pub struct Merged {
    /// Groups the rollup holds now.
    pub rows: u64,
    /// Rows the new states were computed from, as the scans counted them: the appended
    /// rows and the rows of the tables they were joined with.
    pub rows_read: u64,
}

/// Everything an incremental refresh of one rollup reads.
pub struct Inputs<'a> {
    pub warehouse: &'a Warehouse,
    /// The pending version (the load's writes).
    pub manifest: &'a WarehouseVersion,
    /// Its tables, as a catalog.
    pub catalog: Arc<dyn CatalogProvider>,
    /// What identifies its tables in plans.
    pub set: &'a RollupSet,
    pub runtime: &'a Arc<RuntimeEnv>,
}

/// Merges the states of the rows appended since `qualified` was built into it, or
/// returns `None` when it must be rebuilt in full.
pub async fn refresh(
    inputs: &Inputs<'_>,
    tx: &mut Transaction,
    qualified: &str,
) -> Result<Option<Merged>> {
    let Some(entry) = inputs.manifest.tables.get(qualified) else {
        return Ok(None);
    };
    let Some(def) = entry.rollup.as_ref() else {
        return Ok(None);
    };
    if def.disabled.is_some() || def.state_format != ROLLUP_STATE_FORMAT {
        return Ok(None);
    }
    let Some(appended) = appends(inputs, def).await? else {
        return Ok(None);
    };
    if appended.is_empty() {
        return Ok(None);
    }
    let edges = constraints::edges(inputs.manifest, &def.built_from.keys().cloned().collect());
    let appended = referencing_first(appended, &edges);
    let joins = join_predicates(inputs, def).await?;
    // The new rows' states, one term per appended table, each run where it was planned.
    let mut batches = Vec::new();
    let mut rows_read = 0;
    for (i, changed) in appended.iter().enumerate() {
        if empty_term(&edges, &appended, i, &joins) {
            continue;
        }
        let mut replaced: HashMap<String, Arc<dyn TableProvider>> = HashMap::new();
        for earlier in &appended[..i] {
            replaced.insert(earlier.table.clone(), earlier.old.clone());
        }
        replaced.insert(changed.table.clone(), changed.added.clone());
        let term = overlay_planner(inputs, &replaced)?;
        let (_, analysed) = term.plan(&def.query).await?;
        let names = names_of(&replaced);
        let namer = |source: &Arc<dyn TableSource>| {
            source_as_provider(source)
                .ok()
                .and_then(|p| names.get(&provider_address(&p)).cloned())
                .or_else(|| inputs.set.name_of(source))
        };
        let Ok((definition, plan)) = states_plan(&analysed, &namer) else {
            return Ok(None);
        };
        if definition.columns() != def.states {
            return Ok(None);
        }
        let plan = assignment_plan(plan, &entry.definition, &[])?;
        let state = term.state();
        let physical =
            crate::numeric_display::without_hidden(state.create_physical_plan(&plan).await?)?;
        batches.extend(collect(physical.clone(), state.task_ctx()).await?);
        rows_read += scanned_rows(&physical);
    }
    // The keys of the appended rows must hold like the others' (see `constraints`).
    let disabled = Box::pin(appended_violation(inputs, def, &appended)).await?;

    let state = overlay_planner(inputs, &HashMap::new())?.state();
    let stored_table = inputs.warehouse.open_table_at(entry).await?;
    stored_table
        .update_datafusion_session(&state)
        .map_err(|e| EngineError::delta(qualified.to_string(), e))?;
    let stored = stored_table.table_provider().await?;
    let stored = assignment_plan(scan("stored", stored)?, &entry.definition, &[])?;
    let schema = stored.schema().inner().clone();
    let new = scan(
        "appended",
        Arc::new(MemTable::try_new(schema, vec![batches])?),
    )?;
    let merged = merge_plan(stored, new, def)?;
    let merged = assignment_plan(merged, &entry.definition, &[])?;
    let rows = tx.overwrite_plan(qualified, merged, &state).await?;

    let mut updated = def.clone();
    for (table, version) in updated.built_from.iter_mut() {
        if let Some(now) = inputs.manifest.tables.get(table) {
            *version = now.delta_version;
        }
    }
    updated.disabled = disabled;
    tx.set_rollup(qualified, updated)?;
    Ok(Some(Merged { rows, rows_read }))
}

/// `appended` with every table before the tables it refers to (facts before their
/// dimensions), so that a dimension's term reads the facts at their old version.
fn referencing_first(mut appended: Vec<Appended>, edges: &[constraints::Edge]) -> Vec<Appended> {
    let mut ordered = Vec::with_capacity(appended.len());
    while !appended.is_empty() {
        // A table no other remaining table refers to goes next (any, on a cycle).
        let next = (0..appended.len())
            .find(|&i| {
                !edges.iter().any(|e| {
                    e.references == appended[i].table
                        && e.table != appended[i].table
                        && appended.iter().any(|a| a.table == e.table)
                })
            })
            .unwrap_or(0);
        ordered.push(appended.remove(next));
    }
    ordered
}

/// The canonical texts of the definition's conditions (its joins among them).
async fn join_predicates(inputs: &Inputs<'_>, def: &RollupDef) -> Result<HashSet<String>> {
    let planner = overlay_planner(inputs, &HashMap::new())?;
    let (_, analysed) = planner.plan(&def.query).await?;
    let namer = |source: &Arc<dyn TableSource>| inputs.set.name_of(source);
    Ok(match states_plan(&analysed, &namer) {
        Ok((definition, _)) => definition.shape.predicates.into_keys().collect(),
        Err(_) => HashSet::new(),
    })
}

/// Whether term `i` (tables before it at their old version, `appended[i]` its new rows
/// only) is provably empty: a table at its old version joins the new rows by a foreign
/// key to their key. The old table's keys all had their row when the states were last
/// written (checked then: the rollup would be disabled otherwise), and the new rows'
/// keys are none of those rows' (the key is unique in the new version, checked with
/// this refresh, and the old rows are still there), so no old row meets a new one.
fn empty_term(
    edges: &[constraints::Edge],
    appended: &[Appended],
    i: usize,
    joins: &HashSet<String>,
) -> bool {
    let changed = &appended[i].table;
    // Tables before `i` are at their old version in this term, and so are unchanged ones.
    let at_old = |table: &str| {
        appended[..i].iter().any(|a| a.table == table) || !appended.iter().any(|a| a.table == table)
    };
    edges.iter().any(|e| {
        if e.references != *changed || e.table == *changed || !at_old(&e.table) {
            return false;
        }
        let mut sides = [
            format!("{}.{}", e.table, e.column),
            format!("{}.{}", e.references, e.ref_column),
        ];
        sides.sort();
        joins.contains(&format!("{} = {}", sides[0], sides[1]))
    })
}

/// The tables of `def` that changed since it was built, each only appended to (Delta files
/// added, or rewritten with every old row kept: see [`row_delta`]); `None` when one
/// changed otherwise (a row removed or changed).
async fn appends(inputs: &Inputs<'_>, def: &RollupDef) -> Result<Option<Vec<Appended>>> {
    let mut appended = Vec::new();
    for (table, built) in &def.built_from {
        let Some(entry) = inputs.manifest.tables.get(table) else {
            return Ok(None);
        };
        if entry.delta_version == *built {
            continue;
        }
        if entry.delta_version < *built {
            return Ok(None);
        }
        let then = TableEntry {
            delta_version: *built,
            ..entry.clone()
        };
        let old = inputs.warehouse.open_table_at(&then).await?;
        let new = inputs.warehouse.open_table_at(entry).await?;
        let before = files(&old, table)?;
        let now = files(&new, table)?;
        let old_provider = old.table_provider().await?;
        let added = if before.is_subset(&now) {
            let added: Vec<String> = now.difference(&before).cloned().collect();
            new.table_provider().with_file_paths(added).await?
        } else {
            if entry.rows > row_delta::ROW_DELTA_LIMIT
                || rows_of(&old, table)? > row_delta::ROW_DELTA_LIMIT
            {
                return Ok(None);
            }
            let state = overlay_planner(inputs, &HashMap::new())?.state();
            for version in [&old, &new] {
                version
                    .update_datafusion_session(&state)
                    .map_err(|e| EngineError::delta(table.clone(), e))?;
            }
            let new_provider = new.table_provider().await?;
            match row_delta::added_rows(&state, old_provider.clone(), new_provider).await? {
                Some(added) => added,
                None => return Ok(None),
            }
        };
        appended.push(Appended {
            table: table.clone(),
            old: old_provider,
            added,
        });
    }
    Ok(Some(appended))
}

/// The rows of one Delta version of a table, from its files' statistics (`u64::MAX`
/// when a file does not say).
fn rows_of(table: &DeltaTable, name: &str) -> Result<u64> {
    let state = table
        .snapshot()
        .map_err(|e| EngineError::delta(name.to_string(), e))?;
    let mut rows = 0u64;
    for file in state.log_data().iter() {
        match file.num_records() {
            Some(n) => rows = rows.saturating_add(n as u64),
            None => return Ok(u64::MAX),
        }
    }
    Ok(rows)
}

/// The data files of one Delta version of a table.
fn files(table: &DeltaTable, name: &str) -> Result<HashSet<String>> {
    let state = table
        .snapshot()
        .map_err(|e| EngineError::delta(name.to_string(), e))?;
    Ok(state
        .log_data()
        .iter()
        .map(|f| f.path().into_owned())
        .collect())
}

fn overlay_planner(
    inputs: &Inputs<'_>,
    replaced: &HashMap<String, Arc<dyn TableProvider>>,
) -> Result<DefinitionPlanner> {
    let overlay = Arc::new(Overlay::new(inputs.catalog.clone(), replaced));
    DefinitionPlanner::new(crate::session::CATALOG, overlay, inputs.runtime)
}

fn names_of(replaced: &HashMap<String, Arc<dyn TableProvider>>) -> HashMap<usize, String> {
    replaced
        .iter()
        .map(|(name, p)| (provider_address(p), name.clone()))
        .collect()
}

/// A broken key among the appended rows: an appended row's key with no row in the table
/// it refers to (now), or an appended table's key now on two rows.
async fn appended_violation(
    inputs: &Inputs<'_>,
    def: &RollupDef,
    appended: &[Appended],
) -> Result<Option<String>> {
    let tables = def.built_from.keys().cloned().collect();
    let edges = constraints::edges(inputs.manifest, &tables);
    let whole = overlay_planner(inputs, &HashMap::new())?;
    for changed in appended {
        for edge in edges.iter().filter(|e| e.references == changed.table) {
            if let Some(reason) =
                constraints::duplicates(&whole, &edge.references, &edge.ref_column).await?
            {
                return Ok(Some(reason));
            }
        }
        let only_new = overlay_planner(
            inputs,
            &HashMap::from([(changed.table.clone(), changed.added.clone())]),
        )?;
        for edge in edges.iter().filter(|e| e.table == changed.table) {
            if let Some(reason) = constraints::orphans(&only_new, edge).await? {
                return Ok(Some(reason));
            }
        }
    }
    Ok(None)
}

fn scan(name: &str, provider: Arc<dyn TableProvider>) -> Result<LogicalPlan> {
    Ok(LogicalPlanBuilder::scan(name, provider_as_source(provider), None)?.build()?)
}

/// The stored states and the new rows' states merged group by group.
fn merge_plan(stored: LogicalPlan, new: LogicalPlan, def: &RollupDef) -> Result<LogicalPlan> {
    let column = |name: &str| Expr::Column(Column::new_unqualified(name));
    let mut keys = Vec::new();
    let mut merges = Vec::new();
    for state in &def.states {
        let c = column(&state.column);
        match state.kind {
            StateKind::Key => keys.push(c),
            StateKind::Sum | StateKind::Count => merges.push(sum(c).alias(&state.column)),
            StateKind::Min => merges.push(min(c).alias(&state.column)),
            StateKind::Max => merges.push(max(c).alias(&state.column)),
            StateKind::Distinct => merges.push(distinct_union(c).alias(&state.column)),
            // Counted from the merged set below.
            StateKind::Size => {}
            StateKind::Histogram => merges.push(histogram_union(c).alias(&state.column)),
        }
    }
    let grouped = LogicalPlanBuilder::from(stored)
        .union(new)?
        .aggregate(keys, merges)?
        .build()?;
    // In the stored column order, each set's size counted from the merged set.
    let ordered: Vec<Expr> = def
        .states
        .iter()
        .map(|s| match s.kind {
            StateKind::Size => def
                .states
                .iter()
                .find(|set| set.kind == StateKind::Distinct && set.argument == s.argument)
                .map(|set| distinct_size(column(&set.column)).alias(&s.column))
                .ok_or_else(|| EngineError::Internal(format!("the size {} has no set", s.column))),
            _ => Ok(column(&s.column)),
        })
        .collect::<Result<_>>()?;
    Ok(LogicalPlanBuilder::from(grouped)
        .project(ordered)?
        .build()?)
}

/// Rows the plan's leaves produced (its scans), once it has run.
fn scanned_rows(plan: &Arc<dyn ExecutionPlan>) -> u64 {
    let children = plan.children();
    if children.is_empty() {
        return plan
            .metrics()
            .and_then(|m| m.output_rows())
            .map(|n| n as u64)
            .unwrap_or(0);
    }
    children.into_iter().map(scanned_rows).sum()
}
