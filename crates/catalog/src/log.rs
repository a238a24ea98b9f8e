//! A versioned log of JSON documents in an object store: the one mechanism behind warehouse
//! versions (`_lyceum/versions/`) and principals (`_lyceum/principals/`).
//!
//! Entry N lives at `<dir>/{N:020}.json` and is written once, with a create-if-absent put,
//! so two writers can never both write entry N: the loser learns it and retries on top of
//! the winner's entry. Entries are never rewritten; old ones are the history.
//!
//! Finding the newest entry must not cost a request per entry, so beside the entries sits
//! `<dir>/_latest`, a hint holding a recent entry number. Writers overwrite it after each
//! successful commit; it may lag (a writer died between its commit and the hint, or two
//! writers raced and the slower wrote a smaller number) but it never runs ahead of a
//! committed entry. Readers start at the hint and probe forward with `HEAD` until an entry
//! is missing: the answer is exact, and costs three requests when the hint is current. A
//! log written before hints existed has none; it is listed once instead.
//!
//! Every entry carries `format_version`; a reader refuses entries newer than it knows.

use std::sync::Arc;

use futures::TryStreamExt;
use object_store::path::Path;
use object_store::{ObjectStore, ObjectStoreExt, PutMode, PutOptions, PutPayload};
use serde::Serialize;

use crate::error::{CatalogError, Result};

/// The hint file's name (no `.json`: listings of entries skip it).
const LATEST_HINT: &str = "_latest";

/// One log's location and the newest format its reader understands.
#[derive(Debug, Clone)]
pub struct VersionedLog {
    store: Arc<dyn ObjectStore>,
    dir: Path,
    newest_format: u32,
}

impl VersionedLog {
    pub fn new(store: Arc<dyn ObjectStore>, dir: Path, newest_format: u32) -> Self {
        VersionedLog {
            store,
            dir,
            newest_format,
        }
    }

    /// Where entry `n` is stored.
    pub fn entry_path(&self, n: u64) -> Path {
        self.dir.clone().join(format!("{n:020}.json"))
    }

    fn hint_path(&self) -> Path {
        self.dir.clone().join(LATEST_HINT)
    }

    fn store_error(path: &Path, source: object_store::Error) -> CatalogError {
        CatalogError::Store {
            path: path.to_string(),
            source,
        }
    }

    /// Every entry number, ascending. Costs a listing: for history, not for pinning.
    pub async fn list(&self) -> Result<Vec<u64>> {
        let metas: Vec<_> = self
            .store
            .list(Some(&self.dir))
            .try_collect()
            .await
            .map_err(|e| Self::store_error(&self.dir, e))?;
        let mut numbers: Vec<u64> = metas
            .iter()
            .filter_map(|m| m.location.filename()?.strip_suffix(".json")?.parse().ok())
            .collect();
        numbers.sort_unstable();
        Ok(numbers)
    }

    /// Whether entry `n` exists (one `HEAD`).
    pub async fn exists(&self, n: u64) -> Result<bool> {
        let path = self.entry_path(n);
        match self.store.head(&path).await {
            Ok(_) => Ok(true),
            Err(object_store::Error::NotFound { .. }) => Ok(false),
            Err(e) => Err(Self::store_error(&path, e)),
        }
    }

    /// The newest entry number, or `None` for an empty log.
    pub async fn latest(&self) -> Result<Option<u64>> {
        match self.read_hint().await? {
            Some(hint) if self.exists(hint).await? => Ok(Some(self.probe_from(hint).await?)),
            // No hint (a log from before hints) or one naming nothing: list once.
            _ => Ok(self.list().await?.last().copied()),
        }
    }

    /// The newest entry number given that entry `known` exists: probes `known + 1`, ...
    /// (one `HEAD` when nothing newer was committed).
    pub async fn latest_from(&self, known: u64) -> Result<u64> {
        if !self.exists(known + 1).await? {
            return Ok(known);
        }
        // Someone else committed: the hint may be far ahead of `known`.
        let start = match self.read_hint().await? {
            Some(hint) if hint > known + 1 && self.exists(hint).await? => hint,
            _ => known + 1,
        };
        self.probe_from(start).await
    }

    async fn probe_from(&self, existing: u64) -> Result<u64> {
        let mut n = existing;
        while self.exists(n + 1).await? {
            n += 1;
        }
        Ok(n)
    }

    async fn read_hint(&self) -> Result<Option<u64>> {
        let path = self.hint_path();
        let bytes = match self.store.get(&path).await {
            Ok(r) => r.bytes().await,
            Err(e) => Err(e),
        };
        match bytes {
            Ok(b) => Ok(std::str::from_utf8(&b)
                .ok()
                .and_then(|s| s.trim().parse().ok())),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(Self::store_error(&path, e)),
        }
    }

    /// Entry `n` as JSON, after checking its format; `None` if there is no entry `n`.
    pub async fn get_value(&self, n: u64) -> Result<Option<(u32, serde_json::Value)>> {
        let path = self.entry_path(n);
        let bytes = match self.store.get(&path).await {
            Ok(r) => r.bytes().await,
            Err(e) => Err(e),
        };
        let bytes = match bytes {
            Ok(b) => b,
            Err(object_store::Error::NotFound { .. }) => return Ok(None),
            Err(e) => return Err(Self::store_error(&path, e)),
        };
        let value: serde_json::Value =
            serde_json::from_slice(&bytes).map_err(|e| CatalogError::Corrupt {
                path: path.to_string(),
                message: e.to_string(),
            })?;
        let found = value
            .get("format_version")
            .and_then(|v| v.as_u64())
            .and_then(|v| u32::try_from(v).ok())
            .unwrap_or(0);
        if found == 0 || found > self.newest_format {
            return Err(CatalogError::UnsupportedFormat {
                path: path.to_string(),
                found,
                supported: self.newest_format,
            });
        }
        Ok(Some((found, value)))
    }

    /// Writes entry `n` unless it exists. `Ok(false)`: another writer took `n` first.
    pub async fn create<T: Serialize>(&self, n: u64, entry: &T) -> Result<bool> {
        let path = self.entry_path(n);
        let json = serde_json::to_vec_pretty(entry).map_err(|e| CatalogError::Corrupt {
            path: path.to_string(),
            message: e.to_string(),
        })?;
        let opts = PutOptions {
            mode: PutMode::Create,
            ..Default::default()
        };
        match self
            .store
            .put_opts(&path, PutPayload::from(json), opts)
            .await
        {
            Ok(_) => {}
            Err(object_store::Error::AlreadyExists { .. })
            | Err(object_store::Error::Precondition { .. }) => return Ok(false),
            Err(e) => return Err(Self::store_error(&path, e)),
        }
        // The entry is committed; the hint only saves readers requests, so failing to
        // write it is logged, not reported.
        let hint = self.hint_path();
        if let Err(e) = self
            .store
            .put(&hint, PutPayload::from(n.to_string().into_bytes()))
            .await
        {
            tracing::warn!(path = %hint, error = %e, "could not update the latest-entry hint");
        }
        Ok(true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use object_store::memory::InMemory;

    fn log() -> VersionedLog {
        VersionedLog::new(Arc::new(InMemory::new()), Path::from("wh/log"), 1)
    }

    fn doc(n: u64) -> serde_json::Value {
        serde_json::json!({ "format_version": 1, "n": n })
    }

    #[tokio::test]
    async fn entries_are_written_once_and_found_newest_first() -> Result<()> {
        let log = log();
        assert_eq!(log.latest().await?, None);
        assert!(log.create(0, &doc(0)).await?);
        assert!(log.create(1, &doc(1)).await?);
        assert!(!log.create(1, &doc(99)).await?, "entry 1 is taken");
        assert_eq!(log.latest().await?, Some(1));
        assert_eq!(log.latest_from(0).await?, 1);
        assert_eq!(log.list().await?, vec![0, 1]);
        let (format, value) = log
            .get_value(1)
            .await?
            .ok_or(CatalogError::NoSuchVersion { version: 1 })?;
        assert_eq!((format, value["n"].as_u64()), (1, Some(1)));
        assert!(log.get_value(7).await?.is_none());
        Ok(())
    }

    #[tokio::test]
    async fn a_lagging_or_missing_hint_still_finds_the_newest() -> Result<()> {
        let log = log();
        for n in 0..5 {
            log.create(n, &doc(n)).await?;
        }
        // A writer that died between its commit and the hint leaves it behind.
        log.store
            .put(&log.hint_path(), PutPayload::from("2".as_bytes().to_vec()))
            .await
            .map_err(|e| VersionedLog::store_error(&log.hint_path(), e))?;
        assert_eq!(log.latest().await?, Some(4));
        // A log from before hints has none.
        log.store
            .delete(&log.hint_path())
            .await
            .map_err(|e| VersionedLog::store_error(&log.hint_path(), e))?;
        assert_eq!(log.latest().await?, Some(4));
        Ok(())
    }

    #[tokio::test]
    async fn newer_formats_are_refused() -> Result<()> {
        let log = log();
        log.create(0, &serde_json::json!({ "format_version": 2 }))
            .await?;
        assert!(matches!(
            log.get_value(0).await,
            Err(CatalogError::UnsupportedFormat { found: 2, .. })
        ));
        Ok(())
    }
}
