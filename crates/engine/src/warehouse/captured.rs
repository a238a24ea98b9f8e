//! A record-batch stream handed to another component (Delta's writer) whose first error is
//! kept as raised: the consumer sees a copy rendered as text, the caller gets the original
//! (with its SQLSTATE) back.

use std::sync::{Arc, Mutex};

use arrow::datatypes::SchemaRef;
use datafusion::error::DataFusionError;
use datafusion::execution::{SendableRecordBatchStream, TaskContext};
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
use datafusion::physical_plan::streaming::PartitionStream;
use futures::StreamExt;

/// Where the first error of a [`CapturedStream`] lands.
#[derive(Clone, Default)]
pub(crate) struct FirstError(Arc<Mutex<Option<DataFusionError>>>);

impl FirstError {
    pub(crate) fn take(&self) -> Option<DataFusionError> {
        self.0.lock().ok().and_then(|mut e| e.take())
    }

    fn keep(&self, error: DataFusionError) -> DataFusionError {
        let copy = DataFusionError::Execution(error.to_string());
        if let Ok(mut slot) = self.0.lock()
            && slot.is_none()
        {
            *slot = Some(error);
        }
        copy
    }
}

/// One already-running stream, executable once, as a single-partition source.
pub(crate) struct CapturedStream {
    schema: SchemaRef,
    stream: Mutex<Option<SendableRecordBatchStream>>,
    first_error: FirstError,
}

impl std::fmt::Debug for CapturedStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CapturedStream").finish_non_exhaustive()
    }
}

impl CapturedStream {
    pub(crate) fn new(stream: SendableRecordBatchStream) -> (CapturedStream, FirstError) {
        let first_error = FirstError::default();
        (
            CapturedStream {
                schema: stream.schema(),
                stream: Mutex::new(Some(stream)),
                first_error: first_error.clone(),
            },
            first_error,
        )
    }
}

impl PartitionStream for CapturedStream {
    fn schema(&self) -> &SchemaRef {
        &self.schema
    }

    fn execute(&self, _ctx: Arc<TaskContext>) -> SendableRecordBatchStream {
        let taken = self.stream.lock().ok().and_then(|mut s| s.take());
        let schema = self.schema.clone();
        match taken {
            Some(stream) => {
                let first_error = self.first_error.clone();
                Box::pin(RecordBatchStreamAdapter::new(
                    schema,
                    stream.map(move |batch| batch.map_err(|e| first_error.keep(e))),
                ))
            }
            None => Box::pin(RecordBatchStreamAdapter::new(
                schema,
                futures::stream::once(async {
                    Err(DataFusionError::Internal(
                        "a captured stream was executed twice".into(),
                    ))
                }),
            )),
        }
    }
}
