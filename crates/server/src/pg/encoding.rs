//! Engine results → pgwire responses. Types and values are encoded by arrow-pg; this
//! module only maps streams, batch by batch, so no result is ever held whole.

use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use arrow::datatypes::{DataType, Field, Schema, TimeUnit};
use arrow::record_batch::RecordBatch;
use arrow_pg::datatypes::df::deserialize_parameters_with_server_types;
use arrow_pg::datatypes::{
    PG_CHAR_KEY, PG_OID_ALIAS_KEY, arrow_schema_to_pg_fields, encode_recordbatch, into_pg_type,
};
use datafusion::execution::SendableRecordBatchStream;
use datafusion::scalar::ScalarValue;
use futures::{Stream, StreamExt, stream};
use pgwire::api::Type;
use pgwire::api::portal::{Format, Portal};
use pgwire::api::results::{FieldInfo, QueryResponse};
use pgwire::error::PgWireResult;
use pgwire::messages::data::DataRow;

use lyceum_engine::numeric_display::Layout;
use lyceum_engine::pgcatalog::result_types::RESULT_TYPE_KEY;

use super::server::QueryGuard;
use super::text_form;
use crate::error;

type RowStream = Pin<Box<dyn Stream<Item = PgWireResult<DataRow>> + Send>>;

/// The row description of `schema` in the given result format.
/// Hidden columns (numeric display scales) are not described.
pub(crate) fn fields(schema: &Schema, format: &Format) -> PgWireResult<Arc<Vec<FieldInfo>>> {
    let visible = Layout::of(schema).visible;
    let fields: Vec<Field> = schema.fields()[..visible]
        .iter()
        .map(|f| client_field(f, f.data_type()))
        .collect();
    let schema = Schema::new_with_metadata(fields, schema.metadata().clone());
    let infos = arrow_schema_to_pg_fields(&schema, format, None)?;
    Ok(Arc::new(
        infos
            .into_iter()
            .zip(schema.fields())
            .map(|(info, field)| declared_type(info, field))
            .collect(),
    ))
}

/// `info` reporting the type the engine declared for the column (`varchar` for a star
/// schema text column), when it declared one the client's type table knows.
fn declared_type(info: FieldInfo, field: &Field) -> FieldInfo {
    let text = match field.data_type() {
        DataType::Utf8 | DataType::Utf8View | DataType::LargeUtf8 => true,
        // varchar[] (array_agg of a varchar column).
        DataType::List(item) => matches!(item.data_type(), DataType::Utf8 | DataType::Utf8View),
        _ => false,
    };
    let Some(oid) = field
        .metadata()
        .get(RESULT_TYPE_KEY)
        .and_then(|v| v.parse::<u32>().ok())
        .filter(|_| text)
    else {
        return info;
    };
    match Type::from_oid(oid) {
        Some(declared) => FieldInfo::new(
            info.name().to_string(),
            info.table_id(),
            info.column_id(),
            declared,
            info.format(),
        )
        .with_format_options(info.format_options().clone())
        .with_type_size(info.type_size())
        .with_type_modifier(info.type_modifier()),
        None => info,
    }
}

/// A `SELECT` response whose rows are encoded as the engine produces each batch. An error
/// in the middle of the stream reaches the client as an `ErrorResponse` after the rows
/// already sent. The query counts as running until the stream is finished or dropped.
pub(crate) fn query_response(
    schema: &Schema,
    batches: SendableRecordBatchStream,
    guard: Arc<QueryGuard>,
    format: &Format,
) -> PgWireResult<QueryResponse> {
    let fields = fields(schema, format)?;
    let row_fields = fields.clone();
    let rows = batches
        .map(move |batch| {
            let rows: Box<dyn Iterator<Item = PgWireResult<DataRow>> + Send> = match batch {
                Ok(batch) => {
                    match consistent(batch).and_then(|b| text_form::present(b, &row_fields)) {
                        Ok(batch) => encode_recordbatch(row_fields.clone(), batch),
                        Err(e) => Box::new(std::iter::once(Err(e))),
                    }
                }
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

/// `batch` with a schema whose types are its columns' own (unsigned 64-bit ones cast to
/// `Int64`, an error past its range). DataFusion can hand out a
/// batch whose schema says `Utf8` over a `Utf8View` column, or keeps arrow-pg's `char`
/// metadata on a cast of a catalog column (`relkind::text`); arrow-pg encodes by the
/// schema and would panic on either.
fn consistent(batch: RecordBatch) -> PgWireResult<RecordBatch> {
    let schema = batch.schema();
    let fixed: Vec<Field> = schema
        .fields()
        .iter()
        .zip(batch.columns())
        .map(|(f, c)| client_field(f, c.data_type()))
        .collect();
    if fixed
        .iter()
        .zip(schema.fields())
        .all(|(a, b)| a == b.as_ref())
    {
        return Ok(batch);
    }
    let columns = fixed
        .iter()
        .zip(batch.columns())
        .map(|(field, column)| {
            if field.data_type() == column.data_type() {
                return Ok(column.clone());
            }
            let options = arrow::compute::CastOptions {
                safe: false,
                ..Default::default()
            };
            arrow::compute::cast_with_options(column, field.data_type(), &options).map_err(|e| {
                error::internal(format!("cannot send {} as bigint: {e}", field.name()))
            })
        })
        .collect::<PgWireResult<Vec<_>>>()?;
    let schema = Arc::new(Schema::new_with_metadata(fixed, schema.metadata().clone()));
    RecordBatch::try_new(schema, columns)
        .map_err(|e| error::internal(format!("cannot encode a result batch: {e}")))
}

/// `field` holding values of `data_type`, with arrow-pg's type hints only where they fit
/// it (`char` on `Utf8`, `oid` on `Int32`). An unsigned 64-bit column (DataFusion's
/// `row_number`, `rank`, `dense_rank`) is sent as `bigint`, PostgreSQL's type for them,
/// not as arrow-pg's `numeric`.
fn client_field(field: &Field, data_type: &DataType) -> Field {
    let data_type = match data_type {
        DataType::UInt64 => &DataType::Int64,
        other => other,
    };
    let mut metadata = field.metadata().clone();
    if *data_type != DataType::Utf8 {
        metadata.remove(PG_CHAR_KEY);
    }
    if *data_type != DataType::Int32 {
        metadata.remove(PG_OID_ALIAS_KEY);
    }
    field
        .clone()
        .with_data_type(data_type.clone())
        .with_metadata(metadata)
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

/// The Postgres type of values of an Arrow type (as arrow-pg encodes them).
pub(crate) fn pg_type(data_type: &DataType) -> PgWireResult<Type> {
    into_pg_type(data_type)
}

/// The Arrow type a client-declared parameter type decodes to (`None`: left to the plan).
pub(crate) fn arrow_type(pg: &Type) -> Option<DataType> {
    Some(match *pg {
        Type::BOOL => DataType::Boolean,
        Type::INT2 => DataType::Int16,
        Type::INT4 => DataType::Int32,
        Type::INT8 => DataType::Int64,
        Type::FLOAT4 => DataType::Float32,
        Type::FLOAT8 => DataType::Float64,
        Type::TEXT | Type::VARCHAR | Type::BPCHAR | Type::NAME => DataType::Utf8,
        Type::BYTEA => DataType::Binary,
        Type::DATE => DataType::Date32,
        Type::TIMESTAMP => DataType::Timestamp(TimeUnit::Microsecond, None),
        Type::TIMESTAMPTZ => DataType::Timestamp(TimeUnit::Microsecond, Some("+00:00".into())),
        Type::OID => DataType::Int32,
        _ => return None,
    })
}

/// A portal's parameter values, decoded by arrow-pg from text or binary according to the
/// type the client named or, failing that, the type the server reported.
pub(crate) fn decode_parameters<S: Clone>(
    portal: &Portal<S>,
    engine_types: &[Option<DataType>],
    reported: &[Type],
) -> PgWireResult<Vec<ScalarValue>> {
    let inferred: Vec<Option<&DataType>> = engine_types.iter().map(Option::as_ref).collect();
    let server: Vec<Option<&Type>> = reported.iter().map(Some).collect();
    let values = deserialize_parameters_with_server_types(portal, &inferred, &server)?;
    Ok(match values {
        datafusion::common::ParamValues::List(list) => list.into_iter().map(|v| v.value).collect(),
        datafusion::common::ParamValues::Map(map) => map.into_values().map(|v| v.value).collect(),
    })
}

/// `batch`'s values as the Postgres wire's text format sends them (`None` for NULL):
/// what a simple-protocol client reads, for running the same SQL in-process.
pub fn text_rows(batch: RecordBatch) -> PgWireResult<Vec<Vec<Option<String>>>> {
    let fields = fields(batch.schema().as_ref(), &Format::UnifiedText)?;
    let batch = text_form::present(consistent(batch)?, &fields)?;
    let mut rows = Vec::with_capacity(batch.num_rows());
    for row in encode_recordbatch(fields, batch) {
        let row = row?;
        let mut data = &row.data[..];
        let mut values = Vec::with_capacity(row.field_count.max(0) as usize);
        for _ in 0..row.field_count {
            let (len, rest) = data.split_at(4);
            let len = i32::from_be_bytes([len[0], len[1], len[2], len[3]]);
            if len < 0 {
                values.push(None);
                data = rest;
            } else {
                let (value, rest) = rest.split_at(len as usize);
                values.push(Some(String::from_utf8_lossy(value).into_owned()));
                data = rest;
            }
        }
        rows.push(values);
    }
    Ok(rows)
}
