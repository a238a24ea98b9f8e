//! Keeping rollups fresh where data change: a load rebuilds, in its own transaction, the
//! rollups whose tables it wrote, so the version it commits has fresh rollups (or, where
//! a rebuild failed, the previous states marked stale by their versions: never used, never
//! wrong).

use std::sync::Arc;

use datafusion::execution::runtime_env::RuntimeEnv;
use lyceum_catalog::TableRole;
use tracing::{info, warn};

use super::build::{build, rewrite};
use crate::error::Result;
use crate::session::Snapshot;
use crate::warehouse::Warehouse;
use crate::warehouse::transaction::Transaction;

/// Rebuilds every rollup of `tx`'s pending version that its tables' versions make stale;
/// returns the rollups rebuilt with their rows. A rollup that cannot be rebuilt is left
/// as it was (stale, so unused) with a warning: the load's data matter more.
pub async fn refresh_stale(
    tx: &mut Transaction,
    warehouse: &Warehouse,
) -> Result<Vec<(String, u64)>> {
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
    let mut refreshed = Vec::new();
    for (qualified, name, query) in stale {
        let built = build(
            snapshot.catalog(),
            snapshot.rollups(),
            &manifest,
            &runtime,
            &name,
            &query,
        )
        .await;
        let rows = match built {
            Ok(built) => rewrite(tx, &qualified, built).await,
            Err(e) => Err(e),
        };
        match rows {
            Ok(rows) => {
                info!(rollup = %qualified, rows, "rollup refreshed");
                refreshed.push((qualified, rows));
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
