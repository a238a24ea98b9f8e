//! The server's memory limit: a query that needs several times `--memory-limit` spills or
//! fails alone with SQLSTATE 53200, while another client's queries go on and the server's
//! memory stays bounded.

use std::time::Duration;

use crate::common::{Server, arg, loaded_warehouse};

/// What the server may hold for queries in this test.
const LIMIT: &str = "64MiB";
/// The server's peak resident memory must stay under this. The same queries without a
/// limit peak near 690 MB (debug build, 2026-12-05); with the limit, near 300 MB: the
/// process itself, Parquet decoding and batches in flight are outside the pool.
const RSS_BOUND: u64 = 450 << 20;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_query_past_the_memory_limit_spills_or_fails_alone() {
    let server = Server::start(
        &[
            "serve",
            "--warehouse",
            arg(loaded_warehouse()),
            "--pg-addr",
            "127.0.0.1:0",
            "--memory-limit",
            LIMIT,
        ],
        Duration::from_secs(30),
    );
    let heavy = server.connect().await;
    let other = server.connect().await;

    // Each key is over 1 KB: sorting or grouping the ~230k attendance rows by it needs
    // about 230 MB, several times the limit.
    let key = "student_id || repeat('x', 1000) || date_key";
    let rows: i64 = other
        .query_one("SELECT count(*) FROM fact_attendance", &[])
        .await
        .expect("count")
        .get(0);
    let groups: i64 = other
        .query_one(
            "SELECT count(DISTINCT student_id || date_key) FROM fact_attendance",
            &[],
        )
        .await
        .expect("count groups")
        .get(0);
    let cases = vec![
        (
            format!(
                "SELECT count(*) FROM (SELECT {key} AS k FROM fact_attendance ORDER BY k DESC OFFSET 10) s"
            ),
            rows - 10,
        ),
        (
            format!(
                "SELECT count(*) FROM (SELECT {key} AS k, count(*) FROM fact_attendance GROUP BY 1) s"
            ),
            groups,
        ),
    ];
    let running = tokio::spawn(async move {
        let mut results = Vec::new();
        for (sql, expected) in cases {
            let result = heavy.query_one(&sql, &[]).await.map(|r| r.get::<_, i64>(0));
            results.push((sql, expected, result));
        }
        (heavy, results)
    });

    // The other session's queries keep succeeding while the heavy ones run.
    let mut served = 0;
    while !running.is_finished() {
        let n: i64 = other
            .query_one("SELECT count(*) FROM dim_course", &[])
            .await
            .unwrap_or_else(|e| panic!("a second client's query failed: {e:?}"))
            .get(0);
        assert!(n > 0);
        served += 1;
    }
    let (heavy, results) = running.await.expect("the heavy session");
    assert!(served > 0, "the second client ran no query meanwhile");

    for (sql, expected, result) in results {
        match result {
            // Spilled to disk and finished: the answer is the same as without a limit.
            Ok(n) => assert_eq!(n, expected, "{sql}"),
            Err(e) => {
                let db = e
                    .as_db_error()
                    .unwrap_or_else(|| panic!("{sql}: not a database error: {e:?}"));
                assert_eq!(db.code().code(), "53200", "{sql}: {db:?}");
                assert!(
                    db.message().contains("64 MiB") && db.message().contains("--memory-limit"),
                    "the message names the limit: {}",
                    db.message()
                );
            }
        }
    }
    // The heavy session itself goes on.
    let one: i64 = heavy
        .query_one("SELECT 1", &[])
        .await
        .expect("the session after its failed query")
        .get(0);
    assert_eq!(one, 1);
    let peak = server.peak_rss();
    assert!(
        peak < RSS_BOUND,
        "peak RSS {} MiB is over the bound {} MiB",
        peak >> 20,
        RSS_BOUND >> 20
    );
}
