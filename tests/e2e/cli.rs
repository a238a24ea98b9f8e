//! The command line: help, errors, output formats, generate/load summaries.

use crate::common::{arg, loaded, loaded_warehouse, run, run_in, scratch_dir};

#[test]
fn help_lists_every_subcommand() {
    let out = run(&["--help"]).ok();
    for sub in ["generate", "load", "sql", "serve", "quickstart"] {
        assert!(
            out.stdout.contains(sub),
            "--help does not mention {sub}:\n{}",
            out.stdout
        );
    }
    // Defaults and environment variables are shown.
    let out = run(&["serve", "--help"]).ok();
    assert!(out.stdout.contains("127.0.0.1:5433"), "{}", out.stdout);
    assert!(out.stdout.contains("LYCEUM_PG_ADDR"), "{}", out.stdout);
    assert!(out.stdout.contains("LYCEUM_WAREHOUSE"), "{}", out.stdout);
    let out = run(&["generate", "--help"]).ok();
    assert!(out.stdout.contains("[default: 42]"), "{}", out.stdout);
    assert!(out.stdout.contains("2025-03-15"), "{}", out.stdout);
}

#[test]
fn usage_errors_exit_with_2() {
    let out = run(&["no-such-command"]);
    assert_eq!(out.status.code(), Some(2), "{out:#?}");
    let out = run(&["sql", "--format", "xml", "select 1"]);
    assert_eq!(out.status.code(), Some(2), "{out:#?}");
}

#[test]
fn bad_sql_is_an_error_line() {
    let out = run(&["sql", "selec 1"]).failed();
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stderr.starts_with("lyceum: error: "), "{out:#?}");
    assert_eq!(out.stderr.lines().count(), 1, "one line: {out:#?}");
}

#[test]
fn an_unsupported_warehouse_url_is_rejected() {
    let out = run(&["sql", "--warehouse", "ftp://x/y", "select 1"]).failed();
    assert!(out.stderr.starts_with("lyceum: error: "), "{out:#?}");
    assert!(out.stderr.contains("ftp"), "{out:#?}");
}

#[test]
fn a_missing_warehouse_is_a_clear_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = run_in(
        dir.path(),
        &["sql", "--warehouse", arg(dir.path()), "select 1"],
    )
    .failed();
    assert!(out.stderr.starts_with("lyceum: error: "), "{out:#?}");
    assert!(out.stderr.contains("no Lyceum warehouse"), "{out:#?}");
    assert!(out.stderr.contains("lyceum load"), "{out:#?}");
}

#[test]
fn generate_rejects_bad_arguments() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = arg(dir.path()).to_string();
    let bad = run(&["generate", "--scale", "0", "--out", &out]);
    assert_eq!(bad.status.code(), Some(2), "{bad:#?}");
    let bad = run(&[
        "generate",
        "--scale",
        "0.01",
        "--out",
        &out,
        "--as-of",
        "2025-02-30",
    ]);
    assert_eq!(bad.status.code(), Some(2), "{bad:#?}");
    let bad = run(&[
        "generate",
        "--scale",
        "0.01",
        "--out",
        &out,
        "--dirty-rate",
        "0.9",
    ])
    .failed();
    assert!(bad.stderr.starts_with("lyceum: error: "), "{bad:#?}");
}

#[test]
fn load_reports_every_file_as_json() {
    let report = &loaded().report;
    assert!(
        report["warehouse_version"].as_u64().is_some_and(|v| v >= 1),
        "{report:#}"
    );
    let files = report["files"].as_array().expect("files");
    assert!(!files.is_empty(), "{report:#}");
    for f in files {
        let read = f["rows_read"].as_u64().expect("rows_read");
        let loaded = f["rows_loaded"].as_u64().expect("rows_loaded");
        let quarantined = f["rows_quarantined"].as_u64().expect("rows_quarantined");
        assert_eq!(read, loaded + quarantined, "{f:#}");
    }
}

#[test]
fn load_prints_a_data_quality_summary() {
    let source = &loaded().source;
    let dir = scratch_dir("summary");
    let warehouse = dir.join("wh");
    let out = run_in(
        &dir,
        &[
            "load",
            "--source",
            arg(source),
            "--warehouse",
            arg(&warehouse),
        ],
    )
    .ok();
    for needle in [
        "sis/enrollments.csv",
        "quarantined",
        "quarantined by rule",
        "cleaned by rule",
        "committed warehouse version 1",
    ] {
        assert!(
            out.stdout.contains(needle),
            "no {needle:?} in:\n{}",
            out.stdout
        );
    }
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn generate_prints_a_summary() {
    let dir = scratch_dir("generate");
    let out = run_in(
        &dir,
        &[
            "generate",
            "--scale",
            "0.005",
            "--out",
            arg(&dir.join("x")),
            "--dirty-rate",
            "0.02",
        ],
    )
    .ok();
    assert!(out.stdout.contains("sis/students.csv"), "{}", out.stdout);
    assert!(out.stdout.contains("rows/s"), "{}", out.stdout);
    let _ = std::fs::remove_dir_all(dir);
}

fn sql(args: &[&str]) -> crate::common::Output {
    let wh = loaded_warehouse();
    let mut all = vec!["sql", "--warehouse", arg(wh)];
    all.extend_from_slice(args);
    run(&all)
}

#[test]
fn csv_output_parses() {
    let out = sql(&[
        "--format",
        "csv",
        "select term_key, 1 as one, cast(null as int) as nothing, term_key > 0 as positive \
         from dim_term order by term_key",
    ])
    .ok();
    let mut reader = csv::Reader::from_reader(out.stdout.as_bytes());
    let header = reader.headers().expect("header").clone();
    assert_eq!(
        header.iter().collect::<Vec<_>>(),
        ["term_key", "one", "nothing", "positive"]
    );
    let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.expect("csv row")).collect();
    assert!(!rows.is_empty(), "{}", out.stdout);
    for row in &rows {
        assert!(row[0].parse::<i64>().is_ok(), "{row:?}");
        assert_eq!(&row[1], "1");
        assert_eq!(&row[2], "", "NULL is an empty field");
        assert_eq!(&row[3], "true");
    }
}

#[test]
fn csv_of_no_rows_is_just_the_header() {
    let out = sql(&[
        "--format",
        "csv",
        "select term_key from dim_term where false",
    ])
    .ok();
    assert_eq!(out.stdout.trim_end(), "term_key");
}

#[test]
fn json_output_is_one_object_per_line() {
    let out = sql(&[
        "--format",
        "json",
        "select term_key, cast(null as int) as nothing from dim_term order by term_key",
    ])
    .ok();
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert!(!lines.is_empty(), "{out:#?}");
    for line in lines {
        let value: serde_json::Value = serde_json::from_str(line).expect("a JSON line");
        assert!(value["term_key"].is_i64(), "{value}");
        assert!(value["nothing"].is_null(), "{value}");
    }
}

#[test]
fn table_output_and_the_last_result() {
    let out = sql(&["select 1 as first; select 2 as second"]).ok();
    assert!(out.stdout.contains("second"), "{}", out.stdout);
    assert!(
        !out.stdout.contains("first"),
        "only the last result: {}",
        out.stdout
    );
    assert!(out.stdout.contains("(1 row)"), "{}", out.stdout);
}

#[test]
fn as_of_zero_is_the_empty_warehouse() {
    let out = sql(&[
        "--format",
        "csv",
        "--as-of",
        "0",
        "select count(*) as n from fact_enrollment",
    ])
    .ok();
    assert_eq!(out.stdout, "n\n0\n");
    let out = sql(&[
        "--format",
        "csv",
        "select count(*) as n from fact_enrollment",
    ])
    .ok();
    let n: u64 = out
        .stdout
        .lines()
        .nth(1)
        .expect("a row")
        .parse()
        .expect("a count");
    assert!(n > 0, "{out:#?}");
    let out = sql(&["--as-of", "999999", "select 1"]).failed();
    assert!(out.stderr.contains("999999"), "{out:#?}");
}

#[test]
fn ddl_is_refused() {
    let out = sql(&["create table t (a int)"]).failed();
    assert!(out.stderr.starts_with("lyceum: error: "), "{out:#?}");
}
