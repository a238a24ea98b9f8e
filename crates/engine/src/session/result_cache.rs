//! The result cache: answers of read queries kept by what determines them, so a dashboard
//! that asks the same question again is answered without planning or scanning.
//!
//! An entry is keyed by the warehouse version the query read, the user who asked (two
//! users never share an entry, so no right or future row policy can leak through it),
//! a fingerprint of every setting that can change an answer, and the text of the logical
//! plan with its parameters bound. A commit makes a new version: queries that pin it miss
//! the older entries, which age out, so a cached answer is never stale. Only plans whose
//! answer is a function of those alone are cached ([`cacheable`]): every table a warehouse
//! table of the pinned version, every function immutable (no `now()`, `random()`, session
//! functions), no `EXPLAIN ANALYZE`. The cache is bounded by bytes and evicts the least
//! recently used entries; a result larger than a quarter of it is not kept.
//!
//! Concurrent misses of one key are computed once (single flight): the first session to
//! miss *leads* (its recording stream holds a [`Lead`]), and other sessions that miss the
//! same key while it runs wait for it (at most [`FLIGHT_WAIT`], holding no statement turn)
//! and are answered from the entry it leaves. A dashboard opened by 64 clients at once
//! runs each tile once, not 64 times. A session never waits for its own open result, nor
//! while it holds a turn (its open streams could be what the leader waits for); a leader
//! that fails, is cancelled or whose result is too large to keep releases the waiters,
//! who then compute it themselves.

use std::collections::HashMap;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use arrow::array::RecordBatch;
use arrow::datatypes::SchemaRef;
use datafusion::common::tree_node::{TreeNode, TreeNodeRecursion};
use datafusion::datasource::source_as_provider;
use datafusion::execution::{RecordBatchStream, SendableRecordBatchStream};
use datafusion::logical_expr::{Expr, LogicalPlan, Volatility};
use futures::Stream;

/// The longest a miss waits for another session computing the same answer before it
/// computes the answer itself (the leader's client may be slow to read its rows).
pub const FLIGHT_WAIT: std::time::Duration = std::time::Duration::from_secs(10);

/// The largest cache.
pub const MAX_BYTES: usize = 256 * 1024 * 1024;

/// The cache's size for a server whose queries may use `memory` bytes: an eighth of it, at
/// most [`MAX_BYTES`]. Cached answers live outside the query memory pool, so a small
/// `--memory-limit` keeps the cache (and what one query records for it) small too.
pub fn capacity_for(memory: usize) -> usize {
    (memory / 8).min(MAX_BYTES)
}

/// What an answer is determined by.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Key {
    pub version: u64,
    pub user: String,
    pub superuser: bool,
    /// A hash of every setting and engine option.
    pub settings: u64,
    /// The logical plan as text, parameters bound.
    pub plan: String,
}

/// A cached answer.
#[derive(Debug, Clone)]
pub struct Hit {
    pub schema: SchemaRef,
    pub batches: Arc<Vec<RecordBatch>>,
    pub rows: usize,
}

struct Entry {
    schema: SchemaRef,
    batches: Arc<Vec<RecordBatch>>,
    bytes: usize,
    rows: usize,
    last_used: u64,
    hits: u64,
}

/// One cached entry as `system.result_cache` and tests see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntryInfo {
    pub version: u64,
    pub user: String,
    pub rows: usize,
    pub bytes: usize,
    pub hits: u64,
}

/// A key being computed: by which session, and a channel closed when it ends.
struct Flight {
    leader: i32,
    done: tokio::sync::watch::Receiver<()>,
}

/// What a miss does: lead the computation, wait for another session's, or compute alone
/// (its own session is already computing the key).
pub enum Miss {
    Lead(Lead),
    Wait(tokio::sync::watch::Receiver<()>),
    Alone,
}

/// The computation of one key's answer that other sessions' misses wait for; dropping it
/// (the answer kept, or the stream failed, cancelled or dropped) releases them.
pub struct Lead {
    cache: Arc<ResultCache>,
    key: Key,
    _done: tokio::sync::watch::Sender<()>,
}

impl Drop for Lead {
    fn drop(&mut self) {
        self.cache.state().flights.remove(&self.key);
    }
}

#[derive(Default)]
struct State {
    entries: HashMap<Key, Entry>,
    flights: HashMap<Key, Flight>,
    bytes: usize,
    clock: u64,
    hits: u64,
    misses: u64,
    /// Misses that waited for another session's computation of the same answer.
    waits: u64,
}

/// Answers shared by every session of an engine.
pub struct ResultCache {
    capacity: usize,
    state: Mutex<State>,
}

impl std::fmt::Debug for ResultCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ResultCache")
            .field("capacity", &self.capacity)
            .finish_non_exhaustive()
    }
}

impl ResultCache {
    /// A cache of at most `capacity` bytes of results (0: nothing is cached).
    pub fn new(capacity: usize) -> Self {
        ResultCache {
            capacity,
            state: Mutex::new(State::default()),
        }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        // A panic while holding the lock leaves a map that is still consistent.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The largest result kept.
    fn entry_limit(&self) -> usize {
        self.capacity / 4
    }

    /// The answer cached under `key`, counting a hit or a miss.
    pub fn get(&self, key: &Key) -> Option<Hit> {
        let mut state = self.state();
        state.clock += 1;
        let clock = state.clock;
        let hit = state.entries.get_mut(key).map(|e| {
            e.last_used = clock;
            e.hits += 1;
            Hit {
                schema: e.schema.clone(),
                batches: e.batches.clone(),
                rows: e.rows,
            }
        });
        if hit.is_some() {
            state.hits += 1;
        } else {
            state.misses += 1;
        }
        hit
    }

    /// After a miss of `key` by session `session`: lead its computation, or wait for the
    /// session computing it.
    pub fn on_miss(self: &Arc<Self>, key: &Key, session: i32) -> Miss {
        let mut state = self.state();
        if let Some(flight) = state.flights.get(key) {
            if flight.leader == session {
                return Miss::Alone;
            }
            let done = flight.done.clone();
            state.waits += 1;
            return Miss::Wait(done);
        }
        let (sender, receiver) = tokio::sync::watch::channel(());
        state.flights.insert(
            key.clone(),
            Flight {
                leader: session,
                done: receiver,
            },
        );
        Miss::Lead(Lead {
            cache: self.clone(),
            key: key.clone(),
            _done: sender,
        })
    }

    /// Whether `key` has an answer (without counting a hit).
    pub fn contains(&self, key: &Key) -> bool {
        self.state().entries.contains_key(key)
    }

    /// Keeps `batches` as the answer for `key`, evicting the least recently used entries
    /// to stay within the capacity.
    fn insert(&self, key: Key, schema: SchemaRef, batches: Vec<RecordBatch>, bytes: usize) {
        if bytes > self.entry_limit() {
            return;
        }
        let rows = batches.iter().map(RecordBatch::num_rows).sum();
        let mut state = self.state();
        state.clock += 1;
        let entry = Entry {
            schema,
            batches: Arc::new(batches),
            bytes,
            rows,
            last_used: state.clock,
            hits: 0,
        };
        if let Some(old) = state.entries.insert(key, entry) {
            state.bytes -= old.bytes;
        }
        state.bytes += bytes;
        while state.bytes > self.capacity {
            let Some(oldest) = state
                .entries
                .iter()
                .min_by_key(|(_, e)| e.last_used)
                .map(|(k, _)| k.clone())
            else {
                break;
            };
            if let Some(gone) = state.entries.remove(&oldest) {
                state.bytes -= gone.bytes;
            }
        }
    }

    /// Every entry, most recently used first.
    pub fn entries(&self) -> Vec<EntryInfo> {
        let state = self.state();
        let mut entries: Vec<(u64, EntryInfo)> = state
            .entries
            .iter()
            .map(|(k, e)| {
                (
                    e.last_used,
                    EntryInfo {
                        version: k.version,
                        user: k.user.clone(),
                        rows: e.rows,
                        bytes: e.bytes,
                        hits: e.hits,
                    },
                )
            })
            .collect();
        entries.sort_by_key(|(used, _)| std::cmp::Reverse(*used));
        entries.into_iter().map(|(_, e)| e).collect()
    }

    /// How many misses waited for another session's computation since the engine started.
    pub fn waits(&self) -> u64 {
        self.state().waits
    }

    /// (hits, misses) since the engine started.
    pub fn counts(&self) -> (u64, u64) {
        let state = self.state();
        (state.hits, state.misses)
    }

    /// `stream`, whose batches are kept as the answer for `key` when it ends by itself
    /// within the entry limit (a cancelled, failed or dropped stream keeps nothing).
    /// `lead`, if the stream computes an answer others wait for, is released when the
    /// stream ends, fails or is dropped.
    pub fn record(
        self: &Arc<Self>,
        key: Key,
        stream: SendableRecordBatchStream,
        lead: Option<Lead>,
    ) -> SendableRecordBatchStream {
        Box::pin(Recording {
            schema: stream.schema(),
            inner: stream,
            cache: self.clone(),
            key: Some(key),
            batches: Vec::new(),
            bytes: 0,
            lead,
        })
    }
}

/// A stream that copies its batches (cheaply: arrays are shared) for the cache.
struct Recording {
    schema: SchemaRef,
    inner: SendableRecordBatchStream,
    cache: Arc<ResultCache>,
    /// `None` once the result is known not to be kept.
    key: Option<Key>,
    batches: Vec<RecordBatch>,
    bytes: usize,
    /// Released once the answer is kept (or known not to be).
    lead: Option<Lead>,
}

impl Stream for Recording {
    type Item = datafusion::error::Result<RecordBatch>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        let item = this.inner.as_mut().poll_next(cx);
        match &item {
            Poll::Ready(Some(Ok(batch))) if this.key.is_some() => {
                this.bytes += batch.get_array_memory_size();
                if this.bytes > this.cache.entry_limit() {
                    this.key = None;
                    this.batches.clear();
                    this.lead = None;
                } else {
                    this.batches.push(batch.clone());
                }
            }
            Poll::Ready(Some(Err(_))) => {
                this.key = None;
                this.batches.clear();
                this.lead = None;
            }
            Poll::Ready(None) => {
                if let Some(key) = this.key.take() {
                    let batches = std::mem::take(&mut this.batches);
                    this.cache
                        .insert(key, this.schema.clone(), batches, this.bytes);
                }
                // Kept (or not): the waiters look now.
                this.lead = None;
            }
            _ => {}
        }
        item
    }
}

impl RecordBatchStream for Recording {
    fn schema(&self) -> SchemaRef {
        self.schema.clone()
    }
}

/// An `EXPLAIN` result with more rows: (`plan_type`, `plan`) each, such as
/// (`result_cache`, what the cache did) and (`rollup`, what the rewrite did).
pub fn with_explain_lines(
    stream: SendableRecordBatchStream,
    lines: &[(&str, String)],
) -> datafusion::error::Result<SendableRecordBatchStream> {
    use arrow::array::StringArray;
    use futures::StreamExt;
    let schema = stream.schema();
    if schema.fields().len() != 2 {
        return Ok(stream);
    }
    let extra = RecordBatch::try_new(
        schema.clone(),
        vec![
            Arc::new(StringArray::from_iter_values(lines.iter().map(|l| l.0))),
            Arc::new(StringArray::from_iter_values(
                lines.iter().map(|l| l.1.as_str()),
            )),
        ],
    )?;
    let chained = stream.chain(futures::stream::once(async move { Ok(extra) }));
    Ok(Box::pin(
        datafusion::physical_plan::stream::RecordBatchStreamAdapter::new(schema, chained),
    ))
}

/// A fingerprint of settings: the same settings give the same value.
pub fn fingerprint<'a>(settings: impl IntoIterator<Item = (&'a str, &'a str)>) -> u64 {
    let mut hasher = DefaultHasher::new();
    for (name, value) in settings {
        name.hash(&mut hasher);
        value.hash(&mut hasher);
    }
    hasher.finish()
}

/// Whether `plan`'s answer is determined by the pinned version, the user, the settings and
/// the plan's text; else why not. `is_warehouse_table` tells the warehouse's own tables
/// of the pinned version from every other table (system views, table functions).
pub fn cacheable(
    plan: &LogicalPlan,
    is_warehouse_table: &dyn Fn(&Arc<dyn datafusion::catalog::TableProvider>) -> bool,
) -> Result<(), String> {
    let mut refused: Option<String> = None;
    let walked = plan.apply_with_subqueries(|node| {
        match node {
            LogicalPlan::TableScan(scan) => {
                let warehouse = source_as_provider(&scan.source)
                    .map(|p| is_warehouse_table(&p))
                    .unwrap_or(false);
                if !warehouse {
                    refused = Some(format!(
                        "it reads {}, which is not a warehouse table",
                        scan.table_name
                    ));
                }
            }
            LogicalPlan::Explain(_) | LogicalPlan::Analyze(_) => {
                refused = Some("EXPLAIN describes the plan".into());
            }
            LogicalPlan::Statement(_) | LogicalPlan::Dml(_) | LogicalPlan::Ddl(_) => {
                refused = Some("it is not a query".into());
            }
            _ => {}
        }
        if refused.is_some() {
            return Ok(TreeNodeRecursion::Stop);
        }
        node.apply_expressions(|expr| {
            expr.apply(|e| {
                if let Some(reason) = volatile(e) {
                    refused = Some(reason);
                    return Ok(TreeNodeRecursion::Stop);
                }
                Ok(TreeNodeRecursion::Continue)
            })
        })
    });
    match (walked, refused) {
        (Err(e), _) => Err(format!("its plan could not be read: {e}")),
        (Ok(_), Some(reason)) => Err(reason),
        (Ok(_), None) => Ok(()),
    }
}

/// Why an expression's value may change between runs, if it may.
fn volatile(expr: &Expr) -> Option<String> {
    match expr {
        Expr::ScalarFunction(f) if f.func.signature().volatility != Volatility::Immutable => Some(
            format!("it calls {}(), whose value can change", f.func.name()),
        ),
        Expr::Placeholder(p) => Some(format!("parameter {} is not bound", p.id)),
        _ => None,
    }
}

/// The columns of `system.result_cache`.
pub fn system_schema() -> arrow::datatypes::SchemaRef {
    use arrow::datatypes::{DataType, Field, Schema};
    Arc::new(Schema::new(vec![
        Field::new("version", DataType::UInt64, false),
        Field::new("user_name", DataType::Utf8, false),
        Field::new("rows", DataType::UInt64, false),
        Field::new("bytes", DataType::UInt64, false),
        Field::new("hits", DataType::UInt64, false),
    ]))
}

/// `system.result_cache`: one row per entry, most recently used first.
pub fn system_batch(cache: &ResultCache) -> datafusion::error::Result<RecordBatch> {
    use arrow::array::{ArrayRef, StringArray, UInt64Array};
    let entries = cache.entries();
    let columns: Vec<ArrayRef> = vec![
        Arc::new(UInt64Array::from_iter_values(
            entries.iter().map(|e| e.version),
        )),
        Arc::new(StringArray::from_iter_values(
            entries.iter().map(|e| &e.user),
        )),
        Arc::new(UInt64Array::from_iter_values(
            entries.iter().map(|e| e.rows as u64),
        )),
        Arc::new(UInt64Array::from_iter_values(
            entries.iter().map(|e| e.bytes as u64),
        )),
        Arc::new(UInt64Array::from_iter_values(
            entries.iter().map(|e| e.hits),
        )),
    ];
    Ok(RecordBatch::try_new(system_schema(), columns)?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::Int64Array;
    use arrow::datatypes::{DataType, Field, Schema};
    use datafusion::physical_plan::memory::MemoryStream;
    use futures::StreamExt;

    fn key(plan: &str) -> Key {
        Key {
            version: 1,
            user: "admin".into(),
            superuser: true,
            settings: 7,
            plan: plan.into(),
        }
    }

    fn batch(n: i64) -> RecordBatch {
        let schema = Arc::new(Schema::new(vec![Field::new("n", DataType::Int64, false)]));
        RecordBatch::try_new(schema, vec![Arc::new(Int64Array::from_iter_values(0..n))])
            .expect("batch")
    }

    async fn drain(stream: SendableRecordBatchStream) -> usize {
        stream
            .map(|b| b.map(|b| b.num_rows()).unwrap_or(0))
            .fold(0, |a, n| async move { a + n })
            .await
    }

    fn stream(batches: Vec<RecordBatch>) -> SendableRecordBatchStream {
        let schema = batches[0].schema();
        Box::pin(MemoryStream::try_new(batches, schema, None).expect("stream"))
    }

    #[tokio::test]
    async fn concurrent_misses_wait_for_one_leader() {
        let cache = Arc::new(ResultCache::new(1 << 20));
        let Miss::Lead(lead) = cache.on_miss(&key("a"), 1) else {
            panic!("the first miss leads");
        };
        // Another session waits; the leader's own session does not wait for itself.
        let Miss::Wait(mut waiting) = cache.on_miss(&key("a"), 2) else {
            panic!("a second session waits");
        };
        assert!(matches!(cache.on_miss(&key("a"), 1), Miss::Alone));
        assert!(matches!(cache.on_miss(&key("b"), 2), Miss::Lead(_)));
        let recorded = cache.record(key("a"), stream(vec![batch(3)]), Some(lead));
        assert!(
            tokio::time::timeout(std::time::Duration::from_millis(50), waiting.changed())
                .await
                .is_err(),
            "released before the answer is kept"
        );
        assert_eq!(drain(recorded).await, 3);
        // Released (the channel closed), and the answer is there.
        assert!(waiting.changed().await.is_err());
        assert!(cache.get(&key("a")).is_some());
        // A dropped leader releases its waiters too, with nothing kept.
        let Miss::Lead(lead) = cache.on_miss(&key("c"), 1) else {
            panic!("leads");
        };
        let Miss::Wait(mut waiting) = cache.on_miss(&key("c"), 2) else {
            panic!("waits");
        };
        drop(cache.record(key("c"), stream(vec![batch(3)]), Some(lead)));
        assert!(waiting.changed().await.is_err());
        assert!(cache.get(&key("c")).is_none());
        assert!(matches!(cache.on_miss(&key("c"), 2), Miss::Lead(_)));
    }

    #[tokio::test]
    async fn a_finished_stream_is_kept_and_a_dropped_one_is_not() {
        let cache = Arc::new(ResultCache::new(1 << 20));
        assert_eq!(
            drain(cache.record(key("a"), stream(vec![batch(3), batch(2)]), None)).await,
            5
        );
        let hit = cache.get(&key("a")).expect("kept");
        assert_eq!(hit.rows, 5);
        assert!(cache.get(&key("b")).is_none());
        assert_eq!(cache.counts(), (1, 1));

        let mut partial = cache.record(key("c"), stream(vec![batch(3), batch(2)]), None);
        assert!(partial.next().await.is_some());
        drop(partial);
        assert!(
            !cache.contains(&key("c")),
            "a stream that did not end is not kept"
        );
        let other = Key {
            user: "reader".into(),
            ..key("a")
        };
        assert!(!cache.contains(&other), "users do not share entries");
    }

    #[tokio::test]
    async fn the_least_recently_used_entries_go_first_and_big_results_are_not_kept() {
        let one = batch(1000).get_array_memory_size();
        let cache = Arc::new(ResultCache::new(one * 4 + one / 2));
        for name in ["a", "b", "c", "d"] {
            drain(cache.record(key(name), stream(vec![batch(1000)]), None)).await;
        }
        assert!(cache.get(&key("a")).is_some());
        drain(cache.record(key("e"), stream(vec![batch(1000)]), None)).await;
        assert!(cache.contains(&key("a")), "recently used");
        assert!(!cache.contains(&key("b")), "least recently used");
        assert_eq!(cache.entries().len(), 4);
        drain(cache.record(key("big"), stream(vec![batch(1000), batch(1000)]), None)).await;
        assert!(!cache.contains(&key("big")), "over a quarter of the cache");
    }
}
