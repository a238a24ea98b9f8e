//! SQL cursors (`DECLARE ... CURSOR FOR`, `FETCH`, `CLOSE`): a query's stream kept open in
//! the session and read a number of rows at a time. They move forward only.

use std::sync::Arc;

use arrow::datatypes::SchemaRef;
use arrow::record_batch::RecordBatch;
use datafusion::execution::SendableRecordBatchStream;
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
use futures::StreamExt;
use tokio::sync::{Mutex, OwnedMutexGuard};

pub(crate) struct Cursor {
    schema: SchemaRef,
    /// Shared with the stream of the FETCH that reads it now; the next FETCH waits for it.
    state: Arc<Mutex<Position>>,
    hold: bool,
}

/// Where a cursor is: the rest of its query's stream, and rows read but not fetched.
struct Position {
    stream: Option<SendableRecordBatchStream>,
    pending: Option<RecordBatch>,
}

/// What a FETCH's stream carries from one batch to the next.
struct Fetching {
    position: Arc<Mutex<Position>>,
    /// Held from the first batch to the end of the FETCH.
    guard: Option<OwnedMutexGuard<Position>>,
    /// Rows still wanted (`None`: all that remain).
    wanted: Option<usize>,
    done: bool,
}

impl Cursor {
    pub(crate) fn new(schema: SchemaRef, stream: SendableRecordBatchStream, hold: bool) -> Self {
        Cursor {
            schema,
            state: Arc::new(Mutex::new(Position {
                stream: Some(stream),
                pending: None,
            })),
            hold,
        }
    }

    /// The columns every FETCH returns (what a Describe of a prepared FETCH reports).
    pub(crate) fn schema(&self) -> SchemaRef {
        self.schema.clone()
    }

    /// Whether the cursor outlives its transaction (`WITH HOLD`).
    pub(crate) fn holds(&self) -> bool {
        self.hold
    }

    /// The next `count` rows (all that remain for `None`), streamed from the cursor's
    /// query as the client reads them: `FETCH ALL` never holds the rest of a result.
    pub(crate) fn fetch(&self, count: Option<u64>) -> SendableRecordBatchStream {
        let schema = self.schema.clone();
        let start = Fetching {
            position: self.state.clone(),
            guard: None,
            wanted: count.map(|c| usize::try_from(c).unwrap_or(usize::MAX)),
            done: false,
        };
        let batch_schema = schema.clone();
        let batches = futures::stream::unfold(start, move |mut f| {
            let schema = batch_schema.clone();
            async move {
                if f.done || f.wanted == Some(0) {
                    return None;
                }
                let mut guard = match f.guard.take() {
                    Some(guard) => guard,
                    None => f.position.clone().lock_owned().await,
                };
                let batch = match guard.pending.take() {
                    Some(batch) => batch,
                    None => match guard.stream.as_mut()?.next().await {
                        Some(Ok(batch)) => batch,
                        Some(Err(e)) => {
                            f.done = true;
                            f.guard = Some(guard);
                            return Some((Err(e), f));
                        }
                        None => {
                            guard.stream = None;
                            return None;
                        }
                    },
                };
                let rows = batch.num_rows();
                let take = f.wanted.map_or(rows, |w| w.min(rows));
                if take < rows {
                    guard.pending = Some(batch.slice(take, rows - take));
                }
                if let Some(w) = f.wanted.as_mut() {
                    *w -= take;
                }
                f.guard = Some(guard);
                let out = RecordBatch::try_new(schema, batch.slice(0, take).columns().to_vec())
                    .map_err(Into::into);
                Some((out, f))
            }
        });
        Box::pin(RecordBatchStreamAdapter::new(schema, batches))
    }
}
