//! Materialized views as rollups: built by an administrator, used by aggregates they
//! answer (identical answers with rollups on and off), skipped with a reason when stale,
//! used again after a refresh, and explained.

use super::tests::{generated_university, one, rows, tmp};
use super::*;
use crate::auth::Identity;
use crate::load::tests::loaded_warehouse;
use crate::warehouse::transaction::Transaction;

const GPA_ROLLUP: &str = "CREATE MATERIALIZED VIEW gpa_dept_term AS \
    SELECT d.college_code, d.department_code, e.term_key, t.academic_year, \
           count(*) AS enrollments, \
           sum(e.grade_points * e.credit_hours_attempted) AS quality_points, \
           sum(e.credit_hours_attempted) AS credits, \
           min(e.final_score_pct) AS lowest, max(e.final_score_pct) AS highest, \
           avg(e.grade_points) AS mean_grade, count(e.grade_points) AS graded, \
           sum(CASE WHEN e.is_dfw THEN 1 ELSE 0 END) AS dfw \
    FROM fact_enrollment e \
    JOIN dim_department d ON e.department_key = d.department_key \
    JOIN dim_term t ON e.term_key = t.term_key \
    GROUP BY d.college_code, d.department_code, e.term_key, t.academic_year";

/// Queries the rollup answers: coarser keys, filters on keys, every merged measure,
/// HAVING / ORDER BY / LIMIT above, CTEs and subqueries around.
const ANSWERED: &[&str] = &[
    "SELECT d.college_code, t.academic_year, \
            sum(e.grade_points * e.credit_hours_attempted) / sum(e.credit_hours_attempted) AS gpa \
     FROM fact_enrollment e JOIN dim_department d ON e.department_key = d.department_key \
     JOIN dim_term t ON e.term_key = t.term_key \
     GROUP BY d.college_code, t.academic_year ORDER BY 1, 2",
    "SELECT e.term_key, count(*), min(e.final_score_pct), max(e.final_score_pct), avg(e.grade_points) \
     FROM fact_enrollment e JOIN dim_department d ON e.department_key = d.department_key \
     JOIN dim_term t ON e.term_key = t.term_key \
     GROUP BY e.term_key ORDER BY e.term_key",
    "SELECT d.department_code, sum(CASE WHEN e.is_dfw THEN 1 ELSE 0 END) AS dfw, count(*) AS n \
     FROM fact_enrollment e JOIN dim_department d ON e.department_key = d.department_key \
     JOIN dim_term t ON e.term_key = t.term_key \
     WHERE d.college_code <> 'ENG' AND e.term_key > 0 \
     GROUP BY d.department_code HAVING count(*) > 0 ORDER BY dfw DESC, 1 LIMIT 7",
    "WITH per AS (SELECT d.college_code AS c, count(e.grade_points) AS g \
                  FROM fact_enrollment e JOIN dim_department d ON e.department_key = d.department_key \
                  JOIN dim_term t ON e.term_key = t.term_key GROUP BY d.college_code) \
     SELECT c, g FROM per WHERE g >= 0 ORDER BY c",
    "SELECT count(*) FROM (SELECT t.academic_year, sum(e.credit_hours_attempted) AS s \
        FROM fact_enrollment e JOIN dim_department d ON e.department_key = d.department_key \
        JOIN dim_term t ON e.term_key = t.term_key \
        WHERE t.academic_year = 'no such year' GROUP BY t.academic_year) x",
    "SELECT sum(e.credit_hours_attempted), count(*) \
     FROM fact_enrollment e JOIN dim_department d ON e.department_key = d.department_key \
     JOIN dim_term t ON e.term_key = t.term_key",
];

/// The answer of `sql` with `lyceum.rollups` set to `mode`, and the EXPLAIN's rollup lines.
async fn answer(s: &mut Session, mode: &str, sql: &str) -> Result<(Vec<String>, Vec<String>)> {
    s.execute(&format!("SET lyceum.rollups = {mode}")).await?;
    let answer = Box::pin(rows(s, sql)).await?;
    let explained = Box::pin(rows(s, &format!("EXPLAIN {sql}"))).await?;
    let lines = explained
        .into_iter()
        .filter(|l| l.starts_with("rollup,"))
        .collect();
    Ok((answer, lines))
}

/// Runs a long story on a thread with room: debug builds plan SQL in deep, large stack
/// frames, and the test thread (2 MiB) polls them.
fn on_big_stack<F>(story: fn() -> F) -> Result<()>
where
    F: std::future::Future<Output = Result<()>> + 'static,
{
    std::thread::Builder::new()
        .stack_size(8 << 20)
        .spawn(move || {
            tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .map_err(|e| EngineError::io("building a runtime", e))?
                .block_on(story())
        })
        .map_err(|e| EngineError::io("starting the test thread", e))?
        .join()
        .map_err(|_| EngineError::Internal("the rollup story panicked".into()))?
}

#[test]
fn rollups_answer_exactly_go_stale_and_refresh() -> Result<()> {
    on_big_stack(lifecycle)
}

async fn lifecycle() -> Result<()> {
    let dir = tmp()?;
    let warehouse = loaded_warehouse(dir.path(), false).await?;
    let engine = Engine::new(warehouse.clone(), crate::pgcatalog::PostgresProfile::new()?)?;
    let mut s = engine.session(Identity::local())?;
    s.execute("SET lyceum.result_cache = off").await?;

    let groups = one(
        &mut s,
        "SELECT count(*) FROM (SELECT DISTINCT d.college_code, d.department_code, e.term_key, t.academic_year \
         FROM fact_enrollment e JOIN dim_department d ON e.department_key = d.department_key \
         JOIN dim_term t ON e.term_key = t.term_key) g",
    )
    .await?;
    let out = s.execute(GPA_ROLLUP).await?;
    match &out[0] {
        QueryOutput::Command(done) => {
            assert_eq!(
                done.to_string(),
                format!("CREATE MATERIALIZED VIEW {groups}")
            )
        }
        other => panic!("{other:?}"),
    }

    for sql in ANSWERED {
        let (base, off) = answer(&mut s, "off", sql).await?;
        let (rolled, on) = answer(&mut s, "on", sql).await?;
        assert!(!base.is_empty(), "{sql}");
        assert_eq!(base, rolled, "{sql}");
        assert_eq!(off, vec!["rollup,not used: lyceum.rollups is off"], "{sql}");
        assert!(
            on.iter().any(|l| l == "rollup,used public.gpa_dept_term"),
            "{sql}: {on:?}"
        );
        // Strict: these need no base-table aggregate.
        answer(&mut s, "strict", sql).await?;
    }

    // Not answered: a key the rollup does not group by; strict makes that an error.
    let finer = "SELECT e.course_key, count(*) FROM fact_enrollment e \
                 JOIN dim_department d ON e.department_key = d.department_key \
                 JOIN dim_term t ON e.term_key = t.term_key GROUP BY e.course_key ORDER BY 1";
    let (base, off) = answer(&mut s, "off", finer).await?;
    let (same, on) = answer(&mut s, "on", finer).await?;
    assert_eq!(base, same);
    assert_eq!(off.len(), 1);
    assert!(
        on.iter()
            .any(|l| l.starts_with("rollup,not used:") && l.contains("gpa_dept_term")),
        "{on:?}"
    );
    s.execute("SET lyceum.rollups = strict").await?;
    let err = s.execute(finer).await.err().map(|e| e.to_string());
    assert!(
        err.as_deref().is_some_and(|e| e.contains("strict")),
        "{err:?}"
    );
    s.execute("SET lyceum.rollups = on").await?;
    assert!(s.execute("SET lyceum.rollups = sometimes").await.is_err());

    // The view reads its definition over the pinned version, and is relkind 'm'.
    assert_eq!(
        one(&mut s, "SELECT count(*) FROM gpa_dept_term").await?,
        groups
    );
    assert_eq!(
        one(
            &mut s,
            "SELECT relkind FROM pg_catalog.pg_class WHERE relname = 'gpa_dept_term'"
        )
        .await?,
        "m"
    );

    // A load that changes a table the rollup reads rebuilds it in the same version.
    let probe = ANSWERED[1];
    let (before, _) = answer(&mut s, "on", probe).await?;
    let report = crate::load::tests::load_later(&warehouse, dir.path()).await?;
    assert!(
        report
            .rollups_refreshed
            .iter()
            .any(|r| r.rollup == "public.gpa_dept_term" && r.disabled.is_none()),
        "{:?}",
        report.rollups_refreshed
    );
    let loaded = report.warehouse_version;
    let (base, _) = answer(&mut s, "off", probe).await?;
    let (fresh, used) = answer(&mut s, "on", probe).await?;
    assert_ne!(before, base, "the second load changes the answer");
    assert_eq!(base, fresh);
    assert!(
        used.iter().any(|l| l == "rollup,used public.gpa_dept_term"),
        "{used:?}"
    );

    // A writer that changes facts without rebuilding (here: a bare transaction) leaves
    // it stale: the base tables answer, and EXPLAIN says why.
    let mut tx = Transaction::begin(&warehouse).await?;
    let plan = s
        .ctx
        .state()
        .create_logical_plan("SELECT * FROM fact_enrollment LIMIT 3")
        .await?;
    tx.append_plan("public.fact_enrollment", plan, &s.ctx.state())
        .await?;
    tx.commit("test", None, "facts without a rollup refresh".into())
        .await?;
    let (base, _) = answer(&mut s, "off", probe).await?;
    let (stale, why) = answer(&mut s, "on", probe).await?;
    assert_ne!(base, fresh, "three more rows are counted");
    assert_eq!(base, stale);
    assert!(
        why.iter().any(|l| l.contains("changed since it was built")),
        "{why:?}"
    );
    assert_eq!(
        listed_reason(
            &mut s,
            "public.gpa_dept_term",
            "%public.fact_enrollment changed since it was built%"
        )
        .await?,
        "false,true"
    );

    // A refresh racing a reader: the reader's transaction keeps its snapshot (the stale
    // version, answered from the base tables) until it ends.
    let mut reader = engine.session(Identity::local())?;
    reader.execute("SET lyceum.result_cache = off").await?;
    reader.execute("BEGIN").await?;
    let (during, _) = answer(&mut reader, "on", probe).await?;
    assert_eq!(during, base);
    // REFRESH: used again, same answers.
    s.execute("REFRESH MATERIALIZED VIEW gpa_dept_term").await?;
    let (still, lines) = answer(&mut reader, "on", probe).await?;
    assert_eq!(still, base);
    assert!(
        lines.iter().all(|l| !l.contains("used public")),
        "{lines:?}"
    );
    reader.execute("COMMIT").await?;
    let (after, lines) = answer(&mut reader, "on", probe).await?;
    assert_eq!(after, base);
    assert!(
        lines
            .iter()
            .any(|l| l == "rollup,used public.gpa_dept_term"),
        "{lines:?}"
    );
    let (refreshed, used) = answer(&mut s, "on", probe).await?;
    assert_eq!(base, refreshed);
    assert!(
        used.iter().any(|l| l == "rollup,used public.gpa_dept_term"),
        "{used:?}"
    );
    let listed = one(
        &mut s,
        "SELECT usable, reason IS NULL, hits > 0, rows > 0, bytes > 0, built_from LIKE '%public.fact_enrollment@%' \
         FROM system.rollups WHERE name = 'public.gpa_dept_term'",
    )
    .await?;
    assert_eq!(listed, "true,true,true,true,true,true");

    // Time travel: the version the load committed has the rollup it rebuilt, fresh there.
    s.execute(&format!("SET lyceum.as_of = {loaded}")).await?;
    let (then_off, _) = answer(&mut s, "off", probe).await?;
    let (then_on, used) = answer(&mut s, "on", probe).await?;
    assert_eq!(then_off, fresh);
    assert_eq!(then_on, fresh);
    assert!(
        used.iter().any(|l| l == "rollup,used public.gpa_dept_term"),
        "{used:?}"
    );
    s.execute("RESET lyceum.as_of").await?;

    // Only administrators define rollups, and not inside a transaction block.
    s.execute("BEGIN").await?;
    let err = s
        .execute("REFRESH MATERIALIZED VIEW gpa_dept_term")
        .await
        .err()
        .map(|e| e.kind());
    assert_eq!(err, Some(crate::error::ErrorKind::ActiveTransaction));
    s.execute("ROLLBACK").await?;

    let analyst = Identity {
        name: "analyst".into(),
        superuser: false,
        oid: 0,
    };
    let mut other = engine.session(analyst)?;
    let err = other
        .execute("REFRESH MATERIALIZED VIEW gpa_dept_term")
        .await
        .err()
        .map(|e| e.kind());
    assert_eq!(err, Some(crate::error::ErrorKind::InsufficientPrivilege));

    // A table is not a materialized view (42809), and rollups live in schema public.
    let err = s
        .execute("DROP MATERIALIZED VIEW dim_term")
        .await
        .err()
        .map(|e| e.kind());
    assert_eq!(err, Some(crate::error::ErrorKind::WrongObjectType));
    let err = s
        .execute("CREATE MATERIALIZED VIEW sandbox.mv AS SELECT term_key, count(*) FROM fact_enrollment GROUP BY term_key")
        .await
        .err()
        .map(|e| e.kind());
    assert_eq!(err, Some(crate::error::ErrorKind::FeatureNotSupported));

    // DROP: gone from the catalog, the base tables answer.
    s.execute("DROP MATERIALIZED VIEW gpa_dept_term").await?;
    let (after, gone) = answer(&mut s, "on", probe).await?;
    assert_eq!(after, base);
    assert!(gone.iter().all(|l| !l.contains("used public")), "{gone:?}");
    assert!(
        s.execute("DROP MATERIALIZED VIEW gpa_dept_term")
            .await
            .is_err()
    );
    s.execute("DROP MATERIALIZED VIEW IF EXISTS gpa_dept_term")
        .await?;
    Ok(())
}

const BY_TERM: &str = "CREATE MATERIALIZED VIEW enrollment_by_term AS \
    SELECT term_key, enrollment_status, count(*) AS n, sum(credit_hours_attempted) AS credits, \
           min(final_score_pct) AS lowest, max(final_score_pct) AS highest, \
           count(DISTINCT student_key) AS students \
    FROM fact_enrollment GROUP BY term_key, enrollment_status";

const BY_YEAR: &str = "CREATE MATERIALIZED VIEW enrollment_by_year AS \
    SELECT t.academic_year, count(*) AS n, sum(e.credit_hours_earned) AS earned, \
           median(e.grade_points) AS median_points, stddev(e.grade_points::float8) AS points_spread, \
           corr(e.grade_points, e.final_score_pct) AS fit \
    FROM fact_enrollment e JOIN dim_term t ON e.term_key = t.term_key \
    GROUP BY t.academic_year";

/// Queries answered by the rollups above (and `GPA_ROLLUP`).
const APPENDED_PROBES: &[&str] = &[
    "SELECT term_key, count(*), sum(credit_hours_attempted), min(final_score_pct), \
            max(final_score_pct), count(DISTINCT student_key) \
     FROM fact_enrollment GROUP BY term_key ORDER BY 1",
    "SELECT count(DISTINCT student_key), count(*) FROM fact_enrollment",
    "SELECT t.academic_year, sum(e.credit_hours_earned), median(e.grade_points), \
            stddev(e.grade_points::float8), corr(e.grade_points, e.final_score_pct), \
            regr_slope(e.grade_points, e.final_score_pct), \
            percentile_cont(0.75) WITHIN GROUP (ORDER BY e.grade_points), \
            percentile_cont(0.1) WITHIN GROUP (ORDER BY e.grade_points DESC) FROM fact_enrollment e \
     JOIN dim_term t ON e.term_key = t.term_key GROUP BY 1 ORDER BY 1",
];

/// Appends one row of `table` to it in `tx`, with `column` set to `value` (SQL).
async fn append_altered(
    s: &Session,
    tx: &mut Transaction,
    table: &str,
    column: &str,
    value: &str,
) -> Result<u64> {
    let def = tx
        .entry(&format!("public.{table}"))
        .map(|e| e.definition.clone())
        .ok_or_else(|| EngineError::Internal(format!("no {table}")))?;
    let list: Vec<String> = def
        .columns
        .iter()
        .map(|c| {
            if c.name == column {
                format!("{value} AS {column}")
            } else {
                c.name.clone()
            }
        })
        .collect();
    let sql = format!("SELECT {} FROM {table} LIMIT 1", list.join(", "));
    let plan = s.ctx.state().create_logical_plan(&sql).await?;
    tx.append_plan(&def.qualified_name(), plan, &s.ctx.state())
        .await
}

/// Rewrites `public.table` in `tx` with the rows `select` gives (its Delta files
/// replaced, as a load or an SCD2 change replaces them).
async fn rewrite_table(s: &Session, tx: &mut Transaction, table: &str, select: &str) -> Result<()> {
    let plan = s.ctx.state().create_logical_plan(select).await?;
    tx.overwrite_plan(&format!("public.{table}"), plan, &s.ctx.state())
        .await?;
    Ok(())
}

/// [`rewrite_table`] in a transaction of its own, refreshing the rollups first when
/// `refresh`.
async fn rewrite_and_commit(
    s: &Session,
    warehouse: &crate::warehouse::Warehouse,
    table: &str,
    select: &str,
    refresh: bool,
) -> Result<Vec<crate::rollup::refresh::Refreshed>> {
    let mut tx = Transaction::begin(warehouse).await?;
    rewrite_table(s, &mut tx, table, select).await?;
    let refreshed = if refresh {
        Box::pin(crate::rollup::refresh::refresh_stale(
            &mut tx,
            warehouse,
            &|_| {},
        ))
        .await?
    } else {
        Vec::new()
    };
    tx.commit("test", None, format!("{table} rewritten"))
        .await?;
    Ok(refreshed)
}

/// `usable,reason LIKE pattern` of a rollup in `system.rollups`.
async fn listed_reason(s: &mut Session, rollup: &str, pattern: &str) -> Result<String> {
    one(
        s,
        &format!(
            "SELECT usable, reason LIKE '{pattern}' FROM system.rollups WHERE name = '{rollup}'"
        ),
    )
    .await
}

/// Every probe answers the same with rollups on and off; returns how many used one.
async fn probes_agree(s: &mut Session, probes: &[&str]) -> Result<usize> {
    let mut used = 0;
    for sql in probes {
        let (base, _) = answer(s, "off", sql).await?;
        let (rolled, lines) = answer(s, "on", sql).await?;
        assert!(
            same_answer(&base, &rolled),
            "{sql}\noff: {base:?}\non:  {rolled:?}"
        );
        used += usize::from(lines.iter().any(|l| l.starts_with("rollup,used ")));
    }
    Ok(used)
}

#[test]
fn appended_rows_refresh_incrementally_and_broken_keys_disable() -> Result<()> {
    on_big_stack(appended_story)
}

async fn appended_story() -> Result<()> {
    use crate::rollup::refresh::{RefreshMode, refresh_stale};
    let (_dir, engine) = generated_university().await?;
    let warehouse = engine.warehouse().clone();
    let mut s = engine.session(Identity::local())?;
    s.execute("SET lyceum.result_cache = off").await?;
    for ddl in [BY_TERM, BY_YEAR, GPA_ROLLUP] {
        s.execute(ddl).await?;
    }
    assert_eq!(probes_agree(&mut s, APPENDED_PROBES).await?, 3);
    let total: u64 = one(&mut s, "SELECT count(*) FROM fact_enrollment")
        .await?
        .parse()
        .map_err(|_| EngineError::Internal("a count".into()))?;
    let dims: u64 = one(
        &mut s,
        "SELECT (SELECT count(*) FROM dim_term) + (SELECT count(*) FROM dim_department)",
    )
    .await?
    .parse()
    .map_err(|_| EngineError::Internal("a count".into()))?;

    // A term's worth of rows appended: each rollup merges the new rows' states, reading
    // the appended rows (and the dimensions they join), not the table.
    let mut tx = Transaction::begin(&warehouse).await?;
    let term = one(&mut s, "SELECT max(term_key) FROM fact_enrollment").await?;
    let plan = s
        .ctx
        .state()
        .create_logical_plan(&format!(
            "SELECT * FROM fact_enrollment WHERE term_key = {term}"
        ))
        .await?;
    let appended = tx
        .append_plan("public.fact_enrollment", plan, &s.ctx.state())
        .await?;
    assert!(
        appended > 0 && appended < total,
        "{appended} of {total}, term {term}"
    );
    // The load also rewrites dim_term whole, with one more term (its files replaced, its
    // old rows kept): the rollups joining it are still refreshed incrementally, and the
    // term of the new dimension row joined to the old facts is provably empty (not run).
    rewrite_table(
        &s,
        &mut tx,
        "dim_term",
        "SELECT * FROM dim_term UNION ALL \
         SELECT term_key + 1000, term_code, term_name, term_type, academic_year, \
                term_seq, start_date, end_date, census_date \
         FROM dim_term WHERE term_key = (SELECT max(term_key) FROM dim_term)",
    )
    .await?;
    let refreshed = Box::pin(refresh_stale(&mut tx, &warehouse, &|_| {})).await?;
    tx.commit("test", None, "one more term".into()).await?;
    assert_eq!(refreshed.len(), 3, "{refreshed:?}");
    for r in &refreshed {
        assert_eq!(r.mode, RefreshMode::Incremental, "{r:?}");
        assert_eq!(r.disabled, None, "{r:?}");
        let read = r.rows_read.unwrap_or(0);
        if r.rollup == "public.enrollment_by_term" {
            assert_eq!(read, appended, "only the appended rows: {r:?}");
        } else {
            // The appended rows joined to the dimensions (dim_term has its new row).
            assert!(read >= appended && read <= appended + dims + 1, "{r:?}");
        }
    }
    assert_eq!(probes_agree(&mut s, APPENDED_PROBES).await?, 3);
    assert_eq!(probes_agree(&mut s, &ANSWERED[..3]).await?, 3);

    // A row deleted: a full rebuild.
    let refreshed = rewrite_and_commit(
        &s,
        &warehouse,
        "fact_enrollment",
        "SELECT * FROM fact_enrollment \
         WHERE enrollment_id <> (SELECT min(enrollment_id) FROM fact_enrollment)",
        true,
    )
    .await?;
    assert!(
        refreshed.len() == 3 && refreshed.iter().all(|r| r.mode == RefreshMode::Full),
        "{refreshed:?}"
    );
    assert_eq!(probes_agree(&mut s, APPENDED_PROBES).await?, 3);

    // A dimension's row changed (as an SCD2 change rewrites it) by a writer that
    // refreshes nothing: the rollups joining it are stale, EXPLAIN says why, the others
    // answer; the next refresh rebuilds them (a row changed, so not incrementally).
    rewrite_and_commit(
        &s,
        &warehouse,
        "dim_term",
        "SELECT term_key, term_code, \
                CASE WHEN term_key = (SELECT min(term_key) FROM dim_term) \
                THEN term_name || ' (renamed)' ELSE term_name END AS term_name, \
                term_type, academic_year, term_seq, start_date, end_date, census_date \
         FROM dim_term",
        false,
    )
    .await?;
    let (_, why) = answer(&mut s, "on", APPENDED_PROBES[2]).await?;
    assert!(
        why.iter().any(|l| l.contains("enrollment_by_year")
            && l.contains("stale: public.dim_term changed since it was built")),
        "{why:?}"
    );
    assert_eq!(probes_agree(&mut s, APPENDED_PROBES).await?, 2);
    let mut tx = Transaction::begin(&warehouse).await?;
    let refreshed = Box::pin(refresh_stale(&mut tx, &warehouse, &|_| {})).await?;
    tx.commit("test", None, "refreshed".into()).await?;
    assert!(
        refreshed.len() == 2 && refreshed.iter().all(|r| r.mode == RefreshMode::Full),
        "{refreshed:?}"
    );
    assert_eq!(probes_agree(&mut s, APPENDED_PROBES).await?, 3);

    // A duplicate dimension key: the rollups joining that dimension are disabled (the
    // appended row is checked against the whole table), the others still answer.
    let mut tx = Transaction::begin(&warehouse).await?;
    append_altered(&s, &mut tx, "dim_term", "academic_year", "academic_year").await?;
    let refreshed = Box::pin(refresh_stale(&mut tx, &warehouse, &|_| {})).await?;
    tx.commit("test", None, "a duplicate term".into()).await?;
    for r in &refreshed {
        assert_eq!(r.mode, RefreshMode::Incremental, "{r:?}");
        assert!(
            r.disabled.as_deref().is_some_and(
                |d| d.contains("public.dim_term.term_key") && d.contains("duplicate key")
            ),
            "{r:?}"
        );
    }
    assert_eq!(
        one(
            &mut s,
            "SELECT string_agg(name || ':' || CAST(usable AS VARCHAR), ',' ORDER BY name) \
             FROM system.rollups"
        )
        .await?,
        "public.enrollment_by_term:true,public.enrollment_by_year:false,public.gpa_dept_term:false"
    );
    let (_, why) = answer(&mut s, "on", APPENDED_PROBES[2]).await?;
    assert!(
        why.iter()
            .any(|l| l.contains("disabled") && l.contains("duplicate key")),
        "{why:?}"
    );
    assert_eq!(probes_agree(&mut s, APPENDED_PROBES).await?, 2);
    assert_eq!(probes_agree(&mut s, &ANSWERED[..3]).await?, 0);

    // An orphan fact key, appended: disabled with the reason (the rollups already
    // disabled are rebuilt in full, and stay disabled).
    s.execute("DROP MATERIALIZED VIEW enrollment_by_year")
        .await?;
    s.execute("DROP MATERIALIZED VIEW gpa_dept_term").await?;
    s.execute(
        "CREATE MATERIALIZED VIEW by_department AS SELECT d.department_code, count(*) AS n \
         FROM fact_enrollment e JOIN dim_department d ON e.department_key = d.department_key \
         GROUP BY d.department_code",
    )
    .await?;
    let department = "SELECT d.department_code, count(*) FROM fact_enrollment e \
        JOIN dim_department d ON e.department_key = d.department_key GROUP BY 1 ORDER BY 1";
    assert_eq!(probes_agree(&mut s, &[department]).await?, 1);
    let mut tx = Transaction::begin(&warehouse).await?;
    append_altered(
        &s,
        &mut tx,
        "fact_enrollment",
        "department_key",
        "CAST(987654 AS INTEGER)",
    )
    .await?;
    let refreshed = Box::pin(refresh_stale(&mut tx, &warehouse, &|_| {})).await?;
    tx.commit("test", None, "an orphan".into()).await?;
    let orphaned = refreshed
        .iter()
        .find(|r| r.rollup == "public.by_department")
        .ok_or_else(|| EngineError::Internal(format!("{refreshed:?}")))?;
    assert_eq!(orphaned.mode, RefreshMode::Incremental);
    assert!(
        orphaned.disabled.as_deref().is_some_and(|d| d.contains(
            "1 row(s) of public.fact_enrollment have a department_key with no row in public.dim_department"
        ) && d.contains("987654")),
        "{orphaned:?}"
    );
    assert_eq!(
        listed_reason(
            &mut s,
            "public.by_department",
            "disabled: 1 row(s) of public.fact_enrollment%orphan%"
        )
        .await?,
        "false,true"
    );
    assert_eq!(probes_agree(&mut s, &[department]).await?, 0);
    // REFRESH rebuilds and checks again: still broken, still disabled.
    s.execute("REFRESH MATERIALIZED VIEW by_department").await?;
    assert_eq!(probes_agree(&mut s, &[department]).await?, 0);
    Ok(())
}

/// The rollups the differential test defines over the generated university.
const DIFFERENTIAL_ROLLUPS: &[&str] = &[
    "CREATE MATERIALIZED VIEW enrollment_grain AS \
     SELECT d.division, d.college_code, d.department_code, c.course_level, c.is_gateway, \
            e.term_key, t.academic_year, t.term_type, e.enrollment_status, e.final_grade, \
            count(*) AS n, sum(e.credit_hours_attempted) AS attempted, \
            sum(e.credit_hours_earned) AS earned, count(e.grade_points) AS graded, \
            sum(e.grade_points) AS points, \
            sum(e.grade_points * e.credit_hours_attempted) AS quality_points, \
            min(e.final_score_pct) AS lowest, max(e.final_score_pct) AS highest, \
            avg(e.final_score_pct) AS mean_score, \
            sum(CASE WHEN e.is_dfw THEN 1 ELSE 0 END) AS dfw, \
            count(e.instructor_key) AS taught, \
            count(DISTINCT e.student_id) AS students, \
            count(DISTINCT CASE WHEN e.is_dfw THEN e.student_id END) AS dfw_students, \
            var_samp(e.grade_points::float8) AS points_variance, \
            stddev_pop(e.final_score_pct::float8) AS score_spread, \
            median(e.grade_points) AS median_points, median(e.final_score_pct) AS median_score, \
            corr(e.grade_points, e.final_score_pct) AS fit, \
            covar_samp(e.final_score_pct, e.credit_hours_attempted) AS load_covariance \
     FROM fact_enrollment e \
     JOIN dim_department d ON e.department_key = d.department_key \
     JOIN dim_course c ON e.course_key = c.course_key \
     JOIN dim_term t ON e.term_key = t.term_key \
     GROUP BY d.division, d.college_code, d.department_code, c.course_level, c.is_gateway, \
              e.term_key, t.academic_year, t.term_type, e.enrollment_status, e.final_grade",
    "CREATE MATERIALIZED VIEW college_term AS \
     SELECT d.college_code, d.division, e.term_key, count(*) AS n, \
            sum(e.credit_hours_attempted) AS attempted, max(e.final_score_pct) AS highest \
     FROM fact_enrollment e JOIN dim_department d ON e.department_key = d.department_key \
     GROUP BY d.college_code, d.division, e.term_key",
    "CREATE MATERIALIZED VIEW attendance_term AS \
     SELECT t.academic_year, t.term_type, a.term_key, a.attendance_status, a.is_present, \
            count(*) AS n, sum(a.minutes_late) AS late, max(a.minutes_late) AS most_late, \
            min(a.minutes_late) AS least_late, count(a.minutes_late) AS late_rows, \
            sum(CASE WHEN a.is_present THEN 1 ELSE 0 END) AS present, \
            count(DISTINCT a.student_id) AS students, \
            var_pop(a.minutes_late::float8) AS late_variance, median(a.minutes_late) AS median_late \
     FROM fact_attendance a JOIN dim_term t ON a.term_key = t.term_key \
     GROUP BY t.academic_year, t.term_type, a.term_key, a.attendance_status, a.is_present",
    "CREATE MATERIALIZED VIEW course_term AS \
     SELECT e.course_key, e.term_key, count(*) AS n, sum(e.credit_hours_earned) AS earned, \
            count(DISTINCT e.student_id) AS students, median(e.grade_points) AS median_points, \
            avg(e.final_score_pct) AS mean_score \
     FROM fact_enrollment e GROUP BY e.course_key, e.term_key",
];

/// One kind of query the generator writes: what it reads, which keys and measures a
/// rollup holds, and some it does not (so the base tables must answer).
struct Family {
    from: &'static str,
    keys: &'static [&'static str],
    other_keys: &'static [&'static str],
    measures: &'static [&'static str],
    other_measures: &'static [&'static str],
    /// Filters on keys; `{term}` is replaced by a term key of the data.
    filters: &'static [&'static str],
    other_filters: &'static [&'static str],
}

const FAMILIES: &[Family] = &[
    Family {
        from: "fact_enrollment e JOIN dim_department d ON e.department_key = d.department_key \
               JOIN dim_course c ON e.course_key = c.course_key \
               JOIN dim_term t ON e.term_key = t.term_key",
        keys: &[
            "d.division",
            "d.college_code",
            "d.department_code",
            "c.course_level",
            "c.is_gateway",
            "e.term_key",
            "t.academic_year",
            "t.term_type",
            "e.enrollment_status",
            "e.final_grade",
            "c.course_level / 1000",
            "upper(d.college_code) || '-' || t.term_type",
        ],
        other_keys: &["e.course_key", "c.subject_code", "e.is_repeat"],
        measures: &[
            "count(*)",
            "sum(e.credit_hours_attempted)",
            "sum(e.credit_hours_earned)",
            "count(e.grade_points)",
            "sum(e.grade_points)",
            "avg(e.grade_points)",
            "sum(e.grade_points * e.credit_hours_attempted)",
            "sum(e.grade_points * e.credit_hours_attempted) / nullif(sum(e.credit_hours_attempted), 0)",
            "min(e.final_score_pct)",
            "max(e.final_score_pct)",
            "avg(e.final_score_pct)",
            "sum(e.final_score_pct)",
            "sum(CASE WHEN e.is_dfw THEN 1 ELSE 0 END)",
            "100.0 * sum(CASE WHEN e.is_dfw THEN 1 ELSE 0 END) / count(*)",
            "count(e.instructor_key)",
            "max(e.term_key)",
            "min(d.department_code)",
            "count(DISTINCT d.department_code)",
            "count(DISTINCT e.term_key)",
            "count(DISTINCT e.student_id)",
            "count(DISTINCT CASE WHEN e.is_dfw THEN e.student_id END)",
            "var_samp(e.grade_points::float8)",
            "stddev_pop(e.grade_points::float8)",
            "stddev(e.final_score_pct::float8)",
            "var_pop(e.final_score_pct::float8)",
            "median(e.grade_points)",
            "median(e.final_score_pct)",
            "corr(e.grade_points, e.final_score_pct)",
            "regr_slope(e.grade_points, e.final_score_pct)",
            "regr_intercept(e.grade_points, e.final_score_pct)",
            "regr_r2(e.grade_points, e.final_score_pct)",
            "regr_count(e.grade_points, e.final_score_pct)",
            "regr_sxx(e.grade_points, e.final_score_pct)",
            "regr_avgy(e.grade_points, e.final_score_pct)",
            "covar_pop(e.grade_points, e.final_score_pct)",
            "covar_samp(e.final_score_pct, e.credit_hours_attempted)",
            "regr_slope(e.final_score_pct, e.credit_hours_attempted)",
            "percentile_cont(0.9) WITHIN GROUP (ORDER BY e.final_score_pct)",
            "percentile_cont(0.25) WITHIN GROUP (ORDER BY e.grade_points DESC)",
            "percentile_cont(0.5) WITHIN GROUP (ORDER BY e.grade_points)",
        ],
        other_measures: &[
            "count(DISTINCT e.section_key)",
            "avg(e.credit_hours_attempted)",
            "sum(CASE WHEN e.is_repeat THEN 1 ELSE 0 END)",
            "max(e.grade_points)",
            "median(e.credit_hours_attempted)",
            "var_samp(e.credit_hours_earned::float8)",
            "corr(e.credit_hours_earned, e.credit_hours_attempted)",
            "percentile_cont(0.5) WITHIN GROUP (ORDER BY e.credit_hours_earned)",
        ],
        filters: &[
            "d.college_code = (SELECT min(college_code) FROM dim_department)",
            "e.term_key >= {term}",
            "e.term_key = {term}",
            "t.term_type IN ('FALL', 'SUMMER')",
            "e.final_grade IS NULL",
            "e.final_grade IS NOT NULL",
            "c.is_gateway",
            "NOT c.is_gateway",
            "e.enrollment_status <> 'DROPPED'",
            "c.course_level < 3000",
            "e.term_key < 0",
            "d.division = 'STEM' OR e.final_grade = 'A'",
        ],
        other_filters: &[
            "e.credit_hours_attempted > 3",
            "e.is_repeat",
            "c.subject_code = 'MATH'",
        ],
    },
    Family {
        from: "fact_enrollment e JOIN dim_department d ON e.department_key = d.department_key",
        keys: &["d.college_code", "d.division", "e.term_key"],
        other_keys: &["d.department_code"],
        measures: &[
            "count(*)",
            "sum(e.credit_hours_attempted)",
            "max(e.final_score_pct)",
            "count(DISTINCT d.college_code)",
            "min(e.term_key)",
        ],
        other_measures: &["min(e.final_score_pct)", "sum(e.credit_hours_earned)"],
        filters: &[
            "e.term_key >= {term}",
            "d.division <> 'STEM'",
            "e.term_key < 0",
        ],
        other_filters: &["e.is_dfw"],
    },
    Family {
        from: "fact_attendance a JOIN dim_term t ON a.term_key = t.term_key",
        keys: &[
            "t.academic_year",
            "t.term_type",
            "a.term_key",
            "a.attendance_status",
            "a.is_present",
        ],
        other_keys: &["a.section_key"],
        measures: &[
            "count(*)",
            "sum(a.minutes_late)",
            "max(a.minutes_late)",
            "min(a.minutes_late)",
            "count(a.minutes_late)",
            "avg(a.minutes_late)",
            "sum(CASE WHEN a.is_present THEN 1 ELSE 0 END)",
            "max(a.attendance_status)",
            "count(DISTINCT a.student_id)",
            "var_pop(a.minutes_late::float8)",
            "stddev(a.minutes_late::float8)",
            "median(a.minutes_late)",
        ],
        other_measures: &["count(DISTINCT a.section_key)", "median(a.section_key)"],
        filters: &[
            "a.attendance_status = 'A'",
            "a.is_present",
            "a.term_key >= {term}",
            "t.term_type = 'FALL'",
            "a.term_key < 0",
        ],
        other_filters: &["a.minutes_late > 5"],
    },
    // Fewer joins than the rollups: their other dimensions are joined along NOT NULL
    // foreign keys whose keys hold, so the rollups answer as if they did not join them.
    Family {
        from: "fact_enrollment e JOIN dim_term t ON e.term_key = t.term_key",
        keys: &[
            "t.academic_year",
            "t.term_type",
            "e.term_key",
            "e.enrollment_status",
            "e.final_grade",
        ],
        other_keys: &["e.course_key"],
        measures: &[
            "count(*)",
            "sum(e.credit_hours_attempted)",
            "avg(e.grade_points)",
            "count(DISTINCT e.student_id)",
            "median(e.grade_points)",
            "stddev(e.final_score_pct::float8)",
            "max(e.final_score_pct)",
        ],
        other_measures: &["count(DISTINCT e.section_key)"],
        filters: &[
            "e.term_key >= {term}",
            "t.term_type = 'FALL'",
            "e.final_grade IS NULL",
        ],
        other_filters: &["e.is_repeat"],
    },
    Family {
        from: "fact_enrollment e",
        keys: &["e.term_key", "e.enrollment_status", "e.final_grade"],
        other_keys: &["e.section_key"],
        measures: &[
            "count(*)",
            "sum(e.credit_hours_earned)",
            "min(e.final_score_pct)",
            "count(DISTINCT e.student_id)",
            "var_samp(e.grade_points::float8)",
        ],
        other_measures: &["max(e.grade_points)"],
        filters: &["e.term_key = {term}", "e.enrollment_status <> 'DROPPED'"],
        other_filters: &["e.credit_hours_attempted > 3"],
    },
    // Dimensions no rollup of their shape joins (course_term joins none): joined back to
    // its rows on its keys, along the hierarchy course -> department -> college.
    Family {
        from: "fact_enrollment e JOIN dim_course c ON e.course_key = c.course_key \
               JOIN dim_department d ON c.department_key = d.department_key \
               JOIN dim_term t ON e.term_key = t.term_key",
        keys: &[
            "c.course_title",
            "c.subject_code",
            "d.department_name",
            "d.college_name",
            "t.term_name",
            "e.term_key",
            "e.course_key",
            "upper(d.college_code) || ' ' || t.term_code",
        ],
        other_keys: &["e.final_grade"],
        measures: &[
            "count(*)",
            "sum(e.credit_hours_earned)",
            "count(DISTINCT e.student_id)",
            "median(e.grade_points)",
            "avg(e.final_score_pct)",
            "count(DISTINCT c.subject_code)",
            "min(t.term_name)",
            "max(d.department_code)",
        ],
        other_measures: &[
            "sum(e.credit_hours_attempted)",
            "count(DISTINCT e.section_key)",
        ],
        filters: &[
            "d.division = 'STEM'",
            "t.term_type = 'FALL'",
            "e.term_key >= {term}",
            "c.course_level >= 3000",
            "d.department_name < 'M'",
            "c.is_gateway OR t.term_type = 'SPRING'",
        ],
        other_filters: &["e.is_repeat", "e.credit_hours_attempted > c.credit_hours"],
    },
    Family {
        from: "fact_attendance a",
        keys: &["a.term_key", "a.attendance_status", "a.is_present"],
        other_keys: &["a.date_key"],
        measures: &[
            "count(*)",
            "sum(a.minutes_late)",
            "median(a.minutes_late)",
            "count(DISTINCT a.student_id)",
        ],
        other_measures: &["count(DISTINCT a.section_key)"],
        filters: &["a.term_key >= {term}", "a.is_present"],
        other_filters: &["a.minutes_late > 5"],
    },
];

/// A random aggregate query of the star schema (seeded): group keys, measures, filters
/// on and off the rollups' grain, HAVING, ORDER BY / LIMIT, CTE and subquery wrappers.
/// A random query, with the measures it asks for.
fn random_query(rng: &mut impl rand::Rng, terms: &[String]) -> (String, Vec<&'static str>) {
    let family = &FAMILIES[rng.random_range(0..FAMILIES.len())];
    let pick = |rng: &mut dyn rand::RngCore, list: &[&'static str]| -> &'static str {
        list[(rng.next_u32() as usize) % list.len()]
    };
    let mut keys: Vec<&str> = Vec::new();
    for _ in 0..rng.random_range(0..=3) {
        let key = pick(rng, family.keys);
        if !keys.contains(&key) {
            keys.push(key);
        }
    }
    if rng.random_bool(0.1) {
        keys.push(pick(rng, family.other_keys));
    }
    let mut measures = Vec::new();
    for _ in 0..rng.random_range(1..=3) {
        measures.push(pick(rng, family.measures));
    }
    if rng.random_bool(0.1) {
        measures.push(pick(rng, family.other_measures));
    }
    let mut filters = Vec::new();
    for _ in 0..rng.random_range(0..=2) {
        let term = &terms[rng.random_range(0..terms.len())];
        filters.push(format!(
            "({})",
            pick(rng, family.filters).replace("{term}", term)
        ));
    }
    if rng.random_bool(0.1) {
        filters.push(format!("({})", pick(rng, family.other_filters)));
    }
    let columns: Vec<String> = keys
        .iter()
        .chain(measures.iter())
        .enumerate()
        .map(|(i, e)| format!("{e} AS c{i}"))
        .collect();
    let mut core = format!("SELECT {} FROM {}", columns.join(", "), family.from);
    if !filters.is_empty() {
        core.push_str(&format!(" WHERE {}", filters.join(" AND ")));
    }
    if !keys.is_empty() {
        core.push_str(&format!(" GROUP BY {}", keys.join(", ")));
        if rng.random_bool(0.2) {
            core.push_str(&format!(" HAVING count(*) > {}", rng.random_range(0..20)));
        }
    }
    let order = (1..=columns.len())
        .map(|i| i.to_string())
        .collect::<Vec<_>>()
        .join(", ");
    let limit = if rng.random_bool(0.2) {
        format!(" LIMIT {}", rng.random_range(1..10))
    } else {
        String::new()
    };
    let sql = match rng.random_range(0..4) {
        0 => format!("{core} ORDER BY {order}{limit}"),
        1 => format!("WITH q AS ({core}) SELECT * FROM q ORDER BY {order}{limit}"),
        2 => format!("SELECT * FROM ({core}) s WHERE s.c0 IS NOT NULL ORDER BY {order}{limit}"),
        _ => format!("SELECT count(*), count(c0) FROM ({core}) s"),
    };
    (sql, measures)
}

/// Whether two answers are the same: equal text, or floats within 1e-9 relative. Floats
/// both within 1e-12 of zero are equal: DataFusion's `var` / `stddev` over float8 leave
/// rounding noise (4.3e-32, its root 1.0e-16) where every value of a group is equal, and a
/// rollup computes that spread exactly from its integer sums (0). The generated data's
/// smallest real spreads (values in steps of 0.01 over at most ~10^4 rows: a variance
/// of 1e-8, a deviation of 1e-4) are far above that.
fn same_answer(a: &[String], b: &[String]) -> bool {
    a.len() == b.len()
        && a.iter().zip(b).all(|(x, y)| {
            x == y
                || x.split(',').zip(y.split(',')).all(|(u, v)| {
                    u == v
                        || match (u.parse::<f64>(), v.parse::<f64>()) {
                            (Ok(p), Ok(q)) => {
                                (p - q).abs() <= 1e-9 * p.abs().max(q.abs())
                                    || p.abs().max(q.abs()) < 1e-12
                            }
                            _ => false,
                        }
                })
        })
}

/// How many aggregates the rollups of the session's version answered so far.
fn hits(s: &Session) -> u64 {
    s.rollups
        .current()
        .map(|set| {
            set.candidates()
                .iter()
                .map(|c| c.hits.load(std::sync::atomic::Ordering::Relaxed))
                .sum()
        })
        .unwrap_or(0)
}

/// The differential test: random aggregate queries over the generated university,
/// answered with rollups on and off on the same snapshot, must agree; and enough of them
/// must have used a rollup that a rewrite which silently stopped firing fails the test.
/// `LYCEUM_DIFFERENTIAL_QUERIES` (default 1000) and `LYCEUM_DIFFERENTIAL_SEED` change
/// how many and which.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn random_aggregates_agree_with_rollups_on_and_off() -> Result<()> {
    use rand::SeedableRng;
    let count: usize = std::env::var("LYCEUM_DIFFERENTIAL_QUERIES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1000);
    let seed: u64 = std::env::var("LYCEUM_DIFFERENTIAL_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20261206);
    let (_dir, engine) = generated_university().await?;
    let mut s = engine.session(Identity::local())?;
    for rollup in DIFFERENTIAL_ROLLUPS {
        s.execute(rollup).await?;
    }
    s.execute("SET lyceum.result_cache = off").await?;
    let terms = rows(&mut s, "SELECT term_key FROM dim_term ORDER BY 1").await?;
    assert!(!terms.is_empty());

    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    let (mut used, mut failed_both) = (0usize, 0usize);
    let mut served = std::collections::BTreeSet::new();
    for i in 0..count {
        let (sql, measures) = random_query(&mut rng, &terms);
        if i > 0 && i % 10_000 == 0 {
            eprintln!("differential: {i} of {count} queries, {used} used a rollup");
        }
        s.execute("SET lyceum.rollups = off").await?;
        let base = rows(&mut s, &sql).await.map_err(|e| e.kind());
        s.execute("SET lyceum.rollups = on").await?;
        let before = hits(&s);
        let rolled = rows(&mut s, &sql).await.map_err(|e| e.kind());
        if hits(&s) > before {
            used += 1;
            served.extend(measures);
        }
        match (&base, &rolled) {
            (Ok(a), Ok(b)) => assert!(
                same_answer(a, b),
                "query {i} (seed {seed}) differs:\n{sql}\noff: {a:?}\non:  {b:?}"
            ),
            (Err(a), Err(b)) => {
                assert_eq!(a, b, "query {i} (seed {seed}) fails differently:\n{sql}");
                failed_both += 1;
            }
            _ => panic!("query {i} (seed {seed}):\n{sql}\noff: {base:?}\non:  {rolled:?}"),
        }
    }
    let share = used as f64 / count as f64;
    eprintln!(
        "differential: {count} queries (seed {seed}), {used} used a rollup ({:.0}%), {failed_both} failed both ways",
        share * 100.0
    );
    assert!(
        failed_both * 20 < count,
        "too many queries fail: {failed_both}"
    );
    // Most generated queries are on the rollups' grain; a rewrite that stops firing (or
    // fires for everything) moves this share far out of the band.
    assert!(
        (0.4..0.95).contains(&share),
        "share of queries using a rollup: {share}"
    );
    // And per measure: every one a rollup stores was answered from one at least once (a
    // measure kind whose rewrite stopped firing would hide in the share above).
    if count >= 1000 {
        let never: Vec<_> = FAMILIES
            .iter()
            .flat_map(|f| f.measures.iter())
            .filter(|m| !served.contains(*m))
            .collect();
        assert!(never.is_empty(), "never answered by a rollup: {never:?}");
    }

    // The hierarchy course -> department -> college through dimensions course_term does
    // not join: they are joined back on its keys, and EXPLAIN says so; a dimension joined
    // on a column that is not one of its keys is not.
    let back = "SELECT d.college_name, t.term_name, count(*), count(DISTINCT e.student_id) \
                FROM fact_enrollment e JOIN dim_course c ON e.course_key = c.course_key \
                JOIN dim_department d ON c.department_key = d.department_key \
                JOIN dim_term t ON e.term_key = t.term_key GROUP BY 1, 2 ORDER BY 1, 2";
    let (base, _) = answer(&mut s, "off", back).await?;
    let (rolled, lines) = answer(&mut s, "on", back).await?;
    assert!(base.len() > 1 && base == rolled, "{base:?}\n{rolled:?}");
    assert!(
        lines.iter().any(|l| l.contains(
            "used public.course_term joined back to public.dim_course, public.dim_department, public.dim_term"
        )),
        "{lines:?}"
    );
    let section = "SELECT s.delivery_mode, count(*) FROM fact_enrollment e \
                   JOIN dim_section s ON s.section_key = e.section_key GROUP BY 1";
    let (_, lines) = answer(&mut s, "on", section).await?;
    assert!(
        lines.iter().any(|l| l.contains(
            "course_term: the filter public.dim_section.section_key = public.fact_enrollment.section_key: public.fact_enrollment.section_key is not among the rollup's keys"
        )),
        "{lines:?}"
    );

    // At a rollup's grain each group is one stored row: its states answer without a merge
    // (a distinct count is its stored set's size, an average its sum over its count), and
    // EXPLAIN says so. A coarser query, or one with a measure not finished from one row
    // (a median of a histogram), merges.
    let grain = "SELECT e.term_key, e.course_key, count(*), count(DISTINCT e.student_id), \
                 sum(e.credit_hours_earned) FROM fact_enrollment e GROUP BY 1, 2 \
                 HAVING count(DISTINCT e.student_id) > 1 ORDER BY 1, 2";
    let coarser = "SELECT e.term_key, count(DISTINCT e.student_id) FROM fact_enrollment e \
                   GROUP BY 1 ORDER BY 1";
    let averaged = "SELECT e.term_key, e.course_key, avg(e.final_score_pct) \
                    FROM fact_enrollment e GROUP BY 1, 2 ORDER BY 1, 2";
    let median = "SELECT e.term_key, e.course_key, median(e.grade_points) \
                  FROM fact_enrollment e GROUP BY 1, 2 ORDER BY 1, 2";
    for (sql, at_grain) in [
        (grain, true),
        (averaged, true),
        (coarser, false),
        (median, false),
    ] {
        let (base, _) = answer(&mut s, "off", sql).await?;
        let (rolled, lines) = answer(&mut s, "on", sql).await?;
        assert!(base.len() > 1 && same_answer(&base, &rolled), "{sql}");
        assert!(
            lines.iter().any(|l| l.starts_with("rollup,used public."))
                && lines.iter().any(|l| l.ends_with(" at its grain")) == at_grain,
            "{sql}: {lines:?}"
        );
    }

    // A join along a nullable key drops the fact rows whose key is NULL: a rollup with it
    // does not answer a query without it.
    s.execute(
        "CREATE MATERIALIZED VIEW by_instructor AS SELECT e.term_key, \
         max(e.credit_hours_earned) AS most FROM fact_enrollment e \
         JOIN dim_instructor i ON e.instructor_key = i.instructor_key GROUP BY e.term_key",
    )
    .await?;
    let joined = "SELECT e.term_key, max(e.credit_hours_earned) FROM fact_enrollment e \
                  JOIN dim_instructor i ON e.instructor_key = i.instructor_key GROUP BY 1";
    let alone = "SELECT e.term_key, max(e.credit_hours_earned) FROM fact_enrollment e GROUP BY 1";
    let (_, lines) = answer(&mut s, "on", joined).await?;
    assert!(
        lines
            .iter()
            .any(|l| l.contains("used public.by_instructor")),
        "{lines:?}"
    );
    let (_, lines) = answer(&mut s, "on", alone).await?;
    assert!(
        lines
            .iter()
            .any(|l| l.contains("by_instructor: it reads public.dim_instructor")),
        "{lines:?}"
    );
    Ok(())
}

/// The default rollups of `queries/rollups/default.sql` answer the dashboard queries they were
/// made for, with the same answers as the base tables; EXPLAIN says why the others are
/// not answered.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn default_rollups_answer_their_dashboard_queries() -> Result<()> {
    let (_dir, engine) = generated_university().await?;
    let mut s = engine.session(Identity::local())?;
    assert_eq!(crate::rollup::defaults::create_defaults(&engine).await?, 6);
    s.execute("SET lyceum.result_cache = off").await?;
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../queries");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .map_err(|e| EngineError::io("queries", e))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "sql"))
        .collect();
    files.sort();
    assert_eq!(files.len(), 23);
    let mut used = Vec::new();
    for file in files {
        let sql = std::fs::read_to_string(&file).map_err(|e| EngineError::io("query", e))?;
        let sql = sql.trim().trim_end_matches(';');
        let name = file
            .file_name()
            .map(|n| n.to_string_lossy()[..2].to_string())
            .unwrap_or_default();
        let (base, _) = answer(&mut s, "off", sql).await?;
        let (rolled, lines) = answer(&mut s, "on", sql).await?;
        assert!(same_answer(&base, &rolled), "{}", file.display());
        if lines
            .iter()
            .any(|l| l.starts_with("rollup,used public.kpi_"))
        {
            used.push(name);
        } else {
            // Every aggregate that was not answered says why.
            assert!(
                lines
                    .iter()
                    .all(|l| l.starts_with("rollup,not used: ") && l.len() > 30),
                "{}: {lines:?}",
                file.display()
            );
        }
    }
    assert_eq!(used, ["01", "02", "11", "16", "17", "21"]);
    Ok(())
}

/// A rollup written in state format 2 (distinct sets without their sizes beside them)
/// still answers, at its grain from the size each set's header records; a refresh
/// rebuilds it in the current format, each set followed by its size.
#[test]
fn rollups_of_an_older_state_format_still_answer() -> Result<()> {
    on_big_stack(older_format_story)
}

async fn older_format_story() -> Result<()> {
    use lyceum_catalog::{ROLLUP_STATE_FORMAT, StateKind};
    let (_dir, engine) = generated_university().await?;
    let warehouse = engine.warehouse().clone();
    let mut s = engine.session(Identity::local())?;
    s.execute("SET lyceum.result_cache = off").await?;
    s.execute(
        "CREATE MATERIALIZED VIEW heads AS SELECT e.term_key, e.course_key, \
         count(DISTINCT e.student_id) AS students, sum(e.credit_hours_earned) AS earned \
         FROM fact_enrollment e GROUP BY e.term_key, e.course_key",
    )
    .await?;
    let sql = "SELECT e.term_key, e.course_key, count(DISTINCT e.student_id), \
               sum(e.credit_hours_earned) FROM fact_enrollment e GROUP BY 1, 2 ORDER BY 1, 2";
    let (base, _) = answer(&mut s, "off", sql).await?;
    assert!(base.len() > 1);
    let stored = |tx: &Transaction| {
        tx.entry("public.heads")
            .and_then(|e| e.rollup.clone())
            .ok_or_else(|| EngineError::Internal("no rollup heads".into()))
    };
    let layout = |def: &lyceum_catalog::RollupDef| {
        def.states
            .iter()
            .map(|s| format!("{}:{}", s.kind.name(), s.column))
            .collect::<Vec<_>>()
    };
    let current = [
        "key:term_key",
        "key:course_key",
        "distinct:distinct_0",
        "sum:sum_1",
        "size:distinct_0_size",
    ];

    // As format 2 stored it: a table without the sizes, a catalog entry with the same
    // names less the sizes.
    let mut tx = Transaction::begin(&warehouse).await?;
    let mut def = stored(&tx)?;
    assert_eq!(def.state_format, ROLLUP_STATE_FORMAT);
    assert_eq!(layout(&def), current);
    let entry = tx
        .entry("public.heads")
        .cloned()
        .ok_or_else(|| EngineError::Internal("no heads".into()))?;
    let ctx = datafusion::prelude::SessionContext::new();
    let table = warehouse.open_table_at(&entry).await?;
    table
        .update_datafusion_session(&ctx.state())
        .map_err(|e| EngineError::delta("public.heads", e))?;
    ctx.register_table("stored", table.table_provider().await?)?;
    let old_rows = ctx
        .state()
        .create_logical_plan("SELECT term_key, course_key, distinct_0, sum_1 FROM stored")
        .await?;
    let mut older = entry.definition.clone();
    older.columns.retain(|c| c.name != "distinct_0_size");
    tx.drop_table("public.heads")?;
    tx.create_table(older).await?;
    tx.overwrite_plan("public.heads", old_rows, &ctx.state())
        .await?;
    def.state_format = 2;
    def.states.retain(|s| s.kind != StateKind::Size);
    tx.set_rollup("public.heads", def)?;
    tx.commit("test", None, "heads as format 2".into()).await?;
    let (rolled, lines) = answer(&mut s, "on", sql).await?;
    assert!(same_answer(&base, &rolled), "{rolled:?}");
    assert_eq!(lines, ["rollup,used public.heads at its grain"]);

    s.execute("REFRESH MATERIALIZED VIEW heads").await?;
    let def = stored(&Transaction::begin(&warehouse).await?)?;
    assert_eq!(def.state_format, ROLLUP_STATE_FORMAT);
    assert_eq!(layout(&def), current);
    let (rolled, lines) = answer(&mut s, "on", sql).await?;
    assert!(same_answer(&base, &rolled), "{rolled:?}");
    assert_eq!(lines, ["rollup,used public.heads at its grain"]);
    Ok(())
}
