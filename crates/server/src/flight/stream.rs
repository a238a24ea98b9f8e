//! Query results as Flight data: the schema clients are told and the batches they get.
//!
//! Clients read classic Arrow types: DataFusion's `Utf8View` / `BinaryView` (what it
//! reads Parquet strings as) become `Utf8` / `Binary`, dictionaries their value type, also
//! inside lists and structs; decimals, dates, timestamps and booleans keep their types.
//! The schema of a `FlightInfo` and of its `DoGet` stream come from the same function, so
//! they are equal. Batches are sliced by arrow-flight's encoder so that no message exceeds
//! [`MAX_MESSAGE_BYTES`] (gRPC clients refuse messages over 4 MiB by default).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use arrow::array::RecordBatch;
use arrow::compute::{CastOptions, cast_with_options};
use arrow::datatypes::{DataType, Field, FieldRef, Fields, Schema, SchemaRef};
use arrow::error::ArrowError;
use arrow_flight::FlightData;
use arrow_flight::encode::FlightDataEncoderBuilder;
use arrow_flight::error::FlightError;
use datafusion::execution::SendableRecordBatchStream;
use futures::{Stream, StreamExt, TryStreamExt};
use lyceum_engine::EngineError;
use lyceum_engine::error::StopReason;
use lyceum_engine::numeric_display::Layout;
use tokio_util::sync::CancellationToken;
use tonic::Status;

use super::running::Tracked;
use super::status;

/// The largest message the encoder aims for; half of gRPC's default 4 MiB limit, leaving
/// room for one oversized row's overshoot.
pub(crate) const MAX_MESSAGE_BYTES: usize = 2 * 1024 * 1024;

/// The stream a `DoGet` returns.
pub(crate) type FlightStream =
    std::pin::Pin<Box<dyn Stream<Item = Result<FlightData, Status>> + Send + 'static>>;

/// `t` with view and dictionary types replaced by the classic ones every client reads.
fn classic_type(t: &DataType) -> DataType {
    match t {
        DataType::Utf8View => DataType::Utf8,
        DataType::BinaryView => DataType::Binary,
        DataType::Dictionary(_, value) => classic_type(value),
        DataType::List(f) | DataType::ListView(f) => DataType::List(classic_field(f)),
        DataType::LargeList(f) | DataType::LargeListView(f) => {
            DataType::LargeList(classic_field(f))
        }
        DataType::FixedSizeList(f, n) => DataType::FixedSizeList(classic_field(f), *n),
        DataType::Struct(fields) => {
            DataType::Struct(fields.iter().map(classic_field).collect::<Fields>())
        }
        DataType::Map(f, sorted) => DataType::Map(classic_field(f), *sorted),
        other => other.clone(),
    }
}

fn classic_field(f: &FieldRef) -> FieldRef {
    Arc::new(
        f.as_ref()
            .clone()
            .with_data_type(classic_type(f.data_type())),
    )
}

/// The schema clients are told for rows of `schema`: classic types (unless `views`), and
/// no field metadata (what the Postgres encoder keeps there is the Postgres profile's),
/// no hidden columns (numeric display scales: Flight sends decimals as stored).
pub(crate) fn client_schema(schema: &Schema, views: bool) -> SchemaRef {
    let visible = Layout::of(schema).visible;
    let fields: Vec<Field> = schema.fields()[..visible]
        .iter()
        .map(|f| {
            let t = if views {
                f.data_type().clone()
            } else {
                classic_type(f.data_type())
            };
            Field::new(f.name(), t, f.is_nullable())
        })
        .collect();
    Arc::new(Schema::new(fields))
}

/// `batch` as rows of `schema` (from [`client_schema`]): columns cast where the types
/// differ, the schema's names.
pub(crate) fn conform(batch: &RecordBatch, schema: &SchemaRef) -> Result<RecordBatch, ArrowError> {
    let visible = Layout::of(&batch.schema()).visible;
    if visible != schema.fields().len() {
        return Err(ArrowError::SchemaError(format!(
            "a batch of {} columns for a schema of {}",
            batch.num_columns(),
            schema.fields().len()
        )));
    }
    let options = CastOptions {
        safe: false,
        ..CastOptions::default()
    };
    let columns = batch.columns()[..visible]
        .iter()
        .zip(schema.fields())
        .map(|(column, field)| {
            if column.data_type() == field.data_type() {
                Ok(column.clone())
            } else {
                cast_with_options(column, field.data_type(), &options)
            }
        })
        .collect::<Result<Vec<_>, _>>()?;
    RecordBatch::try_new_with_options(
        schema.clone(),
        columns,
        &arrow::array::RecordBatchOptions::new().with_row_count(Some(batch.num_rows())),
    )
}

/// Encodes `rows` as Flight data of `schema`, batch by batch as the plan produces them.
pub(crate) fn encode(rows: SendableRecordBatchStream, schema: SchemaRef) -> FlightStream {
    let conform_to = schema.clone();
    let batches = rows.map(move |batch| match batch {
        Ok(batch) => conform(&batch, &conform_to).map_err(FlightError::Arrow),
        Err(e) => Err(FlightError::Tonic(Box::new(status::datafusion(&e)))),
    });
    encode_batches(batches, schema)
}

/// Encodes batches already of `schema` (catalog answers).
pub(crate) fn encode_batches(
    batches: impl Stream<Item = Result<RecordBatch, FlightError>> + Send + 'static,
    schema: SchemaRef,
) -> FlightStream {
    Box::pin(
        FlightDataEncoderBuilder::new()
            .with_schema(schema)
            .with_max_flight_data_size(MAX_MESSAGE_BYTES)
            .build(batches)
            .map_err(|e| match e {
                FlightError::Tonic(status) => *status,
                other => Status::internal(other.to_string()),
            }),
    )
}

/// Runs `stream` (the plan and the encoding) on the query runtime `queries`, handing
/// finished messages to the caller through a small buffer: the gRPC runtime only moves
/// bytes, so CPU-bound queries cannot hold up other calls (a cancel, a second client).
/// When the client goes away, the buffer closes and the plan is dropped, which stops it;
/// likewise when `stop` is cancelled (`CancelFlightInfo`), and the client is told 57014.
/// The statement counts as running (`work`, for the shutdown drain) until its stream ends.
pub(crate) fn on_runtime(
    stream: FlightStream,
    queries: &tokio::runtime::Handle,
    stop: (CancellationToken, Tracked),
    work: crate::lifecycle::Work,
) -> FlightStream {
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<FlightData, Status>>(2);
    let (token, tracked) = stop;
    // Set when the stream ended by itself: a channel closed without it means the query's
    // task was dropped (the server is stopping), which the client must not take for the
    // end of the result.
    let completed = Arc::new(AtomicBool::new(false));
    let done = completed.clone();
    queries.spawn(async move {
        let _tracked = tracked;
        let _work = work;
        let mut stream = stream;
        loop {
            let item = tokio::select! {
                biased;
                () = token.cancelled() => {
                    drop(stream);
                    let stopped = EngineError::Canceled(StopReason::UserRequest);
                    let _ = tx.send(Err(status::engine(&stopped))).await;
                    break;
                }
                item = stream.next() => item,
            };
            let Some(item) = item else {
                done.store(true, Ordering::SeqCst);
                break;
            };
            if tx.send(item).await.is_err() {
                break;
            }
        }
    });
    Box::pin(futures::stream::unfold(Some(rx), move |rx| {
        let completed = completed.clone();
        async move {
            let mut rx = rx?;
            match rx.recv().await {
                Some(item) => Some((item, Some(rx))),
                None if completed.load(Ordering::SeqCst) => None,
                None => Some((
                    Err(Status::unavailable(
                        "the result stopped before its end: the server is shutting down",
                    )),
                    None,
                )),
            }
        }
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::{ArrayRef, DictionaryArray, Int32Array, StringViewArray};
    use arrow::datatypes::Int32Type;

    #[test]
    fn views_and_dictionaries_become_classic_types() {
        let schema = Schema::new(vec![
            Field::new("s", DataType::Utf8View, true),
            Field::new(
                "d",
                DataType::Dictionary(Box::new(DataType::Int32), Box::new(DataType::Utf8)),
                false,
            ),
            Field::new(
                "l",
                DataType::List(Arc::new(Field::new("item", DataType::Utf8View, true))),
                true,
            ),
            Field::new("n", DataType::Decimal128(10, 2), true),
        ]);
        let classic = client_schema(&schema, false);
        let types: Vec<_> = classic
            .fields()
            .iter()
            .map(|f| f.data_type().clone())
            .collect();
        assert_eq!(types[0], DataType::Utf8);
        assert_eq!(types[1], DataType::Utf8);
        assert_eq!(
            types[2],
            DataType::List(Arc::new(Field::new("item", DataType::Utf8, true)))
        );
        assert_eq!(types[3], DataType::Decimal128(10, 2));
        assert!(!classic.field(1).is_nullable());
        assert_eq!(
            client_schema(&schema, true).field(0).data_type(),
            &DataType::Utf8View
        );

        let dict: DictionaryArray<Int32Type> = vec!["a", "b", "a"].into_iter().collect();
        let batch = RecordBatch::try_new(
            Arc::new(Schema::new(vec![
                schema.field(0).clone(),
                schema.field(1).clone(),
            ])),
            vec![
                Arc::new(StringViewArray::from(vec!["x", "y", "z"])) as ArrayRef,
                Arc::new(dict) as ArrayRef,
            ],
        )
        .expect("batch");
        let target = client_schema(&batch.schema(), false);
        let out = conform(&batch, &target).expect("conforms");
        assert_eq!(out.schema(), target);
        assert_eq!(out.num_rows(), 3);
        let wrong = RecordBatch::try_new(
            Arc::new(Schema::new(vec![Field::new("i", DataType::Int32, true)])),
            vec![Arc::new(Int32Array::from(vec![1])) as ArrayRef],
        )
        .expect("batch");
        assert!(conform(&wrong, &target).is_err());
    }
}
