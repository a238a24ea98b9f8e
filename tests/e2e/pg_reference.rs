//! A throwaway PostgreSQL 15 (Debian's `postgresql`) with Lyceum's star schema and no
//! rows, on a Unix socket in its own directory: the reference the `.slt` files are also
//! played against. As root it runs as the `postgres` user (initdb refuses root).

use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::Command;

const PG_BIN: &str = "/usr/lib/postgresql/15/bin";
const PORT: u16 = 5433;

pub struct PgReference {
    dir: tempfile::TempDir,
    as_postgres: bool,
}

impl PgReference {
    /// Starts the server and creates database `lyceum` with the star schema and the
    /// `system` and `sandbox` schemas.
    pub async fn start() -> PgReference {
        assert!(
            Path::new(PG_BIN).join("initdb").exists(),
            "PostgreSQL 15 is needed as the reference (apt-get install postgresql)"
        );
        let dir = tempfile::Builder::new()
            .prefix("lyceum-pgref-")
            .tempdir_in("/tmp")
            .expect("temp dir");
        let as_postgres = std::fs::metadata("/proc/self")
            .map(|m| m.uid() == 0)
            .unwrap_or(false);
        if as_postgres {
            run(Command::new("chown").args(["postgres", path(dir.path())]));
        }
        let reference = PgReference { dir, as_postgres };
        let data = reference.dir.path().join("data");
        reference.pg(
            "initdb",
            &[
                "-D",
                path(&data),
                "-A",
                "trust",
                "-U",
                "postgres",
                "--no-sync",
            ],
        );
        let options = format!(
            "-p {PORT} -k {} -c listen_addresses=''",
            path(reference.dir.path())
        );
        let log = reference.dir.path().join("log");
        reference.pg(
            "pg_ctl",
            &[
                "-D",
                path(&data),
                "-w",
                "-l",
                path(&log),
                "-o",
                &options,
                "start",
            ],
        );
        let admin = reference.connect("postgres").await;
        admin
            .batch_execute("CREATE DATABASE lyceum")
            .await
            .expect("create database");
        let schema = std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../catalog/schema.sql"),
        )
        .expect("read schema.sql")
        .replace("DOUBLE PRECISION", "DOUBLE")
        .replace("DOUBLE", "DOUBLE PRECISION");
        let db = reference.connect("lyceum").await;
        db.batch_execute(&schema)
            .await
            .expect("create the star schema");
        db.batch_execute("CREATE SCHEMA system; CREATE SCHEMA sandbox")
            .await
            .expect("create schemas");
        reference
    }

    /// A tokio-postgres connection string for `database`, as user `postgres`.
    pub fn conn_str(&self, database: &str) -> String {
        format!(
            "host={} port={PORT} user=postgres dbname={database}",
            path(self.dir.path())
        )
    }

    pub async fn connect(&self, database: &str) -> tokio_postgres::Client {
        let (client, connection) =
            tokio_postgres::connect(&self.conn_str(database), tokio_postgres::NoTls)
                .await
                .unwrap_or_else(|e| panic!("connect to the PostgreSQL reference: {e:?}"));
        tokio::spawn(connection);
        client
    }

    fn pg(&self, tool: &str, args: &[&str]) {
        run(self.tool(tool).args(args));
    }

    /// A PostgreSQL tool, run as `postgres` when we are root.
    fn tool(&self, tool: &str) -> Command {
        let program = PathBuf::from(PG_BIN).join(tool);
        if self.as_postgres {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(&program);
            c
        } else {
            Command::new(&program)
        }
    }
}

impl Drop for PgReference {
    fn drop(&mut self) {
        let data = self.dir.path().join("data");
        let _ = self
            .tool("pg_ctl")
            .args(["-D", path(&data), "-m", "immediate", "stop"])
            .output();
    }
}

fn path(p: &Path) -> &str {
    p.to_str().expect("UTF-8 path")
}

fn run(command: &mut Command) {
    let out = command.output().expect("run a PostgreSQL tool");
    assert!(
        out.status.success(),
        "{command:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}
