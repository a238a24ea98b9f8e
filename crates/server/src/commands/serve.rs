//! `lyceum serve`: the Postgres wire endpoint over a warehouse.

use std::net::SocketAddr;
use std::time::Duration;

use lyceum_engine::session::{CATALOG, Engine};
use lyceum_engine::warehouse::Warehouse;
use tracing::{info, warn};

use crate::cli::{ListenArgs, ServeArgs};
use crate::error::CliError;
use crate::pg;

/// The first administrator's user name (see SCHEMA.md, "Connection conventions").
const ADMIN_USER: &str = "admin";

pub async fn run(args: ServeArgs) -> Result<(), CliError> {
    let warehouse = Warehouse::open(&args.warehouse.warehouse)?;
    let listener = bind(&args.listen).await?;
    serve(warehouse, listener, &args.listen).await
}

/// Binds the Postgres wire address (port 0 picks a free port).
pub(crate) async fn bind(listen: &ListenArgs) -> Result<std::net::TcpListener, CliError> {
    let addr = listen.pg_addr.clone();
    tokio::task::spawn_blocking(move || std::net::TcpListener::bind(&addr))
        .await
        .map_err(|e| CliError::io("cannot bind", std::io::Error::other(e)))?
        .map_err(|e| CliError::io(format!("cannot listen on {}", listen.pg_addr), e))
}

/// Serves `warehouse` on `listener` until SIGTERM/SIGINT, then shuts down gracefully.
pub(crate) async fn serve(
    warehouse: Warehouse,
    listener: std::net::TcpListener,
    listen: &ListenArgs,
) -> Result<(), CliError> {
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
    let engine = Engine::new(warehouse);
    let grace = Duration::from_secs_f64(listen.shutdown_grace);
    // Signal handlers are installed when `start` returns: a signal sent right after the
    // announcement below is handled.
    let server = pg::start(listener, engine, grace)
        .await
        .map_err(|e| CliError::io("cannot start the postgres wire server", e))?;
    info!(%addr, "postgres wire listening");
    println!("{}", listening_line(addr));
    server.stopped().await;
    info!("stopped");
    Ok(())
}

/// `lyceum: postgres wire listening on 127.0.0.1:5433 (psql -h 127.0.0.1 -p 5433 -U admin
/// lyceum)`: tests and scripts parse the port from this line.
pub(crate) fn listening_line(addr: SocketAddr) -> String {
    let ip = addr.ip();
    let host = if ip.is_unspecified() {
        if ip.is_ipv4() {
            "127.0.0.1".to_string()
        } else {
            "::1".to_string()
        }
    } else {
        ip.to_string()
    };
    format!(
        "lyceum: postgres wire listening on {addr} (psql -h {host} -p {} -U {ADMIN_USER} {CATALOG})",
        addr.port()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_listening_line_names_the_bound_port() {
        let line = listening_line("127.0.0.1:40123".parse().expect("addr"));
        assert_eq!(
            line,
            "lyceum: postgres wire listening on 127.0.0.1:40123 \
             (psql -h 127.0.0.1 -p 40123 -U admin lyceum)"
        );
        let line = listening_line("0.0.0.0:5433".parse().expect("addr"));
        assert!(line.contains("psql -h 127.0.0.1 -p 5433"));
    }
}
