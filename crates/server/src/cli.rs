//! The command line, declared with clap derive. Every flag can also be set with a
//! `LYCEUM_*` environment variable; a flag given on the command line wins over the
//! variable, which wins over the default.

use std::path::PathBuf;

use chrono::NaiveDate;
use clap::{Args, Parser, Subcommand, ValueEnum};
use lyceum_engine::memory::MemoryLimits;

use crate::error::CliError;

/// The generator's default seed.
pub const DEFAULT_SEED: u64 = 42;
/// The generator's default extract date (inside Spring 2025).
pub const DEFAULT_AS_OF: &str = "2025-03-15";

/// Lyceum: an embedded analytical database for education analytics.
///
/// Start with `lyceum quickstart`: it generates a sample university, loads it and serves
/// it over the Postgres wire protocol.
#[derive(Debug, Parser)]
#[command(name = "lyceum", version, propagate_version = true)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Write a synthetic university's source extracts (SIS, LMS, attendance, survey).
    Generate(GenerateArgs),
    /// Load source extracts into the warehouse and print a data-quality summary.
    Load(LoadArgs),
    /// Run SQL against the warehouse and print the result of the last query.
    Sql(SqlArgs),
    /// Serve the warehouse over the Postgres wire protocol until SIGTERM or Ctrl-C.
    Serve(ServeArgs),
    /// Generate a sample, load it and serve it: the quickest way to try Lyceum.
    Quickstart(QuickstartArgs),
}

impl Command {
    /// The log level used when neither `LYCEUM_LOG` nor `RUST_LOG` is set.
    pub fn default_log_level(&self) -> &'static str {
        match self {
            // The Delta kernel logs as ERROR what the engine reports (or handles) itself.
            Command::Serve(_) | Command::Quickstart(_) => {
                "warn,lyceum_server=info,lyceum_engine=info,lyceum_catalog=info,buoyant_kernel=off"
            }
            _ => "warn,buoyant_kernel=off",
        }
    }
}

/// Where the warehouse lives.
#[derive(Debug, Clone, Args)]
pub struct WarehouseArgs {
    /// The warehouse: a local directory, a file:// URL or an s3://bucket/prefix URL (S3
    /// endpoint and credentials come from the AWS_* environment variables).
    #[arg(
        long,
        value_name = "URL",
        env = "LYCEUM_WAREHOUSE",
        default_value = "./warehouse"
    )]
    pub warehouse: String,
}

#[derive(Debug, Clone, Args)]
pub struct GenerateArgs {
    /// Scale factor: 1 is a mid-size university (~30,000 students a term, 5 years).
    #[arg(long, value_name = "SF", env = "LYCEUM_SCALE", value_parser = positive_f64)]
    pub scale: f64,

    /// Directory to write the extract into (created if missing).
    #[arg(long, value_name = "DIR", env = "LYCEUM_GENERATE_OUT")]
    pub out: PathBuf,

    /// Random seed: the same seed, scale, as-of date and dirty rate give identical files.
    #[arg(long, value_name = "N", env = "LYCEUM_SEED", default_value_t = DEFAULT_SEED)]
    pub seed: u64,

    /// Fraction of rows given one data-quality defect (0 to 0.5).
    #[arg(
        long,
        value_name = "R",
        env = "LYCEUM_DIRTY_RATE",
        default_value_t = 0.0,
        value_parser = non_negative_f64
    )]
    pub dirty_rate: f64,

    /// The extract's date: nothing dated later exists in it.
    #[arg(
        long,
        value_name = "YYYY-MM-DD",
        env = "LYCEUM_GENERATE_AS_OF",
        default_value = DEFAULT_AS_OF,
        value_parser = iso_date
    )]
    pub as_of: NaiveDate,
}

#[derive(Debug, Clone, Args)]
pub struct LoadArgs {
    /// The extract directory to load (as written by `lyceum generate`).
    #[arg(long, value_name = "DIR", env = "LYCEUM_SOURCE")]
    pub source: PathBuf,

    #[command(flatten)]
    pub warehouse: WarehouseArgs,

    /// How many times to retry after another writer committed first.
    #[arg(
        long,
        value_name = "N",
        env = "LYCEUM_MAX_RETRIES",
        default_value_t = 3
    )]
    pub max_retries: u32,

    /// Print the load report as JSON on stdout instead of the summary.
    #[arg(long, env = "LYCEUM_LOAD_JSON")]
    pub json: bool,
}

/// How `lyceum sql` prints rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    /// An aligned text table with a row count.
    Table,
    /// A header line, then one line per row; NULL is an empty field.
    Csv,
    /// One JSON object per row and line; NULL is null.
    Json,
}

#[derive(Debug, Clone, Args)]
pub struct SqlArgs {
    #[command(flatten)]
    pub warehouse: WarehouseArgs,

    /// Output format.
    #[arg(
        long,
        value_name = "FORMAT",
        env = "LYCEUM_FORMAT",
        value_enum,
        default_value_t = OutputFormat::Table
    )]
    pub format: OutputFormat,

    /// Read this warehouse version instead of the latest (runs `SET lyceum.as_of = N` first).
    #[arg(long, value_name = "N", env = "LYCEUM_AS_OF")]
    pub as_of: Option<u64>,

    /// The SQL to run; `-` reads it from stdin. Statements are separated by `;` and run in
    /// order; the rows of the last statement that returns rows are printed.
    #[arg(value_name = "SQL")]
    pub sql: String,
}

/// How the servers listen and stop.
#[derive(Debug, Clone, Args)]
pub struct ListenArgs {
    /// Address of the Postgres wire endpoint (port 0 picks a free port; the address
    /// actually bound is printed).
    #[arg(
        long,
        value_name = "HOST:PORT",
        env = "LYCEUM_PG_ADDR",
        default_value = "127.0.0.1:5433"
    )]
    pub pg_addr: String,

    /// Address of the Arrow Flight SQL endpoint (ADBC, pyarrow.flight, Flight SQL JDBC);
    /// port 0 picks a free port; `off` serves Postgres wire only.
    #[arg(
        long,
        value_name = "HOST:PORT",
        env = "LYCEUM_FLIGHT_ADDR",
        default_value = "127.0.0.1:50051"
    )]
    pub flight_addr: String,

    /// Seconds a Flight SQL bearer token (from Handshake) and its session live.
    #[arg(
        long,
        value_name = "SECONDS",
        env = "LYCEUM_FLIGHT_TOKEN_TTL",
        default_value_t = 3600.0,
        value_parser = non_negative_f64
    )]
    pub flight_token_ttl: f64,

    /// Seconds that running queries may take to finish after SIGTERM or Ctrl-C.
    #[arg(
        long,
        value_name = "SECONDS",
        env = "LYCEUM_SHUTDOWN_GRACE",
        default_value_t = 5.0,
        value_parser = non_negative_f64
    )]
    pub shutdown_grace: f64,

    /// The first administrator, created with `LYCEUM_ADMIN_PASSWORD` (or
    /// --admin-password-file, or a random password printed once) when the warehouse has
    /// no users yet.
    #[arg(
        long,
        value_name = "NAME",
        env = "LYCEUM_ADMIN_USER",
        default_value = "admin"
    )]
    pub admin_user: String,

    /// A file holding the first administrator's password (its first line). The
    /// `LYCEUM_ADMIN_PASSWORD` environment variable, if set, is used instead. Ignored once
    /// users exist.
    #[arg(long, value_name = "FILE", env = "LYCEUM_ADMIN_PASSWORD_FILE")]
    pub admin_password_file: Option<PathBuf>,

    /// How Postgres clients authenticate: `scram-sha-256` (the password never crosses the
    /// wire) or `password` (cleartext, accepted only over TLS; needs --tls-cert).
    #[arg(
        long,
        value_name = "METHOD",
        env = "LYCEUM_PG_AUTH",
        default_value = "scram-sha-256"
    )]
    pub auth: PgAuth,

    /// TLS certificate chain (PEM) for both endpoints; with --tls-key. Postgres clients
    /// may then ask for TLS; Flight SQL serves only TLS (`grpc+tls://`).
    #[arg(
        long,
        value_name = "FILE",
        env = "LYCEUM_TLS_CERT",
        requires = "tls_key"
    )]
    pub tls_cert: Option<PathBuf>,

    /// TLS private key (PEM) for --tls-cert.
    #[arg(
        long,
        value_name = "FILE",
        env = "LYCEUM_TLS_KEY",
        requires = "tls_cert"
    )]
    pub tls_key: Option<PathBuf>,

    /// Refuse Postgres connections that do not use TLS (needs --tls-cert).
    #[arg(long, env = "LYCEUM_REQUIRE_TLS")]
    pub require_tls: bool,

    /// Most sessions served at once, Postgres connections and Flight SQL sessions (one per
    /// bearer token) together; more are refused with SQLSTATE 53300 (Flight:
    /// RESOURCE_EXHAUSTED).
    #[arg(
        long,
        value_name = "N",
        env = "LYCEUM_MAX_CONNECTIONS",
        default_value_t = 100,
        value_parser = clap::value_parser!(u32).range(1..)
    )]
    pub max_connections: u32,

    /// Seconds a client has to complete authentication after connecting; slower (or
    /// half-sent) connections are closed (PostgreSQL's `authentication_timeout`).
    #[arg(
        long,
        value_name = "SECONDS",
        env = "LYCEUM_AUTHENTICATION_TIMEOUT",
        default_value_t = 60.0,
        value_parser = positive_f64
    )]
    pub authentication_timeout: f64,

    /// Memory all queries together may hold (sorts, aggregates, joins), e.g. `4GiB`,
    /// `512MB` or `25%` of the machine; default 50% of the machine's memory (or of its
    /// cgroup limit). Sorts and aggregates spill to --temp-dir past their share; a query
    /// that still cannot fit fails with SQLSTATE 53200 and the server goes on.
    #[arg(long, value_name = "SIZE", env = "LYCEUM_MEMORY_LIMIT", value_parser = memory_size)]
    pub memory_limit: Option<usize>,

    /// Memory one query may hold, so that one query cannot starve the rest; default half
    /// of --memory-limit.
    #[arg(
        long,
        value_name = "SIZE",
        env = "LYCEUM_QUERY_MEMORY_LIMIT",
        value_parser = memory_size
    )]
    pub query_memory_limit: Option<usize>,

    /// Directory for the files sorts and aggregates spill to; default the system's temp
    /// directory.
    #[arg(long, value_name = "DIR", env = "LYCEUM_TEMP_DIR")]
    pub temp_dir: Option<PathBuf>,

    /// Statements running at once, all sessions together; more wait their turn (within
    /// statement_timeout). Memory the pool cannot track (scan buffers, rows in flight)
    /// grows with this number; default twice the cores, at least 4.
    #[arg(
        long,
        value_name = "N",
        env = "LYCEUM_MAX_RUNNING_STATEMENTS",
        value_parser = clap::value_parser!(u32).range(1..)
    )]
    pub max_running_statements: Option<u32>,
}

impl ListenArgs {
    /// The memory limits these arguments ask for.
    pub fn memory_limits(&self) -> Result<MemoryLimits, CliError> {
        let server = self
            .memory_limit
            .unwrap_or_else(|| MemoryLimits::machine_default().server);
        let limits = MemoryLimits::new(server, self.query_memory_limit, self.temp_dir.clone())?;
        Ok(match self.max_running_statements {
            Some(n) => limits.with_running(n as usize),
            None => limits,
        })
    }
}

fn memory_size(s: &str) -> Result<usize, String> {
    lyceum_engine::memory::parse_size(s)
}

/// How Postgres clients prove who they are.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum PgAuth {
    #[value(name = "scram-sha-256")]
    ScramSha256,
    Password,
}

#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    #[command(flatten)]
    pub warehouse: WarehouseArgs,

    #[command(flatten)]
    pub listen: ListenArgs,
}

#[derive(Debug, Clone, Args)]
pub struct QuickstartArgs {
    /// Scale factor of the sample (0.01 is ~300 students a term).
    #[arg(
        long,
        value_name = "SF",
        env = "LYCEUM_SCALE",
        default_value_t = 0.01,
        value_parser = positive_f64
    )]
    pub scale: f64,

    /// Directory for `sample/` (the extract) and `warehouse/`. An existing warehouse there
    /// is served as it is, without generating or loading again.
    #[arg(
        long,
        value_name = "DIR",
        env = "LYCEUM_QUICKSTART_DIR",
        default_value = "."
    )]
    pub dir: PathBuf,

    #[command(flatten)]
    pub listen: ListenArgs,
}

fn positive_f64(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(v) if v.is_finite() && v > 0.0 => Ok(v),
        Ok(_) => Err("must be a number greater than 0".into()),
        Err(e) => Err(e.to_string()),
    }
}

fn non_negative_f64(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(v) if v.is_finite() && v >= 0.0 => Ok(v),
        Ok(_) => Err("must be a number of at least 0".into()),
        Err(e) => Err(e.to_string()),
    }
}

pub(crate) fn iso_date(s: &str) -> Result<NaiveDate, String> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|e| format!("expected YYYY-MM-DD: {e}"))
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::*;

    #[test]
    fn cli_is_consistent() {
        Cli::command().debug_assert();
    }
}
