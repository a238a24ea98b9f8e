//! The extended query protocol: Parse / Bind / Describe / Execute / Sync / Flush / Close.
//!
//! A `Parse` prepares the statement in the engine (planned once, re-planned if the
//! warehouse moved on); `Describe` reports parameter types inferred from the plan (the
//! client's where it gave them; text where nothing is known) and the row description in
//! the portal's formats; `Execute` streams rows batch by batch, stopping after `max_rows`
//! with `PortalSuspended` and resuming on the next `Execute`. Nothing is collected: pgwire's
//! default `Execute` gathers a whole portal into memory, so Lyceum replaces it.

use std::fmt::Debug;
use std::ops::DerefMut;
use std::sync::Arc;

use arrow::datatypes::DataType;
use async_trait::async_trait;
use futures::{Sink, SinkExt, StreamExt};
use lyceum_engine::session::Prepared;
use pgwire::api::portal::{Format, Portal, PortalExecutionState};
use pgwire::api::query::ExtendedQueryHandler;
use pgwire::api::results::{
    DescribePortalResponse, DescribeStatementResponse, FieldInfo, Response,
};
use pgwire::api::stmt::{QueryParser, StoredStatement};
use pgwire::api::store::{Entry, PortalStore};
use pgwire::api::{ClientInfo, ClientPortalStore, DEFAULT_NAME, PgWireConnectionState, Type};
use pgwire::error::{ErrorInfo, PgWireError, PgWireResult};
use pgwire::messages::PgWireBackendMessage;
use pgwire::messages::extendedquery::{
    Close, CloseComplete, Execute, Parse, ParseComplete, PortalSuspended,
    TARGET_TYPE_BYTE_STATEMENT,
};
use pgwire::messages::response::{EmptyQueryResponse, TransactionStatus};
use tracing::{Instrument, debug, info_span};

use super::encoding;
use super::handler::{Connection, completion_tag, response, send_side_messages};
use crate::error as wire;

/// The statement pgwire keeps for a `Parse`.
pub(crate) type Statement = Arc<Prepared>;

/// Runs extended-protocol statements in the connection's session.
pub(crate) struct ExtendedHandler {
    connection: Arc<Connection>,
    planner: Arc<Planner>,
}

impl ExtendedHandler {
    pub(crate) fn new(connection: Arc<Connection>) -> Self {
        ExtendedHandler {
            planner: Arc::new(Planner {
                connection: connection.clone(),
            }),
            connection,
        }
    }
}

/// Prepares a `Parse`'s statement in the engine.
pub(crate) struct Planner {
    connection: Arc<Connection>,
}

/// `DISCARD ALL` also drops protocol-level prepared statements and portals.
pub(crate) fn forget_statements<C>(client: &C, connection: &Connection)
where
    C: ClientPortalStore,
    C::PortalStore: PortalStore,
{
    let store = client.portal_store();
    let names: Vec<String> = connection
        .named_statements
        .lock()
        .map(|mut n| n.drain().collect())
        .unwrap_or_default();
    for name in names {
        store.rm_statement(&name);
    }
    store.clear_portals();
}

/// The parameter types to report: the client's where it named one, else the engine's,
/// else text (PostgreSQL resolves an unknown parameter as text).
fn reported_types(statement: &StoredStatement<Statement>) -> Vec<Type> {
    let engine = statement.statement.param_types();
    let n = engine.len().max(statement.parameter_types.len());
    (0..n)
        .map(|i| {
            statement
                .parameter_types
                .get(i)
                .cloned()
                .flatten()
                .filter(|t| *t != Type::UNKNOWN)
                .or_else(|| {
                    engine
                        .get(i)
                        .cloned()
                        .flatten()
                        .and_then(|dt| encoding::pg_type(&dt).ok())
                })
                .unwrap_or(Type::TEXT)
        })
        .collect()
}

#[async_trait]
impl QueryParser for Planner {
    type Statement = Statement;

    async fn parse_sql<C>(
        &self,
        _client: &C,
        sql: &str,
        types: &[Option<Type>],
    ) -> PgWireResult<Option<Self::Statement>>
    where
        C: ClientInfo + Unpin + Send + Sync,
    {
        self.connection.check_running()?;
        let declared: Vec<Option<DataType>> = types
            .iter()
            .map(|t| t.as_ref().and_then(encoding::arrow_type))
            .collect();
        let mut session = self.connection.session.lock().await;
        let session = session
            .as_mut()
            .ok_or_else(|| wire::internal("the connection has no session"))?;
        let span = info_span!("parse", pid = session.info().pid);
        let prepared = session
            .prepare(sql, &declared)
            .instrument(span)
            .await
            .map_err(|e| wire::to_pg(&e))?;
        Ok(Some(Arc::new(prepared)))
    }

    fn get_parameter_types(&self, statement: &Self::Statement) -> PgWireResult<Vec<Type>> {
        statement
            .param_types()
            .iter()
            .map(|t| match t {
                Some(dt) => encoding::pg_type(dt),
                None => Ok(Type::TEXT),
            })
            .collect()
    }

    fn get_result_schema(
        &self,
        statement: &Self::Statement,
        format: Option<&Format>,
    ) -> PgWireResult<Vec<FieldInfo>> {
        match statement.schema() {
            Some(schema) => Ok(
                encoding::fields(schema, format.unwrap_or(&Format::UnifiedText))?
                    .as_ref()
                    .clone(),
            ),
            None => Ok(vec![]),
        }
    }
}

#[async_trait]
impl ExtendedQueryHandler for ExtendedHandler {
    type Statement = Statement;
    type QueryParser = Planner;

    fn query_parser(&self) -> Arc<Self::QueryParser> {
        self.planner.clone()
    }

    async fn on_parse<C>(&self, client: &mut C, message: Parse) -> PgWireResult<()>
    where
        C: ClientInfo + ClientPortalStore + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::PortalStore: PortalStore<Statement = Self::Statement>,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        let name = message
            .name
            .clone()
            .unwrap_or_else(|| DEFAULT_NAME.to_owned());
        let named = &self.connection.named_statements;
        if name != DEFAULT_NAME && named.lock().map(|n| n.contains(&name)).unwrap_or(false) {
            return Err(wire::duplicate_prepared(&name));
        }
        match StoredStatement::parse(client, &message, self.planner.clone()).await? {
            Some(statement) => client.portal_store().put_statement(Arc::new(statement)),
            None => client.portal_store().put_empty_statement(&name),
        }
        if name != DEFAULT_NAME
            && let Ok(mut named) = named.lock()
        {
            named.insert(name);
        }
        client
            .send(PgWireBackendMessage::ParseComplete(ParseComplete::new()))
            .await?;
        Ok(())
    }

    async fn on_close<C>(&self, client: &mut C, message: Close) -> PgWireResult<()>
    where
        C: ClientInfo + ClientPortalStore + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::PortalStore: PortalStore<Statement = Self::Statement>,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        let name = message.name.as_deref().unwrap_or(DEFAULT_NAME);
        if message.target_type == TARGET_TYPE_BYTE_STATEMENT {
            client.portal_store().rm_statement(name);
            if let Ok(mut named) = self.connection.named_statements.lock() {
                named.remove(name);
            }
        } else {
            client.portal_store().rm_portal(name);
        }
        client
            .send(PgWireBackendMessage::CloseComplete(CloseComplete::new()))
            .await?;
        Ok(())
    }

    async fn do_describe_statement<C>(
        &self,
        _client: &mut C,
        target: &StoredStatement<Self::Statement>,
    ) -> PgWireResult<DescribeStatementResponse>
    where
        C: ClientInfo + ClientPortalStore + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::PortalStore: PortalStore<Statement = Self::Statement>,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        let fields = self.planner.get_result_schema(&target.statement, None)?;
        Ok(DescribeStatementResponse::new(
            reported_types(target),
            fields,
        ))
    }

    async fn do_describe_portal<C>(
        &self,
        _client: &mut C,
        target: &Portal<Self::Statement>,
    ) -> PgWireResult<DescribePortalResponse>
    where
        C: ClientInfo + ClientPortalStore + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::PortalStore: PortalStore<Statement = Self::Statement>,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        let fields = self.planner.get_result_schema(
            &target.statement.statement,
            Some(&target.result_column_format),
        )?;
        Ok(DescribePortalResponse::new(fields))
    }

    async fn on_execute<C>(&self, client: &mut C, message: Execute) -> PgWireResult<()>
    where
        C: ClientInfo + ClientPortalStore + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::PortalStore: PortalStore<Statement = Self::Statement>,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        if !matches!(client.state(), PgWireConnectionState::ReadyForQuery) {
            return Err(PgWireError::NotReadyForQuery);
        }
        let name = message.name.as_deref().unwrap_or(DEFAULT_NAME);
        let max_rows = usize::try_from(message.max_rows).unwrap_or(0);
        let portal = match client.portal_store().get_portal(name) {
            Some(Entry::Value(portal)) => portal,
            Some(Entry::Empty) => {
                client
                    .feed(PgWireBackendMessage::EmptyQueryResponse(
                        EmptyQueryResponse::new(),
                    ))
                    .await?;
                return Ok(());
            }
            None => return Err(PgWireError::PortalNotFound(name.to_owned())),
        };
        client.set_state(PgWireConnectionState::QueryInProgress);
        let result = self.execute_portal(client, &portal, max_rows).await;
        // A `COPY ... FROM STDIN` leaves the connection taking its data.
        if !matches!(client.state(), PgWireConnectionState::CopyInProgress(_)) {
            client.set_state(PgWireConnectionState::ReadyForQuery);
        }
        result
    }

    async fn do_query<C>(
        &self,
        client: &mut C,
        portal: &Portal<Self::Statement>,
        _max_rows: usize,
    ) -> PgWireResult<Response>
    where
        C: ClientInfo + ClientPortalStore + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::PortalStore: PortalStore<Statement = Self::Statement>,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        self.connection.check_running()?;
        let prepared = portal.statement.statement.clone();
        let reported = reported_types(&portal.statement);
        let params = encoding::decode_parameters(portal, prepared.param_types(), &reported)?;
        let (id, guard) = self.connection.begin_query();
        async {
            let mut session = self.connection.session.lock().await;
            let session = session
                .as_mut()
                .ok_or_else(|| wire::internal("the connection has no session"))?;
            let output = session.execute_prepared(&prepared, params).await;
            send_side_messages(client, session).await?;
            let status = session.transaction_status();
            client.set_transaction_status(transaction_status(status));
            match output {
                Ok(output) => response(output, &guard, &portal.result_column_format),
                Err(e) => Err(wire::to_pg(&e)),
            }
        }
        .instrument(info_span!("execute", id))
        .await
    }
}

pub(crate) fn transaction_status(
    status: lyceum_engine::session::TransactionStatus,
) -> TransactionStatus {
    use lyceum_engine::session::TransactionStatus as S;
    match status {
        S::Idle => TransactionStatus::Idle,
        S::InTransaction => TransactionStatus::Transaction,
        S::Failed => TransactionStatus::Error,
    }
}

impl ExtendedHandler {
    /// Runs a portal (the first `Execute`) or resumes it, sending up to `max_rows` rows
    /// (all when 0) straight from the engine's stream.
    async fn execute_portal<C>(
        &self,
        client: &mut C,
        portal: &Portal<Statement>,
        max_rows: usize,
    ) -> PgWireResult<()>
    where
        C: ClientInfo + ClientPortalStore + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::PortalStore: PortalStore<Statement = Statement>,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        let state = portal.state();
        let mut state = state.lock().await;
        if matches!(*state, PortalExecutionState::Initial) {
            match self.do_query(client, portal, max_rows).await? {
                Response::Query(rows) => *state = PortalExecutionState::Suspended(rows),
                other => {
                    *state = PortalExecutionState::Finished;
                    return finish_command(client, other).await;
                }
            }
        }
        let PortalExecutionState::Suspended(rows) = state.deref_mut() else {
            // Executing a portal that has run to completion returns no more rows.
            client
                .send(PgWireBackendMessage::CommandComplete(
                    completion_tag("SELECT", 0).into(),
                ))
                .await?;
            return Ok(());
        };
        let mut sent = 0usize;
        let tag = rows.command_tag().to_string();
        let data = rows.data_rows();
        while max_rows == 0 || sent < max_rows {
            match data.next().await {
                Some(Ok(row)) => {
                    client.feed(PgWireBackendMessage::DataRow(row)).await?;
                    sent += 1;
                }
                Some(Err(e)) => {
                    *state = PortalExecutionState::Finished;
                    return Err(e);
                }
                None => {
                    *state = PortalExecutionState::Finished;
                    client
                        .send(PgWireBackendMessage::CommandComplete(
                            completion_tag(&tag, sent).into(),
                        ))
                        .await?;
                    return Ok(());
                }
            }
        }
        debug!(sent, "portal suspended");
        client
            .send(PgWireBackendMessage::PortalSuspended(PortalSuspended::new()))
            .await?;
        Ok(())
    }
}

/// The messages that end a statement without rows.
async fn finish_command<C>(client: &mut C, response: Response) -> PgWireResult<()>
where
    C: ClientInfo + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
    C::Error: Debug,
    PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
{
    match response {
        Response::Execution(tag)
        | Response::TransactionStart(tag)
        | Response::TransactionEnd(tag) => {
            client
                .send(PgWireBackendMessage::CommandComplete(tag.into()))
                .await?;
        }
        Response::EmptyQuery => {
            client
                .send(PgWireBackendMessage::EmptyQueryResponse(
                    EmptyQueryResponse::new(),
                ))
                .await?;
        }
        Response::Error(e) => {
            client
                .send(PgWireBackendMessage::ErrorResponse((*e).into()))
                .await?;
        }
        Response::CopyIn(copy) => {
            pgwire::api::copy::send_copy_in_response(client, copy).await?;
            client.set_state(PgWireConnectionState::CopyInProgress(true));
        }
        _ => {
            return Err(PgWireError::UserError(Box::new(ErrorInfo::new(
                "ERROR".into(),
                "0A000".into(),
                "COPY TO STDOUT is not supported".into(),
            ))));
        }
    }
    Ok(())
}
