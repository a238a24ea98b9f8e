//! A warehouse version's catalog with some tables read otherwise: an earlier Delta
//! version of a table, or only the files a load appended to it. Everything else resolves
//! as in the version itself. An incremental refresh plans a rollup's definition over
//! such overlays, so the rows it reads are exactly the ones it names.

use std::collections::HashMap;
use std::sync::Arc;

use async_trait::async_trait;
use datafusion::catalog::{CatalogProvider, SchemaProvider, TableProvider};
use datafusion::error::Result;

/// `inner` with `tables` (`schema` → `table` → provider) put in place of its own.
#[derive(Debug)]
pub struct Overlay {
    inner: Arc<dyn CatalogProvider>,
    tables: HashMap<String, HashMap<String, Arc<dyn TableProvider>>>,
}

impl Overlay {
    /// `replaced` maps `schema.table` to the provider read in its place.
    pub fn new(
        inner: Arc<dyn CatalogProvider>,
        replaced: &HashMap<String, Arc<dyn TableProvider>>,
    ) -> Overlay {
        let mut tables: HashMap<String, HashMap<String, Arc<dyn TableProvider>>> = HashMap::new();
        for (qualified, provider) in replaced {
            let (schema, table) = qualified
                .split_once('.')
                .unwrap_or((lyceum_catalog::star::PUBLIC, qualified.as_str()));
            tables
                .entry(schema.to_string())
                .or_default()
                .insert(table.to_string(), provider.clone());
        }
        Overlay { inner, tables }
    }
}

impl CatalogProvider for Overlay {
    fn schema_names(&self) -> Vec<String> {
        self.inner.schema_names()
    }

    fn schema(&self, name: &str) -> Option<Arc<dyn SchemaProvider>> {
        let inner = self.inner.schema(name)?;
        Some(match self.tables.get(name) {
            Some(tables) => Arc::new(OverlaySchema {
                inner,
                tables: tables.clone(),
            }),
            None => inner,
        })
    }
}

#[derive(Debug)]
struct OverlaySchema {
    inner: Arc<dyn SchemaProvider>,
    tables: HashMap<String, Arc<dyn TableProvider>>,
}

#[async_trait]
impl SchemaProvider for OverlaySchema {
    fn table_names(&self) -> Vec<String> {
        self.inner.table_names()
    }

    async fn table(&self, name: &str) -> Result<Option<Arc<dyn TableProvider>>> {
        match self.tables.get(name) {
            Some(provider) => Ok(Some(provider.clone())),
            None => self.inner.table(name).await,
        }
    }

    fn table_exist(&self, name: &str) -> bool {
        self.tables.contains_key(name) || self.inner.table_exist(name)
    }
}
