//! Persists warehouse versions in the warehouse's own object store, under
//! `_lyceum/versions/` (a [`VersionedLog`]).

use std::sync::Arc;

use object_store::ObjectStore;
use object_store::path::Path;

use crate::error::{CatalogError, Result};
use crate::log::VersionedLog;
use crate::version::{FORMAT_VERSION, WarehouseVersion};

/// Reads and commits [`WarehouseVersion`]s.
#[derive(Debug, Clone)]
pub struct CatalogStore {
    log: VersionedLog,
}

impl CatalogStore {
    /// `root` is the warehouse's path inside `store` (empty for the store's root).
    pub fn new(store: Arc<dyn ObjectStore>, root: &Path) -> Self {
        let dir = root.clone().join("_lyceum").join("versions");
        CatalogStore {
            log: VersionedLog::new(store, dir, FORMAT_VERSION),
        }
    }

    /// Every committed version number, ascending (a listing: for history only).
    pub async fn list_versions(&self) -> Result<Vec<u64>> {
        self.log.list().await
    }

    /// The newest committed version number, or `None` for a warehouse never initialised.
    /// A bounded number of requests however many versions exist.
    pub async fn latest_number(&self) -> Result<Option<u64>> {
        self.log.latest().await
    }

    /// The newest committed version number, knowing that `known` exists (one request
    /// when nothing newer was committed).
    pub async fn latest_number_from(&self, known: u64) -> Result<u64> {
        self.log.latest_from(known).await
    }

    /// The newest committed version, or `None` for a warehouse never initialised.
    pub async fn latest(&self) -> Result<Option<WarehouseVersion>> {
        match self.latest_number().await? {
            Some(v) => Ok(Some(self.get(v).await?)),
            None => Ok(None),
        }
    }

    pub async fn get(&self, version: u64) -> Result<WarehouseVersion> {
        let (format, value) = self
            .log
            .get_value(version)
            .await?
            .ok_or(CatalogError::NoSuchVersion { version })?;
        let path = self.log.entry_path(version);
        let decoded = WarehouseVersion::from_stored(format, value, path.as_ref())?;
        if decoded.version != version {
            return Err(CatalogError::Corrupt {
                path: path.to_string(),
                message: format!(
                    "it says version {} but is stored as {version}",
                    decoded.version
                ),
            });
        }
        Ok(decoded)
    }

    /// Writes `version` if and only if no version with its number exists yet.
    pub async fn commit(&self, version: &WarehouseVersion) -> Result<()> {
        if self.log.create(version.version, version).await? {
            Ok(())
        } else {
            Err(CatalogError::VersionExists {
                version: version.version,
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::version::WarehouseVersion;
    use object_store::local::LocalFileSystem;
    use std::collections::BTreeMap;

    fn version(n: u64, summary: &str) -> WarehouseVersion {
        WarehouseVersion {
            format_version: FORMAT_VERSION,
            version: n,
            parent: n.checked_sub(1),
            committed_at: "2026-11-25T00:00:00Z".into(),
            operation: "load".into(),
            load_id: None,
            summary: summary.into(),
            schemas: BTreeMap::new(),
            tables: BTreeMap::new(),
            hierarchies: vec![],
            next_oid: 0,
        }
    }

    #[tokio::test]
    async fn second_writer_of_a_version_loses() -> Result<()> {
        let dir = tempfile::tempdir().map_err(|e| CatalogError::Corrupt {
            path: "tmp".into(),
            message: e.to_string(),
        })?;
        let fs =
            LocalFileSystem::new_with_prefix(dir.path()).map_err(|source| CatalogError::Store {
                path: "tmp".into(),
                source,
            })?;
        let store = CatalogStore::new(Arc::new(fs), &Path::from("wh"));
        assert!(store.latest().await?.is_none());
        store.commit(&version(0, "a")).await?;
        store.commit(&version(1, "first")).await?;
        let err = store.commit(&version(1, "second")).await;
        assert!(matches!(
            err,
            Err(CatalogError::VersionExists { version: 1 })
        ));
        let latest = store.latest().await?.map(|v| (v.version, v.summary));
        assert_eq!(latest, Some((1, "first".to_string())));
        assert_eq!(store.list_versions().await?, vec![0, 1]);
        assert!(matches!(
            store.get(7).await,
            Err(CatalogError::NoSuchVersion { version: 7 })
        ));
        Ok(())
    }
}
