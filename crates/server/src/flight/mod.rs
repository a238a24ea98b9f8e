//! The Arrow Flight SQL endpoint (`lyceum serve --flight-addr`), for notebooks and drivers
//! (ADBC, pyarrow.flight, the Flight SQL JDBC driver).
//!
//! Built on arrow-flight's `FlightSqlService` (arrow-rs, the reference Rust implementation,
//! on tonic 0.14) rather than `datafusion-flight-sql-server`: that crate has no SqlInfo,
//! type info, updates, ingest, keys or handshake, and brings a session model of its own,
//! while Lyceum's endpoints share the engine's [`Session`] and `Auth`.
//!
//! - `service`: the handlers; each authenticates, takes the caller's session and
//!   translates.
//! - `sessions`: bearer tokens and Basic credentials → the caller's engine session.
//! - `token`: signed tokens and tickets.
//! - `stream`: result schemas and batches as clients can read them, streamed.
//! - `metadata`: the catalog commands and `SqlInfo`.
//! - `keys`: primary keys, imported and exported keys, cross references.
//! - `type_info`: the SQL types Lyceum uses, as `GetXdbcTypeInfo` describes them.
//! - `ingest`: bulk ingest requests and their record batches.
//! - `prepared`, `params`: prepared statements, their handles and parameters.
//! - `running`: the queries being streamed, by ticket, for `CancelFlightInfo`.
//! - `status`: engine errors → gRPC statuses with the SQLSTATE.
//!
//! [`Session`]: lyceum_engine::session::Session

mod ingest;
mod keys;
mod metadata;
mod params;
mod prepared;
mod running;
mod service;
mod sessions;
mod status;
mod stream;
mod token;
mod type_info;

use std::sync::Arc;
use std::time::Duration;

use arrow_flight::flight_service_server::FlightServiceServer;
use lyceum_engine::session::Engine;
use tokio::runtime::Handle;
use tokio::sync::oneshot;
use tonic::transport::server::TcpIncoming;
use tonic::transport::{Server, ServerTlsConfig};
use tracing::{error, info, warn};

use service::LyceumFlight;
use sessions::Sessions;

/// The largest message a client may send (a bulk-ingest batch, a prepared statement's
/// parameters).
const MAX_REQUEST_BYTES: usize = 64 * 1024 * 1024;

/// How the Flight SQL endpoint runs.
#[derive(Debug, Clone)]
pub struct FlightOptions {
    /// How long a bearer token (and the session it names) lives.
    pub token_ttl: Duration,
    /// How long running calls may take to finish after SIGTERM/SIGINT.
    pub grace: Duration,
    /// Serve gRPC over TLS only (`grpc+tls://`), with this certificate.
    pub tls: Option<ServerTlsConfig>,
    /// Places under `--max-connections`, shared with the Postgres wire: one per session
    /// (bearer token).
    pub admission: Arc<crate::lifecycle::Admission>,
    /// Statements running on both endpoints, drained together at shutdown.
    pub drain: Arc<crate::lifecycle::Drain>,
}

/// A Flight SQL server started by [`start`].
pub struct Running {
    serving: oneshot::Receiver<()>,
    grace_over: oneshot::Receiver<()>,
}

impl Running {
    /// Completes when the server has stopped: every call finished after SIGTERM/SIGINT, or
    /// the grace period is over (calls still running are dropped at exit).
    pub async fn stopped(self) {
        tokio::select! {
            _ = self.serving => info!("flight sql stopped"),
            _ = self.grace_over => {
                warn!("grace period over: dropping the flight sql calls still running");
            }
        }
    }
}

/// Serves Flight SQL on `listener` until SIGTERM or SIGINT, then stops accepting and lets
/// running calls finish for up to the grace period.
///
/// gRPC runs on a runtime of its own (two threads: it moves bytes); statements execute
/// and results are encoded on the caller's runtime, so a CPU-bound query cannot hold up
/// other calls, a cancel among them. The signal and the grace timer are watched on a
/// thread of their own too. When this returns, the signal handlers are installed.
pub async fn start(
    listener: std::net::TcpListener,
    engine: Arc<Engine>,
    options: FlightOptions,
) -> std::io::Result<Running> {
    listener.set_nonblocking(true)?;
    let watch = crate::lifecycle::watch_stop(options.grace).await?;
    let sessions = Arc::new(Sessions::new(
        engine,
        options.admission.clone(),
        options.token_ttl,
    ));
    let drain = options.drain.clone();
    let service = LyceumFlight::new(
        sessions,
        options.token_ttl,
        Handle::current(),
        options.drain,
    )
    .map_err(std::io::Error::other)?;
    let service = FlightServiceServer::new(service).max_decoding_message_size(MAX_REQUEST_BYTES);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("lyceum-flight")
        .enable_all()
        .build()?;
    let mut builder = Server::builder();
    if let Some(tls) = options.tls {
        builder = builder.tls_config(tls).map_err(std::io::Error::other)?;
    }
    let stop = watch.stop;
    let (served_tx, serving) = oneshot::channel();
    std::thread::Builder::new()
        .name("lyceum-flight".into())
        .spawn(move || {
            runtime.block_on(async move {
                let incoming = match tokio::net::TcpListener::from_std(listener) {
                    Ok(listener) => TcpIncoming::from(listener).with_nodelay(Some(true)),
                    Err(e) => {
                        error!(error = %e, "cannot serve flight sql");
                        return;
                    }
                };
                let served = builder
                    .add_service(service)
                    .serve_with_incoming_shutdown(incoming, async {
                        let _ = stop.await;
                        // New statements are refused on both endpoints from now on; the
                        // running ones finish within the grace period.
                        drain.refuse_new();
                        info!("flight sql: no longer accepting connections");
                    })
                    .await;
                if let Err(e) = served {
                    error!(error = %crate::error::chain(&e), "the flight sql server stopped");
                }
            });
            let _ = served_tx.send(());
            // Calls still running are dropped with the runtime, without waiting for them.
            runtime.shutdown_background();
        })?;
    Ok(Running {
        serving,
        grace_over: watch.grace_over,
    })
}
