//! SQL behaviour as specification: every `tests/slt/*.slt` file runs twice, in-process
//! against the engine and over the Postgres wire against `lyceum serve`, and both must
//! give the results the file states (values as the wire's text format shows them; errors
//! by SQLSTATE and message).
//!
//! Each run of a file gets its own copy of the test warehouse, so version numbers and
//! sandbox tables are the same in both. Beyond the sqllogictest format, a record whose SQL
//! is `\connect USER PASSWORD` makes its connection log in again as that user (the
//! privilege files use it); connections start as `admin`.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use futures::StreamExt;
use lyceum_engine::EngineError;
use lyceum_engine::session::{Engine, QueryOutput, Session};
use lyceum_engine::warehouse::Warehouse;
use lyceum_server::error::{datafusion_to_pg, to_pg};
use pgwire::error::PgWireError;
use sqllogictest::{AsyncDB, DBOutput, DefaultColumnType, Runner};

use crate::common::{ADMIN_PASSWORD, Server, arg, copy_dir, loaded_warehouse, scratch_dir};
use crate::pg_reference::PgReference;

/// An error as a client sees it: SQLSTATE and message.
#[derive(Debug)]
struct SqlError {
    code: String,
    message: String,
}

impl std::fmt::Display for SqlError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} (SQLSTATE {})", self.message, self.code)
    }
}

impl std::error::Error for SqlError {}

impl SqlError {
    fn from_pg(err: PgWireError) -> SqlError {
        match err {
            PgWireError::UserError(info) => SqlError {
                code: info.code,
                message: info.message,
            },
            other => SqlError {
                code: "XX000".into(),
                message: other.to_string(),
            },
        }
    }

    fn from_engine(err: &EngineError) -> SqlError {
        SqlError::from_pg(to_pg(err))
    }

    fn harness(message: String) -> SqlError {
        SqlError {
            code: "XX000".into(),
            message,
        }
    }
}

/// `\connect USER PASSWORD`, if `sql` is one.
fn connect_command(sql: &str) -> Option<(String, String)> {
    let rest = sql.trim().strip_prefix("\\connect ")?;
    let mut words = rest.split_whitespace();
    Some((words.next()?.to_string(), words.next()?.to_string()))
}

/// The result a string of statements gives a client: the rows of its last row-returning
/// statement, else the last command's count.
#[derive(Default)]
struct Collected {
    rows: Option<Vec<Vec<String>>>,
    count: u64,
}

impl Collected {
    fn output(self) -> DBOutput<DefaultColumnType> {
        match self.rows {
            Some(rows) => DBOutput::Rows {
                types: vec![DefaultColumnType::Any; rows.first().map_or(0, Vec::len)],
                rows,
            },
            None => DBOutput::StatementComplete(self.count),
        }
    }
}

fn text(value: Option<String>) -> String {
    match value {
        None => "NULL".into(),
        Some(v) if v.is_empty() => "(empty)".into(),
        Some(v) => v,
    }
}

// ---------------------------------------------------------------------------------------
// In-process: the engine's sessions, no wire.

struct InProcess {
    engine: Arc<Engine>,
    session: Session,
}

impl InProcess {
    async fn connect(
        engine: &Arc<Engine>,
        user: &str,
        password: &str,
    ) -> Result<Session, SqlError> {
        let identity = engine
            .auth()
            .check_password(user, password)
            .await
            .map_err(|e| SqlError::from_engine(&e))?
            .ok_or_else(|| SqlError {
                code: "28P01".into(),
                message: format!("password authentication failed for user \"{user}\""),
            })?;
        engine
            .session(identity)
            .map_err(|e| SqlError::from_engine(&e))
    }
}

#[async_trait::async_trait]
impl AsyncDB for InProcess {
    type Error = SqlError;
    type ColumnType = DefaultColumnType;

    async fn run(&mut self, sql: &str) -> Result<DBOutput<DefaultColumnType>, SqlError> {
        if let Some((user, password)) = connect_command(sql) {
            self.session = InProcess::connect(&self.engine, &user, &password).await?;
            return Ok(DBOutput::StatementComplete(0));
        }
        let session = &mut self.session;
        let mut batch = session
            .start_batch(sql)
            .map_err(|e| SqlError::from_engine(&e))?;
        let mut collected = Collected::default();
        let mut failure = None;
        while let Some(result) = session.next_statement(&mut batch).await {
            match result {
                Err(e) => {
                    failure = Some(SqlError::from_engine(&e));
                    break;
                }
                Ok(QueryOutput::Rows { mut stream, .. }) => {
                    let mut rows = Vec::new();
                    while let Some(next) = stream.next().await {
                        let encoded = next
                            .map_err(|e| datafusion_to_pg(&e))
                            .and_then(lyceum_server::pg::text_rows);
                        match encoded {
                            Ok(batch_rows) => rows.extend(
                                batch_rows
                                    .into_iter()
                                    .map(|r| r.into_iter().map(text).collect()),
                            ),
                            Err(e) => {
                                failure = Some(SqlError::from_pg(e));
                                break;
                            }
                        }
                    }
                    if failure.is_some() {
                        batch.fail();
                        break;
                    }
                    collected.count = rows.len() as u64;
                    collected.rows = Some(rows);
                }
                Ok(
                    QueryOutput::Command(done)
                    | QueryOutput::TransactionStart(done)
                    | QueryOutput::TransactionEnd(done),
                ) => collected.count = done.rows.unwrap_or(0),
                Ok(QueryOutput::CopyIn { .. }) => {
                    failure = Some(SqlError::harness(
                        "COPY FROM STDIN has no data in a .slt file".into(),
                    ));
                    break;
                }
            }
        }
        let finished = session.finish_batch(batch).await;
        match (failure, finished) {
            (Some(e), _) => Err(e),
            (None, Err(e)) => Err(SqlError::from_engine(&e)),
            (None, Ok(())) => Ok(collected.output()),
        }
    }

    async fn shutdown(&mut self) {}

    fn engine_name(&self) -> &str {
        "in-process"
    }

    fn error_sql_state(err: &SqlError) -> Option<String> {
        Some(err.code.clone())
    }

    async fn sleep(dur: std::time::Duration) {
        tokio::time::sleep(dur).await;
    }
}

// ---------------------------------------------------------------------------------------
// Over the wire: tokio-postgres' simple protocol against `lyceum serve` (or the
// PostgreSQL 15 reference).

struct Wire {
    /// The connection string without user and password.
    base: String,
    client: tokio_postgres::Client,
}

impl Wire {
    async fn connect(
        base: &str,
        user: &str,
        password: &str,
    ) -> Result<tokio_postgres::Client, SqlError> {
        let conn = format!("{base} user={user} password={password}");
        let (client, connection) = tokio_postgres::connect(&conn, tokio_postgres::NoTls)
            .await
            .map_err(|e| wire_error(&e))?;
        tokio::spawn(connection);
        Ok(client)
    }
}

fn wire_error(e: &tokio_postgres::Error) -> SqlError {
    match e.as_db_error() {
        Some(db) => SqlError {
            code: db.code().code().to_string(),
            message: db.message().to_string(),
        },
        None => SqlError::harness(e.to_string()),
    }
}

#[async_trait::async_trait]
impl AsyncDB for Wire {
    type Error = SqlError;
    type ColumnType = DefaultColumnType;

    async fn run(&mut self, sql: &str) -> Result<DBOutput<DefaultColumnType>, SqlError> {
        use tokio_postgres::SimpleQueryMessage as M;
        if let Some((user, password)) = connect_command(sql) {
            self.client = Wire::connect(&self.base, &user, &password).await?;
            return Ok(DBOutput::StatementComplete(0));
        }
        let messages = self
            .client
            .simple_query(sql)
            .await
            .map_err(|e| wire_error(&e))?;
        let mut collected = Collected::default();
        let mut rows: Option<Vec<Vec<String>>> = None;
        for message in messages {
            match message {
                M::RowDescription(_) => rows = Some(Vec::new()),
                M::Row(row) => rows.get_or_insert_with(Vec::new).push(
                    (0..row.len())
                        .map(|i| text(row.get(i).map(str::to_string)))
                        .collect(),
                ),
                M::CommandComplete(n) => {
                    collected.count = n;
                    if let Some(done) = rows.take() {
                        collected.rows = Some(done);
                    }
                }
                _ => {}
            }
        }
        Ok(collected.output())
    }

    async fn shutdown(&mut self) {}

    fn engine_name(&self) -> &str {
        "pgwire"
    }

    fn error_sql_state(err: &SqlError) -> Option<String> {
        Some(err.code.clone())
    }

    async fn sleep(dur: std::time::Duration) {
        tokio::time::sleep(dur).await;
    }
}

// ---------------------------------------------------------------------------------------

fn slt_files() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/slt");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("read {}: {e}", dir.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "slt"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no .slt files in {}", dir.display());
    files
}

/// A private copy of the test warehouse for one run of one file.
fn fresh_warehouse(file: &Path, how: &str) -> PathBuf {
    let name = file.file_stem().and_then(|s| s.to_str()).unwrap_or("slt");
    let wh = scratch_dir(&format!("slt-{how}-{name}")).join("wh");
    copy_dir(loaded_warehouse(), &wh);
    wh
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slt_files_pass_in_process() {
    let mut failures = Vec::new();
    for file in slt_files() {
        let wh = fresh_warehouse(&file, "engine");
        let warehouse = Warehouse::open(arg(&wh)).expect("open the warehouse");
        let engine = Engine::new(
            warehouse,
            lyceum_engine::pgcatalog::PostgresProfile::new().expect("postgres profile"),
        )
        .expect("engine");
        engine
            .auth()
            .bootstrap("admin", Some(ADMIN_PASSWORD))
            .await
            .expect("bootstrap admin");
        let mut runner = Runner::new(move || {
            let engine = engine.clone();
            async move {
                let session = InProcess::connect(&engine, "admin", ADMIN_PASSWORD).await?;
                Ok(InProcess { engine, session })
            }
        });
        runner.add_label("lyceum");
        if let Err(e) = runner.run_file_async(&file).await {
            failures.push(format!(
                "{} (in-process): {}",
                file.display(),
                e.display(false)
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slt_files_pass_over_pgwire() {
    let mut failures = Vec::new();
    for file in slt_files() {
        let wh = fresh_warehouse(&file, "wire");
        let server = Server::serve(&wh);
        let base = format!(
            "host=127.0.0.1 port={} dbname=lyceum connect_timeout=10",
            server.port
        );
        let mut runner = Runner::new(move || {
            let base = base.clone();
            async move {
                let client = Wire::connect(&base, "admin", ADMIN_PASSWORD).await?;
                Ok(Wire { base, client })
            }
        });
        runner.add_label("lyceum");
        if let Err(e) = runner.run_file_async(&file).await {
            failures.push(format!(
                "{} (pgwire): {}\nserver stderr:\n{}",
                file.display(),
                e.display(false),
                server
                    .stderr()
                    .lines()
                    .filter(|l| l.contains(" WARN ") || l.contains(" ERROR "))
                    .collect::<Vec<_>>()
                    .join("\n")
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

/// The files whose statements PostgreSQL itself understands (records that need Lyceum's
/// data or features say `onlyif lyceum`): played against PostgreSQL 15 too, so that their
/// expected results are PostgreSQL's, not a guess.
const PORTABLE: &[&str] = &[
    "errors.slt",
    "json.slt",
    "semantics.slt",
    "settings.slt",
    "statistics.slt",
    "transactions.slt",
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn portable_slt_files_pass_on_postgres_15() {
    let reference = PgReference::start().await;
    let mut failures = Vec::new();
    for file in slt_files() {
        let name = file
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        if !PORTABLE.contains(&name) {
            continue;
        }
        // A fresh database per file, as each Lyceum run gets a fresh warehouse.
        let admin = reference.connect("postgres").await;
        let db = format!("slt_{}", name.trim_end_matches(".slt"));
        admin
            .batch_execute(&format!("CREATE DATABASE {db} TEMPLATE lyceum"))
            .await
            .expect("create a database per file");
        let base = reference.conn_str(&db).replace(" user=postgres", "");
        let mut runner = Runner::new(move || {
            let base = base.clone();
            async move {
                let client = Wire::connect(&base, "postgres", "unused").await?;
                Ok(Wire { base, client })
            }
        });
        runner.add_label("postgres");
        if let Err(e) = runner.run_file_async(&file).await {
            failures.push(format!(
                "{} (PostgreSQL 15): {}",
                file.display(),
                e.display(false)
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}
