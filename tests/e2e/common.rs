//! Helpers shared by the end-to-end tests: run the `lyceum` binary, start a server as a
//! child process, and build (once per test binary) a loaded warehouse.

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant, SystemTime};

/// The binary under test.
pub const LYCEUM: &str = env!("CARGO_BIN_EXE_lyceum");

/// The first administrator's password in every test server.
pub const ADMIN_PASSWORD: &str = "test-admin-pw";

/// The line `serve` prints once it listens.
pub const LISTENING: &str = "lyceum: postgres wire listening on ";

/// The line `serve` prints for its Flight SQL endpoint, before [`LISTENING`].
pub const FLIGHT_LISTENING: &str = "lyceum: flight sql listening on ";

/// A `lyceum` command that ignores the `LYCEUM_*` settings of whoever runs the tests.
pub fn lyceum() -> Command {
    let mut cmd = Command::new(LYCEUM);
    for (key, _) in std::env::vars() {
        if key.starts_with("LYCEUM_") || key == "RUST_LOG" {
            cmd.env_remove(key);
        }
    }
    // Servers of tests running at once each take a free port, Flight's too.
    cmd.env("LYCEUM_FLIGHT_ADDR", "127.0.0.1:0");
    cmd.stdin(Stdio::null());
    cmd
}

/// What a finished command printed.
#[derive(Debug)]
pub struct Output {
    pub status: ExitStatus,
    pub stdout: String,
    pub stderr: String,
}

impl Output {
    /// Panics with everything the command printed unless it succeeded.
    #[track_caller]
    pub fn ok(self) -> Output {
        assert!(self.status.success(), "command failed: {self:#?}");
        self
    }

    /// Panics unless the command failed.
    #[track_caller]
    pub fn failed(self) -> Output {
        assert!(
            !self.status.success(),
            "command should have failed: {self:#?}"
        );
        self
    }
}

/// Runs `lyceum ARGS` in `dir` and waits for it.
pub fn run_in(dir: &Path, args: &[&str]) -> Output {
    let out = lyceum()
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {LYCEUM}: {e}"));
    Output {
        status: out.status,
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// Runs `lyceum ARGS` in a fresh empty directory.
pub fn run(args: &[&str]) -> Output {
    let dir = tempfile::tempdir().expect("tempdir");
    run_in(dir.path(), args)
}

/// `path` as a `&str` argument.
pub fn arg(path: &Path) -> &str {
    path.to_str().expect("test paths are UTF-8")
}

// ---------------------------------------------------------------------------------------
// A server child process

/// A running `lyceum serve` (or `quickstart`); killed when dropped.
pub struct Server {
    child: Child,
    pub port: u16,
    /// The Flight SQL endpoint's port (`None` with `--flight-addr off`).
    pub flight_port: Option<u16>,
    stdout: Arc<Mutex<String>>,
    stderr: Arc<Mutex<String>>,
}

impl Server {
    /// `lyceum serve --warehouse WAREHOUSE --pg-addr 127.0.0.1:0`.
    pub fn serve(warehouse: &Path) -> Server {
        Server::start(
            &[
                "serve",
                "--warehouse",
                arg(warehouse),
                "--pg-addr",
                "127.0.0.1:0",
            ],
            Duration::from_secs(30),
        )
    }

    /// Starts `lyceum ARGS` and waits (up to `timeout`) for its listening line.
    pub fn start(args: &[&str], timeout: Duration) -> Server {
        let mut child = lyceum()
            .args(args)
            .env("LYCEUM_LOG", "info")
            .env("LYCEUM_ADMIN_PASSWORD", ADMIN_PASSWORD)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {LYCEUM}: {e}"));
        let stdout = Arc::new(Mutex::new(String::new()));
        let stderr = Arc::new(Mutex::new(String::new()));
        let (port_tx, port_rx) = mpsc::channel();
        let (flight_tx, flight_rx) = mpsc::channel();
        {
            let pipe = child.stdout.take().expect("piped stdout");
            let stdout = stdout.clone();
            std::thread::spawn(move || {
                for line in BufReader::new(pipe).lines() {
                    let Ok(line) = line else { break };
                    if let Some(port) = parse_flight_port(&line) {
                        let _ = flight_tx.send(port);
                    }
                    if let Some(port) = parse_port(&line) {
                        let _ = port_tx.send(port);
                    }
                    let mut all = stdout.lock().expect("stdout buffer");
                    all.push_str(&line);
                    all.push('\n');
                }
            });
        }
        {
            let mut pipe = child.stderr.take().expect("piped stderr");
            let stderr = stderr.clone();
            std::thread::spawn(move || {
                let mut buf = [0u8; 8192];
                while let Ok(n) = pipe.read(&mut buf) {
                    if n == 0 {
                        break;
                    }
                    let text = String::from_utf8_lossy(&buf[..n]);
                    stderr.lock().expect("stderr buffer").push_str(&text);
                }
            });
        }
        let mut server = Server {
            child,
            port: 0,
            flight_port: None,
            stdout,
            stderr,
        };
        match port_rx.recv_timeout(timeout) {
            Ok(port) => {
                server.port = port;
                // Printed before the Postgres line, so it is here by now if it serves.
                server.flight_port = flight_rx.try_recv().ok();
            }
            Err(_) => {
                let status = server.child.try_wait().ok().flatten();
                panic!(
                    "lyceum {args:?} printed no listening line (waited up to {timeout:?}; \
                     exit status {status:?})\nstdout:\n{}\nstderr:\n{}",
                    server.stdout(),
                    server.stderr()
                );
            }
        }
        server
    }

    /// The server's peak resident memory so far (`VmHWM`), in bytes.
    pub fn peak_rss(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .expect("read the server's /proc status");
        let kib: u64 = status
            .lines()
            .find_map(|l| l.strip_prefix("VmHWM:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .expect("VmHWM in /proc status");
        kib * 1024
    }

    pub fn stdout(&self) -> String {
        self.stdout.lock().expect("stdout buffer").clone()
    }

    pub fn stderr(&self) -> String {
        self.stderr.lock().expect("stderr buffer").clone()
    }

    /// A tokio-postgres connection string for `database`.
    pub fn conn_str(&self, database: &str) -> String {
        format!(
            "host=127.0.0.1 port={} user=admin password={ADMIN_PASSWORD} dbname={database} \
             connect_timeout=10",
            self.port
        )
    }

    /// Connects with tokio-postgres to database `lyceum`; the connection is driven by a
    /// spawned task.
    pub async fn connect(&self) -> tokio_postgres::Client {
        let (client, connection) =
            tokio_postgres::connect(&self.conn_str("lyceum"), tokio_postgres::NoTls)
                .await
                .unwrap_or_else(|e| panic!("connect: {e:?}\nserver stderr:\n{}", self.stderr()));
        tokio::spawn(connection);
        client
    }

    /// `psql -X -A -t -h 127.0.0.1 -p PORT -U admin -d lyceum EXTRA...`.
    pub fn psql(&self, extra: &[&str]) -> Output {
        self.psql_with(extra, &[])
    }

    /// [`Server::psql`] with more environment (`PGSSLMODE`, another `PGPASSWORD`).
    pub fn psql_with(&self, extra: &[&str], env: &[(&str, &str)]) -> Output {
        let port = self.port.to_string();
        let out = Command::new("psql")
            .args([
                "-X",
                "-A",
                "-t",
                "-h",
                "127.0.0.1",
                "-p",
                &port,
                "-U",
                "admin",
            ])
            .args(["-d", "lyceum"])
            .args(extra)
            .env("PGCONNECT_TIMEOUT", "10")
            .env("PGPASSWORD", ADMIN_PASSWORD)
            .env_remove("PGSERVICE")
            .envs(env.iter().copied())
            .stdin(Stdio::null())
            .output()
            .unwrap_or_else(|e| panic!("cannot run psql: {e}"));
        Output {
            status: out.status,
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    /// Sends SIGTERM and waits up to `timeout` for the process to exit.
    pub fn terminate(&mut self, timeout: Duration) -> ExitStatus {
        let pid = self.child.id().to_string();
        let sent = Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .expect("run kill");
        assert!(sent.success(), "kill -TERM {pid} failed");
        let started = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().expect("wait for the server") {
                return status;
            }
            if started.elapsed() > timeout {
                panic!(
                    "the server did not exit within {timeout:?} of SIGTERM\nstderr:\n{}",
                    self.stderr()
                );
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// The port in `lyceum: postgres wire listening on 127.0.0.1:5433 (psql ... -p 5433 ...)`.
pub fn parse_port(line: &str) -> Option<u16> {
    let rest = line.strip_prefix(LISTENING)?;
    let addr = rest.split_whitespace().next()?;
    addr.rsplit(':').next()?.parse().ok()
}

/// The port in `lyceum: flight sql listening on 127.0.0.1:50051 (grpc://...)`.
pub fn parse_flight_port(line: &str) -> Option<u16> {
    let rest = line.strip_prefix(FLIGHT_LISTENING)?;
    let addr = rest.split_whitespace().next()?;
    addr.rsplit(':').next()?.parse().ok()
}

// ---------------------------------------------------------------------------------------
// The loaded warehouse

/// A generated extract (`src`) and the warehouse loaded from it (`wh`).
pub struct Loaded {
    pub source: PathBuf,
    pub warehouse: PathBuf,
    /// What `lyceum load --json` printed.
    pub report: serde_json::Value,
}

static LOADED: OnceLock<Result<Loaded, String>> = OnceLock::new();

/// The warehouse loaded from `generate --scale 0.01 --seed 7`, built once per test
/// binary. Panics (failing the test) if generating or loading fails.
pub fn loaded_warehouse() -> &'static Path {
    &loaded().warehouse
}

/// [`loaded_warehouse`] with its source extract and load report.
pub fn loaded() -> &'static Loaded {
    match LOADED.get_or_init(build_loaded) {
        Ok(loaded) => loaded,
        Err(e) => panic!("building the test warehouse failed:\n{e}"),
    }
}

fn build_loaded() -> Result<Loaded, String> {
    let root = scratch_dir("loaded");
    let source = root.join("src");
    let warehouse = root.join("wh");
    let generated = run_in(
        &root,
        &[
            "generate",
            "--scale",
            "0.01",
            "--seed",
            "7",
            "--out",
            arg(&source),
        ],
    );
    if !generated.status.success() {
        return Err(format!("lyceum generate failed: {generated:#?}"));
    }
    let loaded = run_in(
        &root,
        &[
            "load",
            "--source",
            arg(&source),
            "--warehouse",
            arg(&warehouse),
            "--json",
        ],
    );
    if !loaded.status.success() {
        return Err(format!("lyceum load failed: {loaded:#?}"));
    }
    let report = serde_json::from_str(&loaded.stdout)
        .map_err(|e| format!("lyceum load --json printed no JSON ({e}): {loaded:#?}"))?;
    Ok(Loaded {
        source,
        warehouse,
        report,
    })
}

/// A directory under the target directory that outlives this test binary's statics
/// (they are never dropped); earlier runs' leftovers older than an hour are removed.
pub fn scratch_dir(what: &str) -> PathBuf {
    let base = Path::new(env!("CARGO_TARGET_TMPDIR")).join("lyceum-e2e");
    std::fs::create_dir_all(&base).expect("create the scratch base");
    if let Ok(entries) = std::fs::read_dir(&base) {
        let hour = Duration::from_secs(3600);
        for entry in entries.flatten() {
            let old = entry
                .metadata()
                .and_then(|m| m.modified())
                .ok()
                .and_then(|t| SystemTime::now().duration_since(t).ok())
                .is_some_and(|age| age > hour);
            if old {
                let _ = std::fs::remove_dir_all(entry.path());
            }
        }
    }
    tempfile::Builder::new()
        .prefix(&format!("{what}-"))
        .tempdir_in(&base)
        .expect("create a scratch dir")
        .keep()
}

/// The SQLSTATE of a failed query (panics if it succeeded or failed another way).
#[track_caller]
pub fn code_of<T: std::fmt::Debug>(result: Result<T, tokio_postgres::Error>) -> String {
    match result {
        Ok(v) => panic!("expected an error, got {v:?}"),
        Err(e) => match e.as_db_error() {
            Some(db) => db.code().code().to_string(),
            None => panic!("expected a database error, got {e:?}"),
        },
    }
}

/// Copies a directory tree (a warehouse a test may change).
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("create copy dir");
    for entry in std::fs::read_dir(from).expect("read dir to copy").flatten() {
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copy file");
        }
    }
}

/// Runs async test code on a fresh runtime.
pub fn block_on<F: std::future::Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime")
        .block_on(future)
}
