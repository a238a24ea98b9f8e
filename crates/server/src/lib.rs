//! How bytes reach Lyceum's clients: the `lyceum` command line and the Postgres wire
//! endpoint.
//!
//! - [`cli`] declares every subcommand and flag (clap derive; every flag has a `LYCEUM_*`
//!   environment variable; precedence: flag > environment > default).
//! - `commands` holds one module per subcommand.
//! - [`pg`] serves the Postgres wire protocol over the engine's [`Session`] layer.
//! - [`error`] is the one place that maps errors to what a client sees: SQLSTATE codes on
//!   the wire, `lyceum: error: ...` lines and exit codes on the command line.
//!
//! Invariants: every endpoint runs SQL through [`lyceum_engine::session::Session`] and
//! nothing else; query results are streamed batch by batch, never collected (except for
//! the CLI's `table` format, which needs every row to size its columns); an error in one
//! statement never closes a connection, and nothing a client sends crashes the server.
//!
//! How to add a subcommand: add a variant with an `Args` struct to [`cli::Command`], a
//! module under `commands/` with `pub async fn run(args) -> Result<(), CliError>`, and a
//! line in `commands::run`; add its tests to `tests/e2e/cli.rs`.
//!
//! [`Session`]: lyceum_engine::session::Session

pub mod cli;
mod commands;
pub mod error;
pub mod flight;
pub mod lifecycle;
pub mod pg;
mod telemetry;
pub mod tls;

use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;

use crate::cli::Cli;

/// Parses the command line, runs the subcommand and turns its outcome into an exit code.
pub fn main() -> ExitCode {
    // Usage errors exit with 2 here (clap prints them); `--help` and `--version` exit 0.
    let cli = Cli::parse();
    telemetry::init(cli.command.default_log_level());
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("lyceum")
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            return error::report(&error::CliError::io("start the async runtime", e));
        }
    };
    let outcome = runtime.block_on(commands::run(cli.command));
    // Connections still open after a shutdown's grace period are dropped here.
    runtime.shutdown_timeout(Duration::from_secs(1));
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => error::report(&e),
    }
}
