//! The server loop: accept connections, one task per connection, graceful shutdown; and
//! the state every connection shares (options, the cancel-key registry, counters).

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use lyceum_engine::session::Engine;
use pgwire::tokio::TlsAcceptor;
use tokio::net::{TcpListener, TcpStream};
use tokio::runtime::Handle;
use tokio::sync::oneshot;
use tracing::{Instrument, debug, info, info_span, warn};

use super::handler::ConnectionHandlers;
use crate::lifecycle::{Admission, Drain, Slot, Work};

/// How clients prove who they are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthMethod {
    /// SCRAM-SHA-256 (RFC 7677), the default: the password never crosses the wire.
    ScramSha256,
    /// The password itself, only over TLS (for clients without SCRAM).
    Password,
}

/// How the Postgres endpoint accepts clients.
#[derive(Clone)]
pub struct PgOptions {
    pub auth: AuthMethod,
    pub tls: Option<TlsAcceptor>,
    /// Refuse connections that did not negotiate TLS.
    pub require_tls: bool,
    /// Sessions of both endpoints together; connections beyond are refused with 53300.
    pub admission: Arc<Admission>,
    /// Statements running on both endpoints, drained together at shutdown.
    pub drain: Arc<Drain>,
    /// How long running queries may take to finish after SIGTERM.
    pub grace: Duration,
    /// A connection that has not authenticated this long after it opened is closed
    /// (PostgreSQL's `authentication_timeout`): a half-sent packet holds no slot forever.
    pub authentication_timeout: Duration,
}

impl std::fmt::Debug for PgOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgOptions")
            .field("auth", &self.auth)
            .field("tls", &self.tls.is_some())
            .field("require_tls", &self.require_tls)
            .field("max_connections", &self.admission.max())
            .finish()
    }
}

/// State shared by every connection of one server.
pub(crate) struct ServerState {
    engine: Arc<Engine>,
    options: PgOptions,
    next_connection: AtomicU64,
    next_query: AtomicU64,
}

impl ServerState {
    fn new(engine: Arc<Engine>, options: PgOptions) -> Self {
        ServerState {
            engine,
            options,
            next_connection: AtomicU64::new(1),
            next_query: AtomicU64::new(1),
        }
    }

    pub(crate) fn engine(&self) -> &Arc<Engine> {
        &self.engine
    }

    pub(crate) fn options(&self) -> &PgOptions {
        &self.options
    }

    pub(crate) fn is_shutting_down(&self) -> bool {
        self.options.drain.is_stopping()
    }

    /// Counts a query as running until the returned guard (and every clone) is dropped.
    pub(crate) fn begin_query(self: &Arc<Self>) -> (u64, Arc<QueryGuard>) {
        let id = self.next_query.fetch_add(1, Ordering::Relaxed);
        (id, Arc::new(self.options.drain.begin()))
    }

    /// Takes a session's place, or `None` when `--max-connections` are in use (by
    /// either endpoint).
    pub(crate) fn admit(&self) -> Option<Slot> {
        self.options.admission.admit()
    }

    /// Cancels the statement of backend `pid` if `secret` is its key. Returns whether it
    /// did.
    pub(crate) fn cancel(&self, pid: i32, secret: i32) -> bool {
        self.engine.registry().cancel_with_secret(pid, secret)
    }
}

/// Marks one query as running while it lives (shared by the messages that stream it).
pub(crate) type QueryGuard = Work;

/// A server started by [`start`].
pub struct Running {
    done: oneshot::Receiver<()>,
}

impl Running {
    /// Completes when the server has shut down (after SIGTERM/SIGINT and the grace period).
    pub async fn stopped(self) {
        let _ = self.done.await;
    }
}

/// Serves the Postgres wire protocol on `listener` until SIGTERM or SIGINT; then stops
/// accepting, refuses new queries (FATAL 57P01) and waits up to the grace period for
/// running queries to finish. Connections still open afterwards are dropped by the
/// caller's runtime shutdown.
///
/// Queries run on the caller's (multi-threaded) runtime. Accepting connections, signals
/// and the grace timer run on a small runtime of their own, on their own thread: CPU-bound
/// queries can keep every worker of the query runtime busy for seconds, and shutdown must
/// not wait for them. When this returns, the signal handlers are installed.
pub async fn start(
    listener: std::net::TcpListener,
    engine: Arc<Engine>,
    options: PgOptions,
) -> std::io::Result<Running> {
    let queries = Handle::current();
    let (done_tx, done_rx) = oneshot::channel();
    crate::lifecycle::on_own_thread("lyceum-pg-accept", move |ready| async move {
        let setup = crate::lifecycle::shutdown_signal().and_then(|shutdown| {
            listener.set_nonblocking(true)?;
            Ok((shutdown, TcpListener::from_std(listener)?))
        });
        match setup {
            Ok((shutdown, listener)) => {
                let _ = ready.send(Ok(()));
                let grace = options.grace;
                let drain = options.drain.clone();
                let state = Arc::new(ServerState::new(engine, options));
                accept_until(listener, &state, shutdown, &queries).await;
                info!("postgres wire: no longer accepting connections");
                drain.finish(grace).await;
            }
            Err(e) => {
                let _ = ready.send(Err(e));
            }
        }
        let _ = done_tx.send(());
    })
    .await?;
    Ok(Running { done: done_rx })
}

/// Accepts connections until `shutdown` completes; each one is served on `queries`.
async fn accept_until(
    listener: TcpListener,
    state: &Arc<ServerState>,
    shutdown: impl Future<Output = ()>,
    queries: &Handle,
) {
    tokio::pin!(shutdown);
    loop {
        let (socket, peer) = tokio::select! {
            () = &mut shutdown => return,
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                // Out of file descriptors and the like: keep serving the others.
                Err(e) => {
                    warn!(error = %e, "cannot accept a connection");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
        };
        let id = state.next_connection.fetch_add(1, Ordering::Relaxed);
        let span = info_span!("connection", id, %peer);
        // Re-register the socket with the query runtime, which will drive it.
        let socket = match socket.into_std() {
            Ok(socket) => socket,
            Err(e) => {
                warn!(parent: &span, error = %e, "cannot hand over a connection");
                continue;
            }
        };
        let handlers = ConnectionHandlers::new(state.clone());
        let tls = state.options.tls.clone();
        let auth_timeout = state.options.authentication_timeout;
        queries.spawn(
            async move {
                let socket = match TcpStream::from_std(socket) {
                    Ok(socket) => socket,
                    Err(e) => {
                        warn!(error = %e, "cannot register a connection");
                        return;
                    }
                };
                debug!("connection opened");
                let terminated = handlers.terminated();
                let unauthenticated = handlers.unauthenticated_after(auth_timeout);
                tokio::select! {
                    served = pgwire::tokio::process_socket(socket, tls, handlers) => match served {
                        Ok(()) => debug!("connection closed"),
                        Err(e) => info!(
                            error = %crate::error::chain(&e),
                            "connection ended with an error"
                        ),
                    },
                    () = terminated => info!("connection closed: its session was terminated"),
                    () = unauthenticated => info!(
                        timeout_s = auth_timeout.as_secs_f64(),
                        "connection closed: no authentication within the timeout"
                    ),
                }
            }
            .instrument(span),
        );
    }
}
