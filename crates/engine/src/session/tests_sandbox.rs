//! Analysts' tables in schema `sandbox`: DDL, INSERT and COPY, their transactions, and the
//! refusals that keep the star schema written only by loads.

use datafusion::scalar::ScalarValue;

use super::tests::{one, rows, tmp};
use super::*;
use crate::auth::Identity;
use crate::load::tests::loaded_warehouse;

/// The warehouse version a fresh statement of `session` reads.
async fn latest(session: &mut Session) -> Result<u64> {
    one(session, "SELECT 1").await?;
    session
        .pinned_version()
        .ok_or_else(|| EngineError::Internal("nothing pinned".into()))
}

fn tag(output: &QueryOutput) -> String {
    match output {
        QueryOutput::Command(done) => done.to_string(),
        other => format!("{other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sandbox_tables_are_created_filled_altered_and_dropped() -> Result<()> {
    let dir = tmp()?;
    let warehouse = loaded_warehouse(dir.path(), false).await?;
    let engine = Engine::new(warehouse.clone(), crate::pgcatalog::PostgresProfile::new()?)?;
    let mut s = engine.session(Identity::local())?;
    let v0 = latest(&mut s).await?;

    let out = s
        .execute("CREATE TABLE sandbox.cohort (student_key bigint NOT NULL, label text, gpa numeric(4,2))")
        .await?;
    assert_eq!(tag(&out[0]), "CREATE TABLE");
    assert_eq!(latest(&mut s).await?, v0 + 1, "one statement, one version");
    let out = s
        .execute("INSERT INTO sandbox.cohort VALUES (1, 'a', 3.5), (2, NULL, NULL)")
        .await?;
    assert_eq!(tag(&out[0]), "INSERT 2");
    assert_eq!(
        rows(
            &mut s,
            "SELECT student_key, label, gpa FROM sandbox.cohort ORDER BY 1"
        )
        .await?,
        vec!["1,a,3.50", "2,NULL,NULL"]
    );
    // Column list: omitted columns are NULL.
    s.execute("INSERT INTO sandbox.cohort (label, student_key) VALUES ('c', 3)")
        .await?;
    assert_eq!(
        one(&mut s, "SELECT label || ':' || coalesce(gpa::text, 'null') FROM sandbox.cohort WHERE student_key = 3").await?,
        "c:null"
    );

    // CREATE TABLE AS from the star schema keeps its rows and types.
    let out = s
        .execute("CREATE TABLE sandbox.per_term AS SELECT term_key, count(*) AS n FROM fact_enrollment GROUP BY term_key")
        .await?;
    let expected = one(
        &mut s,
        "SELECT count(DISTINCT term_key) FROM fact_enrollment",
    )
    .await?;
    assert_eq!(tag(&out[0]), format!("CREATE TABLE AS {expected}"));
    assert_eq!(
        one(&mut s, "SELECT sum(n) FROM sandbox.per_term").await?,
        one(&mut s, "SELECT count(*) FROM fact_enrollment").await?
    );

    // SELECT ... INTO is CREATE TABLE AS.
    let out = s
        .execute("SELECT student_key, label INTO sandbox.cohort_copy FROM sandbox.cohort")
        .await?;
    assert_eq!(tag(&out[0]), "CREATE TABLE AS 3");
    assert_eq!(
        one(&mut s, "SELECT count(*) FROM sandbox.cohort_copy").await?,
        "3"
    );
    assert!(matches!(
        s.execute("SELECT 1 AS a INTO TEMPORARY TABLE t").await,
        Err(EngineError::Unsupported { .. })
    ));

    // A nullable column added later reads NULL in existing rows.
    let star = s.prepare("SELECT * FROM sandbox.cohort", &[]).await?;
    let named = s
        .prepare(
            "SELECT student_key FROM sandbox.cohort WHERE student_key = 1",
            &[],
        )
        .await?;
    let out = s
        .execute("ALTER TABLE sandbox.cohort ADD COLUMN cohort_year int")
        .await?;
    assert_eq!(tag(&out[0]), "ALTER TABLE");
    s.execute("INSERT INTO sandbox.cohort VALUES (4, 'd', 2.0, 2024)")
        .await?;
    assert_eq!(
        rows(&mut s, "SELECT student_key, cohort_year FROM sandbox.cohort WHERE student_key IN (1, 4) ORDER BY 1").await?,
        vec!["1,NULL", "4,2024"]
    );

    // A prepared statement whose columns changed fails as PostgreSQL's does; one whose
    // columns did not is planned again.
    assert!(matches!(
        s.execute_prepared(&star, vec![]).await,
        Err(EngineError::CachedPlanChanged)
    ));
    match s.execute_prepared(&named, vec![]).await? {
        QueryOutput::Rows { stream, .. } => {
            assert_eq!(super::tests::text(stream).await?, vec!["1"]);
        }
        other => panic!("{other:?}"),
    }

    // The catalog shows the tables where BI tools look, with stable OIDs.
    let oid_sql = "SELECT c.oid FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'sandbox' AND c.relname = 'cohort'";
    let oid = one(&mut s, oid_sql).await?;
    assert_eq!(
        rows(&mut s, "SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = 'sandbox' AND table_name = 'cohort' ORDER BY ordinal_position").await?,
        vec!["student_key,bigint", "label,text", "gpa,numeric", "cohort_year,integer"]
    );
    assert_eq!(
        one(&mut s, "SELECT is_nullable FROM information_schema.columns WHERE table_schema = 'sandbox' AND table_name = 'cohort' AND column_name = 'student_key'").await?,
        "NO"
    );

    // Another engine over the same warehouse (a restart) sees the same tables and OIDs.
    let restarted = Engine::new(warehouse.clone(), crate::pgcatalog::PostgresProfile::new()?)?;
    let mut r = restarted.session(Identity::local())?;
    assert_eq!(
        one(&mut r, "SELECT count(*) FROM sandbox.cohort").await?,
        "4"
    );
    assert_eq!(one(&mut r, oid_sql).await?, oid);

    // DROP TABLE; IF EXISTS turns a missing table into a notice (and no new version).
    let before_drop = latest(&mut s).await?;
    let out = s.execute("DROP TABLE sandbox.per_term").await?;
    assert_eq!(tag(&out[0]), "DROP TABLE");
    assert!(
        rows(&mut s, "SELECT * FROM sandbox.per_term")
            .await
            .is_err()
    );
    s.execute("DROP TABLE IF EXISTS sandbox.per_term").await?;
    assert!(
        s.take_notices()[0]
            .message
            .contains("does not exist, skipping")
    );
    assert_eq!(latest(&mut s).await?, before_drop + 1);
    assert!(matches!(
        s.execute("DROP TABLE sandbox.per_term").await,
        Err(EngineError::UndefinedObject { kind: "table", .. })
    ));
    // Time travel still reads the dropped table.
    s.execute(&format!("SET lyceum.as_of = {before_drop}"))
        .await?;
    assert_eq!(
        one(&mut s, "SELECT sum(n) FROM sandbox.per_term").await?,
        one(&mut s, "SELECT count(*) FROM fact_enrollment").await?
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_star_schema_is_refused_and_bad_rows_write_nothing() -> Result<()> {
    let dir = tmp()?;
    let engine = Engine::new(
        loaded_warehouse(dir.path(), false).await?,
        crate::pgcatalog::PostgresProfile::new()?,
    )?;
    let mut s = engine.session(Identity::local())?;
    for sql in [
        "CREATE TABLE public.mine (a int)",
        "CREATE TABLE mine (a int)",
        "INSERT INTO fact_enrollment SELECT * FROM fact_enrollment LIMIT 1",
        "DROP TABLE dim_student",
        "ALTER TABLE dim_course ADD COLUMN note text",
        "CREATE TABLE system.mine (a int)",
    ] {
        let result = s.execute(sql).await;
        assert!(
            matches!(result, Err(EngineError::PermissionDenied(_))),
            "{sql}: {result:?}"
        );
    }
    for sql in [
        "UPDATE sandbox.x SET a = 1",
        "DELETE FROM sandbox.x",
        "CREATE TEMP TABLE t (a int)",
    ] {
        assert!(s.execute(sql).await.is_err(), "{sql}");
    }
    assert!(matches!(
        s.execute("COPY sandbox.x FROM '/etc/passwd'").await,
        Err(EngineError::PermissionDenied(_))
    ));
    // Types Lyceum cannot store exactly as PostgreSQL would are refused, not approximated.
    for sql in [
        "CREATE TABLE sandbox.x (a numeric)",
        "CREATE TABLE sandbox.x (a varchar(10))",
        "CREATE TABLE sandbox.x (a timestamp)",
        "CREATE TABLE sandbox.x (a int PRIMARY KEY)",
    ] {
        assert!(
            matches!(s.execute(sql).await, Err(EngineError::Unsupported { .. })),
            "{sql}"
        );
    }

    s.execute("CREATE TABLE sandbox.t (a int NOT NULL, b text)")
        .await?;
    let version = latest(&mut s).await?;
    let result = s
        .execute("INSERT INTO sandbox.t VALUES (1, 'x'), (NULL, 'y')")
        .await;
    assert!(
        matches!(result, Err(EngineError::NotNullViolation { .. })),
        "{result:?}"
    );
    assert!(matches!(
        s.execute("INSERT INTO sandbox.t (b) VALUES ('y')").await,
        Err(EngineError::NotNullViolation { .. })
    ));
    assert!(matches!(
        s.execute("INSERT INTO sandbox.t (a, nope) VALUES (1, 'y')")
            .await,
        Err(EngineError::UndefinedColumn { .. })
    ));
    assert!(matches!(
        s.execute("INSERT INTO sandbox.t VALUES (1.5, 'y')").await,
        Err(EngineError::Unsupported { .. })
    ));
    assert!(matches!(
        s.execute("INSERT INTO sandbox.nope VALUES (1)").await,
        Err(EngineError::UndefinedObject { kind: "table", .. })
    ));
    assert_eq!(one(&mut s, "SELECT count(*) FROM sandbox.t").await?, "0");
    assert_eq!(
        latest(&mut s).await?,
        version,
        "failed writes commit nothing"
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sandbox_writes_commit_with_their_transaction() -> Result<()> {
    let dir = tmp()?;
    let engine = Engine::new(
        loaded_warehouse(dir.path(), false).await?,
        crate::pgcatalog::PostgresProfile::new()?,
    )?;
    let mut s = engine.session(Identity::local())?;
    let mut other = engine.session(Identity::local())?;
    s.execute("CREATE TABLE sandbox.t (a int, b text)").await?;
    let v = latest(&mut s).await?;

    // Own writes are visible inside the block, to no one else, and gone on ROLLBACK.
    s.execute("BEGIN").await?;
    s.execute("INSERT INTO sandbox.t VALUES (1, 'x')").await?;
    s.execute("CREATE TABLE sandbox.u AS SELECT a + 1 AS a FROM sandbox.t")
        .await?;
    assert_eq!(one(&mut s, "SELECT a FROM sandbox.u").await?, "2");
    assert_eq!(
        one(&mut other, "SELECT count(*) FROM sandbox.t").await?,
        "0"
    );
    // The catalogs follow: the writer's pg_catalog shows its new table, a session that
    // opens the same committed version now does not (nothing is shared by version number).
    let listed = "SELECT count(*) FROM pg_catalog.pg_class WHERE relname = 'u'";
    assert_eq!(one(&mut s, listed).await?, "1");
    let mut third = engine.session(Identity::local())?;
    assert_eq!(one(&mut third, listed).await?, "0");
    assert_eq!(one(&mut s, listed).await?, "1");
    s.execute("ROLLBACK").await?;
    assert_eq!(one(&mut s, "SELECT count(*) FROM sandbox.t").await?, "0");
    assert!(rows(&mut s, "SELECT * FROM sandbox.u").await.is_err());
    assert_eq!(latest(&mut s).await?, v);

    // COMMIT makes every write of the block one new version.
    s.execute("BEGIN").await?;
    s.execute("INSERT INTO sandbox.t VALUES (1, 'x')").await?;
    s.execute("INSERT INTO sandbox.t VALUES (2, 'y')").await?;
    s.execute("COMMIT").await?;
    assert_eq!(
        one(&mut other, "SELECT count(*) FROM sandbox.t").await?,
        "2"
    );
    assert_eq!(latest(&mut s).await?, v + 1);

    // An error fails the block; nothing of it is committed.
    s.execute("BEGIN").await?;
    s.execute("INSERT INTO sandbox.t VALUES (3, 'z')").await?;
    assert!(rows(&mut s, "SELECT 1/0").await.is_err());
    let out = s.execute("COMMIT").await?;
    assert!(matches!(&out[0], QueryOutput::TransactionEnd(done) if done.command == "ROLLBACK"));
    assert_eq!(one(&mut s, "SELECT count(*) FROM sandbox.t").await?, "2");

    // A multi-statement string is one implicit transaction.
    assert!(
        s.execute("INSERT INTO sandbox.t VALUES (4, 'w'); SELECT 1/0")
            .await
            .is_err()
    );
    assert_eq!(one(&mut s, "SELECT count(*) FROM sandbox.t").await?, "2");
    s.execute("INSERT INTO sandbox.t VALUES (4, 'w'); INSERT INTO sandbox.t VALUES (5, 'v')")
        .await?;
    assert_eq!(one(&mut s, "SELECT count(*) FROM sandbox.t").await?, "4");
    assert_eq!(latest(&mut s).await?, v + 2);

    // A prepared INSERT binds its parameters.
    let prepared = s
        .prepare("INSERT INTO sandbox.t VALUES ($1, $2)", &[])
        .await?;
    let out = s
        .execute_prepared(
            &prepared,
            vec![
                ScalarValue::Int32(Some(6)),
                ScalarValue::Utf8(Some("p".into())),
            ],
        )
        .await?;
    assert_eq!(tag(&out), "INSERT 1");
    assert_eq!(
        one(&mut s, "SELECT b FROM sandbox.t WHERE a = 6").await?,
        "p"
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn copy_from_stdin_loads_rows_or_nothing() -> Result<()> {
    let dir = tmp()?;
    let engine = Engine::new(
        loaded_warehouse(dir.path(), false).await?,
        crate::pgcatalog::PostgresProfile::new()?,
    )?;
    let mut s = engine.session(Identity::local())?;
    s.execute("CREATE TABLE sandbox.t (a int NOT NULL, b text, d date)")
        .await?;

    let out = s
        .execute("COPY sandbox.t FROM STDIN WITH (FORMAT csv, HEADER)")
        .await?;
    assert!(matches!(out[0], QueryOutput::CopyIn { columns: 3 }));
    // Chunks split anywhere, quoted delimiters and newlines, empty = NULL.
    let data = b"a,b,d\n1,\"x,\ny\",2024-01-31\n2,,\n";
    for chunk in data.chunks(3) {
        s.copy_data(chunk);
    }
    assert_eq!(tag(&s.copy_done().await?), "COPY 2");
    assert_eq!(
        rows(&mut s, "SELECT a, b, d FROM sandbox.t ORDER BY a").await?,
        vec!["1,x,\ny,2024-01-31", "2,NULL,NULL"]
    );

    // Text format with a column list and \N.
    s.execute("COPY sandbox.t (b, a) FROM STDIN").await?;
    s.copy_data(b"tab\\there\t3\n\\N\t4\n\\.\n");
    assert_eq!(tag(&s.copy_done().await?), "COPY 2");
    assert_eq!(
        rows(
            &mut s,
            "SELECT coalesce(b, 'null') FROM sandbox.t WHERE a >= 3 ORDER BY a"
        )
        .await?,
        vec!["tab\there", "null"]
    );

    let version = latest(&mut s).await?;
    // A bad row anywhere writes nothing: missing columns, a NULL in a NOT NULL column,
    // a value of the wrong type, or the client giving up.
    for data in [
        &b"5\tx\n"[..],
        &b"5\tx\t\\N\n\\N\ty\t\\N\n"[..],
        &b"5\tx\tnot a date\n"[..],
    ] {
        s.execute("COPY sandbox.t FROM STDIN").await?;
        s.copy_data(data);
        assert!(s.copy_done().await.is_err(), "{data:?}");
    }
    s.execute("COPY sandbox.t FROM STDIN").await?;
    s.copy_data(b"5\tx\t\\N\n");
    assert!(matches!(
        s.copy_fail("client canceled"),
        EngineError::CopyFailed { .. }
    ));
    assert!(!s.copy_in_progress());
    assert_eq!(one(&mut s, "SELECT count(*) FROM sandbox.t").await?, "4");
    assert_eq!(latest(&mut s).await?, version);
    Ok(())
}
