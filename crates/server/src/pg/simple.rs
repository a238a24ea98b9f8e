//! The simple query protocol: a string of statements, run one at a time. Each statement's
//! result (its rows streamed from the engine) reaches the client before the next statement
//! starts, and the first error, also one raised while rows stream, ends the string.

use std::fmt::Debug;

use async_trait::async_trait;
use futures::{Sink, SinkExt};
use lyceum_engine::session::{Batch, QueryOutput, Session};
use pgwire::api::copy::send_copy_in_response;
use pgwire::api::portal::Format;
use pgwire::api::query::SimpleQueryHandler;
use pgwire::api::results::{QueryResponse, Response};
use pgwire::api::store::PortalStore;
use pgwire::api::{ClientInfo, ClientPortalStore, PgWireConnectionState};
use pgwire::error::{ErrorInfo, PgWireError, PgWireResult};
use pgwire::messages::PgWireBackendMessage;
use pgwire::messages::data::RowDescription;
use pgwire::messages::response::{EmptyQueryResponse, ReadyForQuery};
use pgwire::messages::simplequery::Query;
use tracing::{Instrument, debug, info_span};

use super::extended::transaction_status;
use super::handler::{Connection, completion_tag, response, send_side_messages};
use super::server::QueryGuard;
use crate::error as wire;

#[async_trait]
impl SimpleQueryHandler for Connection {
    async fn on_query<C>(&self, client: &mut C, query: Query) -> PgWireResult<()>
    where
        C: ClientInfo + ClientPortalStore + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::PortalStore: PortalStore,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        if !matches!(client.state(), PgWireConnectionState::ReadyForQuery) {
            return Err(PgWireError::NotReadyForQuery);
        }
        self.check_running()?;
        client.set_state(PgWireConnectionState::QueryInProgress);
        let (id, guard) = self.begin_query();
        let sql = query.query;
        let status = async {
            debug!(sql = %lyceum_engine::session::redact_passwords(&sql), "simple query");
            let mut session = self.session.lock().await;
            let session = session
                .as_mut()
                .ok_or_else(|| wire::internal("the connection has no session"))?;
            if sql.chars().all(|c| c == ';' || c.is_whitespace()) {
                client
                    .feed(PgWireBackendMessage::EmptyQueryResponse(
                        EmptyQueryResponse::new(),
                    ))
                    .await?;
            } else {
                self.run_string(client, session, &sql, &guard).await?;
            }
            Ok::<_, PgWireError>(transaction_status(session.transaction_status()))
        }
        .instrument(info_span!("query", id))
        .await?;
        // A COPY FROM STDIN takes the data next; its end sends ReadyForQuery.
        if !matches!(client.state(), PgWireConnectionState::CopyInProgress(_)) {
            client.set_state(PgWireConnectionState::ReadyForQuery);
            client.set_transaction_status(status);
            client
                .send(PgWireBackendMessage::ReadyForQuery(ReadyForQuery::new(
                    status,
                )))
                .await?;
        }
        Ok(())
    }

    async fn do_query<C>(&self, _client: &mut C, _query: &str) -> PgWireResult<Vec<Response>>
    where
        C: ClientInfo + ClientPortalStore + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::PortalStore: PortalStore,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        // `on_query` runs strings statement by statement; nothing calls this.
        Err(wire::internal("simple queries run through on_query"))
    }
}

impl Connection {
    /// Runs the statements of `sql`, sending each one's result before the next starts.
    async fn run_string<C>(
        &self,
        client: &mut C,
        session: &mut Session,
        sql: &str,
        guard: &std::sync::Arc<QueryGuard>,
    ) -> PgWireResult<()>
    where
        C: ClientInfo + ClientPortalStore + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::PortalStore: PortalStore,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        let mut batch = match session.start_batch(sql) {
            Ok(b) => b,
            Err(e) => {
                send_side_messages(client, session).await?;
                return send_error(client, wire::engine_error_info(&e)).await;
            }
        };
        while let Some(result) = session.next_statement(&mut batch).await {
            send_side_messages(client, session).await?;
            let output = match result {
                Ok(output) => output,
                Err(e) => {
                    send_error(client, wire::engine_error_info(&e)).await?;
                    break;
                }
            };
            self.send_output(client, &mut batch, output, guard).await?;
        }
        let finished = session.finish_batch(batch).await;
        send_side_messages(client, session).await?;
        if let Err(e) = finished {
            send_error(client, wire::engine_error_info(&e)).await?;
        }
        Ok(())
    }

    /// Sends one statement's result; an error while its rows stream fails the string.
    async fn send_output<C>(
        &self,
        client: &mut C,
        batch: &mut Batch,
        output: QueryOutput,
        guard: &std::sync::Arc<QueryGuard>,
    ) -> PgWireResult<()>
    where
        C: ClientInfo + ClientPortalStore + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::PortalStore: PortalStore,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        let discard =
            matches!(&output, QueryOutput::Command(done) if done.command == "DISCARD ALL");
        match response(output, guard, &Format::UnifiedText)? {
            Response::Query(rows) => match send_rows(client, rows).await {
                Ok(()) => {}
                Err(PgWireError::UserError(info)) => {
                    batch.fail();
                    send_error(client, *info).await?;
                }
                Err(other) => return Err(other),
            },
            Response::Execution(tag)
            | Response::TransactionStart(tag)
            | Response::TransactionEnd(tag) => {
                client
                    .feed(PgWireBackendMessage::CommandComplete(tag.into()))
                    .await?;
            }
            Response::CopyIn(copy) => {
                send_copy_in_response(client, copy).await?;
                client.set_state(PgWireConnectionState::CopyInProgress(false));
            }
            Response::EmptyQuery => {
                client
                    .feed(PgWireBackendMessage::EmptyQueryResponse(
                        EmptyQueryResponse::new(),
                    ))
                    .await?;
            }
            Response::Error(info) => {
                batch.fail();
                send_error(client, *info).await?;
            }
            Response::CopyOut(_) | Response::CopyBoth(_) => {
                batch.fail();
                send_error(
                    client,
                    wire::engine_error_info(&lyceum_engine::EngineError::Unsupported {
                        what: "COPY TO STDOUT".into(),
                    }),
                )
                .await?;
            }
        }
        if discard {
            super::extended::forget_statements(client, self);
        }
        Ok(())
    }
}

/// RowDescription, the rows as the engine streams them, CommandComplete.
async fn send_rows<C>(client: &mut C, mut rows: QueryResponse) -> PgWireResult<()>
where
    C: Sink<PgWireBackendMessage> + Unpin + Send,
    C::Error: Debug,
    PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
{
    let fields = rows.row_schema();
    client
        .feed(PgWireBackendMessage::RowDescription(RowDescription::new(
            fields.iter().map(Into::into).collect(),
        )))
        .await?;
    let tag = rows.command_tag().to_string();
    let mut sent = 0;
    let data = rows.data_rows();
    while let Some(row) = futures::StreamExt::next(data).await {
        client.feed(PgWireBackendMessage::DataRow(row?)).await?;
        sent += 1;
    }
    client
        .feed(PgWireBackendMessage::CommandComplete(
            completion_tag(&tag, sent).into(),
        ))
        .await?;
    Ok(())
}

/// An ErrorResponse (logged with its SQLSTATE).
async fn send_error<C>(client: &mut C, info: ErrorInfo) -> PgWireResult<()>
where
    C: Sink<PgWireBackendMessage> + Unpin + Send,
    C::Error: Debug,
    PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
{
    tracing::info!(sqlstate = %info.code, "{}", info.message);
    client
        .feed(PgWireBackendMessage::ErrorResponse(info.into()))
        .await?;
    Ok(())
}
