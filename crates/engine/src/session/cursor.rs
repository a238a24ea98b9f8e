//! SQL cursors (`DECLARE ... CURSOR FOR`, `FETCH`, `CLOSE`): a query's stream kept open in
//! the session and read a number of rows at a time. They move forward only.

use arrow::datatypes::SchemaRef;
use arrow::record_batch::RecordBatch;
use datafusion::execution::SendableRecordBatchStream;
use futures::StreamExt;

use crate::error::Result;

pub(crate) struct Cursor {
    schema: SchemaRef,
    /// In a mutex only so that a session (which must be `Sync`) can own it: it is only
    /// reached through `&mut self`, never locked.
    stream: std::sync::Mutex<Option<SendableRecordBatchStream>>,
    /// Rows read from the stream but not fetched yet.
    pending: Option<RecordBatch>,
    hold: bool,
}

impl Cursor {
    pub(crate) fn new(schema: SchemaRef, stream: SendableRecordBatchStream, hold: bool) -> Self {
        Cursor {
            schema,
            stream: std::sync::Mutex::new(Some(stream)),
            pending: None,
            hold,
        }
    }

    /// Whether the cursor outlives its transaction (`WITH HOLD`).
    /// The columns every FETCH returns (what a Describe of a prepared FETCH reports).
    pub(crate) fn schema(&self) -> SchemaRef {
        self.schema.clone()
    }

    pub(crate) fn holds(&self) -> bool {
        self.hold
    }

    /// The next `count` rows (all that remain for `None`), with the client's schema.
    pub(crate) async fn fetch(
        &mut self,
        count: Option<u64>,
    ) -> Result<(SchemaRef, Vec<RecordBatch>)> {
        let mut wanted = count.map(|c| usize::try_from(c).unwrap_or(usize::MAX));
        let mut out = Vec::new();
        let stream = self
            .stream
            .get_mut()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        while wanted != Some(0) {
            let batch = match self.pending.take() {
                Some(b) => b,
                None => match stream.as_mut() {
                    Some(s) => match s.next().await {
                        Some(batch) => batch?,
                        None => {
                            *stream = None;
                            break;
                        }
                    },
                    None => break,
                },
            };
            let take = wanted.map_or(batch.num_rows(), |w| w.min(batch.num_rows()));
            if take < batch.num_rows() {
                self.pending = Some(batch.slice(take, batch.num_rows() - take));
            }
            if take > 0 {
                out.push(RecordBatch::try_new(
                    self.schema.clone(),
                    batch.slice(0, take).columns().to_vec(),
                )?);
            }
            if let Some(w) = wanted.as_mut() {
                *w -= take;
            }
        }
        Ok((self.schema.clone(), out))
    }
}
