//! Engine results → pgwire responses. Types and values are encoded by arrow-pg; this
//! module only maps streams, batch by batch, so no result is ever held whole.

use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use arrow::datatypes::Schema;
use arrow_pg::datatypes::{arrow_schema_to_pg_fields, encode_recordbatch};
use datafusion::execution::SendableRecordBatchStream;
use futures::{Stream, StreamExt, stream};
use pgwire::api::portal::Format;
use pgwire::api::results::{FieldInfo, QueryResponse};
use pgwire::error::PgWireResult;
use pgwire::messages::data::DataRow;

use super::server::QueryGuard;
use crate::error;

type RowStream = Pin<Box<dyn Stream<Item = PgWireResult<DataRow>> + Send>>;

/// The row description of `schema` in the given result format.
pub(crate) fn fields(schema: &Schema, format: &Format) -> PgWireResult<Arc<Vec<FieldInfo>>> {
    Ok(Arc::new(arrow_schema_to_pg_fields(schema, format, None)?))
}

/// A `SELECT` response whose rows are encoded as the engine produces each batch. An error
/// in the middle of the stream reaches the client as an `ErrorResponse` after the rows
/// already sent. The query counts as running until the stream is finished or dropped.
pub(crate) fn query_response(
    schema: &Schema,
    batches: SendableRecordBatchStream,
    guard: Arc<QueryGuard>,
) -> PgWireResult<QueryResponse> {
    let fields = fields(schema, &Format::UnifiedText)?;
    let row_fields = fields.clone();
    let rows = batches
        .map(move |batch| {
            let rows: Box<dyn Iterator<Item = PgWireResult<DataRow>> + Send> = match batch {
                Ok(batch) => encode_recordbatch(row_fields.clone(), batch),
                Err(e) => Box::new(std::iter::once(Err(error::datafusion_to_pg(&e)))),
            };
            stream::iter(rows)
        })
        .flatten();
    let rows = Guarded {
        rows: Box::pin(rows),
        _guard: guard,
    };
    Ok(QueryResponse::new(fields, rows))
}

/// A row stream that keeps its query counted as running while it lives.
struct Guarded {
    rows: RowStream,
    _guard: Arc<QueryGuard>,
}

impl Stream for Guarded {
    type Item = PgWireResult<DataRow>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.rows.as_mut().poll_next(cx)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.rows.size_hint()
    }
}
