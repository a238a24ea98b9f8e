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
use arrow_flight::sql::metadata::XdbcTypeInfoData;
use arrow_flight::sql::server::FlightSqlService;
use arrow_flight::sql::server::PeekableFlightDataStream;
use arrow_flight::sql::{
    ActionCancelQueryRequest, ActionCancelQueryResult, ActionClosePreparedStatementRequest,
    ActionCreatePreparedStatementRequest, ActionCreatePreparedStatementResult, CommandGetCatalogs,
    CommandGetDbSchemas, CommandGetSqlInfo, CommandGetTableTypes, CommandGetTables,
    CommandPreparedStatementQuery, CommandPreparedStatementUpdate, CommandStatementIngest,
    CommandStatementQuery, CommandStatementUpdate, DoPutPreparedStatementResult, ProstMessageExt,
    SqlInfo, TicketStatementQuery,
};
use arrow_flight::sql::{
    CommandGetCrossReference, CommandGetExportedKeys, CommandGetImportedKeys,
    CommandGetPrimaryKeys, CommandGetXdbcTypeInfo,
};
use arrow_flight::{
    Action, CancelFlightInfoRequest, CancelFlightInfoResult, CancelStatus, FlightDescriptor,
    FlightEndpoint, FlightInfo, HandshakeRequest, HandshakeResponse, IpcMessage, SchemaAsIpc,
    Ticket,
};
use datafusion::scalar::ScalarValue;
use futures::{Stream, StreamExt, TryStreamExt};
use lyceum_engine::session::{Listing, Prepared, QueryOutput, Session};
use prost::Message;
use tonic::metadata::MetadataValue;
use tonic::{Request, Response, Status, Streaming};
use tracing::{Instrument, debug, info, info_span};

use super::keys;
use super::metadata;
use super::params;
use super::prepared::PreparedStatements;
use super::running::RunningQueries;
use super::sessions::{Caller, Sessions, basic_credentials, bearer_header};
use super::status;
use super::stream::{FlightStream, client_schema, encode, encode_batches, on_runtime};
use super::token::{Refused, StatementTicket};
use super::type_info;
use crate::lifecycle::{Drain, Work};

/// Lyceum's Flight SQL service.
pub(crate) struct LyceumFlight {
    sessions: Arc<Sessions>,
    /// The runtime statements execute on (the gRPC server has its own).
    queries: tokio::runtime::Handle,
    prepared: PreparedStatements,
    sql_info: SqlInfoData,
    /// The answer to `GetXdbcTypeInfo`, built once.
    type_info: XdbcTypeInfoData,
    /// Streams in progress, by ticket, for `CancelFlightInfo`.
    running: Arc<RunningQueries>,
    /// Statements running on both endpoints; new ones are refused once it stops.
    drain: Arc<Drain>,
}

impl LyceumFlight {
    pub(crate) fn new(
        sessions: Arc<Sessions>,
        ttl: std::time::Duration,
        queries: tokio::runtime::Handle,
        drain: Arc<Drain>,
    ) -> Result<Self, FlightError> {
        Ok(LyceumFlight {
            sessions,
            queries,
            prepared: PreparedStatements::new(ttl),
            sql_info: metadata::sql_info()?,
            type_info: type_info::xdbc_type_info()?,
            running: Arc::default(),
            drain,
        })
    }

    /// Counts a new statement under the drain, or refuses it (57P01) when the server is
    /// stopping.
    fn begin_work(&self) -> Result<Work, Status> {
        if self.drain.is_stopping() {
            return Err(status::with_sqlstate(
                tonic::Code::Unavailable,
                "57P01",
                "the server is shutting down and takes no new statements".into(),
            ));
        }
        Ok(self.drain.begin())
    }

    /// Runs `work` on the query runtime and waits for it.
    async fn on_queries<T: Send + 'static>(
        &self,
        work: impl std::future::Future<Output = Result<T, Status>> + Send + 'static,
    ) -> Result<T, Status> {
        let counted = self.begin_work()?;
        self.queries
            .spawn(async move {
                let _counted = counted;
                work.await
            })
            .await
            .map_err(|e| Status::internal(format!("the statement's task failed: {e}")))?
    }

    async fn caller<T>(&self, request: &Request<T>) -> Result<Caller, Status> {
        self.sessions
            .caller(request.metadata(), request.remote_addr())
            .await
    }

    /// The `FlightInfo` of a catalog command whose rows have `schema`.
    async fn catalog_info(
        &self,
        request: Request<FlightDescriptor>,
        schema: &Schema,
        command: impl ProstMessageExt,
    ) -> Result<Response<FlightInfo>, Status> {
        let caller = self.caller(&request).await?;
        Ok(respond(
            &caller,
            flight_info(schema, request.into_inner(), command)?,
        ))
    }

    /// The rows of a catalog command, built from the caller's catalog listing.
    async fn catalog_rows(
        &self,
        request: &Request<Ticket>,
        build: impl FnOnce(&Listing) -> Result<RecordBatch, FlightError>,
    ) -> Result<Response<<Self as FlightService>::DoGetStream>, Status> {
        let caller = self.caller(request).await?;
        let listing = self.listing(&caller).await?;
        Ok(respond(&caller, one_batch(build(&listing))?))
    }

    /// The session's catalog listing.
    async fn listing(&self, caller: &Caller) -> Result<Listing, Status> {
        let mut session = caller.session.lock().await;
        session.listing().await.map_err(|e| status::engine(&e))
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

/// `ActionCancelQueryResult.CancelResult.CANCEL_RESULT_CANCELLED` (arrow-flight does not
/// export the enum).
const CANCEL_RESULT_CANCELLED: i32 = 1;
/// `CANCEL_RESULT_NOT_CANCELLABLE`.
const CANCEL_RESULT_NOT_CANCELLABLE: i32 = 3;

/// The action type of Flight's `CancelFlightInfo`.
const CANCEL_FLIGHT_INFO: &str = "CancelFlightInfo";

impl LyceumFlight {
    /// Cancels the query `info` stands for, if the caller may (it is theirs): every
    /// stream of its tickets stops, on whichever connection or session pulls it. `false`
    /// when none is being streamed (it finished, or was never fetched).
    fn cancel(&self, caller: &Caller, info: &FlightInfo) -> Result<bool, Status> {
        let mut cancelled = 0;
        for endpoint in &info.endpoint {
            let Some(ticket) = &endpoint.ticket else {
                continue;
            };
            let any = arrow_flight::sql::Any::decode(ticket.ticket.clone())
                .map_err(|_| status::malformed("the ticket to cancel cannot be decoded"))?;
            let owner = match arrow_flight::sql::Command::try_from(any) {
                Ok(arrow_flight::sql::Command::TicketStatementQuery(t)) => {
                    StatementTicket::decode(self.sessions.signer(), &t.statement_handle)
                        .map_err(|_| status::malformed("the ticket is not one this server issued"))?
                        .user
                }
                Ok(arrow_flight::sql::Command::CommandPreparedStatementQuery(q)) => {
                    self.prepared.get(
                        self.sessions.signer(),
                        &q.prepared_statement_handle,
                        &caller.identity.name,
                    )?;
                    caller.identity.name.clone()
                }
                _ => {
                    return Err(status::malformed(
                        "the FlightInfo names no query of this server",
                    ));
                }
            };
            if owner != caller.identity.name {
                return Err(status::with_sqlstate(
                    tonic::Code::PermissionDenied,
                    "42501",
                    "the query belongs to another user".into(),
                ));
            }
            cancelled += self.running.cancel(&ticket.ticket);
        }
        info!(user = %caller.identity.name, streams = cancelled, "flight query cancelled");
        Ok(cancelled > 0)
    }
}

/// Runs `prepared` once per parameter row (once without parameters when none are bound);
/// the outputs of every execution, in order.
async fn run_prepared(
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

/// The Flight schema of a prepared statement's rows (empty for a statement without rows):
/// classic Arrow types unless `views` (the session's `lyceum.arrow_view_types`).
fn rows_schema(prepared: &Prepared, views: bool) -> SchemaRef {
    match prepared.schema() {
        // The prepared schema already has the names clients see.
        Some(schema) => client_schema(schema, views),
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
            QueryOutput::Command(done)
            | QueryOutput::TransactionStart(done)
            | QueryOutput::TransactionEnd(done) => done.rows.map_or(-1, |n| n as i64),
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
            let views = session.options().arrow_view_types;
            drop(session);
            let schema = rows_schema(&prepared, views);
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
        let ticket_bytes = request.get_ref().ticket.to_vec();
        let span = info_span!("flight_get", user = %caller.identity.name);
        async {
            let session = caller.session.clone();
            let sql = statement.sql;
            let stream = self
                .on_queries(async move {
                    let mut session = session.lock().await;
                    let prepared = session
                        .prepare(&sql, &[])
                        .await
                        .map_err(|e| status::engine(&e))?;
                    let output = session
                        .execute_prepared(&prepared, vec![])
                        .await
                        .map_err(|e| status::engine(&e))?;
                    let views = session.options().arrow_view_types;
                    Ok(match output {
                        QueryOutput::Rows { schema, stream, .. } => {
                            encode(stream, client_schema(&schema, views))
                        }
                        _ => encode_batches(futures::stream::empty(), Arc::new(Schema::empty())),
                    })
                })
                .await?;
            let stop = self.running.track(ticket_bytes);
            let streaming = self.begin_work()?;
            Ok(respond(
                &caller,
                on_runtime(stream, &self.queries, stop, streaming),
            ))
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
        let session = caller.session.clone();
        self.on_queries(async move {
            let mut session = session.lock().await;
            let outputs = session
                .execute(&command.query)
                .await
                .map_err(|e| status::engine(&e))?;
            total_affected(&outputs)
        })
        .await
    }

    async fn do_put_statement_ingest(
        &self,
        command: CommandStatementIngest,
        request: Request<PeekableFlightDataStream>,
    ) -> Result<i64, Status> {
        let caller = self.caller(&request).await?;
        let ingest = super::ingest::request(&command)?;
        let span = info_span!("flight_ingest", user = %caller.identity.name, table = %ingest.table);
        async {
            let (schema, batches) = super::ingest::batches(request.into_inner()).await?;
            let session = caller.session.clone();
            let rows = self
                .on_queries(async move {
                    let mut session = session.lock().await;
                    session
                        .ingest(&ingest, schema, batches)
                        .await
                        .map_err(|e| status::engine(&e))
                })
                .await?;
            debug!(rows, "flight ingest committed");
            Ok(i64::try_from(rows).unwrap_or(i64::MAX))
        }
        .instrument(span)
        .await
    }

    async fn do_action_cancel_query(
        &self,
        query: ActionCancelQueryRequest,
        request: Request<Action>,
    ) -> Result<ActionCancelQueryResult, Status> {
        let caller = self.caller(&request).await?;
        let info = FlightInfo::decode(query.info)
            .map_err(|_| status::malformed("the FlightInfo to cancel cannot be decoded"))?;
        let result = if self.cancel(&caller, &info)? {
            CANCEL_RESULT_CANCELLED
        } else {
            CANCEL_RESULT_NOT_CANCELLABLE
        };
        Ok(ActionCancelQueryResult { result })
    }

    async fn do_action_fallback(
        &self,
        request: Request<Action>,
    ) -> Result<Response<<Self as FlightService>::DoActionStream>, Status> {
        if request.get_ref().r#type != CANCEL_FLIGHT_INFO {
            return Err(status::with_sqlstate(
                tonic::Code::Unimplemented,
                "0A000",
                format!("unknown action \"{}\"", request.get_ref().r#type),
            ));
        }
        let caller = self.caller(&request).await?;
        let cancel = CancelFlightInfoRequest::decode(request.get_ref().body.clone())
            .map_err(|_| status::malformed("the CancelFlightInfo request cannot be decoded"))?;
        let info = cancel
            .info
            .ok_or_else(|| status::malformed("the CancelFlightInfo request has no FlightInfo"))?;
        let status = if self.cancel(&caller, &info)? {
            CancelStatus::Cancelled
        } else {
            // Nothing of it runs now: it finished, or was never fetched.
            CancelStatus::NotCancellable
        };
        let result = CancelFlightInfoResult {
            status: status as i32,
        };
        let body = arrow_flight::Result {
            body: result.encode_to_vec().into(),
        };
        Ok(respond(
            &caller,
            Box::pin(futures::stream::iter([Ok(body)])),
        ))
    }

    async fn do_action_create_prepared_statement(
        &self,
        query: ActionCreatePreparedStatementRequest,
        request: Request<Action>,
    ) -> Result<ActionCreatePreparedStatementResult, Status> {
        let caller = self.caller(&request).await?;
        let sql = params::number_markers(&query.query);
        let (prepared, views) = {
            let mut session = caller.session.lock().await;
            let prepared = session
                .prepare(&sql, &[])
                .await
                .map_err(|e| status::engine(&e))?;
            (prepared, session.options().arrow_view_types)
        };
        let dataset_schema = ipc_schema(&rows_schema(&prepared, views))?;
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
        let outputs = run_prepared(&mut session, &bound.prepared, rows).await?;
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
        let mut session = caller.session.lock().await;
        if bound.prepared.schema().is_none() {
            // Clients that run every statement as a query (ADBC's DB-API cursor) fetch no
            // rows from a statement without rows: it runs now.
            let outputs = run_prepared(&mut session, &bound.prepared, bound.params).await?;
            let info = no_rows_info(request.into_inner(), total_affected(&outputs)?)?;
            return Ok(respond(&caller, info));
        }
        let views = session.options().arrow_view_types;
        drop(session);
        let schema = rows_schema(&bound.prepared, views);
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
        let ticket_bytes = request.get_ref().ticket.to_vec();
        let span = info_span!("flight_get_prepared", user = %caller.identity.name);
        async {
            let session = caller.session.clone();
            let prepared = bound.prepared.clone();
            let stream = self
                .on_queries(async move {
                    let mut session = session.lock().await;
                    let outputs = run_prepared(&mut session, &prepared, bound.params).await?;
                    let views = session.options().arrow_view_types;
                    Ok(chain_rows(outputs, rows_schema(&prepared, views)))
                })
                .await?;
            let stop = self.running.track(ticket_bytes);
            let streaming = self.begin_work()?;
            Ok(respond(
                &caller,
                on_runtime(stream, &self.queries, stop, streaming),
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
        let schema = query.into_builder().schema();
        self.catalog_info(request, &schema, query).await
    }

    async fn do_get_catalogs(
        &self,
        query: CommandGetCatalogs,
        request: Request<Ticket>,
    ) -> Result<Response<<Self as FlightService>::DoGetStream>, Status> {
        self.catalog_rows(&request, |listing| metadata::catalogs(query, listing))
            .await
    }

    async fn get_flight_info_schemas(
        &self,
        query: CommandGetDbSchemas,
        request: Request<FlightDescriptor>,
    ) -> Result<Response<FlightInfo>, Status> {
        let schema = query.clone().into_builder().schema();
        self.catalog_info(request, &schema, query).await
    }

    async fn do_get_schemas(
        &self,
        query: CommandGetDbSchemas,
        request: Request<Ticket>,
    ) -> Result<Response<<Self as FlightService>::DoGetStream>, Status> {
        self.catalog_rows(&request, |listing| metadata::schemas(query, listing))
            .await
    }

    async fn get_flight_info_tables(
        &self,
        query: CommandGetTables,
        request: Request<FlightDescriptor>,
    ) -> Result<Response<FlightInfo>, Status> {
        let schema = query.clone().into_builder().schema();
        self.catalog_info(request, &schema, query).await
    }

    async fn do_get_tables(
        &self,
        query: CommandGetTables,
        request: Request<Ticket>,
    ) -> Result<Response<<Self as FlightService>::DoGetStream>, Status> {
        self.catalog_rows(&request, |listing| metadata::tables(query, listing))
            .await
    }

    async fn get_flight_info_table_types(
        &self,
        query: CommandGetTableTypes,
        request: Request<FlightDescriptor>,
    ) -> Result<Response<FlightInfo>, Status> {
        let schema = query.into_builder().schema();
        self.catalog_info(request, &schema, query).await
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
        let schema = query.clone().into_builder(&self.sql_info).schema();
        self.catalog_info(request, &schema, query).await
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

    async fn get_flight_info_primary_keys(
        &self,
        query: CommandGetPrimaryKeys,
        request: Request<FlightDescriptor>,
    ) -> Result<Response<FlightInfo>, Status> {
        let schema = keys::primary_keys_schema();
        self.catalog_info(request, &schema, query).await
    }

    async fn do_get_primary_keys(
        &self,
        query: CommandGetPrimaryKeys,
        request: Request<Ticket>,
    ) -> Result<Response<<Self as FlightService>::DoGetStream>, Status> {
        self.catalog_rows(&request, |listing| keys::primary_keys(&query, listing))
            .await
    }

    async fn get_flight_info_exported_keys(
        &self,
        query: CommandGetExportedKeys,
        request: Request<FlightDescriptor>,
    ) -> Result<Response<FlightInfo>, Status> {
        let schema = keys::foreign_keys_schema();
        self.catalog_info(request, &schema, query).await
    }

    async fn do_get_exported_keys(
        &self,
        query: CommandGetExportedKeys,
        request: Request<Ticket>,
    ) -> Result<Response<<Self as FlightService>::DoGetStream>, Status> {
        self.catalog_rows(&request, |listing| keys::exported_keys(&query, listing))
            .await
    }

    async fn get_flight_info_imported_keys(
        &self,
        query: CommandGetImportedKeys,
        request: Request<FlightDescriptor>,
    ) -> Result<Response<FlightInfo>, Status> {
        let schema = keys::foreign_keys_schema();
        self.catalog_info(request, &schema, query).await
    }

    async fn do_get_imported_keys(
        &self,
        query: CommandGetImportedKeys,
        request: Request<Ticket>,
    ) -> Result<Response<<Self as FlightService>::DoGetStream>, Status> {
        self.catalog_rows(&request, |listing| keys::imported_keys(&query, listing))
            .await
    }

    async fn get_flight_info_cross_reference(
        &self,
        query: CommandGetCrossReference,
        request: Request<FlightDescriptor>,
    ) -> Result<Response<FlightInfo>, Status> {
        let schema = keys::foreign_keys_schema();
        self.catalog_info(request, &schema, query).await
    }

    async fn do_get_cross_reference(
        &self,
        query: CommandGetCrossReference,
        request: Request<Ticket>,
    ) -> Result<Response<<Self as FlightService>::DoGetStream>, Status> {
        self.catalog_rows(&request, |listing| keys::cross_reference(&query, listing))
            .await
    }

    async fn get_flight_info_xdbc_type_info(
        &self,
        query: CommandGetXdbcTypeInfo,
        request: Request<FlightDescriptor>,
    ) -> Result<Response<FlightInfo>, Status> {
        let schema = query.into_builder(&self.type_info).schema();
        self.catalog_info(request, &schema, query).await
    }

    async fn do_get_xdbc_type_info(
        &self,
        query: CommandGetXdbcTypeInfo,
        request: Request<Ticket>,
    ) -> Result<Response<<Self as FlightService>::DoGetStream>, Status> {
        let caller = self.caller(&request).await?;
        Ok(respond(
            &caller,
            one_batch(query.into_builder(&self.type_info).build())?,
        ))
    }

    async fn register_sql_info(&self, _id: i32, _result: &SqlInfo) {}
}
