//! The warehouse: a root URL holding one Delta Lake table per catalog table
//! (`<root>/<schema>/<table>/`) and the catalog's versions (`<root>/_lyceum/versions/`).
//!
//! Readers pin a [`WarehouseVersion`] and read each table at its pinned Delta version.
//! Writers go through a [`transaction::Transaction`], which commits all tables or none.

mod arrow_schema;
mod location;
pub mod transaction;

use std::collections::HashMap;
use std::sync::Arc;

use deltalake::DeltaTable;
use lyceum_catalog::{CatalogStore, PrincipalStore, TableDef, WarehouseVersion};
use object_store::ObjectStore;
use url::Url;

pub use arrow_schema::arrow_schema;
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
        let store: Arc<dyn ObjectStore> = Arc::from(store);
        let catalog = CatalogStore::new(store.clone(), &root);
        let principals = PrincipalStore::new(store.clone(), &root);
        Ok(Warehouse {
            url,
            store,
            catalog,
            principals,
            storage_options,
        })
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

    /// The URL of a table's Delta log root.
    pub fn table_url(&self, def: &TableDef) -> Result<Url> {
        let base = if self.url.path().ends_with('/') {
            self.url.clone()
        } else {
            let mut u = self.url.clone();
            u.set_path(&format!("{}/", self.url.path()));
            u
        };
        base.join(&format!("{}/{}/", def.schema, def.name))
            .map_err(|e| EngineError::Internal(format!("table url for {}: {e}", def.name)))
    }

    /// Opens a table at its latest Delta version (or an empty handle if it has none).
    pub async fn open_table_latest(&self, def: &TableDef) -> Result<DeltaTable> {
        let url = self.table_url(def)?;
        if url.scheme() == "file"
            && let Ok(path) = url.to_file_path()
        {
            std::fs::create_dir_all(&path)
                .map_err(|e| EngineError::io(format!("create {}", path.display()), e))?;
        }
        DeltaTable::try_from_url_with_storage_options(url, self.storage_options.clone())
            .await
            .map_err(|e| EngineError::delta(def.qualified_name(), e))
    }

    /// Opens a table at a pinned Delta version.
    pub async fn open_table_at(&self, def: &TableDef, delta_version: u64) -> Result<DeltaTable> {
        let url = self.table_url(def)?;
        deltalake::DeltaTableBuilder::from_url(url)
            .map(|b| {
                b.with_storage_options(self.storage_options.clone())
                    .with_version(delta_version)
            })
            .map_err(|e| EngineError::delta(def.qualified_name(), e))?
            .load()
            .await
            .map_err(|e| EngineError::delta(def.qualified_name(), e))
    }

    /// The newest committed warehouse version, or `None` if nothing was ever committed.
    pub async fn latest(&self) -> Result<Option<WarehouseVersion>> {
        Ok(self.catalog.latest().await?)
    }

    /// The newest committed version; an error naming the location if there is none.
    pub async fn require_latest(&self) -> Result<WarehouseVersion> {
        self.latest().await?.ok_or_else(|| EngineError::InvalidArgument {
            name: "warehouse",
            message: format!(
                "no Lyceum warehouse at {} (run `lyceum load --source DIR --warehouse {}` first)",
                self.url, self.url
            ),
        })
    }

    /// A specific committed version.
    pub async fn version(&self, version: u64) -> Result<WarehouseVersion> {
        match self.catalog.get(version).await {
            Ok(v) => Ok(v),
            Err(lyceum_catalog::CatalogError::NoSuchVersion { version }) => {
                let latest = self
                    .catalog
                    .list_versions()
                    .await?
                    .last()
                    .copied()
                    .unwrap_or(0);
                Err(EngineError::NoSuchVersion { version, latest })
            }
            Err(e) => Err(e.into()),
        }
    }
}
