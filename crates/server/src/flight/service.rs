//! arrow-flight's [`FlightSqlService`] for Lyceum: each handler authenticates the caller,
//! takes its engine session and translates between Flight SQL messages and the engine's
//! session API, as `pg/` does for the Postgres wire. No SQL semantics live here.

use std::pin::Pin;
use std::sync::Arc;

use arrow::array::RecordBatch;
use arrow::datatypes::{Schema, SchemaRef};
use arrow_flight::decode::FlightRecordBatchStream;
use arrow_flight::error::FlightError;
use arrow_flight::flight_service_server::FlightService;
use arrow_flight::sql::metadata::SqlInfoData;
use arrow_flight::sql::server::FlightSqlService;
use arrow_flight::sql::server::PeekableFlightDataStream;
use arrow_flight::sql::{
    ActionClosePreparedStatementRequest, ActionCreatePreparedStatementRequest,
    ActionCreatePreparedStatementResult, CommandGetCatalogs, CommandGetDbSchemas,
    CommandGetSqlInfo, CommandGetTableTypes, CommandGetTables, CommandPreparedStatementQuery,
    CommandPreparedStatementUpdate, CommandStatementQuery, CommandStatementUpdate,
    DoPutPreparedStatementResult, ProstMessageExt, SqlInfo, TicketStatementQuery,
};
use arrow_flight::{
    Action, FlightDescriptor, FlightEndpoint, FlightInfo, HandshakeRequest, HandshakeResponse,
    IpcMessage, SchemaAsIpc, Ticket,
};
use datafusion::scalar::ScalarValue;
use futures::{Stream, StreamExt, TryStreamExt};
use lyceum_engine::session::{Listing, Prepared, QueryOutput, Session};
use prost::Message;
use tonic::metadata::MetadataValue;
use tonic::{Request, Response, Status, Streaming};
use tracing::{Instrument, debug, info_span};

use super::metadata;
use super::params;
use super::prepared::PreparedStatements;
use super::sessions::{Caller, Sessions, basic_credentials, bearer_header};
use super::status;
use super::stream::{FlightStream, client_schema, encode, encode_batches};
use super::token::{Refused, StatementTicket};

/// Lyceum's Flight SQL service.
pub(crate) struct LyceumFlight {
    sessions: Arc<Sessions>,
    prepared: PreparedStatements,
    sql_info: SqlInfoData,
}

impl LyceumFlight {
    pub(crate) fn new(
        sessions: Arc<Sessions>,
        ttl: std::time::Duration,
    ) -> Result<Self, FlightError> {
        Ok(LyceumFlight {
            sessions,
            prepared: PreparedStatements::new(ttl),
            sql_info: metadata::sql_info()?,
        })
    }

    async fn caller<T>(&self, request: &Request<T>) -> Result<Caller, Status> {
        self.sessions.caller(request.metadata()).await
    }

    /// The session's catalog listing.
    async fn listing(&self, caller: &Caller) -> Result<Listing, Status> {
        let mut session = caller.session.lock().await;
        session.listing().await.map_err(|e| status::engine(&e))
    }

    /// Runs `prepared` once per parameter row (once without parameters when none are
    /// bound); the rows of every execution, in order.
    async fn run_prepared(
        &self,
        session: &mut Session,
        prepared: &Prepared,
        rows: Vec<Vec<ScalarValue>>,
    ) -> Result<Vec<QueryOutput>, Status> {
        let rows = if rows.is_empty() { vec![vec![]] } else { rows };
        let mut outputs = Vec::with_capacity(rows.len());
        for values in rows {
            outputs.push(
                session
                    .execute_prepared(prepared, values)
                    .await
                    .map_err(|e| status::engine(&e))?,
            );
        }
        Ok(outputs)
    }

    /// The parameter rows a `DoPut` carries.
    async fn parameter_rows(
        request: Request<PeekableFlightDataStream>,
    ) -> Result<Vec<Vec<ScalarValue>>, Status> {
        let data = request.into_inner().map_err(FlightError::from);
        let batches: Vec<_> = FlightRecordBatchStream::new_from_flight_data(data)
            .try_collect()
            .await
            .map_err(|e| {
                status::with_sqlstate(
                    tonic::Code::InvalidArgument,
                    "08P01",
                    format!("cannot read the parameters: {e}"),
                )
            })?;
        params::rows(&batches).map_err(|e| {
            status::with_sqlstate(
                tonic::Code::InvalidArgument,
                "22023",
                format!("cannot read the parameters: {e}"),
            )
        })
    }
}

/// The Flight schema of a prepared statement's rows (empty for a statement without rows).
fn rows_schema(prepared: &Prepared) -> SchemaRef {
    match prepared.schema() {
        Some(schema) => client_schema(
            &lyceum_engine::pgcatalog::rewrite::client_schema(schema),
            false,
        ),
        None => Arc::new(Schema::empty()),
    }
}

/// The parameters of a prepared statement as a schema: `$1`, `$2`, ... with their types
/// (text where the plan leaves a type open, as PostgreSQL does).
fn parameter_schema(prepared: &Prepared) -> Schema {
    Schema::new(
        prepared
            .param_types()
            .iter()
            .enumerate()
            .map(|(i, t)| {
                arrow::datatypes::Field::new(
                    format!("${}", i + 1),
                    t.clone().unwrap_or(arrow::datatypes::DataType::Utf8),
                    true,
                )
            })
            .collect::<Vec<_>>(),
    )
}

/// `schema` as an IPC-encapsulated message, as Flight SQL sends schemas in results.
fn ipc_schema(schema: &Schema) -> Result<bytes::Bytes, Status> {
    let message: Result<IpcMessage, _> =
        SchemaAsIpc::new(schema, &arrow::ipc::writer::IpcWriteOptions::default()).try_into();
    message
        .map(|IpcMessage(bytes)| bytes)
        .map_err(|e| Status::internal(format!("cannot encode a schema: {e}")))
}

/// The rows of several executions as one `DoGet` stream of `schema`.
fn chain_rows(outputs: Vec<QueryOutput>, schema: SchemaRef) -> FlightStream {
    let streams: Vec<_> = outputs
        .into_iter()
        .filter_map(|output| match output {
            QueryOutput::Rows { stream, .. } => Some(stream),
            _ => None,
        })
        .collect();
    let conform_to = schema.clone();
    let batches = futures::stream::iter(streams)
        .flatten()
        .map(move |batch| match batch {
            Ok(batch) => super::stream::conform(&batch, &conform_to).map_err(FlightError::Arrow),
            Err(e) => Err(FlightError::Tonic(Box::new(status::datafusion(&e)))),
        });
    encode_batches(batches, schema)
}

/// The rows an update's outputs report affected in total (-1 when none reports a count).
fn total_affected(outputs: &[QueryOutput]) -> Result<i64, Status> {
    let mut total: Option<i64> = None;
    for output in outputs {
        let n = match output {
            QueryOutput::Command { tag }
            | QueryOutput::TransactionStart { tag }
            | QueryOutput::TransactionEnd { tag } => affected_rows(tag),
            QueryOutput::Rows { .. } => {
                return Err(status::with_sqlstate(
                    tonic::Code::InvalidArgument,
                    "42601",
                    "a query that returns rows is not an update: run it as a query".into(),
                ));
            }
            QueryOutput::CopyIn { .. } => {
                return Err(status::with_sqlstate(
                    tonic::Code::InvalidArgument,
                    "0A000",
                    "COPY FROM STDIN is a Postgres wire command: use bulk ingest".into(),
                ));
            }
        };
        if n >= 0 {
            total = Some(total.unwrap_or(0) + n);
        }
    }
    Ok(total.unwrap_or(-1))
}

/// `value` as the response, with a bearer token for a caller who sent Basic credentials.
fn respond<T>(caller: &Caller, value: T) -> Response<T> {
    let mut response = Response::new(value);
    if let Some(token) = &caller.issued
        && let Ok(header) = MetadataValue::try_from(bearer_header(token))
    {
        response.metadata_mut().insert("authorization", header);
    }
    response
}

/// A `FlightInfo` whose one endpoint's ticket is `ticket` (an encoded command).
fn flight_info(
    schema: &Schema,
    descriptor: FlightDescriptor,
    ticket: impl ProstMessageExt,
) -> Result<FlightInfo, Status> {
    let endpoint = FlightEndpoint::new().with_ticket(Ticket::new(ticket.as_any().encode_to_vec()));
    Ok(FlightInfo::new()
        .try_with_schema(schema)
        .map_err(|e| Status::internal(format!("cannot encode the schema: {e}")))?
        .with_endpoint(endpoint)
        .with_descriptor(descriptor)
        .with_ordered(true))
}

/// The answer to a statement without rows that has run: no schema, no endpoints.
fn no_rows_info(descriptor: FlightDescriptor, affected: i64) -> Result<FlightInfo, Status> {
    Ok(FlightInfo::new()
        .try_with_schema(&Schema::empty())
        .map_err(|e| Status::internal(format!("cannot encode the schema: {e}")))?
        .with_descriptor(descriptor)
        .with_total_records(affected))
}

/// One catalog answer as a `DoGet` stream.
fn one_batch(batch: Result<RecordBatch, FlightError>) -> Result<FlightStream, Status> {
    let batch = batch.map_err(|e| Status::internal(format!("cannot build the answer: {e}")))?;
    let schema = batch.schema();
    Ok(encode_batches(
        futures::stream::once(async move { Ok(batch) }),
        schema,
    ))
}

/// The number of rows a command tag reports (`INSERT 0 5` → 5), else -1.
fn affected_rows(tag: &str) -> i64 {
    let mut words = tag.split_whitespace();
    match words.next() {
        Some("INSERT" | "UPDATE" | "DELETE" | "COPY" | "SELECT" | "MERGE") => {
            words.last().and_then(|n| n.parse().ok()).unwrap_or(-1)
        }
        _ => -1,
    }
}

#[tonic::async_trait]
impl FlightSqlService for LyceumFlight {
    type FlightService = LyceumFlight;

    async fn do_handshake(
        &self,
        request: Request<Streaming<HandshakeRequest>>,
    ) -> Result<
        Response<Pin<Box<dyn Stream<Item = Result<HandshakeResponse, Status>> + Send>>>,
        Status,
    > {
        let header = request
            .metadata()
            .get("authorization")
            .ok_or_else(|| Status::unauthenticated("Handshake needs Basic credentials"))?
            .to_str()
            .map_err(|_| Status::unauthenticated("the authorization header is not text"))?;
        let encoded = header
            .strip_prefix("Basic ")
            .ok_or_else(|| Status::unauthenticated("Handshake needs Basic credentials"))?;
        let (user, password) = basic_credentials(encoded)?;
        let token = self.sessions.log_in(&user, &password).await?;
        debug!(user, "flight handshake");
        let reply = HandshakeResponse {
            protocol_version: 0,
            payload: token.clone().into(),
        };
        let output: Pin<Box<dyn Stream<Item = Result<HandshakeResponse, Status>> + Send>> =
            Box::pin(futures::stream::iter([Ok(reply)]));
        let mut response = Response::new(output);
        let header = MetadataValue::try_from(bearer_header(&token))
            .map_err(|_| Status::internal("the token is not a header value"))?;
        response.metadata_mut().insert("authorization", header);
        Ok(response)
    }

    async fn get_flight_info_statement(
        &self,
        query: CommandStatementQuery,
        request: Request<FlightDescriptor>,
    ) -> Result<Response<FlightInfo>, Status> {
        let caller = self.caller(&request).await?;
        let span = info_span!("flight_query", user = %caller.identity.name);
        async {
            debug!(sql = %lyceum_engine::session::redact_passwords(&query.query), "flight query");
            let mut session = caller.session.lock().await;
            let prepared = session
                .prepare(&query.query, &[])
                .await
                .map_err(|e| status::engine(&e))?;
            if prepared.schema().is_none() {
                // A statement without rows (SET, DDL, DML) runs now, as clients that send
                // every statement as a query expect: the answer has no endpoints.
                let output = session
                    .execute_prepared(&prepared, vec![])
                    .await
                    .map_err(|e| status::engine(&e))?;
                let info = no_rows_info(request.into_inner(), total_affected(&[output])?)?;
                return Ok(respond(&caller, info));
            }
            drop(session);
            let schema = rows_schema(&prepared);
            let handle = StatementTicket {
                user: caller.identity.name.clone(),
                sql: query.query.clone(),
            }
            .encode(self.sessions.signer());
            let ticket = TicketStatementQuery {
                statement_handle: handle.into(),
            };
            let info = flight_info(&schema, request.into_inner(), ticket)?;
            Ok(respond(&caller, info))
        }
        .instrument(span)
        .await
    }

    async fn do_get_statement(
        &self,
        ticket: TicketStatementQuery,
        request: Request<Ticket>,
    ) -> Result<Response<<Self as FlightService>::DoGetStream>, Status> {
        let caller = self.caller(&request).await?;
        let statement = StatementTicket::decode(self.sessions.signer(), &ticket.statement_handle)
            .map_err(|e| match e {
            Refused::Forged | Refused::Expired => status::malformed(
                "the ticket is not one this server issued (or it was issued before a restart)",
            ),
        })?;
        if statement.user != caller.identity.name {
            return Err(status::with_sqlstate(
                tonic::Code::PermissionDenied,
                "42501",
                "the ticket was issued to another user".into(),
            ));
        }
        let span = info_span!("flight_get", user = %caller.identity.name);
        async {
            let output = {
                let mut session = caller.session.lock().await;
                let prepared = session
                    .prepare(&statement.sql, &[])
                    .await
                    .map_err(|e| status::engine(&e))?;
                session
                    .execute_prepared(&prepared, vec![])
                    .await
                    .map_err(|e| status::engine(&e))?
            };
            let stream = match output {
                QueryOutput::Rows { schema, stream, .. } => {
                    encode(stream, client_schema(&schema, false))
                }
                _ => encode_batches(futures::stream::empty(), Arc::new(Schema::empty())),
            };
            Ok(respond(&caller, stream))
        }
        .instrument(span)
        .await
    }

    async fn do_put_statement_update(
        &self,
        command: CommandStatementUpdate,
        request: Request<PeekableFlightDataStream>,
    ) -> Result<i64, Status> {
        let caller = self.caller(&request).await?;
        let mut session = caller.session.lock().await;
        let outputs = session
            .execute(&command.query)
            .await
            .map_err(|e| status::engine(&e))?;
        total_affected(&outputs)
    }

    async fn do_action_create_prepared_statement(
        &self,
        query: ActionCreatePreparedStatementRequest,
        request: Request<Action>,
    ) -> Result<ActionCreatePreparedStatementResult, Status> {
        let caller = self.caller(&request).await?;
        let sql = params::number_markers(&query.query);
        let prepared = {
            let mut session = caller.session.lock().await;
            session
                .prepare(&sql, &[])
                .await
                .map_err(|e| status::engine(&e))?
        };
        let dataset_schema = ipc_schema(&rows_schema(&prepared))?;
        let parameter_schema = ipc_schema(&parameter_schema(&prepared))?;
        let handle = self
            .prepared
            .insert(self.sessions.signer(), &caller.identity.name, prepared);
        Ok(ActionCreatePreparedStatementResult {
            prepared_statement_handle: handle.into(),
            dataset_schema,
            parameter_schema,
        })
    }

    async fn do_action_close_prepared_statement(
        &self,
        query: ActionClosePreparedStatementRequest,
        request: Request<Action>,
    ) -> Result<(), Status> {
        let caller = self.caller(&request).await?;
        self.prepared.close(
            self.sessions.signer(),
            &query.prepared_statement_handle,
            &caller.identity.name,
        )
    }

    async fn do_put_prepared_statement_query(
        &self,
        query: CommandPreparedStatementQuery,
        request: Request<PeekableFlightDataStream>,
    ) -> Result<DoPutPreparedStatementResult, Status> {
        let caller = self.caller(&request).await?;
        let rows = Self::parameter_rows(request).await?;
        self.prepared.bind(
            self.sessions.signer(),
            &query.prepared_statement_handle,
            &caller.identity.name,
            rows,
        )?;
        Ok(DoPutPreparedStatementResult {
            prepared_statement_handle: Some(query.prepared_statement_handle),
        })
    }

    async fn do_put_prepared_statement_update(
        &self,
        query: CommandPreparedStatementUpdate,
        request: Request<PeekableFlightDataStream>,
    ) -> Result<i64, Status> {
        let caller = self.caller(&request).await?;
        let bound = self.prepared.get(
            self.sessions.signer(),
            &query.prepared_statement_handle,
            &caller.identity.name,
        )?;
        let rows = Self::parameter_rows(request).await?;
        let mut session = caller.session.lock().await;
        let outputs = self
            .run_prepared(&mut session, &bound.prepared, rows)
            .await?;
        total_affected(&outputs)
    }

    async fn get_flight_info_prepared_statement(
        &self,
        query: CommandPreparedStatementQuery,
        request: Request<FlightDescriptor>,
    ) -> Result<Response<FlightInfo>, Status> {
        let caller = self.caller(&request).await?;
        let bound = self.prepared.get(
            self.sessions.signer(),
            &query.prepared_statement_handle,
            &caller.identity.name,
        )?;
        if bound.prepared.schema().is_none() {
            // Clients that run every statement as a query (ADBC's DB-API cursor) fetch no
            // rows from a statement without rows: it runs now.
            let mut session = caller.session.lock().await;
            let outputs = self
                .run_prepared(&mut session, &bound.prepared, bound.params)
                .await?;
            let info = no_rows_info(request.into_inner(), total_affected(&outputs)?)?;
            return Ok(respond(&caller, info));
        }
        let schema = rows_schema(&bound.prepared);
        Ok(respond(
            &caller,
            flight_info(&schema, request.into_inner(), query)?,
        ))
    }

    async fn do_get_prepared_statement(
        &self,
        query: CommandPreparedStatementQuery,
        request: Request<Ticket>,
    ) -> Result<Response<<Self as FlightService>::DoGetStream>, Status> {
        let caller = self.caller(&request).await?;
        let bound = self.prepared.get(
            self.sessions.signer(),
            &query.prepared_statement_handle,
            &caller.identity.name,
        )?;
        let span = info_span!("flight_get_prepared", user = %caller.identity.name);
        async {
            let outputs = {
                let mut session = caller.session.lock().await;
                self.run_prepared(&mut session, &bound.prepared, bound.params)
                    .await?
            };
            Ok(respond(
                &caller,
                chain_rows(outputs, rows_schema(&bound.prepared)),
            ))
        }
        .instrument(span)
        .await
    }

    async fn get_flight_info_catalogs(
        &self,
        query: CommandGetCatalogs,
        request: Request<FlightDescriptor>,
    ) -> Result<Response<FlightInfo>, Status> {
        let caller = self.caller(&request).await?;
        let schema = query.into_builder().schema();
        Ok(respond(
            &caller,
            flight_info(&schema, request.into_inner(), query)?,
        ))
    }

    async fn do_get_catalogs(
        &self,
        query: CommandGetCatalogs,
        request: Request<Ticket>,
    ) -> Result<Response<<Self as FlightService>::DoGetStream>, Status> {
        let caller = self.caller(&request).await?;
        let listing = self.listing(&caller).await?;
        Ok(respond(
            &caller,
            one_batch(metadata::catalogs(query, &listing))?,
        ))
    }

    async fn get_flight_info_schemas(
        &self,
        query: CommandGetDbSchemas,
        request: Request<FlightDescriptor>,
    ) -> Result<Response<FlightInfo>, Status> {
        let caller = self.caller(&request).await?;
        let schema = query.clone().into_builder().schema();
        Ok(respond(
            &caller,
            flight_info(&schema, request.into_inner(), query)?,
        ))
    }

    async fn do_get_schemas(
        &self,
        query: CommandGetDbSchemas,
        request: Request<Ticket>,
    ) -> Result<Response<<Self as FlightService>::DoGetStream>, Status> {
        let caller = self.caller(&request).await?;
        let listing = self.listing(&caller).await?;
        Ok(respond(
            &caller,
            one_batch(metadata::schemas(query, &listing))?,
        ))
    }

    async fn get_flight_info_tables(
        &self,
        query: CommandGetTables,
        request: Request<FlightDescriptor>,
    ) -> Result<Response<FlightInfo>, Status> {
        let caller = self.caller(&request).await?;
        let schema = query.clone().into_builder().schema();
        Ok(respond(
            &caller,
            flight_info(&schema, request.into_inner(), query)?,
        ))
    }

    async fn do_get_tables(
        &self,
        query: CommandGetTables,
        request: Request<Ticket>,
    ) -> Result<Response<<Self as FlightService>::DoGetStream>, Status> {
        let caller = self.caller(&request).await?;
        let listing = self.listing(&caller).await?;
        Ok(respond(
            &caller,
            one_batch(metadata::tables(query, &listing))?,
        ))
    }

    async fn get_flight_info_table_types(
        &self,
        query: CommandGetTableTypes,
        request: Request<FlightDescriptor>,
    ) -> Result<Response<FlightInfo>, Status> {
        let caller = self.caller(&request).await?;
        let schema = query.into_builder().schema();
        Ok(respond(
            &caller,
            flight_info(&schema, request.into_inner(), query)?,
        ))
    }

    async fn do_get_table_types(
        &self,
        query: CommandGetTableTypes,
        request: Request<Ticket>,
    ) -> Result<Response<<Self as FlightService>::DoGetStream>, Status> {
        let caller = self.caller(&request).await?;
        Ok(respond(&caller, one_batch(metadata::table_types(query))?))
    }

    async fn get_flight_info_sql_info(
        &self,
        query: CommandGetSqlInfo,
        request: Request<FlightDescriptor>,
    ) -> Result<Response<FlightInfo>, Status> {
        let caller = self.caller(&request).await?;
        let schema = query.clone().into_builder(&self.sql_info).schema();
        Ok(respond(
            &caller,
            flight_info(&schema, request.into_inner(), query)?,
        ))
    }

    async fn do_get_sql_info(
        &self,
        query: CommandGetSqlInfo,
        request: Request<Ticket>,
    ) -> Result<Response<<Self as FlightService>::DoGetStream>, Status> {
        let caller = self.caller(&request).await?;
        Ok(respond(
            &caller,
            one_batch(query.into_builder(&self.sql_info).build())?,
        ))
    }

    async fn register_sql_info(&self, _id: i32, _result: &SqlInfo) {}
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn command_tags_give_affected_rows() {
        assert_eq!(affected_rows("INSERT 0 5"), 5);
        assert_eq!(affected_rows("DELETE 3"), 3);
        assert_eq!(affected_rows("SELECT 12"), 12);
        assert_eq!(affected_rows("CREATE TABLE"), -1);
        assert_eq!(affected_rows("SET"), -1);
    }
}
