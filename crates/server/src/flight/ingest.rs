//! `CommandStatementIngest` (ADBC's `adbc_ingest`) in the engine's terms: the target
//! table and modes, and the client's record batches as a stream the engine writes.

use arrow::datatypes::SchemaRef;
use arrow_flight::decode::{DecodedPayload, FlightDataDecoder};
use arrow_flight::error::FlightError;
use arrow_flight::sql::server::PeekableFlightDataStream;
use arrow_flight::sql::{CommandStatementIngest, TableExistsOption, TableNotExistOption};
use datafusion::error::DataFusionError;
use datafusion::execution::SendableRecordBatchStream;
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
use futures::{StreamExt, TryStreamExt};
use lyceum_engine::session::CATALOG;
use lyceum_engine::session::sandbox::{IfExists, IfMissing, Ingest, TableName};
use tonic::{Code, Status};

use super::status;

/// The engine's ingest request for `command`; unsupported options are refused.
pub(crate) fn request(command: &CommandStatementIngest) -> Result<Ingest, Status> {
    if command.temporary {
        return Err(status::with_sqlstate(
            Code::Unimplemented,
            "0A000",
            "temporary tables are not supported: ingest into schema sandbox".into(),
        ));
    }
    if command.transaction_id.is_some() {
        return Err(status::with_sqlstate(
            Code::Unimplemented,
            "0A000",
            "Flight SQL transactions are not supported: an ingest commits on its own".into(),
        ));
    }
    if let Some(catalog) = &command.catalog
        && catalog != CATALOG
    {
        return Err(status::with_sqlstate(
            Code::NotFound,
            "3D000",
            format!("catalog \"{catalog}\" does not exist (the catalog is \"{CATALOG}\")"),
        ));
    }
    if command.table.is_empty() {
        return Err(status::malformed("the ingest command names no table"));
    }
    let options = command.table_definition_options.unwrap_or_default();
    let if_missing = match TableNotExistOption::try_from(options.if_not_exist) {
        Ok(TableNotExistOption::Create) => IfMissing::Create,
        _ => IfMissing::Fail,
    };
    let if_exists = match TableExistsOption::try_from(options.if_exists) {
        Ok(TableExistsOption::Append) => IfExists::Append,
        Ok(TableExistsOption::Replace) => IfExists::Replace,
        _ => IfExists::Fail,
    };
    Ok(Ingest {
        table: TableName {
            schema: command.schema.clone(),
            name: command.table.clone(),
        },
        if_exists,
        if_missing,
    })
}

/// The schema the client sent and its record batches, streamed as they arrive (an error
/// in the stream fails the ingest, which then commits nothing).
pub(crate) async fn batches(
    data: PeekableFlightDataStream,
) -> Result<(SchemaRef, SendableRecordBatchStream), Status> {
    let mut decoder = FlightDataDecoder::new(data.map_err(FlightError::from));
    let schema = loop {
        match decoder.next().await {
            Some(Ok(message)) => {
                if let DecodedPayload::Schema(schema) = message.payload {
                    break schema;
                }
            }
            Some(Err(e)) => return Err(bad_data(&e)),
            None => return Err(status::malformed("the ingest stream has no schema")),
        }
    };
    let rows = decoder.filter_map(|message| async move {
        match message {
            Ok(message) => match message.payload {
                DecodedPayload::RecordBatch(batch) => Some(Ok(batch)),
                _ => None,
            },
            Err(e) => Some(Err(DataFusionError::External(Box::new(e)))),
        }
    });
    let stream: SendableRecordBatchStream =
        Box::pin(RecordBatchStreamAdapter::new(schema.clone(), rows));
    Ok((schema, stream))
}

fn bad_data(e: &FlightError) -> Status {
    status::with_sqlstate(
        Code::InvalidArgument,
        "08P01",
        format!("cannot read the ingested data: {e}"),
    )
}
