//! The warehouse: a root URL holding one Delta Lake table per catalog table (at the
//! entry's `location`, `<root>/<schema>/<table>/` for the star schema) and the catalog's
//! versions (`<root>/_lyceum/versions/`).
//!
//! Readers pin a [`WarehouseVersion`] and read each table at its pinned Delta version.
//! Writers go through a [`transaction::Transaction`], which commits all tables or none.
//! Which version is the latest is answered by [`Warehouse::latest_number`]: one request
//! when nothing was committed since the last answer, whatever the number of versions.

mod arrow_schema;
mod captured;
mod latest;
mod location;
pub mod transaction;

use std::collections::HashMap;
use std::sync::Arc;

use deltalake::DeltaTable;
use lyceum_catalog::{CatalogStore, PrincipalStore, TableEntry, WarehouseVersion};
use object_store::ObjectStore;
use url::Url;

pub use arrow_schema::{arrow_schema, arrow_type};
pub use location::parse_location;

use crate::error::{EngineError, Result};

/// An opened warehouse location. Cheap to clone.
#[derive(Clone)]
pub struct Warehouse {
    url: Url,
    store: Arc<dyn ObjectStore>,
    catalog: CatalogStore,
    principals: PrincipalStore,
    storage_options: HashMap<String, String>,
    latest: Arc<latest::LatestCache>,
}

impl std::fmt::Debug for Warehouse {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Warehouse")
            .field("url", &self.url.as_str())
            .finish()
    }
}

impl Warehouse {
    /// Opens the warehouse at `location`: a local path or a URL (`file://`, `s3://`).
    /// S3 endpoint and credentials come from the standard `AWS_*` environment variables.
    pub fn open(location: &str) -> Result<Self> {
        let url = parse_location(location)?;
        let storage_options = location::storage_options_from_env(&url);
        let (store, root) =
            object_store::parse_url_opts(&url, storage_options.iter()).map_err(|e| {
                EngineError::InvalidArgument {
                    name: "warehouse",
                    message: format!("{location}: {e}"),
                }
            })?;
        Ok(Self::with_store(
            url,
            Arc::from(store),
            &root,
            storage_options,
        ))
    }

    /// A warehouse whose catalog is read through `store` (rooted at `root`); tables are
    /// still opened by URL. Tests pass a store that counts requests.
    pub fn with_store(
        url: Url,
        store: Arc<dyn ObjectStore>,
        root: &object_store::path::Path,
        storage_options: HashMap<String, String>,
    ) -> Self {
        let catalog = CatalogStore::new(store.clone(), root);
        let principals = PrincipalStore::new(store.clone(), root);
        Warehouse {
            url,
            store,
            catalog,
            principals,
            storage_options,
            latest: Arc::new(latest::LatestCache::default()),
        }
    }

    pub fn url(&self) -> &Url {
        &self.url
    }

    pub fn catalog(&self) -> &CatalogStore {
        &self.catalog
    }

    /// Who may connect (users and their SCRAM verifiers).
    pub fn principals(&self) -> &PrincipalStore {
        &self.principals
    }

    pub fn object_store(&self) -> Arc<dyn ObjectStore> {
        self.store.clone()
    }

    /// The URL of the Delta table at `location` (relative to the warehouse root).
    pub fn table_url(&self, location: &str) -> Result<Url> {
        let base = if self.url.path().ends_with('/') {
            self.url.clone()
        } else {
            let mut u = self.url.clone();
            u.set_path(&format!("{}/", self.url.path()));
            u
        };
        base.join(&format!("{}/", location.trim_end_matches('/')))
            .map_err(|e| EngineError::Internal(format!("table url for {location}: {e}")))
    }

    /// Opens a table at its latest Delta version (or an empty handle if it has none).
    pub async fn open_table_latest(&self, entry: &TableEntry) -> Result<DeltaTable> {
        let url = self.table_url(&entry.location)?;
        if url.scheme() == "file"
            && let Ok(path) = url.to_file_path()
        {
            std::fs::create_dir_all(&path)
                .map_err(|e| EngineError::io(format!("create {}", path.display()), e))?;
        }
        let name = entry.definition.qualified_name();
        DeltaTable::try_from_url_with_storage_options(url, self.storage_options.clone())
            .await
            .map_err(|e| EngineError::delta(name, e))
    }

    /// Opens a table at its pinned Delta version.
    pub async fn open_table_at(&self, entry: &TableEntry) -> Result<DeltaTable> {
        let url = self.table_url(&entry.location)?;
        let name = entry.definition.qualified_name();
        deltalake::DeltaTableBuilder::from_url(url)
            .map(|b| {
                b.with_storage_options(self.storage_options.clone())
                    .with_version(entry.delta_version)
            })
            .map_err(|e| EngineError::delta(name.clone(), e))?
            .load()
            .await
            .map_err(|e| EngineError::delta(name, e))
    }

    /// The newest committed version number, or `None` if nothing was ever committed.
    /// Concurrent callers share one look-up; see [`latest::LatestCache`].
    pub async fn latest_number(&self) -> Result<Option<u64>> {
        self.latest.get(&self.catalog).await
    }

    /// Tells the cache about a version this process committed.
    pub(crate) fn note_committed(&self, version: u64) {
        self.latest.note(version);
    }

    /// The newest committed version, or `None` if nothing was ever committed.
    pub async fn latest(&self) -> Result<Option<WarehouseVersion>> {
        match self.latest_number().await? {
            Some(v) => Ok(Some(self.catalog.get(v).await?)),
            None => Ok(None),
        }
    }

    /// The newest committed version number; an error naming the location if there is none.
    pub async fn require_latest_number(&self) -> Result<u64> {
        self.latest_number()
            .await?
            .ok_or_else(|| self.no_warehouse())
    }

    fn no_warehouse(&self) -> EngineError {
        EngineError::InvalidArgument {
            name: "warehouse",
            message: format!(
                "no Lyceum warehouse at {} (run `lyceum load --source DIR --warehouse {}` first)",
                self.url, self.url
            ),
        }
    }

    /// A specific committed version.
    pub async fn version(&self, version: u64) -> Result<WarehouseVersion> {
        match self.catalog.get(version).await {
            Ok(v) => Ok(v),
            Err(lyceum_catalog::CatalogError::NoSuchVersion { version }) => {
                let latest = self.latest_number().await?.unwrap_or(0);
                Err(EngineError::NoSuchVersion { version, latest })
            }
            Err(e) => Err(e.into()),
        }
    }
}
