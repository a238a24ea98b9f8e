//! The server's memory limit: a query that needs several times `--memory-limit` spills or
//! fails alone with SQLSTATE 53200, while another client's queries go on and the server's
//! memory stays bounded.

use std::time::Duration;

use crate::common::{Server, arg, loaded_warehouse};

/// What the server may hold for queries in this test (a query may take half).
const LIMIT: &str = "16MiB";
/// The server's peak resident memory must stay under this. The same queries without a
/// limit peak near 420 MB (debug build, 2026-12-05); with the limit, near 220 MB: the
/// process itself, Parquet decoding and batches in flight are outside the pool.
const RSS_BOUND: u64 = 320 << 20;

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

    // ~930k keys of ~117 bytes: sorting or grouping them needs over 100 MB, several
    // times a query's 8 MiB share.
    let key = "student_id || repeat('x', 100) || date_key || n";
    let from = "fact_attendance CROSS JOIN (VALUES (1), (2), (3), (4)) AS v(n)";
    // Expected answers from a server without a limit on the same warehouse.
    let (rows, groups, min_key) = {
        let unlimited = Server::serve(loaded_warehouse());
        let client = unlimited.connect().await;
        let row = client
            .query_one(
                &format!(
                    "SELECT count(*), count(DISTINCT student_id || date_key), min({key}) \
                     FROM {from} WHERE n = 1"
                ),
                &[],
            )
            .await
            .expect("expected answers");
        (
            row.get::<_, i64>(0),
            row.get::<_, i64>(1),
            row.get::<_, String>(2),
        )
    };
    let cases = vec![
        (
            format!(
                "SELECT count(*)::text || ' ' || min(k) FROM \
                 (SELECT {key} AS k FROM {from} ORDER BY k DESC OFFSET 10) s"
            ),
            format!("{} {min_key}", rows * 4 - 10),
        ),
        (
            format!(
                "SELECT count(*)::text FROM (SELECT {key} AS k, count(*) FROM {from} GROUP BY 1) s"
            ),
            (groups * 4).to_string(),
        ),
    ];
    let running = tokio::spawn(async move {
        let mut results = Vec::new();
        for (sql, expected) in cases {
            let result = heavy
                .query_one(&sql, &[])
                .await
                .map(|r| r.get::<_, String>(0));
            results.push((sql, expected, result));
        }
        (heavy, results)
    });

    // The other session's queries keep succeeding while the heavy ones run.
    let mut served = 0;
    while !running.is_finished() {
        let n: i64 = other
            .query_one("SELECT count(*) FROM dim_course WHERE course_key > 0", &[])
            .await
            .unwrap_or_else(|e| panic!("a second client's query failed: {e:?}"))
            .get(0);
        assert!(n > 0);
        served += 1;
    }
    let (heavy, results) = running.await.expect("the heavy session");
    assert!(served > 0, "the second client ran no query meanwhile");

    // The sort spills and finishes (one spillable sort: see ENGINE_DEFAULTS).
    assert!(
        results[0].2.is_ok(),
        "the sort did not complete by spilling: {:?}",
        results[0].2
    );
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
                    db.message().contains("16 MiB") && db.message().contains("--memory-limit"),
                    "the message names the limit: {}",
                    db.message()
                );
            }
        }
    }
    // The heavy session itself goes on.
    let one: i32 = heavy
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
