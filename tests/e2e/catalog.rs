//! The catalog across releases: a warehouse written in catalog format 1 (the fixture in
//! `tests/fixtures/warehouse-v1`, made by that release) opens with the OIDs that release
//! showed, loads, and keeps those OIDs after the new format is written.

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::common::{Server, arg, copy_dir, run, scratch_dir};

const FIXTURE_ADMIN_PASSWORD: &str = "fixture-admin";

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/warehouse-v1")
}

/// The OID lines of `oids.csv` as this server answers them now.
fn current_oids(server: &Server) -> Vec<String> {
    let queries = [
        "SELECT 'namespace', nspname, oid FROM pg_namespace ORDER BY 2",
        "SELECT 'class', n.nspname || '.' || c.relname, c.oid, c.reltype FROM pg_class c \
         JOIN pg_namespace n ON n.oid = c.relnamespace \
         WHERE n.nspname IN ('public', 'system') ORDER BY 2",
        "SELECT 'constraint', conname, oid, conrelid, contype FROM pg_constraint ORDER BY conname",
        "SELECT 'role', rolname, oid FROM pg_roles ORDER BY 2",
    ];
    let mut lines = Vec::new();
    for q in queries {
        let out = server
            .psql_with(
                &["-F", ",", "-c", q],
                &[("PGPASSWORD", FIXTURE_ADMIN_PASSWORD)],
            )
            .ok();
        lines.extend(out.stdout.lines().map(str::to_string));
    }
    lines
}

/// The system views added since format 1 (`system.rollups`, `system.result_cache`).
const ADDED_SINCE: &[&str] = &["class,system.rollups,", "class,system.result_cache,"];

/// `lines` without the objects added since format 1 (which have OIDs of their own).
fn old_objects(lines: Vec<String>) -> Vec<String> {
    lines
        .into_iter()
        .filter(|l| !ADDED_SINCE.iter().any(|added| l.starts_with(added)))
        .collect()
}

fn expected_oids() -> Vec<String> {
    std::fs::read_to_string(fixture().join("oids.csv"))
        .expect("read oids.csv")
        .lines()
        .map(str::to_string)
        .collect()
}

fn count(server: &Server, table: &str) -> u64 {
    let out = server
        .psql_with(
            &["-c", &format!("SELECT count(*) FROM {table}")],
            &[("PGPASSWORD", FIXTURE_ADMIN_PASSWORD)],
        )
        .ok();
    out.stdout.trim().parse().expect("a count")
}

#[test]
fn a_format_1_warehouse_opens_and_loads_with_its_old_oids() {
    let dir = scratch_dir("format1");
    let wh = dir.join("wh");
    copy_dir(&fixture().join("wh"), &wh);
    let expected = expected_oids();
    assert!(
        expected.len() > 90,
        "oids.csv holds the old release's answers"
    );

    let mut server = Server::serve(&wh);
    assert_eq!(
        old_objects(current_oids(&server)),
        expected,
        "OIDs as format 1 showed them"
    );
    assert_eq!(count(&server, "fact_enrollment"), 2673);
    assert_eq!(count(&server, "dim_student"), 477);
    server.terminate(Duration::from_secs(10));

    // A load with the new code commits a version in the current format (3) on top of the
    // format-1 ones.
    let extract = dir.join("extract");
    run(&[
        "generate",
        "--scale",
        "0.002",
        "--seed",
        "8",
        "--out",
        arg(&extract),
    ])
    .ok();
    run(&["load", "--source", arg(&extract), "--warehouse", arg(&wh)]).ok();
    let newest = wh.join("_lyceum/versions/00000000000000000002.json");
    let text = std::fs::read_to_string(&newest).expect("version 2 was written");
    let doc: serde_json::Value = serde_json::from_str(&text).expect("version 2 is JSON");
    assert_eq!(doc["format_version"], 3);
    assert_eq!(doc["tables"]["public.dim_course"]["oids"]["table"], 16_400);

    let mut server = Server::serve(&wh);
    assert_eq!(
        old_objects(current_oids(&server)),
        expected,
        "OIDs stay after the upgrade"
    );
    let history = server
        .psql_with(
            &[
                "-c",
                "SELECT version, operation FROM system.snapshots ORDER BY 1",
            ],
            &[("PGPASSWORD", FIXTURE_ADMIN_PASSWORD)],
        )
        .ok();
    assert_eq!(history.stdout.trim(), "0|init\n1|load\n2|load");
    server.terminate(Duration::from_secs(10));
}
