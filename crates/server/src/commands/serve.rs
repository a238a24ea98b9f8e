//! `lyceum serve`: the Postgres wire and Flight SQL endpoints over a warehouse.

use std::net::SocketAddr;
use std::time::Duration;

use lyceum_engine::auth::Bootstrap;
use lyceum_engine::memory::format_size;
use lyceum_engine::pgcatalog::PostgresProfile;
use lyceum_engine::session::{CATALOG, Engine};
use lyceum_engine::warehouse::Warehouse;
use tracing::{info, warn};

use crate::cli::{ListenArgs, PgAuth, ServeArgs};
use crate::error::CliError;
use crate::{flight, pg};

pub async fn run(args: ServeArgs) -> Result<(), CliError> {
    let warehouse = Warehouse::open(&args.warehouse.warehouse)?;
    let listeners = bind(&args.listen).await?;
    serve(warehouse, listeners, &args.listen).await
}

/// The endpoints' bound sockets.
pub(crate) struct Listeners {
    pg: std::net::TcpListener,
    /// `None` with `--flight-addr off`.
    flight: Option<std::net::TcpListener>,
}

/// Binds the endpoints' addresses (port 0 picks a free port).
pub(crate) async fn bind(listen: &ListenArgs) -> Result<Listeners, CliError> {
    let pg = bind_one(&listen.pg_addr).await?;
    let flight = if listen.flight_addr.eq_ignore_ascii_case("off") {
        None
    } else {
        Some(bind_one(&listen.flight_addr).await?)
    };
    Ok(Listeners { pg, flight })
}

impl Listeners {
    /// The Flight SQL endpoint's bound address, if it serves.
    pub(crate) fn flight_addr(&self) -> Option<SocketAddr> {
        self.flight.as_ref().and_then(|l| l.local_addr().ok())
    }
}

/// How to read the warehouse from Python over Flight SQL, for `quickstart`.
pub(crate) fn python_snippet(addr: SocketAddr, user: &str) -> String {
    format!(
        "lyceum: from Python (pip install adbc-driver-flightsql pyarrow):\n\
         \x20   import adbc_driver_flightsql.dbapi as flightsql\n\
         \x20   conn = flightsql.connect(\"grpc://{}:{}\", db_kwargs={{\"username\": \"{user}\", \"password\": PASSWORD}})\n\
         \x20   conn.cursor().execute(\"SELECT * FROM dim_course LIMIT 5\").fetch_arrow_table()\n",
        client_host(addr),
        addr.port()
    )
}

async fn bind_one(addr: &str) -> Result<std::net::TcpListener, CliError> {
    let owned = addr.to_string();
    tokio::task::spawn_blocking(move || std::net::TcpListener::bind(&owned))
        .await
        .map_err(|e| CliError::io("cannot bind", std::io::Error::other(e)))?
        .map_err(|e| CliError::io(format!("cannot listen on {addr}"), e))
}

/// Serves `warehouse` on `listener` until SIGTERM/SIGINT, then shuts down gracefully.
pub(crate) async fn serve(
    warehouse: Warehouse,
    listeners: Listeners,
    listen: &ListenArgs,
) -> Result<(), CliError> {
    let Listeners {
        pg: listener,
        flight: flight_listener,
    } = listeners;
    match warehouse.latest().await? {
        Some(version) => info!(
            warehouse = %warehouse.url(),
            version = version.version,
            "serving warehouse"
        ),
        None => warn!(
            warehouse = %warehouse.url(),
            "the warehouse has no data yet: queries fail until `lyceum load` commits a version"
        ),
    }
    let addr = listener
        .local_addr()
        .map_err(|e| CliError::io("cannot read the bound address", e))?;
    let options = pg_options(listen)?;
    let memory = listen.memory_limits()?;
    info!(
        server = %format_size(memory.server),
        query = %format_size(memory.query),
        "memory limits"
    );
    // Lyceum's SQL is PostgreSQL's on both endpoints: one profile, the same answers.
    let engine = Engine::with_memory(warehouse, memory, PostgresProfile::new()?)?;
    bootstrap_admin(&engine, listen).await?;
    // Signal handlers are installed when `start` returns: a signal sent right after the
    // announcement below is handled.
    // Flight first: the Postgres line is the one scripts wait for, and by then both
    // endpoints serve.
    let flight = match flight_listener {
        Some(listener) => {
            let flight_addr = listener
                .local_addr()
                .map_err(|e| CliError::io("cannot read the bound address", e))?;
            let tls = match (&listen.tls_cert, &listen.tls_key) {
                (Some(cert), Some(key)) => Some(crate::tls::flight_config(cert, key)?),
                _ => None,
            };
            let tls_on = tls.is_some();
            let options = flight::FlightOptions {
                token_ttl: Duration::from_secs_f64(listen.flight_token_ttl),
                grace: Duration::from_secs_f64(listen.shutdown_grace),
                tls,
                admission: options.admission.clone(),
                drain: options.drain.clone(),
            };
            let running = flight::start(listener, engine.clone(), options)
                .await
                .map_err(|e| CliError::io("cannot start the flight sql server", e))?;
            info!(addr = %flight_addr, "flight sql listening");
            println!("{}", flight_listening_line(flight_addr, tls_on));
            Some(running)
        }
        None => None,
    };
    let server = pg::start(listener, engine, options)
        .await
        .map_err(|e| CliError::io("cannot start the postgres wire server", e))?;
    info!(%addr, "postgres wire listening");
    println!("{}", listening_line(addr, &listen.admin_user));
    match flight {
        Some(flight) => {
            tokio::join!(server.stopped(), flight.stopped());
        }
        None => server.stopped().await,
    }
    info!("stopped");
    Ok(())
}

/// The endpoint's options from the command line; an error for combinations that would be
/// insecure or cannot work.
fn pg_options(listen: &ListenArgs) -> Result<pg::PgOptions, CliError> {
    let tls = match (&listen.tls_cert, &listen.tls_key) {
        (Some(cert), Some(key)) => Some(crate::tls::pg_acceptor(cert, key)?),
        _ => None,
    };
    if listen.require_tls && tls.is_none() {
        return Err(CliError::Usage(
            "--require-tls needs --tls-cert and --tls-key".into(),
        ));
    }
    let auth = match listen.auth {
        PgAuth::ScramSha256 => pg::AuthMethod::ScramSha256,
        PgAuth::Password if tls.is_none() => {
            return Err(CliError::Usage(
                "--auth password sends passwords in the clear: it needs --tls-cert and --tls-key"
                    .into(),
            ));
        }
        PgAuth::Password => pg::AuthMethod::Password,
    };
    Ok(pg::PgOptions {
        auth,
        tls,
        require_tls: listen.require_tls,
        admission: crate::lifecycle::Admission::new(listen.max_connections as usize),
        drain: crate::lifecycle::Drain::new(),
        grace: Duration::from_secs_f64(listen.shutdown_grace),
        authentication_timeout: Duration::from_secs_f64(listen.authentication_timeout),
    })
}

/// Creates the first administrator when the warehouse has no users: with
/// `LYCEUM_ADMIN_PASSWORD`, the password file, or a random password printed once.
async fn bootstrap_admin(engine: &Engine, listen: &ListenArgs) -> Result<(), CliError> {
    let from_env = std::env::var("LYCEUM_ADMIN_PASSWORD")
        .ok()
        .filter(|p| !p.is_empty());
    let password = match (from_env, &listen.admin_password_file) {
        (Some(p), _) => Some(p),
        (None, Some(file)) => {
            let text = std::fs::read_to_string(file).map_err(|e| {
                CliError::io(
                    format!("cannot read the password file {}", file.display()),
                    e,
                )
            })?;
            let first = text.lines().next().unwrap_or_default().to_string();
            if first.is_empty() {
                return Err(CliError::Usage(format!(
                    "the password file {} is empty",
                    file.display()
                )));
            }
            Some(first)
        }
        (None, None) => None,
    };
    match engine
        .auth()
        .bootstrap(&listen.admin_user, password.as_deref())
        .await?
    {
        Bootstrap::Existing => {}
        Bootstrap::Created => println!(
            "lyceum: created the administrator \"{}\" with the password given",
            listen.admin_user
        ),
        Bootstrap::Generated(password) => println!(
            "lyceum: created the administrator \"{}\" with password {password} \
             (shown once; only its SCRAM verifier is stored)",
            listen.admin_user
        ),
    }
    Ok(())
}

/// `lyceum: flight sql listening on 127.0.0.1:50051 (grpc://127.0.0.1:50051)`: tests parse
/// the port from this line.
pub(crate) fn flight_listening_line(addr: SocketAddr, tls: bool) -> String {
    format!(
        "lyceum: flight sql listening on {addr} ({}://{}:{})",
        if tls { "grpc+tls" } else { "grpc" },
        client_host(addr),
        addr.port()
    )
}

/// The host a client on this machine connects to for a server bound to `addr`.
fn client_host(addr: SocketAddr) -> String {
    let ip = addr.ip();
    if ip.is_unspecified() {
        if ip.is_ipv4() {
            "127.0.0.1".to_string()
        } else {
            "::1".to_string()
        }
    } else {
        ip.to_string()
    }
}

/// `lyceum: postgres wire listening on 127.0.0.1:5433 (psql -h 127.0.0.1 -p 5433 -U admin
/// lyceum)`: tests and scripts parse the port from this line.
pub(crate) fn listening_line(addr: SocketAddr, user: &str) -> String {
    let host = client_host(addr);
    format!(
        "lyceum: postgres wire listening on {addr} (psql -h {host} -p {} -U {user} {CATALOG})",
        addr.port()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_listening_line_names_the_bound_port() {
        let line = listening_line("127.0.0.1:40123".parse().expect("addr"), "admin");
        assert_eq!(
            line,
            "lyceum: postgres wire listening on 127.0.0.1:40123 \
             (psql -h 127.0.0.1 -p 40123 -U admin lyceum)"
        );
        let line = listening_line("0.0.0.0:5433".parse().expect("addr"), "admin");
        assert!(line.contains("psql -h 127.0.0.1 -p 5433"));
    }
}
