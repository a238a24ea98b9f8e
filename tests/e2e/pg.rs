//! The Postgres wire endpoint, through psql 15 and tokio-postgres, against a `lyceum serve`
//! child process.

use std::io::Write;
use std::time::{Duration, Instant};

use tokio_postgres::SimpleQueryMessage;

use crate::common::{Server, arg, block_on, code_of, loaded_warehouse, run, scratch_dir};

/// Every row's first column of a simple query's answer.
fn first_column(messages: &[SimpleQueryMessage]) -> Vec<Option<String>> {
    messages
        .iter()
        .filter_map(|m| match m {
            SimpleQueryMessage::Row(row) => Some(row.get(0).map(str::to_string)),
            _ => None,
        })
        .collect()
}

#[test]
fn psql_count_matches_the_cli() {
    let wh = loaded_warehouse();
    let server = Server::serve(wh);
    let query = "select count(*) from fact_enrollment";
    let out = server.psql(&["-c", query]).ok();
    let over_wire: u64 = out
        .stdout
        .trim()
        .parse()
        .unwrap_or_else(|e| panic!("{e}: {out:#?}"));
    let cli = run(&["sql", "--warehouse", arg(wh), "--format", "csv", query]).ok();
    let local: u64 = cli
        .stdout
        .lines()
        .nth(1)
        .expect("a row")
        .parse()
        .expect("a count");
    assert_eq!(over_wire, local);
    assert!(over_wire > 0);

    // A whole table streams through: every row arrives.
    let out = server.psql(&["-c", "select * from fact_attendance"]).ok();
    let cli = run(&[
        "sql",
        "--warehouse",
        arg(wh),
        "--format",
        "csv",
        "select count(*) from fact_attendance",
    ])
    .ok();
    let expected: usize = cli
        .stdout
        .lines()
        .nth(1)
        .expect("a row")
        .parse()
        .expect("a count");
    assert_eq!(out.stdout.lines().count(), expected);
}

#[test]
fn multi_statement_simple_queries() {
    let server = Server::serve(loaded_warehouse());
    block_on(async {
        let client = server.connect().await;
        let messages = client
            .simple_query(
                "select 1 as a; select b from (values ('x'), ('y')) v(b) order by b; \
                 set datafusion.execution.batch_size = 1000",
            )
            .await
            .expect("multi-statement query");
        let completes: Vec<u64> = messages
            .iter()
            .filter_map(|m| match m {
                SimpleQueryMessage::CommandComplete(n) => Some(*n),
                _ => None,
            })
            .collect();
        assert_eq!(completes, [1, 2, 0]);
        assert_eq!(
            first_column(&messages),
            [Some("1".into()), Some("x".into()), Some("y".into())]
        );
        client
            .batch_execute("set lyceum.as_of = 1; set lyceum.as_of = 0")
            .await
            .expect("batch");
        let rows = client
            .simple_query("select count(*) from fact_enrollment")
            .await
            .expect("count");
        assert_eq!(first_column(&rows), [Some("0".into())]);
    });
}

#[test]
fn psql_shows_the_sqlstate() {
    let server = Server::serve(loaded_warehouse());
    let out = server
        .psql(&[
            "-v",
            "VERBOSITY=verbose",
            "-c",
            "select * from no_such_table",
        ])
        .failed();
    assert!(out.stderr.contains("ERROR:  42P01:"), "{out:#?}");
    let out = server
        .psql(&["-v", "VERBOSITY=verbose", "-c", "select 1/0"])
        .failed();
    assert!(out.stderr.contains("ERROR:  22012:"), "{out:#?}");
}

#[test]
fn errors_carry_sqlstates_and_keep_the_connection() {
    let server = Server::serve(loaded_warehouse());
    block_on(async {
        let client = server.connect().await;
        let cases = [
            ("selec 1", "42601"),
            ("select * from no_such_table", "42P01"),
            ("select no_such_column from dim_term", "42703"),
            ("select no_such_function(1)", "42883"),
            ("select 1 / 0", "22012"),
            (
                "select term_key / (term_key - term_key) from dim_term",
                "22012",
            ),
            // The star schema is written only by loads (as PostgreSQL answers a user
            // without the privilege).
            ("create table t (a int)", "42501"),
            ("insert into dim_term select * from dim_term", "42501"),
            ("drop table dim_term", "42501"),
            ("update dim_term set term_key = 1", "42501"),
        ];
        for (sql, code) in cases {
            assert_eq!(code_of(client.simple_query(sql).await), code, "{sql}");
            // The same connection still works.
            let rows = client
                .simple_query("select 41 + 1")
                .await
                .expect("after an error");
            assert_eq!(first_column(&rows), [Some("42".into())], "after {sql}");
        }
    });
}

#[test]
fn a_bad_as_of_is_22023_and_harmless() {
    let server = Server::serve(loaded_warehouse());
    block_on(async {
        let client = server.connect().await;
        let result = client.simple_query("set lyceum.as_of = 999999").await;
        assert_eq!(code_of(result), "22023");
        // The failed SET did not leave the session pinned to a version that does not exist.
        let rows = client
            .simple_query("select count(*) > 0 from fact_enrollment")
            .await
            .expect("a query after a failed SET");
        assert_eq!(first_column(&rows), [Some("t".into())]);
    });
}

#[test]
fn as_of_zero_is_the_empty_warehouse() {
    let server = Server::serve(loaded_warehouse());
    block_on(async {
        let client = server.connect().await;
        let before = client
            .simple_query("select count(*) from fact_enrollment")
            .await
            .expect("count");
        assert_ne!(first_column(&before), [Some("0".into())]);
        let set = client
            .simple_query("SET lyceum.as_of = 0")
            .await
            .expect("set");
        assert!(matches!(
            set.as_slice(),
            [SimpleQueryMessage::CommandComplete(_)]
        ));
        for table in ["fact_enrollment", "fact_attendance", "dim_student"] {
            let rows = client
                .simple_query(&format!("select count(*) from {table}"))
                .await
                .expect("count");
            assert_eq!(first_column(&rows), [Some("0".into())], "{table}");
        }
        // Another connection is not affected.
        let other = server.connect().await;
        let rows = other
            .simple_query("select count(*) from fact_enrollment")
            .await
            .expect("count");
        assert_eq!(first_column(&rows), first_column(&before));
    });
}

#[test]
fn an_unknown_database_is_refused_with_3d000() {
    let dir = tempfile::tempdir().expect("tempdir");
    let server = Server::serve(dir.path());
    block_on(async {
        let result =
            tokio_postgres::connect(&server.conn_str("postgres"), tokio_postgres::NoTls).await;
        assert_eq!(code_of(result.map(|_| ())), "3D000");
    });
    let out = server.psql(&["-d", "nope", "-c", "select 1"]).failed();
    assert!(
        out.stderr.contains("database \"nope\" does not exist"),
        "{out:#?}"
    );
}

#[test]
fn sigterm_stops_the_server_promptly() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut server = Server::serve(dir.path());
    // An idle client connection does not hold the server up.
    let status = block_on(async {
        let _client = server.connect().await;
        let started = Instant::now();
        let status = server.terminate(Duration::from_secs(10));
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "{:?}",
            started.elapsed()
        );
        status
    });
    assert!(
        status.success(),
        "exit status {status:?}\n{}",
        server.stderr()
    );
}

/// What the server sent on `socket` until it closed the connection; fails the test if it
/// neither answers nor closes within the socket's read timeout (a server that hangs).
fn read_until_closed(socket: &mut std::net::TcpStream, sent: &[u8]) -> Vec<u8> {
    use std::io::{ErrorKind, Read};
    let mut answer = Vec::new();
    match socket.read_to_end(&mut answer) {
        Ok(_) => {}
        // Closed with unread data in its buffer: a reset is a close too.
        Err(e) if e.kind() == ErrorKind::ConnectionReset => {}
        Err(e) => panic!(
            "after {sent:?} the server neither closed the connection nor stopped sending \
             (read {answer:?}): {e}"
        ),
    }
    answer
}

#[test]
fn garbage_and_dropped_clients_do_not_crash_the_server() {
    let dir = tempfile::tempdir().expect("tempdir");
    // A half-sent packet is closed after the authentication timeout.
    let server = Server::start(
        &[
            "serve",
            "--warehouse",
            arg(dir.path()),
            "--pg-addr",
            "127.0.0.1:0",
            "--authentication-timeout",
            "1",
        ],
        Duration::from_secs(30),
    );
    for garbage in [
        &b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"[..],
        &[0xff; 64][..],
        &[0, 0, 0, 8, 0, 3, 0, 0][..],
        &[0, 0, 0, 3][..],
    ] {
        let mut socket = std::net::TcpStream::connect(("127.0.0.1", server.port)).expect("connect");
        socket
            .set_read_timeout(Some(Duration::from_secs(5)))
            .expect("timeout");
        // The server may close before all of it is written.
        let _ = socket.write_all(garbage);
        let answer = read_until_closed(&mut socket, garbage);
        if let Some(&kind) = answer.first() {
            assert!(kind == b'E' || kind == b'N', "{garbage:?} got {answer:?}");
        }
    }
    block_on(async {
        // A client that sends its startup and a query, then vanishes.
        let client = server.connect().await;
        let query = client.simple_query("select 1");
        let _ = tokio::time::timeout(Duration::from_millis(1), query).await;
        drop(client);

        let client = server.connect().await;
        // No warehouse yet: an error, but an answer on a live connection.
        assert_eq!(code_of(client.simple_query("select 1").await), "55000");
        let again = client.simple_query("select 1").await;
        assert_eq!(code_of(again), "55000");
    });
    assert!(
        !server.stderr().contains("panicked"),
        "the server panicked:\n{}",
        server.stderr()
    );
}

#[test]
fn a_client_dropped_mid_query_does_not_hurt_others() {
    let server = Server::serve(loaded_warehouse());
    block_on(async {
        let (client, connection) =
            tokio_postgres::connect(&server.conn_str("lyceum"), tokio_postgres::NoTls)
                .await
                .expect("connect");
        let driver = tokio::spawn(connection);
        let query = client.simple_query("select * from fact_attendance a cross join dim_term t");
        let _ = tokio::time::timeout(Duration::from_millis(300), query).await;
        driver.abort();
        drop(client);

        let other = server.connect().await;
        let rows = other
            .simple_query("select count(*) > 0 from dim_term")
            .await
            .expect("count");
        assert_eq!(first_column(&rows), [Some("t".into())]);
    });
}

#[test]
fn quickstart_generates_loads_and_serves() {
    let dir = scratch_dir("quickstart");
    let mut server = Server::start(
        &["quickstart", "--dir", arg(&dir), "--pg-addr", "127.0.0.1:0"],
        Duration::from_secs(300),
    );
    let out = server
        .psql(&["-c", "select count(*) > 0 from fact_enrollment"])
        .ok();
    assert_eq!(out.stdout.trim(), "t", "{out:#?}");
    assert!(
        server.stdout().contains("committed warehouse version"),
        "{}",
        server.stdout()
    );
    let status = server.terminate(Duration::from_secs(10));
    assert!(status.success(), "{status:?}");
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn sigterm_during_a_long_query_exits_after_the_grace_period() {
    let wh = loaded_warehouse();
    let mut server = Server::start(
        &[
            "serve",
            "--warehouse",
            arg(wh),
            "--pg-addr",
            "127.0.0.1:0",
            "--shutdown-grace",
            "1",
        ],
        Duration::from_secs(30),
    );
    let status = block_on(async {
        let client = server.connect().await;
        // Far more work than the grace period allows.
        let query = tokio::spawn(async move {
            client
                .simple_query(
                    "select count(distinct concat(a.student_id, b.date_key, c.date_key)) \
                     from fact_attendance a cross join dim_date b cross join dim_date c",
                )
                .await
        });
        tokio::time::sleep(Duration::from_millis(500)).await;
        let started = Instant::now();
        let status = server.terminate(Duration::from_secs(15));
        assert!(
            started.elapsed() < Duration::from_secs(6),
            "{:?}",
            started.elapsed()
        );
        let answer = query.await.expect("query task");
        assert!(
            answer.is_err(),
            "the query cannot have finished: {answer:?}"
        );
        status
    });
    assert!(
        status.success(),
        "exit status {status:?}\n{}",
        server.stderr()
    );
}

#[test]
fn psql_meta_commands_describe_the_warehouse() {
    let server = Server::serve(loaded_warehouse());
    let run = |command: &str| {
        let out = server.psql(&["-c", command]).ok();
        assert!(out.stderr.is_empty(), "{command}: {out:#?}");
        out.stdout
    };
    let tables = run("\\dt");
    for table in [
        "fact_enrollment",
        "dim_student",
        "dim_term",
        "fact_feedback",
    ] {
        assert!(
            tables.contains(&format!("public|{table}|table|lyceum")),
            "{tables}"
        );
    }
    let describe = server
        .psql(&["-P", "tuples_only=off", "-c", "\\d fact_enrollment"])
        .ok()
        .stdout;
    assert!(
        describe.contains("enrollment_id|bigint||not null|"),
        "{describe}"
    );
    assert!(describe.contains("Indexes:"), "{describe}");
    assert!(
        describe.contains("credit_hours_attempted|numeric(3,1)||not null|"),
        "{describe}"
    );
    assert!(
        describe.contains("\"fact_enrollment_pkey\" PRIMARY KEY, btree (enrollment_id)"),
        "{describe}"
    );
    assert!(
        describe.contains("FOREIGN KEY (student_key) REFERENCES dim_student(student_key)"),
        "{describe}"
    );
    assert!(
        describe.contains("TABLE \"fact_performance\""),
        "{describe}"
    );
    let schemas = run("\\dn");
    assert!(
        schemas.contains("public|lyceum") && schemas.contains("system|lyceum"),
        "{schemas}"
    );
    let databases = run("\\l");
    assert!(databases.starts_with("lyceum|lyceum|UTF8"), "{databases}");
    let roles = run("\\du");
    assert!(roles.contains("admin|Superuser"), "{roles}");
    let expanded = server
        .psql(&[
            "-c",
            "\\x on",
            "-c",
            "select term_key, term_code from dim_term order by 1 limit 1",
        ])
        .ok()
        .stdout;
    assert!(
        expanded.contains("term_key|") && expanded.contains("term_code|"),
        "{expanded}"
    );
    let prepared = server
        .psql(&[
            "-c",
            "PREPARE terms(int) AS SELECT count(*) FROM dim_term WHERE term_key >= $1",
            "-c",
            "EXECUTE terms(0)",
            "-c",
            "DEALLOCATE terms",
        ])
        .ok()
        .stdout;
    let count: i64 = prepared
        .lines()
        .find_map(|l| l.trim().parse().ok())
        .unwrap_or_else(|| panic!("{prepared}"));
    assert!(count > 0, "{prepared}");
}

#[test]
fn a_malformed_startup_packet_is_refused_and_the_server_keeps_serving() {
    let server = Server::serve(loaded_warehouse());
    for packet in [
        // Protocol 9.9: a version no PostgreSQL speaks.
        vec![0, 0, 0, 8, 0, 9, 0, 9],
        // A length far beyond any startup packet.
        vec![0x7f, 0xff, 0xff, 0xff, 0, 3, 0, 0],
        // Protocol 3.0 with parameters that are not NUL-terminated.
        vec![0, 0, 0, 14, 0, 3, 0, 0, b'u', b's', b'e', b'r', 0, b'x'],
    ] {
        let mut socket = std::net::TcpStream::connect(("127.0.0.1", server.port)).expect("connect");
        socket
            .set_read_timeout(Some(Duration::from_secs(5)))
            .expect("timeout");
        socket.write_all(&packet).expect("send");
        let answer = read_until_closed(&mut socket, &packet);
        if let Some(&kind) = answer.first() {
            assert_eq!(kind, b'E', "{packet:?} got {answer:?}");
        }
    }
    let out = server.psql(&["-c", "select 1"]).ok();
    assert_eq!(out.stdout.trim(), "1");
}
