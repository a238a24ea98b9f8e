//! One Postgres connection: its engine session and pgwire's handler traits over it.
//!
//! pgwire asks [`ConnectionHandlers`] for its handlers once per connection, so every
//! handler shares the one [`Connection`], and through it the one engine [`Session`],
//! created when the client's startup message is accepted.

use std::fmt::Debug;
use std::sync::Arc;

use async_trait::async_trait;
use futures::Sink;
use lyceum_engine::session::{CATALOG, QueryOutput, Session};
use pgwire::api::auth::{
    DefaultServerParameterProvider, StartupHandler, finish_authentication, protocol_negotiation,
    save_startup_parameters_to_metadata,
};
use pgwire::api::query::SimpleQueryHandler;
use pgwire::api::results::{Response, Tag};
use pgwire::api::store::PortalStore;
use pgwire::api::{
    ClientInfo, ClientPortalStore, ErrorHandler, METADATA_DATABASE, METADATA_USER,
    PgWireServerHandlers, PidSecretKeyGenerator,
};
use pgwire::error::{PgWireError, PgWireResult};
use pgwire::messages::{PgWireBackendMessage, PgWireFrontendMessage};
use tokio::sync::Mutex;
use tracing::{Instrument, debug, error, info, info_span};

use super::encoding;
use super::server::ServerState;
use crate::error as wire;

/// pgwire's handler factory for one connection.
pub(crate) struct ConnectionHandlers {
    connection: Arc<Connection>,
}

impl ConnectionHandlers {
    pub(crate) fn new(state: Arc<ServerState>) -> Self {
        ConnectionHandlers {
            connection: Arc::new(Connection {
                state,
                session: Mutex::new(None),
            }),
        }
    }
}

impl PgWireServerHandlers for ConnectionHandlers {
    fn startup_handler(&self) -> Arc<impl StartupHandler> {
        self.connection.clone()
    }

    fn simple_query_handler(&self) -> Arc<impl SimpleQueryHandler> {
        self.connection.clone()
    }

    fn error_handler(&self) -> Arc<impl ErrorHandler> {
        self.connection.clone()
    }
}

/// One client connection.
pub(crate) struct Connection {
    state: Arc<ServerState>,
    /// Set once the startup message is accepted; queries before that cannot arrive.
    session: Mutex<Option<Session>>,
}

fn server_parameters() -> DefaultServerParameterProvider {
    let mut params = DefaultServerParameterProvider::default();
    // Clients parse the leading number to pick features: speak like PostgreSQL 16.
    params.server_version = format!("16.6 (Lyceum {})", env!("CARGO_PKG_VERSION"));
    params
}

#[async_trait]
impl StartupHandler for Connection {
    async fn on_startup<C>(
        &self,
        client: &mut C,
        message: PgWireFrontendMessage,
    ) -> PgWireResult<()>
    where
        C: ClientInfo + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        // Authentication comes with the next issue: any user is accepted for now.
        let PgWireFrontendMessage::Startup(startup) = message else {
            return Ok(());
        };
        protocol_negotiation(client, &startup).await?;
        save_startup_parameters_to_metadata(client, &startup);
        let user = client.metadata().get(METADATA_USER).cloned();
        // libpq sends the user name as the database when none is given; so do we.
        let database = client
            .metadata()
            .get(METADATA_DATABASE)
            .or(user.as_ref())
            .cloned()
            .unwrap_or_default();
        if database != CATALOG {
            info!(
                ?user,
                database, "refusing a connection to an unknown database"
            );
            return Err(wire::unknown_database(&database));
        }
        let session = self.state.engine().session().map_err(|e| wire::fatal(&e))?;
        *self.session.lock().await = Some(session);
        let (pid, secret_key) = self.state.pids().generate(&*client);
        client.set_pid_and_secret_key(pid, secret_key);
        finish_authentication(client, &server_parameters()).await?;
        info!(?user, pid, "client connected");
        Ok(())
    }
}

#[async_trait]
impl SimpleQueryHandler for Connection {
    async fn do_query<C>(&self, _client: &mut C, query: &str) -> PgWireResult<Vec<Response>>
    where
        C: ClientInfo + ClientPortalStore + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::PortalStore: PortalStore,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        if self.state.is_shutting_down() {
            return Err(wire::shutting_down());
        }
        let (id, guard) = self.state.begin_query();
        async {
            debug!(sql = query, "simple query");
            let mut session = self.session.lock().await;
            let session = session
                .as_mut()
                .ok_or_else(|| wire::internal("the connection has no session"))?;
            let outputs = session.execute(query).await.map_err(|e| wire::to_pg(&e))?;
            outputs
                .into_iter()
                .map(|output| match output {
                    QueryOutput::Command { tag } => Ok(Response::Execution(Tag::new(&tag))),
                    QueryOutput::Rows { schema, stream } => Ok(Response::Query(
                        encoding::query_response(&schema, stream, guard.clone())?,
                    )),
                })
                .collect()
        }
        .instrument(info_span!("query", id))
        .await
    }
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
