//! Analysts' tables in schema `sandbox` over the wire: DDL and INSERT from psql and
//! tokio-postgres, `COPY ... FROM STDIN` through psql's `\copy` and tokio-postgres'
//! `copy_in`, transactions, survival across a restart, and a server killed mid-COPY.

use std::path::PathBuf;
use std::time::Duration;

use bytes::Bytes;
use futures::SinkExt;

use crate::common::{Server, code_of, copy_dir, loaded_warehouse, scratch_dir};

/// A private copy of the shared warehouse, so writes do not leak into other tests.
fn own_warehouse(what: &str) -> (PathBuf, PathBuf) {
    let dir = scratch_dir(what);
    let wh = dir.join("wh");
    copy_dir(loaded_warehouse(), &wh);
    (dir, wh)
}

fn latest_version(server: &Server) -> u64 {
    let out = server
        .psql(&["-c", "SELECT max(version) FROM system.snapshots"])
        .ok();
    out.stdout.trim().parse().expect("a version")
}

#[test]
fn psql_creates_fills_and_describes_sandbox_tables() {
    let (dir, wh) = own_warehouse("sandbox-psql");
    let server = Server::serve(&wh);
    let out = server
        .psql(&[
            "-c",
            "CREATE TABLE sandbox.notes (id int NOT NULL, body text, score numeric(5,2), day date)",
            "-c",
            "INSERT INTO sandbox.notes VALUES (1, 'first', 1.25, '2024-02-01')",
        ])
        .ok();
    assert_eq!(out.stdout.trim(), "CREATE TABLE\nINSERT 0 1");

    let csv = dir.join("notes.csv");
    std::fs::write(
        &csv,
        "id,body,score,day\n2,\"comma, and \"\"quote\"\"\",2.50,\n3,,,2024-03-01\n",
    )
    .expect("write csv");
    let copy = format!(
        "\\copy sandbox.notes FROM '{}' WITH (FORMAT csv, HEADER)",
        csv.display()
    );
    let out = server.psql(&["-c", &copy]).ok();
    assert_eq!(out.stdout.trim(), "COPY 2");
    let out = server
        .psql(&[
            "-F",
            "|",
            "-c",
            "SELECT id, body, score, day FROM sandbox.notes ORDER BY id",
        ])
        .ok();
    assert_eq!(
        out.stdout.trim(),
        "1|first|1.25|2024-02-01\n2|comma, and \"quote\"|2.50|\n3|||2024-03-01"
    );

    // psql's \dt and information_schema list the table where BI tools look.
    let out = server.psql(&["-c", "\\dt sandbox.*"]).ok();
    assert!(out.stdout.contains("sandbox|notes|table"), "{out:#?}");
    let out = server
        .psql(&[
            "-c",
            "SELECT column_name || ':' || data_type FROM information_schema.columns \
             WHERE table_schema = 'sandbox' AND table_name = 'notes' ORDER BY ordinal_position",
        ])
        .ok();
    assert_eq!(
        out.stdout.trim(),
        "id:integer\nbody:text\nscore:numeric\nday:date"
    );

    // The star schema stays written only by loads: 42501, and the server keeps serving.
    let out = server
        .psql(&[
            "-v",
            "VERBOSITY=verbose",
            "-c",
            "INSERT INTO dim_term SELECT * FROM dim_term",
        ])
        .failed();
    assert!(out.stderr.contains("42501"), "{out:#?}");
    let out = server
        .psql(&[
            "-v",
            "VERBOSITY=verbose",
            "-c",
            "INSERT INTO sandbox.notes (body) VALUES ('x')",
        ])
        .failed();
    assert!(out.stderr.contains("23502"), "{out:#?}");
    let bad = dir.join("bad.csv");
    std::fs::write(&bad, "4,ok,1,\n5,short\n").expect("write csv");
    let copy = format!(
        "\\copy sandbox.notes FROM '{}' WITH (FORMAT csv)",
        bad.display()
    );
    let out = server
        .psql(&["-v", "VERBOSITY=verbose", "-c", &copy])
        .failed();
    assert!(out.stderr.contains("22P04"), "{out:#?}");
    let out = server
        .psql(&["-c", "SELECT count(*) FROM sandbox.notes"])
        .ok();
    assert_eq!(out.stdout.trim(), "3", "a failed COPY writes nothing");

    // A restart finds the table, its rows and its OID.
    let oid_sql = "SELECT 'sandbox.notes'::regclass::oid";
    let oid = server.psql(&["-c", oid_sql]).ok().stdout;
    drop(server);
    let server = Server::serve(&wh);
    assert_eq!(server.psql(&["-c", oid_sql]).ok().stdout, oid);
    let out = server
        .psql(&["-c", "SELECT count(*) FROM sandbox.notes"])
        .ok();
    assert_eq!(out.stdout.trim(), "3");
}

#[test]
fn tokio_postgres_copies_in_and_writes_in_transactions() {
    let (_dir, wh) = own_warehouse("sandbox-tokio");
    let server = Server::serve(&wh);
    crate::common::block_on(async {
        let client = server.connect().await;
        client
            .batch_execute(
                "CREATE TABLE sandbox.scores (student bigint NOT NULL, score double precision)",
            )
            .await
            .expect("create");

        // copy_in goes through the extended protocol.
        let sink = client
            .copy_in("COPY sandbox.scores FROM STDIN")
            .await
            .expect("copy_in");
        futures::pin_mut!(sink);
        let mut expected = 0.0;
        for chunk in 0..10 {
            let mut data = String::new();
            for i in 0..1000 {
                let n = chunk * 1000 + i;
                data.push_str(&format!("{n}\t{}.5\n", n % 7));
                expected += f64::from(n % 7) + 0.5;
            }
            sink.send(Bytes::from(data)).await.expect("send");
        }
        let copied = sink.finish().await.expect("finish");
        assert_eq!(copied, 10_000);
        let row = client
            .query_one("SELECT count(*), sum(score) FROM sandbox.scores", &[])
            .await
            .expect("count");
        assert_eq!(row.get::<_, i64>(0), 10_000);
        assert!((row.get::<_, f64>(1) - expected).abs() < 1e-6);

        // A prepared INSERT with binary parameters; ROLLBACK discards, COMMIT keeps.
        let insert = client
            .prepare("INSERT INTO sandbox.scores VALUES ($1, $2)")
            .await
            .expect("prepare");
        client.batch_execute("BEGIN").await.expect("begin");
        assert_eq!(
            client
                .execute(&insert, &[&1_i64, &2.0_f64])
                .await
                .expect("insert"),
            1
        );
        client.batch_execute("ROLLBACK").await.expect("rollback");
        client.batch_execute("BEGIN").await.expect("begin");
        client
            .execute(&insert, &[&2_i64, &3.0_f64])
            .await
            .expect("insert");
        let other = server.connect().await;
        let count = "SELECT count(*) FROM sandbox.scores";
        let n: i64 = other.query_one(count, &[]).await.expect("count").get(0);
        assert_eq!(n, 10_000, "uncommitted rows are not seen by others");
        client.batch_execute("COMMIT").await.expect("commit");
        let n: i64 = other.query_one(count, &[]).await.expect("count").get(0);
        assert_eq!(n, 10_001);

        // A NULL in a NOT NULL column fails the COPY with 23502; the connection goes on.
        let sink = client
            .copy_in("COPY sandbox.scores FROM STDIN")
            .await
            .expect("copy_in");
        futures::pin_mut!(sink);
        sink.send(Bytes::from_static(b"7\t1\n\\N\t2\n"))
            .await
            .expect("send");
        assert_eq!(code_of(sink.finish().await), "23502");
        let n: i64 = client.query_one(count, &[]).await.expect("count").get(0);
        assert_eq!(n, 10_001);
        assert_eq!(
            code_of(
                client
                    .batch_execute("CREATE TABLE public.mine (a int)")
                    .await
            ),
            "42501"
        );
    });
}

#[test]
fn a_server_killed_mid_copy_keeps_the_last_committed_version() {
    let (_dir, wh) = own_warehouse("sandbox-kill");
    let server = Server::serve(&wh);
    let out = server
        .psql(&[
            "-c",
            "CREATE TABLE sandbox.t (a int)",
            "-c",
            "INSERT INTO sandbox.t VALUES (1), (2)",
        ])
        .ok();
    assert!(out.status.success());
    let version = latest_version(&server);
    crate::common::block_on(async {
        let client = server.connect().await;
        let sink = client
            .copy_in("COPY sandbox.t FROM STDIN")
            .await
            .expect("copy_in");
        futures::pin_mut!(sink);
        for _ in 0..50 {
            sink.send(Bytes::from("3\n".repeat(1000)))
                .await
                .expect("send");
        }
        sink.flush().await.expect("flush");
        tokio::time::sleep(Duration::from_millis(300)).await;
        // The server dies (SIGKILL) before the COPY ends.
        drop(server);
    });
    let server = Server::serve(&wh);
    assert_eq!(latest_version(&server), version);
    let out = server.psql(&["-c", "SELECT count(*) FROM sandbox.t"]).ok();
    assert_eq!(out.stdout.trim(), "2");
    // And the table takes writes again.
    server
        .psql(&["-c", "INSERT INTO sandbox.t VALUES (4)"])
        .ok();
    let out = server.psql(&["-c", "SELECT sum(a) FROM sandbox.t"]).ok();
    assert_eq!(out.stdout.trim(), "7");
}
