//! Rollups over the Postgres wire: an administrator creates the default rollups with
//! `psql -f queries/rollups/default.sql`, psql's `\dm` lists them, and `EXPLAIN` of every
//! dashboard query of `queries/` names the rollup it uses or says why none is used, with
//! the same answers as with rollups off.

use std::path::{Path, PathBuf};

use crate::common::{Server, block_on, code_of, copy_dir, loaded_warehouse, scratch_dir};

/// The dashboard queries the default rollups answer.
const ANSWERED: &[&str] = &["01", "02", "11", "16", "17", "21"];

fn queries_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../queries")
}

/// `EXPLAIN`'s `rollup` rows for `sql`.
async fn rollup_lines(client: &tokio_postgres::Client, sql: &str) -> Vec<String> {
    let rows = client
        .query(&format!("EXPLAIN {sql}"), &[])
        .await
        .unwrap_or_else(|e| panic!("EXPLAIN failed: {e:?}\n{sql}"));
    rows.iter()
        .filter(|r| r.get::<_, String>(0) == "rollup")
        .map(|r| r.get::<_, String>(1))
        .collect()
}

/// Every row of `sql` as text, via the simple query protocol.
async fn text_rows(client: &tokio_postgres::Client, sql: &str) -> Vec<Vec<Option<String>>> {
    let messages = client
        .simple_query(sql)
        .await
        .unwrap_or_else(|e| panic!("{e:?}\n{sql}"));
    messages
        .iter()
        .filter_map(|m| match m {
            tokio_postgres::SimpleQueryMessage::Row(row) => Some(
                (0..row.len())
                    .map(|i| row.get(i).map(str::to_string))
                    .collect(),
            ),
            _ => None,
        })
        .collect()
}

#[test]
fn dashboard_queries_explain_their_rollups_over_pgwire() {
    let dir = scratch_dir("rollups");
    let wh = dir.join("wh");
    copy_dir(loaded_warehouse(), &wh);
    let server = Server::serve(&wh);
    let file = queries_dir().join("rollups").join("default.sql");
    let out = server
        .psql(&[
            "-v",
            "ON_ERROR_STOP=1",
            "-f",
            file.to_str().expect("utf-8 path"),
        ])
        .ok();
    let tags: Vec<&str> = out.stdout.lines().collect();
    assert_eq!(tags.len(), 6, "{out:#?}");
    assert!(tags.iter().all(|t| t.starts_with("SELECT ")), "{tags:?}");
    // psql's \dm lists materialized views (relkind 'm').
    let listed = server.psql(&["-c", "\\dm"]).ok();
    assert!(
        listed
            .stdout
            .contains("public|kpi_gpa_department_term|materialized view"),
        "{listed:#?}"
    );

    block_on(async {
        let client = server.connect().await;
        let mut files: Vec<PathBuf> = std::fs::read_dir(queries_dir())
            .expect("queries/")
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "sql"))
            .collect();
        files.sort();
        let mut used = Vec::new();
        for file in &files {
            let sql = std::fs::read_to_string(file).expect("query file");
            let sql = sql.trim().trim_end_matches(';');
            let number = file.file_name().expect("name").to_string_lossy()[..2].to_string();
            let lines = rollup_lines(&client, sql).await;
            if lines.iter().any(|l| l.starts_with("used public.kpi_")) {
                client
                    .batch_execute("SET lyceum.rollups = off")
                    .await
                    .expect("off");
                let base = text_rows(&client, sql).await;
                client
                    .batch_execute("SET lyceum.rollups = on")
                    .await
                    .expect("on");
                assert_eq!(text_rows(&client, sql).await, base, "{number}");
                used.push(number);
            } else {
                assert!(
                    lines.iter().all(|l| l.starts_with("not used: ")),
                    "{number}: {lines:?}"
                );
            }
        }
        assert_eq!(used, ANSWERED);
        // The catalog of rollups.
        let rows = text_rows(
            &client,
            "SELECT count(*), bool_and(usable), sum(hits) > 0 FROM system.rollups",
        )
        .await;
        assert_eq!(
            rows,
            vec![vec![
                Some("6".to_string()),
                Some("t".to_string()),
                Some("t".to_string())
            ]]
        );
        // strict: a query no rollup answers is an error, not a slow surprise.
        client
            .batch_execute("SET lyceum.rollups = strict")
            .await
            .expect("strict");
        let err = client
            .simple_query("SELECT count(*) FROM fact_attendance WHERE minutes_late > 5")
            .await;
        assert_eq!(code_of(err), "0A000");
    });
}
