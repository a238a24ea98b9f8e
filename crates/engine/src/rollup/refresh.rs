//! Keeping rollups fresh where data change: a load refreshes, in its own transaction, the
//! rollups whose tables it wrote, so the version it commits has fresh rollups (or, where
//! a refresh failed, the previous states marked stale by their versions: never used,
//! never wrong). Where the load only appended rows, the new rows' states are merged into
//! the stored ones ([`super::incremental`]); otherwise the rollup is rebuilt.

use std::sync::Arc;

use datafusion::execution::runtime_env::RuntimeEnv;
use lyceum_catalog::TableRole;
use tracing::{info, warn};

use super::build::{build, rewrite};
use super::incremental::{self, Inputs};
use crate::error::Result;
use crate::session::Snapshot;
use crate::warehouse::Warehouse;
use crate::warehouse::transaction::Transaction;

/// How a rollup was refreshed.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RefreshMode {
    /// Every group recomputed from every row.
    Full,
    /// The appended rows' states merged into the stored ones.
    Incremental,
}

/// One rollup a load refreshed.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Refreshed {
    /// `schema.name`.
    pub rollup: String,
    /// Groups it holds now.
    pub rows: u64,
    pub mode: RefreshMode,
    /// Rows an incremental refresh computed new states from (the appended rows and the
    /// rows they were joined with), as its scans counted them.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rows_read: Option<u64>,
    /// Why it must not answer queries, when a key it joins on is broken.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub disabled: Option<String>,
    /// How long the refresh took.
    pub seconds: f64,
}

/// Refreshes every rollup of `tx`'s pending version that its tables' versions make stale;
/// `progress` hears the name of each before it starts. A rollup that cannot be refreshed
/// is left as it was (stale, so unused) with a warning: the load's data matter more.
pub async fn refresh_stale(
    tx: &mut Transaction,
    warehouse: &Warehouse,
    progress: &dyn Fn(&str),
) -> Result<Vec<Refreshed>> {
    let pending = tx.pending();
    let stale: Vec<(String, String, String)> = pending
        .tables
        .iter()
        .filter(|(_, e)| e.definition.role == TableRole::Rollup)
        .filter_map(|(name, e)| {
            let def = e.rollup.as_ref()?;
            def.staleness(|t| pending.tables.get(t).map(|t| t.delta_version))?;
            Some((name.clone(), e.definition.name.clone(), def.query.clone()))
        })
        .collect();
    if stale.is_empty() {
        return Ok(Vec::new());
    }
    let runtime = Arc::new(RuntimeEnv::default());
    let manifest = tx.pending().clone();
    let snapshot = Snapshot::open_uncommitted(warehouse, manifest.clone(), &runtime).await?;
    let inputs = Inputs {
        warehouse,
        manifest: &manifest,
        catalog: snapshot.catalog(),
        set: snapshot.rollups(),
        runtime: &runtime,
    };
    let mut refreshed = Vec::new();
    for (qualified, name, query) in stale {
        progress(&qualified);
        let outcome = Box::pin(refresh_one(&inputs, tx, &qualified, &name, &query)).await;
        match outcome {
            Ok(done) => {
                info!(
                    rollup = %qualified,
                    rows = done.rows,
                    mode = ?done.mode,
                    rows_read = ?done.rows_read,
                    disabled = ?done.disabled,
                    seconds = done.seconds,
                    "rollup refreshed"
                );
                refreshed.push(done);
            }
            Err(e) => warn!(
                rollup = %qualified,
                error = %e,
                "rollup not refreshed: it stays stale (unused) until REFRESH MATERIALIZED VIEW"
            ),
        }
    }
    Ok(refreshed)
}

async fn refresh_one(
    inputs: &Inputs<'_>,
    tx: &mut Transaction,
    qualified: &str,
    name: &str,
    query: &str,
) -> Result<Refreshed> {
    let started = std::time::Instant::now();
    if let Some(merged) = incremental::refresh(inputs, tx, qualified).await? {
        return Ok(Refreshed {
            rollup: qualified.to_string(),
            rows: merged.rows,
            mode: RefreshMode::Incremental,
            rows_read: Some(merged.rows_read),
            disabled: disabled_reason(tx, qualified),
            seconds: started.elapsed().as_secs_f64(),
        });
    }
    let built = build(
        inputs.catalog.clone(),
        inputs.set,
        inputs.manifest,
        inputs.runtime,
        name,
        query,
    )
    .await?;
    let rows = rewrite(tx, qualified, built).await?;
    Ok(Refreshed {
        rollup: qualified.to_string(),
        rows,
        mode: RefreshMode::Full,
        rows_read: None,
        disabled: disabled_reason(tx, qualified),
        seconds: started.elapsed().as_secs_f64(),
    })
}

fn disabled_reason(tx: &Transaction, qualified: &str) -> Option<String> {
    tx.entry(qualified)
        .and_then(|e| e.rollup.as_ref())
        .and_then(|r| r.disabled.clone())
}
