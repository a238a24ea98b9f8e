//! Which warehouse version is the newest, asked once per statement by every session.
//!
//! The cache remembers the last answer; a caller asks the catalog only whether a newer
//! version exists (one `HEAD` of the next version's file), so the cost does not grow with
//! the number of versions. Callers that arrive while a look-up is running wait for it and
//! take its answer if it started after they arrived (it is then as fresh as their own
//! would be): one look-up serves a burst of sessions.

use std::sync::Mutex;
use std::time::Instant;

use lyceum_catalog::CatalogStore;

use crate::error::{EngineError, Result};

#[derive(Default)]
pub struct LatestCache {
    /// Held while a look-up runs (single flight).
    lookup: tokio::sync::Mutex<()>,
    known: Mutex<Known>,
}

#[derive(Default, Clone, Copy)]
struct Known {
    version: Option<u64>,
    /// When the look-up that found `version` started.
    checked_at: Option<Instant>,
}

impl LatestCache {
    fn known(&self) -> Result<Known> {
        self.known
            .lock()
            .map(|k| *k)
            .map_err(|_| EngineError::Internal("latest-version cache poisoned".into()))
    }

    pub async fn get(&self, catalog: &CatalogStore) -> Result<Option<u64>> {
        let arrived = Instant::now();
        let _flight = self.lookup.lock().await;
        let known = self.known()?;
        if known.checked_at.is_some_and(|at| at >= arrived) {
            return Ok(known.version);
        }
        let started = Instant::now();
        let found = match known.version {
            Some(v) => Some(catalog.latest_number_from(v).await?),
            None => catalog.latest_number().await?,
        };
        if let Ok(mut k) = self.known.lock() {
            k.version = found.max(k.version);
            k.checked_at = Some(started);
            return Ok(k.version);
        }
        Ok(found)
    }

    /// A version this process committed: newer answers need no look-up to know it.
    pub fn note(&self, version: u64) {
        if let Ok(mut k) = self.known.lock() {
            k.version = k.version.max(Some(version));
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::{BTreeMap, HashMap};
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use async_trait::async_trait;
    use futures::stream::BoxStream;
    use lyceum_catalog::{FORMAT_VERSION, WarehouseVersion};
    use object_store::memory::InMemory;
    use object_store::path::Path;
    use object_store::{
        CopyOptions, GetOptions, GetResult, ListResult, MultipartUpload, ObjectMeta, ObjectStore,
        PutMultipartOptions, PutOptions, PutPayload, PutResult,
    };

    use crate::warehouse::Warehouse;

    /// An object store that counts the requests made through it.
    #[derive(Debug)]
    struct Counting {
        inner: InMemory,
        requests: AtomicUsize,
        /// How long each read takes (a remote store's latency).
        latency: std::time::Duration,
    }

    impl Counting {
        fn hit(&self) {
            self.requests.fetch_add(1, Ordering::SeqCst);
        }
    }

    impl std::fmt::Display for Counting {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            write!(f, "Counting({})", self.inner)
        }
    }

    #[async_trait]
    impl ObjectStore for Counting {
        async fn put_opts(
            &self,
            location: &Path,
            payload: PutPayload,
            opts: PutOptions,
        ) -> object_store::Result<PutResult> {
            self.hit();
            self.inner.put_opts(location, payload, opts).await
        }

        async fn put_multipart_opts(
            &self,
            location: &Path,
            opts: PutMultipartOptions,
        ) -> object_store::Result<Box<dyn MultipartUpload>> {
            self.hit();
            self.inner.put_multipart_opts(location, opts).await
        }

        async fn get_opts(
            &self,
            location: &Path,
            options: GetOptions,
        ) -> object_store::Result<GetResult> {
            self.hit();
            tokio::time::sleep(self.latency).await;
            self.inner.get_opts(location, options).await
        }

        fn delete_stream(
            &self,
            locations: BoxStream<'static, object_store::Result<Path>>,
        ) -> BoxStream<'static, object_store::Result<Path>> {
            self.hit();
            self.inner.delete_stream(locations)
        }

        fn list(
            &self,
            prefix: Option<&Path>,
        ) -> BoxStream<'static, object_store::Result<ObjectMeta>> {
            self.hit();
            self.inner.list(prefix)
        }

        async fn list_with_delimiter(
            &self,
            prefix: Option<&Path>,
        ) -> object_store::Result<ListResult> {
            self.hit();
            self.inner.list_with_delimiter(prefix).await
        }

        async fn copy_opts(
            &self,
            from: &Path,
            to: &Path,
            options: CopyOptions,
        ) -> object_store::Result<()> {
            self.hit();
            self.inner.copy_opts(from, to, options).await
        }
    }

    fn version(n: u64) -> WarehouseVersion {
        WarehouseVersion {
            format_version: FORMAT_VERSION,
            version: n,
            parent: n.checked_sub(1),
            committed_at: "2026-12-05T00:00:00Z".into(),
            operation: "ddl".into(),
            load_id: None,
            summary: String::new(),
            schemas: BTreeMap::new(),
            tables: BTreeMap::new(),
            hierarchies: vec![],
            next_oid: 100_000,
        }
    }

    /// Requests for: a cold open, a statement's pin with nothing new, and a pin after
    /// another process committed once more.
    async fn pin_costs(store: &Arc<Counting>, committed: u64) -> crate::Result<[usize; 3]> {
        let url = url::Url::parse("memory:///")
            .map_err(|e| crate::EngineError::Internal(format!("url: {e}")))?;
        let warehouse = Warehouse::with_store(url, store.clone(), &Path::from(""), HashMap::new());
        let cost = |before: usize| store.requests.load(Ordering::SeqCst) - before;
        let start = store.requests.load(Ordering::SeqCst);
        assert_eq!(warehouse.latest_number().await?, Some(committed - 1));
        let cold = cost(start);
        let start = store.requests.load(Ordering::SeqCst);
        assert_eq!(warehouse.latest_number().await?, Some(committed - 1));
        let warm = cost(start);
        // Another process commits.
        warehouse.catalog().commit(&version(committed)).await?;
        let start = store.requests.load(Ordering::SeqCst);
        assert_eq!(warehouse.latest_number().await?, Some(committed));
        let after_commit = cost(start);
        Ok([cold, warm, after_commit])
    }

    #[tokio::test]
    async fn pinning_costs_the_same_after_2000_commits_as_after_2() -> crate::Result<()> {
        let store = Arc::new(Counting {
            inner: InMemory::new(),
            requests: AtomicUsize::new(0),
            latency: std::time::Duration::ZERO,
        });
        let catalog = lyceum_catalog::CatalogStore::new(store.clone(), &Path::from(""));
        for n in 0..2 {
            catalog.commit(&version(n)).await?;
        }
        let few = pin_costs(&store, 2).await?;
        for n in 3..2_000 {
            catalog.commit(&version(n)).await?;
        }
        let many = pin_costs(&store, 2_000).await?;
        assert_eq!(
            few, many,
            "requests per pin: after 2 commits {few:?}, after 2000 {many:?}"
        );
        assert_eq!(many[1], 1, "a pin with nothing new is one request");
        // Time travel still reaches the oldest version.
        assert_eq!(catalog.get(0).await?.version, 0);
        Ok(())
    }

    #[tokio::test]
    async fn concurrent_pins_share_one_lookup() -> crate::Result<()> {
        let store = Arc::new(Counting {
            inner: InMemory::new(),
            requests: AtomicUsize::new(0),
            latency: std::time::Duration::from_millis(20),
        });
        let catalog = lyceum_catalog::CatalogStore::new(store.clone(), &Path::from(""));
        catalog.commit(&version(0)).await?;
        let url = url::Url::parse("memory:///")
            .map_err(|e| crate::EngineError::Internal(format!("url: {e}")))?;
        let warehouse = Warehouse::with_store(url, store.clone(), &Path::from(""), HashMap::new());
        warehouse.latest_number().await?;
        let start = store.requests.load(Ordering::SeqCst);
        let pins: Vec<_> = (0..50)
            .map(|_| {
                let w = warehouse.clone();
                tokio::spawn(async move { w.latest_number().await })
            })
            .collect();
        for pin in pins {
            let found = pin
                .await
                .map_err(|e| crate::EngineError::Internal(e.to_string()))??;
            assert_eq!(found, Some(0));
        }
        let used = store.requests.load(Ordering::SeqCst) - start;
        // The first look-up, and one more for those that arrived while it ran.
        assert!(used <= 2, "50 concurrent pins made {used} requests");
        Ok(())
    }
}
