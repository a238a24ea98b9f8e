//! The extended protocol, types, transactions, cancellation and authentication through
//! tokio-postgres (which prepares every statement, binds typed parameters in binary, asks
//! for binary results and pipelines concurrent queries), against a `lyceum serve` child.

use std::time::{Duration, Instant};

use chrono::{NaiveDate, NaiveDateTime};
use tokio_postgres::types::Type;
use tokio_postgres::{NoTls, SimpleQueryMessage};

use crate::common::{ADMIN_PASSWORD, Server, block_on, code_of, loaded_warehouse};

#[test]
fn typed_parameters_of_every_schema_type_round_trip_in_binary() {
    let server = Server::serve(loaded_warehouse());
    block_on(async {
        let client = server.connect().await;
        let statement = client
            .prepare_typed(
                "SELECT $1::smallint, $2::integer, $3::bigint, $4::double precision, \
                 $5::boolean, $6::varchar, $7::date, $8::timestamp, $9::text",
                &[
                    Type::INT2,
                    Type::INT4,
                    Type::INT8,
                    Type::FLOAT8,
                    Type::BOOL,
                    Type::VARCHAR,
                    Type::DATE,
                    Type::TIMESTAMP,
                    Type::TEXT,
                ],
            )
            .await
            .expect("prepare");
        let date = NaiveDate::from_ymd_opt(2024, 2, 29).expect("date");
        let ts: NaiveDateTime = date
            .and_hms_micro_opt(13, 45, 7, 123_456)
            .expect("timestamp");
        let row = client
            .query_one(
                &statement,
                &[
                    &-7i16,
                    &2_000_000_000i32,
                    &9_000_000_000_000i64,
                    &0.1f64,
                    &true,
                    &"naïve",
                    &date,
                    &ts,
                    &"line\nbreak",
                ],
            )
            .await
            .expect("execute");
        assert_eq!(row.get::<_, i16>(0), -7);
        assert_eq!(row.get::<_, i32>(1), 2_000_000_000);
        assert_eq!(row.get::<_, i64>(2), 9_000_000_000_000);
        assert_eq!(row.get::<_, f64>(3), 0.1);
        assert!(row.get::<_, bool>(4));
        assert_eq!(row.get::<_, &str>(5), "naïve");
        assert_eq!(row.get::<_, NaiveDate>(6), date);
        assert_eq!(row.get::<_, NaiveDateTime>(7), ts);
        assert_eq!(row.get::<_, &str>(8), "line\nbreak");

        // NULLs of every type, and parameters whose type the server infers.
        let row = client
            .query_one(
                "SELECT $1::integer IS NULL, $2::text IS NULL",
                &[&None::<i32>, &None::<&str>],
            )
            .await
            .expect("nulls");
        assert!(row.get::<_, bool>(0) && row.get::<_, bool>(1));
        let inferred = client
            .prepare("SELECT count(*) FROM dim_term WHERE term_key >= $1 AND term_code <> $2")
            .await
            .expect("prepare without types");
        assert_eq!(inferred.params(), &[Type::INT4, Type::TEXT]);
        let count: i64 = client
            .query_one(&inferred, &[&0i32, &"none"])
            .await
            .expect("run")
            .get(0);
        assert!(count > 0);
    });
}

#[test]
fn results_arrive_in_binary_with_exact_types() {
    let server = Server::serve(loaded_warehouse());
    block_on(async {
        let client = server.connect().await;
        let row = client
            .query_one(
                "SELECT enrollment_id, student_key, term_key, credit_hours_attempted, \
                 is_dfw, enrollment_status FROM fact_enrollment ORDER BY enrollment_id LIMIT 1",
                &[],
            )
            .await
            .expect("a row");
        let types: Vec<Type> = row.columns().iter().map(|c| c.type_().clone()).collect();
        assert_eq!(
            types,
            [
                Type::INT8,
                Type::INT8,
                Type::INT4,
                Type::NUMERIC,
                Type::BOOL,
                // Declared VARCHAR(n) by schema.sql, as PostgreSQL reports it.
                Type::VARCHAR
            ]
        );
        let _: i64 = row.get(0);
        let _: bool = row.get(4);
        let _: String = row.get(5);
        // Values tokio-postgres has no Rust type for (numeric, interval, bytea, arrays)
        // are checked as text, as the server encodes them.
        let text = client
            .simple_query(
                "SELECT CAST(1.50 AS DECIMAL(4,2)), INTERVAL '1 day 2 hours', \
                 CAST('\\x00ff' AS BYTEA), make_array(1, 2, NULL), NULL::int",
            )
            .await
            .expect("text");
        let SimpleQueryMessage::Row(row) = &text[1] else {
            panic!("{text:?}")
        };
        assert_eq!(row.get(0), Some("1.50"));
        assert_eq!(row.get(1), Some("1 day 02:00:00"));
        assert_eq!(row.get(2), Some("\\x00ff"));
        assert_eq!(row.get(3), Some("{1,2,NULL}"));
        assert_eq!(row.get(4), None);
        let arrays = client
            .query_one("SELECT make_array(1, 2, 3), CAST('\\x00ff' AS BYTEA)", &[])
            .await
            .expect("arrays in binary");
        // `1` is an integer (int4), as in PostgreSQL: the array is an int4[].
        assert_eq!(arrays.get::<_, Vec<i32>>(0), vec![1, 2, 3]);
        assert_eq!(arrays.get::<_, Vec<u8>>(1), vec![0, 255]);
        // array_agg of a varchar column is a varchar[], as in PostgreSQL.
        let codes = client
            .query_one(
                "SELECT array_agg(term_code ORDER BY term_code) FROM dim_term",
                &[],
            )
            .await
            .expect("varchar[] in binary");
        assert_eq!(codes.columns()[0].type_(), &Type::VARCHAR_ARRAY);
        let codes: Vec<String> = codes.get(0);
        assert!(
            !codes.is_empty() && codes.windows(2).all(|w| w[0] <= w[1]),
            "{codes:?}"
        );
        // json and jsonb, with their OIDs; jsonb's binary form starts with its version.
        let json = client
            .query_one(
                "SELECT answers_json::json, answers_json::jsonb -> 'q1', \
                 answers_json::json ->> 'q2' FROM fact_feedback \
                 WHERE survey_type = 'COURSE_EVAL' ORDER BY response_id LIMIT 1",
                &[],
            )
            .await
            .expect("json in binary");
        let types: Vec<Type> = json.columns().iter().map(|c| c.type_().clone()).collect();
        assert_eq!(types, [Type::JSON, Type::JSONB, Type::TEXT]);
        let document: serde_json::Value = json.get(0);
        assert!(document.get("q2").is_some(), "{document}");
        let q1: serde_json::Value = json.get(1);
        assert!(q1.is_number(), "{q1}");
        assert_eq!(
            document.get("q2").and_then(|v| v.as_str()),
            Some(json.get::<_, &str>(2))
        );
    });
}

#[test]
fn portals_return_rows_in_chunks_and_resume() {
    let server = Server::serve(loaded_warehouse());
    block_on(async {
        let mut client = server.connect().await;
        let total: i64 = client
            .query_one("SELECT count(*) FROM fact_enrollment", &[])
            .await
            .expect("count")
            .get(0);
        let tx = client.transaction().await.expect("begin");
        let statement = tx
            .prepare("SELECT enrollment_id FROM fact_enrollment")
            .await
            .expect("prepare");
        let portal = tx.bind(&statement, &[]).await.expect("bind");
        let mut seen = 0usize;
        let mut chunks = 0;
        loop {
            let rows = tx.query_portal(&portal, 100).await.expect("a chunk");
            seen += rows.len();
            chunks += 1;
            if rows.len() < 100 {
                break;
            }
        }
        assert_eq!(seen as i64, total);
        assert!(chunks > 2, "{chunks} chunks");
        tx.commit().await.expect("commit");
    });
}

#[test]
fn pipelined_queries_answer_in_order() {
    let server = Server::serve(loaded_warehouse());
    block_on(async {
        let client = server.connect().await;
        // tokio-postgres sends all three before reading any answer.
        let a = client.query_one("SELECT 1::int4", &[]);
        let b = client.query(
            "SELECT term_key FROM dim_term ORDER BY term_key LIMIT 3",
            &[],
        );
        let c = client.query_one("SELECT $1::text", &[&"third"]);
        let bad = client.query_one("SELECT 1/0", &[]);
        let d = client.query_one("SELECT 4::int4", &[]);
        let (a, b, c, bad, d) = futures::join!(a, b, c, bad, d);
        assert_eq!(a.expect("a").get::<_, i32>(0), 1);
        assert_eq!(b.expect("b").len(), 3);
        assert_eq!(c.expect("c").get::<_, &str>(0), "third");
        assert_eq!(code_of(bad), "22012");
        // An error in one statement of a pipeline does not spoil the ones after its Sync.
        assert_eq!(d.expect("d").get::<_, i32>(0), 4);
    });
}

#[test]
fn transactions_report_their_status_and_fail_on_error() {
    let server = Server::serve(loaded_warehouse());
    block_on(async {
        let client = server.connect().await;
        client.batch_execute("BEGIN").await.expect("begin");
        assert_eq!(code_of(client.simple_query("SELECT 1/0").await), "22012");
        assert_eq!(code_of(client.simple_query("SELECT 1").await), "25P02");
        assert_eq!(code_of(client.query("SELECT 1", &[]).await), "25P02");
        client.batch_execute("ROLLBACK").await.expect("rollback");
        let row = client
            .query_one("SELECT 2::int4", &[])
            .await
            .expect("after");
        assert_eq!(row.get::<_, i32>(0), 2);
        // Session settings are per connection.
        client
            .batch_execute("SET application_name = 'lyceum-test'")
            .await
            .expect("set");
        let name: String = client
            .query_one("SELECT current_setting('application_name')", &[])
            .await
            .expect("current_setting")
            .get(0);
        assert_eq!(name, "lyceum-test");
        let other = server.connect().await;
        let name: String = other
            .query_one("SHOW application_name", &[])
            .await
            .expect("show")
            .get(0);
        assert_eq!(name, "");
    });
}

/// Far more work than any test waits for.
const SLOW: &str = "SELECT count(*) FROM generate_series(1, 100000000000) AS t(x) WHERE x % 7 = 3";

#[test]
fn a_cancel_request_stops_the_query_and_the_connection_stays_usable() {
    let server = Server::serve(loaded_warehouse());
    block_on(async {
        let client = server.connect().await;
        let token = client.cancel_token();
        // As in PostgreSQL, a cancel request that arrives before the query runs (a loaded
        // machine may still be planning it) cancels nothing: ask again until it ends.
        let ended = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let done = ended.clone();
        let canceller = tokio::spawn(async move {
            loop {
                tokio::time::sleep(Duration::from_millis(500)).await;
                if done.load(std::sync::atomic::Ordering::SeqCst) {
                    return Ok::<(), tokio_postgres::Error>(());
                }
                token.cancel_query(NoTls).await?;
            }
        });
        let started = Instant::now();
        let result = tokio::time::timeout(Duration::from_secs(20), client.query(SLOW, &[]))
            .await
            .expect("the cancel request stopped the query");
        ended.store(true, std::sync::atomic::Ordering::SeqCst);
        let took = started.elapsed();
        assert_eq!(code_of(result), "57014");
        assert!(took < Duration::from_secs(5), "canceled after {took:?}");
        canceller.await.expect("task").expect("cancel request sent");
        let row = client
            .query_one("SELECT 3::int4", &[])
            .await
            .expect("after");
        assert_eq!(row.get::<_, i32>(0), 3);

        // statement_timeout covers the statement too.
        client
            .batch_execute("SET statement_timeout = '300ms'")
            .await
            .expect("set");
        let started = Instant::now();
        let result = tokio::time::timeout(Duration::from_secs(20), client.query(SLOW, &[]))
            .await
            .expect("statement_timeout stopped the query");
        assert_eq!(code_of(result), "57014");
        assert!(started.elapsed() < Duration::from_secs(3));
        // pg_cancel_backend on an unknown backend says so.
        let row = client
            .query_one("SELECT pg_cancel_backend(1)", &[])
            .await
            .expect("pg_cancel_backend");
        assert!(!row.get::<_, bool>(0));
    });
}

#[test]
fn wrong_passwords_unknown_users_and_databases_are_refused() {
    let server = Server::serve(loaded_warehouse());
    block_on(async {
        let conn = |user: &str, password: &str, db: &str| {
            format!(
                "host=127.0.0.1 port={} user={user} password={password} dbname={db} \
                 connect_timeout=10",
                server.port
            )
        };
        let wrong = tokio_postgres::connect(&conn("admin", "nope", "lyceum"), NoTls).await;
        assert_eq!(code_of(wrong.map(|_| ())), "28P01");
        let ghost = tokio_postgres::connect(&conn("ghost", "nope", "lyceum"), NoTls).await;
        assert_eq!(code_of(ghost.map(|_| ())), "28P01");
        let db = tokio_postgres::connect(&conn("admin", ADMIN_PASSWORD, "postgres"), NoTls).await;
        assert_eq!(code_of(db.map(|_| ())), "3D000");

        // An admin creates a user who then logs in, sees itself, and cannot create users.
        let admin = server.connect().await;
        admin
            .batch_execute("CREATE USER analyst PASSWORD 's3cret'")
            .await
            .expect("create user");
        let (analyst, connection) =
            tokio_postgres::connect(&conn("analyst", "s3cret", "lyceum"), NoTls)
                .await
                .expect("the new user logs in");
        tokio::spawn(connection);
        let me: String = analyst
            .query_one("SELECT current_user", &[])
            .await
            .expect("current_user")
            .get(0);
        assert_eq!(me, "analyst");
        assert_eq!(
            code_of(analyst.batch_execute("CREATE USER x PASSWORD 'y'").await),
            "42501"
        );
        admin
            .batch_execute("DROP USER analyst")
            .await
            .expect("drop user");
        let gone = tokio_postgres::connect(&conn("analyst", "s3cret", "lyceum"), NoTls).await;
        assert_eq!(code_of(gone.map(|_| ())), "28P01");
    });
}

#[test]
fn the_connection_limit_is_enforced_with_53300() {
    let wh = loaded_warehouse();
    let server = Server::start(
        &[
            "serve",
            "--warehouse",
            crate::common::arg(wh),
            "--pg-addr",
            "127.0.0.1:0",
            "--max-connections",
            "2",
        ],
        Duration::from_secs(30),
    );
    block_on(async {
        let a = server.connect().await;
        let b = server.connect().await;
        let third = tokio_postgres::connect(&server.conn_str("lyceum"), NoTls).await;
        assert_eq!(code_of(third.map(|_| ())), "53300");
        drop(a);
        tokio::time::sleep(Duration::from_millis(300)).await;
        let c = server.connect().await;
        c.simple_query("SELECT 1")
            .await
            .expect("a slot is free again");
        drop(b);
    });
}

/// A self-signed certificate and key for 127.0.0.1, made with openssl.
fn self_signed(dir: &std::path::Path) -> (std::path::PathBuf, std::path::PathBuf) {
    let cert = dir.join("server.crt");
    let key = dir.join("server.key");
    let status = std::process::Command::new("openssl")
        .args([
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
        ])
        .args(["-subj", "/CN=127.0.0.1", "-keyout"])
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .expect("run openssl");
    assert!(status.success(), "openssl failed");
    (cert, key)
}

#[test]
fn tls_is_negotiated_and_can_be_required() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (cert, key) = self_signed(dir.path());
    let wh = loaded_warehouse();
    let server = Server::start(
        &[
            "serve",
            "--warehouse",
            crate::common::arg(wh),
            "--pg-addr",
            "127.0.0.1:0",
            "--tls-cert",
            crate::common::arg(&cert),
            "--tls-key",
            crate::common::arg(&key),
            "--require-tls",
        ],
        Duration::from_secs(30),
    );
    let with_mode = |mode: &str| {
        server.psql_with(
            &["-c", "\\conninfo", "-c", "select 42"],
            &[("PGSSLMODE", mode)],
        )
    };
    let secure = with_mode("require");
    assert!(secure.status.success(), "{secure:#?}");
    assert!(secure.stdout.contains("SSL connection"), "{secure:#?}");
    assert!(secure.stdout.contains("42"), "{secure:#?}");
    let plain = with_mode("disable");
    assert!(!plain.status.success());
    assert!(
        plain.stderr.contains("accepts only TLS connections"),
        "{plain:#?}"
    );

    // The server keeps serving TLS clients after refusing the plain one.
    assert!(with_mode("require").status.success());
}

#[test]
fn cleartext_passwords_need_tls() {
    let wh = loaded_warehouse();
    // Refused at startup without a certificate: it would send passwords in the clear.
    let out = crate::common::run(&[
        "serve",
        "--warehouse",
        crate::common::arg(wh),
        "--pg-addr",
        "127.0.0.1:0",
        "--auth",
        "password",
    ])
    .failed();
    assert!(out.stderr.contains("needs --tls-cert"), "{out:#?}");

    let dir = tempfile::tempdir().expect("tempdir");
    let (cert, key) = self_signed(dir.path());
    let server = Server::start(
        &[
            "serve",
            "--warehouse",
            crate::common::arg(wh),
            "--pg-addr",
            "127.0.0.1:0",
            "--tls-cert",
            crate::common::arg(&cert),
            "--tls-key",
            crate::common::arg(&key),
            "--auth",
            "password",
        ],
        Duration::from_secs(30),
    );
    let psql = |mode: &str, password: &str| {
        server.psql_with(
            &["-c", "select 7"],
            &[("PGSSLMODE", mode), ("PGPASSWORD", password)],
        )
    };
    let ok = psql("require", ADMIN_PASSWORD);
    assert!(ok.status.success(), "{ok:?}");
    let wrong = psql("require", "nope");
    assert!(
        wrong.stderr.contains("password authentication failed"),
        "{wrong:#?}"
    );
    let plain = psql("disable", ADMIN_PASSWORD);
    assert!(
        !plain.status.success(),
        "a cleartext password over plain TCP"
    );
}
