//! One Postgres connection: its engine session and the state pgwire's handlers share.
//!
//! pgwire asks [`ConnectionHandlers`] for its handlers once per connection; every handler
//! shares the one [`Connection`], and through it the one engine [`Session`], created when
//! the client has authenticated (see `startup`).

use std::fmt::Debug;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use futures::{Sink, SinkExt};
use lyceum_engine::session::{Completion, Notice, QueryOutput, Session};
use pgwire::api::cancel::CancelHandler;
use pgwire::api::results::{CopyResponse, Response, Tag};
use pgwire::api::{ClientInfo, ErrorHandler, PgWireServerHandlers};
use pgwire::error::{ErrorInfo, PgWireError, PgWireResult};
use pgwire::messages::PgWireBackendMessage;
use pgwire::messages::cancel::CancelRequest;
use pgwire::messages::response::NoticeResponse;
use pgwire::messages::startup::{ParameterStatus, SecretKey};
use tokio::sync::Mutex;
use tracing::{error, info};

use super::encoding;
use super::extended::ExtendedHandler;
use super::server::{QueryGuard, ServerState};
use super::startup::AuthState;
use crate::error as wire;
use crate::lifecycle::Slot;

/// pgwire's handler factory for one connection.
pub(crate) struct ConnectionHandlers {
    connection: Arc<Connection>,
    extended: Arc<ExtendedHandler>,
    cancel: Arc<Canceling>,
}

impl ConnectionHandlers {
    pub(crate) fn new(state: Arc<ServerState>) -> Self {
        let connection = Arc::new(Connection {
            state: state.clone(),
            session: Mutex::new(None),
            auth: Mutex::new(AuthState::AwaitingStartup),
            slot: std::sync::Mutex::new(None),
            named_statements: std::sync::Mutex::new(std::collections::HashSet::new()),
            info: std::sync::OnceLock::new(),
            authenticated: tokio::sync::Notify::new(),
        });
        ConnectionHandlers {
            extended: Arc::new(ExtendedHandler::new(connection.clone())),
            connection,
            cancel: Arc::new(Canceling(state)),
        }
    }

    /// Completes `timeout` from now if the client has not authenticated by then.
    pub(crate) fn unauthenticated_after(
        &self,
        timeout: Duration,
    ) -> impl std::future::Future<Output = ()> + Send + 'static {
        let connection = self.connection.clone();
        async move {
            tokio::time::sleep(timeout).await;
            if connection.info.get().is_some() {
                std::future::pending::<()>().await;
            }
        }
    }

    /// Completes when the connection's session is terminated (`pg_terminate_backend`);
    /// never before the client has authenticated.
    pub(crate) fn terminated(&self) -> impl std::future::Future<Output = ()> + Send + 'static {
        let connection = self.connection.clone();
        async move {
            connection.authenticated.notified().await;
            match connection.info.get() {
                Some(info) => info.terminated().await,
                None => std::future::pending().await,
            }
        }
    }
}

impl PgWireServerHandlers for ConnectionHandlers {
    fn startup_handler(&self) -> Arc<impl pgwire::api::auth::StartupHandler> {
        self.connection.clone()
    }

    fn simple_query_handler(&self) -> Arc<impl pgwire::api::query::SimpleQueryHandler> {
        self.connection.clone()
    }

    fn extended_query_handler(&self) -> Arc<impl pgwire::api::query::ExtendedQueryHandler> {
        self.extended.clone()
    }

    fn error_handler(&self) -> Arc<impl ErrorHandler> {
        self.connection.clone()
    }

    fn cancel_handler(&self) -> Arc<impl CancelHandler> {
        self.cancel.clone()
    }

    fn copy_handler(&self) -> Arc<impl pgwire::api::copy::CopyHandler> {
        self.connection.clone()
    }
}

/// One client connection.
pub(crate) struct Connection {
    pub(crate) state: Arc<ServerState>,
    /// Set once the client has authenticated.
    pub(crate) session: Mutex<Option<Session>>,
    pub(crate) auth: Mutex<AuthState>,
    /// The connection's place under `--max-connections`.
    pub(crate) slot: std::sync::Mutex<Option<Slot>>,
    /// Names of the protocol-level prepared statements (duplicates are refused; `DISCARD
    /// ALL` drops them).
    pub(crate) named_statements: std::sync::Mutex<std::collections::HashSet<String>>,
    /// The session's info, once authenticated.
    pub(crate) info: std::sync::OnceLock<Arc<lyceum_engine::session::SessionInfo>>,
    /// Woken once `info` is set.
    pub(crate) authenticated: tokio::sync::Notify,
}

impl Connection {
    /// Refuses work once the server is stopping.
    pub(crate) fn check_running(&self) -> PgWireResult<()> {
        if self.state.is_shutting_down() {
            Err(wire::shutting_down())
        } else {
            Ok(())
        }
    }

    pub(crate) fn begin_query(&self) -> (u64, Arc<QueryGuard>) {
        self.state.begin_query()
    }
}

/// An engine output as a pgwire response (rows in `format`, text by default).
pub(crate) fn response(
    output: QueryOutput,
    guard: &Arc<QueryGuard>,
    format: &pgwire::api::portal::Format,
) -> PgWireResult<Response> {
    Ok(match output {
        QueryOutput::Command(done) => Response::Execution(command_tag(&done)),
        QueryOutput::TransactionStart(done) => Response::TransactionStart(command_tag(&done)),
        QueryOutput::TransactionEnd(done) => Response::TransactionEnd(command_tag(&done)),
        QueryOutput::Rows {
            schema,
            stream,
            command,
        } => {
            let mut rows = encoding::query_response(&schema, stream, guard.clone(), format)?;
            rows.set_command_tag(command);
            Response::Query(rows)
        }
        QueryOutput::CopyIn { columns } => {
            Response::CopyIn(CopyResponse::new(0, columns, futures::stream::empty()))
        }
    })
}

/// The CommandComplete tag of a row-returning statement: `SELECT n`, `FETCH n`; `SHOW`
/// alone, as PostgreSQL sends it.
pub(crate) fn completion_tag(tag: &str, rows: usize) -> Tag {
    if tag == "SHOW" {
        Tag::new(tag)
    } else {
        Tag::new(tag).with_rows(rows)
    }
}

/// The CommandComplete tag PostgreSQL sends for a command: `INSERT 0 n` (an OID, then
/// the rows), `SELECT n` for `CREATE TABLE AS` / `SELECT INTO`, `ROLLBACK` for
/// `ROLLBACK TO SAVEPOINT`, else the statement's name with its rows if it has any.
pub(crate) fn command_tag(done: &Completion) -> Tag {
    let command = match done.command.as_str() {
        "CREATE TABLE AS" | "CREATE MATERIALIZED VIEW" => "SELECT",
        "ROLLBACK TO SAVEPOINT" => "ROLLBACK",
        other => other,
    };
    let tag = Tag::new(command);
    match done.rows {
        Some(n) if command == "INSERT" => tag.with_oid(0).with_rows(n as usize),
        Some(n) => tag.with_rows(n as usize),
        None => tag,
    }
}

/// Sends what a statement left for the client besides its result: notices, warnings and
/// changed parameters (`ParameterStatus`).
pub(crate) async fn send_side_messages<C>(client: &mut C, session: &mut Session) -> PgWireResult<()>
where
    C: Sink<PgWireBackendMessage> + Unpin + Send,
    C::Error: Debug,
    PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
{
    for notice in session.take_notices() {
        client
            .feed(PgWireBackendMessage::NoticeResponse(notice_response(
                &notice,
            )))
            .await?;
    }
    for report in session.take_reports() {
        client
            .feed(PgWireBackendMessage::ParameterStatus(ParameterStatus::new(
                report.name,
                report.value,
            )))
            .await?;
    }
    Ok(())
}

fn notice_response(notice: &Notice) -> NoticeResponse {
    let (severity, code) = wire::notice_severity_and_sqlstate(notice.kind);
    ErrorInfo::new(
        severity.to_string(),
        code.to_string(),
        notice.message.clone(),
    )
    .into()
}

impl ErrorHandler for Connection {
    fn on_error<C>(&self, _client: &C, error: &mut PgWireError)
    where
        C: ClientInfo,
    {
        // Every error a client gets is logged here, with its SQLSTATE.
        match error {
            PgWireError::UserError(info) if info.code == wire::codes::INTERNAL_ERROR => error!(
                sqlstate = %info.code,
                severity = %info.severity,
                "{}",
                info.message
            ),
            PgWireError::UserError(info) => info!(
                sqlstate = %info.code,
                severity = %info.severity,
                "{}",
                info.message
            ),
            other => info!(error = %wire::chain(other), "protocol error"),
        }
    }
}

/// Answers `CancelRequest`s (psql's Ctrl-C, a driver's `cancel()`), which arrive on a
/// connection of their own.
pub(crate) struct Canceling(Arc<ServerState>);

#[async_trait]
impl CancelHandler for Canceling {
    async fn on_cancel_request(&self, request: CancelRequest) {
        // Lyceum hands out 4-byte keys; a CancelRequest carries the key as its remaining
        // bytes, which pgwire cannot tell from a longer protocol 3.2 key.
        let secret = match request.secret_key {
            SecretKey::I32(s) => s,
            SecretKey::Bytes(b) if b.len() == 4 => i32::from_be_bytes([b[0], b[1], b[2], b[3]]),
            SecretKey::Bytes(_) => {
                info!(
                    pid = request.pid,
                    "cancel request with a key of another length ignored"
                );
                return;
            }
        };
        if self.0.cancel(request.pid, secret) {
            info!(pid = request.pid, "cancel request: statement canceled");
        } else {
            // As in PostgreSQL, the sender learns nothing either way.
            info!(
                pid = request.pid,
                "cancel request for no matching backend ignored"
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tag(done: Completion) -> String {
        let tag: pgwire::messages::response::CommandComplete = command_tag(&done).into();
        tag.tag
    }

    #[test]
    fn commands_end_with_postgres_tags() {
        assert_eq!(tag(Completion::with_rows("INSERT", 5)), "INSERT 0 5");
        assert_eq!(tag(Completion::with_rows("COPY", 2)), "COPY 2");
        assert_eq!(
            tag(Completion::with_rows("CREATE TABLE AS", 12)),
            "SELECT 12"
        );
        assert_eq!(tag(Completion::new("ROLLBACK TO SAVEPOINT")), "ROLLBACK");
        assert_eq!(tag(Completion::new("CREATE TABLE")), "CREATE TABLE");
        assert_eq!(tag(Completion::new("SET")), "SET");
    }
}
