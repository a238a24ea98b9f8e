//! Persists warehouse versions in the warehouse's own object store, under `_lyceum/`.

use std::sync::Arc;

use futures::TryStreamExt;
use object_store::path::Path;
use object_store::{ObjectStore, ObjectStoreExt, PutMode, PutOptions, PutPayload};

use crate::error::{CatalogError, Result};
use crate::version::{FORMAT_VERSION, WarehouseVersion};

/// Reads and commits [`WarehouseVersion`]s.
#[derive(Debug, Clone)]
pub struct CatalogStore {
    store: Arc<dyn ObjectStore>,
    dir: Path,
}

impl CatalogStore {
    /// `root` is the warehouse's path inside `store` (empty for the store's root).
    pub fn new(store: Arc<dyn ObjectStore>, root: &Path) -> Self {
        let dir = root.clone().join("_lyceum").join("versions");
        CatalogStore { store, dir }
    }

    fn path_of(&self, version: u64) -> Path {
        self.dir.clone().join(format!("{version:020}.json"))
    }

    /// Every committed version number, ascending.
    pub async fn list_versions(&self) -> Result<Vec<u64>> {
        let metas: Vec<_> = self
            .store
            .list(Some(&self.dir))
            .try_collect()
            .await
            .map_err(|source| CatalogError::Store {
                path: self.dir.to_string(),
                source,
            })?;
        let mut versions: Vec<u64> = metas
            .iter()
            .filter_map(|m| m.location.filename()?.strip_suffix(".json")?.parse().ok())
            .collect();
        versions.sort_unstable();
        Ok(versions)
    }

    /// The newest committed version, or `None` for a warehouse never initialised.
    pub async fn latest(&self) -> Result<Option<WarehouseVersion>> {
        match self.list_versions().await?.last() {
            Some(v) => Ok(Some(self.get(*v).await?)),
            None => Ok(None),
        }
    }

    pub async fn get(&self, version: u64) -> Result<WarehouseVersion> {
        let path = self.path_of(version);
        let bytes = match self.store.get(&path).await {
            Ok(r) => r.bytes().await,
            Err(e) => Err(e),
        };
        let bytes = match bytes {
            Ok(b) => b,
            Err(object_store::Error::NotFound { .. }) => {
                return Err(CatalogError::NoSuchVersion { version });
            }
            Err(source) => {
                return Err(CatalogError::Store {
                    path: path.to_string(),
                    source,
                });
            }
        };
        let value: serde_json::Value =
            serde_json::from_slice(&bytes).map_err(|e| CatalogError::Corrupt {
                path: path.to_string(),
                message: e.to_string(),
            })?;
        let found = value
            .get("format_version")
            .and_then(|v| v.as_u64())
            .unwrap_or(0) as u32;
        if found > FORMAT_VERSION || found == 0 {
            return Err(CatalogError::UnsupportedFormat {
                path: path.to_string(),
                found,
                supported: FORMAT_VERSION,
            });
        }
        serde_json::from_value(value).map_err(|e| CatalogError::Corrupt {
            path: path.to_string(),
            message: e.to_string(),
        })
    }

    /// Writes `version` if and only if no version with its number exists yet.
    pub async fn commit(&self, version: &WarehouseVersion) -> Result<()> {
        let path = self.path_of(version.version);
        let json = serde_json::to_vec_pretty(version).map_err(|e| CatalogError::Corrupt {
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
            Ok(_) => Ok(()),
            Err(object_store::Error::AlreadyExists { .. })
            | Err(object_store::Error::Precondition { .. }) => Err(CatalogError::VersionExists {
                version: version.version,
            }),
            Err(source) => Err(CatalogError::Store {
                path: path.to_string(),
                source,
            }),
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
            tables: BTreeMap::new(),
            hierarchies: vec![],
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
