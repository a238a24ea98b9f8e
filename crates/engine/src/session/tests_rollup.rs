//! Materialized views as rollups: built by an administrator, used by aggregates they
//! answer (identical answers with rollups on and off), skipped with a reason when stale,
//! used again after a refresh, and explained.

use super::tests::{one, rows, tmp};
use super::*;
use crate::auth::Identity;
use crate::load::tests::loaded_warehouse;

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
    let answer = rows(s, sql).await?;
    let explained = rows(s, &format!("EXPLAIN {sql}")).await?;
    let lines = explained
        .into_iter()
        .filter(|l| l.starts_with("rollup,"))
        .collect();
    Ok((answer, lines))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rollups_answer_exactly_go_stale_and_refresh() -> Result<()> {
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

    // A change to a table the rollup reads makes it stale: still the base tables' answer,
    // and EXPLAIN says why. (A second load appends a term of enrollments.)
    let probe = ANSWERED[1];
    let (before, _) = answer(&mut s, "on", probe).await?;
    crate::load::tests::load_later(&warehouse, dir.path()).await?;
    let (base, _) = answer(&mut s, "off", probe).await?;
    let (stale, why) = answer(&mut s, "on", probe).await?;
    assert_ne!(before, base, "the second load changes the answer");
    assert_eq!(base, stale);
    assert!(
        why.iter().any(|l| l.contains("changed since it was built")),
        "{why:?}"
    );

    // REFRESH: used again, same answers.
    s.execute("REFRESH MATERIALIZED VIEW gpa_dept_term").await?;
    let (fresh, used) = answer(&mut s, "on", probe).await?;
    assert_eq!(base, fresh);
    assert!(
        used.iter().any(|l| l == "rollup,used public.gpa_dept_term"),
        "{used:?}"
    );

    // Time travel to the version before the second load: the rollup built there is used
    // only where it was fresh (it was created at that version, so it is).
    // Only administrators define rollups, and not inside a transaction block.
    s.execute("BEGIN").await?;
    let err = s
        .execute("REFRESH MATERIALIZED VIEW gpa_dept_term")
        .await
        .err()
        .map(|e| e.kind());
    assert_eq!(err, Some(crate::error::ErrorKind::ActiveTransaction));
    s.execute("ROLLBACK").await?;

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
