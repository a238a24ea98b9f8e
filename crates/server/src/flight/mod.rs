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
//! - `prepared`, `params`: prepared statements, their handles and parameters.
//! - `status`: engine errors → gRPC statuses with the SQLSTATE.
//!
//! [`Session`]: lyceum_engine::session::Session

mod metadata;
mod params;
mod prepared;
mod service;
mod sessions;
mod status;
mod stream;
mod token;

use std::sync::Arc;
use std::time::Duration;

use arrow_flight::flight_service_server::FlightServiceServer;
use lyceum_engine::session::Engine;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tonic::transport::Server;
use tonic::transport::server::TcpIncoming;
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
}

/// A Flight SQL server started by [`start`].
pub struct Running {
    serving: JoinHandle<()>,
    grace_over: oneshot::Receiver<()>,
}

impl Running {
    /// Completes when the server has stopped: every call finished after SIGTERM/SIGINT, or
    /// the grace period is over (calls still running are dropped with the runtime).
    pub async fn stopped(self) {
        tokio::select! {
            served = self.serving => {
                if let Err(e) = served {
                    error!(error = %e, "the flight sql server task failed");
                }
                info!("flight sql stopped");
            }
            _ = self.grace_over => {
                warn!("grace period over: dropping the flight sql calls still running");
            }
        }
    }
}

/// Serves Flight SQL on `listener` until SIGTERM or SIGINT, then stops accepting and lets
/// running calls finish for up to the grace period. Calls run on the caller's runtime; the
/// signal and the grace timer are watched on a thread of their own, so CPU-bound queries
/// cannot delay the stop. When this returns, the signal handlers are installed.
pub async fn start(
    listener: std::net::TcpListener,
    engine: Arc<Engine>,
    options: FlightOptions,
) -> std::io::Result<Running> {
    listener.set_nonblocking(true)?;
    let listener = tokio::net::TcpListener::from_std(listener)?;
    let watch = crate::lifecycle::watch_stop(options.grace).await?;
    let sessions = Arc::new(Sessions::new(engine, options.token_ttl));
    let service = LyceumFlight::new(sessions, options.token_ttl).map_err(std::io::Error::other)?;
    let service = FlightServiceServer::new(service).max_decoding_message_size(MAX_REQUEST_BYTES);
    let incoming = TcpIncoming::from(listener).with_nodelay(Some(true));
    let stop = watch.stop;
    let serving = tokio::spawn(async move {
        let served = Server::builder()
            .add_service(service)
            .serve_with_incoming_shutdown(incoming, async {
                let _ = stop.await;
            })
            .await;
        if let Err(e) = served {
            error!(error = %crate::error::chain(&e), "the flight sql server stopped");
        }
    });
    Ok(Running {
        serving,
        grace_over: watch.grace_over,
    })
}
