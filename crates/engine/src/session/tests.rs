//! Sessions end to end over a small loaded warehouse: settings, transactions, prepared
//! statements, users, the PostgreSQL catalog, timeouts and cancellation.

use std::sync::Arc;
use std::time::{Duration, Instant};

use arrow::datatypes::DataType;
use datafusion::scalar::ScalarValue;
use futures::TryStreamExt;

use super::*;
use crate::auth::Identity;
use crate::error::StopReason;
use crate::load::tests::loaded_warehouse;

async fn run(session: &mut Session, prepared: &Prepared, v: ScalarValue) -> Result<Vec<String>> {
    match session.execute_prepared(prepared, vec![v]).await? {
        QueryOutput::Rows { stream, .. } => text(stream).await,
        other => panic!("{other:?}"),
    }
}

/// Every row of every result of `sql`, as comma-joined text.
pub(super) async fn rows(session: &mut Session, sql: &str) -> Result<Vec<String>> {
    let mut out = Vec::new();
    for output in session.execute(sql).await? {
        if let QueryOutput::Rows { stream, .. } = output {
            out.extend(text(stream).await?);
        }
    }
    Ok(out)
}

pub(super) async fn text(stream: SendableRecordBatchStream) -> Result<Vec<String>> {
    let batches: Vec<_> = stream.try_collect().await?;
    let options = arrow::util::display::FormatOptions::default().with_null("NULL");
    let mut out = Vec::new();
    for batch in &batches {
        let formatters: Vec<_> = batch
            .columns()
            .iter()
            .map(|c| arrow::util::display::ArrayFormatter::try_new(c.as_ref(), &options))
            .collect::<std::result::Result<_, _>>()?;
        for row in 0..batch.num_rows() {
            out.push(
                formatters
                    .iter()
                    .map(|f| f.value(row).to_string())
                    .collect::<Vec<_>>()
                    .join(","),
            );
        }
    }
    Ok(out)
}

pub(super) async fn one(session: &mut Session, sql: &str) -> Result<String> {
    let mut all = rows(session, sql).await?;
    assert_eq!(all.len(), 1, "{sql}: {all:?}");
    Ok(all.remove(0))
}

pub(super) fn tmp() -> Result<tempfile::TempDir> {
    tempfile::tempdir().map_err(|e| EngineError::io("tmp", e))
}

/// The generator's SF 0.01 university (seed 7), loaded; the directory holds it.
pub(super) async fn generated_university() -> Result<(tempfile::TempDir, Arc<Engine>)> {
    let dir = tmp()?;
    let source = dir.path().join("src");
    crate::generate::generate(&crate::generate::GenerateOptions {
        scale: 0.01,
        out: source.clone(),
        seed: 7,
        dirty_rate: 0.0,
        as_of: chrono::NaiveDate::from_ymd_opt(2025, 3, 15).unwrap_or_default(),
        progress: false,
    })?;
    let wh = Warehouse::open(&dir.path().join("wh").to_string_lossy())?;
    let options = crate::load::LoadOptions {
        source,
        progress: false,
        max_retries: 0,
    };
    crate::load::load(&wh, &options).await?;
    let engine = Engine::new(wh, crate::pgcatalog::PostgresProfile::new()?)?;
    Ok((dir, engine))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn settings_are_per_session_and_read_by_functions() -> Result<()> {
    let dir = tmp()?;
    let engine = Engine::new(
        loaded_warehouse(dir.path(), false).await?,
        crate::pgcatalog::PostgresProfile::new()?,
    )?;
    let mut a = engine.session(Identity::local())?;
    let mut b = engine.session(Identity::local())?;
    a.execute("SET application_name = 'metabase'").await?;
    assert_eq!(one(&mut a, "SHOW application_name").await?, "metabase");
    assert_eq!(one(&mut b, "SHOW application_name").await?, "");
    assert_eq!(
        a.take_reports(),
        vec![Reported {
            name: "application_name".into(),
            value: "metabase".into()
        }]
    );
    assert_eq!(
        one(&mut a, "SELECT current_setting('application_name')").await?,
        "metabase"
    );
    assert_eq!(
        one(
            &mut a,
            "SELECT set_config('application_name', 'superset', false)"
        )
        .await?,
        "superset"
    );
    assert_eq!(one(&mut a, "SHOW application_name").await?, "superset");
    a.execute("RESET application_name").await?;
    assert_eq!(one(&mut a, "SHOW application_name").await?, "");
    assert_eq!(
        one(
            &mut a,
            "SELECT current_setting('nope.missing', true) IS NULL"
        )
        .await?,
        "true"
    );
    assert!(matches!(
        a.execute("SET no_such_setting = 1").await,
        Err(EngineError::UnknownSetting { .. })
    ));
    assert!(matches!(
        a.execute("SET extra_float_digits = 0").await,
        Err(EngineError::InvalidSetting { .. })
    ));
    a.execute("SET statement_timeout = '2s'").await?;
    assert_eq!(one(&mut a, "SHOW statement_timeout").await?, "2s");
    a.execute("SET TIME ZONE 'Europe/Paris'").await?;
    assert_eq!(one(&mut a, "SHOW TimeZone").await?, "Europe/Paris");
    a.execute("SET lyceum.as_of = 1").await?;
    assert_eq!(one(&mut a, "SHOW lyceum.as_of").await?, "1");
    assert_eq!(
        one(&mut a, "SELECT current_setting('lyceum.as_of')").await?,
        "1"
    );

    let version = one(&mut a, "SELECT version()").await?;
    assert!(version.starts_with("PostgreSQL 15."), "{version}");
    assert_eq!(
        one(
            &mut a,
            "SELECT current_user, session_user, current_database(), current_schema()"
        )
        .await?,
        "lyceum,lyceum,lyceum,public"
    );
    a.execute("SET search_path TO system, public").await?;
    assert_eq!(one(&mut a, "SELECT current_schema()").await?, "system");
    // Unqualified names resolve in the first schema of the path.
    assert_eq!(
        one(&mut a, "SELECT count(*) > 0 FROM snapshots").await?,
        "true"
    );
    assert_eq!(
        one(&mut a, "SELECT current_schemas(true)").await?,
        "[pg_catalog, system, public]"
    );

    // DISCARD ALL: every setting back to its default, prepared statements gone.
    a.execute("PREPARE q AS SELECT 1").await?;
    a.execute("DISCARD ALL").await?;
    assert_eq!(one(&mut a, "SHOW search_path").await?, "\"$user\", public");
    assert_eq!(one(&mut a, "SHOW statement_timeout").await?, "0");
    assert!(matches!(
        a.execute("EXECUTE q").await,
        Err(EngineError::NoSuchPrepared { .. })
    ));
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_transaction_reads_one_snapshot_and_fails_on_error() -> Result<()> {
    let dir = tmp()?;
    let warehouse = loaded_warehouse(dir.path(), false).await?;
    let engine = Engine::new(warehouse.clone(), crate::pgcatalog::PostgresProfile::new()?)?;
    let mut session = engine.session(Identity::local())?;
    let count = "SELECT count(*) FROM dim_term";
    let before = one(&mut session, count).await?;

    let out = session.execute("BEGIN").await?;
    assert!(matches!(out[0], QueryOutput::TransactionStart { .. }));
    assert_eq!(
        session.transaction_status(),
        TransactionStatus::InTransaction
    );
    assert_eq!(one(&mut session, count).await?, before);
    // Another writer commits a new version with one more term.
    let later = dir.path().join("later");
    crate::load::tests::extract(&later, true)?;
    crate::load::load(
        &warehouse,
        &crate::load::LoadOptions {
            source: later,
            progress: false,
            max_retries: 0,
        },
    )
    .await?;
    assert_eq!(
        one(&mut session, count).await?,
        before,
        "the snapshot holds"
    );
    session.execute("BEGIN").await?;
    assert_eq!(
        session.take_notices()[0].message,
        "there is already a transaction in progress"
    );
    session.execute("COMMIT").await?;
    let after = one(&mut session, count).await?;
    assert_ne!(after, before, "after COMMIT the new version is read");

    // An error fails the transaction until it ends.
    session.execute("BEGIN").await?;
    assert!(
        session
            .execute("SELECT * FROM no_such_table")
            .await
            .is_err()
    );
    assert_eq!(session.transaction_status(), TransactionStatus::Failed);
    assert!(matches!(
        session.execute("SELECT 1").await,
        Err(EngineError::InFailedTransaction)
    ));
    let out = session.execute("COMMIT").await?;
    assert!(matches!(&out[0], QueryOutput::TransactionEnd(done) if done.command == "ROLLBACK"));
    assert_eq!(session.transaction_status(), TransactionStatus::Idle);
    assert_eq!(one(&mut session, "SELECT 1").await?, "1");

    // A savepoint recovers the transaction after an error (SQLAlchemy nests this way).
    session.execute("BEGIN; SAVEPOINT s1").await?;
    assert!(rows(&mut session, "SELECT 1/0").await.is_err());
    session.execute("ROLLBACK TO SAVEPOINT s1").await?;
    assert_eq!(one(&mut session, "SELECT 5").await?, "5");
    session.execute("RELEASE SAVEPOINT s1; COMMIT").await?;
    assert!(matches!(
        session.execute("SAVEPOINT outside").await,
        Err(EngineError::NoTransaction { .. })
    ));

    // The snapshot is chosen before the first query of a transaction, never after.
    session.execute("BEGIN").await?;
    one(&mut session, count).await?;
    assert!(matches!(
        session.execute("SET lyceum.as_of = 1").await,
        Err(EngineError::SnapshotPinned { .. })
    ));
    session.execute("ROLLBACK").await?;
    session.execute("BEGIN; SET lyceum.as_of = 1").await?;
    assert_eq!(
        one(&mut session, count).await?,
        before,
        "version 1 is the first load"
    );
    session.execute("COMMIT").await?;
    // RESET returns to the latest version.
    session.execute("RESET lyceum.as_of").await?;
    assert_eq!(one(&mut session, count).await?, after);
    assert_eq!(one(&mut session, "SHOW lyceum.as_of").await?, "NULL");

    // SET LOCAL lasts until the end of the transaction.
    session
        .execute("BEGIN; SET LOCAL application_name = 'inside'")
        .await?;
    assert_eq!(one(&mut session, "SHOW application_name").await?, "inside");
    session.execute("ROLLBACK").await?;
    assert_eq!(one(&mut session, "SHOW application_name").await?, "");
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prepared_statements_infer_types_bind_and_replan() -> Result<()> {
    let dir = tmp()?;
    let warehouse = loaded_warehouse(dir.path(), false).await?;
    let engine = Engine::new(warehouse.clone(), crate::pgcatalog::PostgresProfile::new()?)?;
    let mut session = engine.session(Identity::local())?;
    let prepared = session
        .prepare("SELECT count(*) FROM dim_term WHERE term_key >= $1", &[])
        .await?;
    assert_eq!(prepared.param_types(), &[Some(DataType::Int32)]);
    let schema = prepared.schema().expect("rows");
    assert_eq!(schema.field(0).name(), "count");
    // A value of another integer type is converted to the column's.
    let first = run(&mut session, &prepared, ScalarValue::Int64(Some(0))).await?;
    let text_value = run(&mut session, &prepared, ScalarValue::Utf8(Some("0".into()))).await?;
    assert_eq!(first, text_value);
    assert!(matches!(
        session
            .execute_prepared(&prepared, vec![ScalarValue::Utf8(Some("zero".into()))])
            .await,
        Err(EngineError::InvalidParameter { index: 1, .. })
    ));
    assert!(matches!(
        session.execute_prepared(&prepared, vec![]).await,
        Err(EngineError::ParameterCount {
            given: 0,
            expected: 1
        })
    ));
    // The warehouse moves on: the statement is planned again, never stale.
    let later = dir.path().join("later");
    crate::load::tests::extract(&later, true)?;
    crate::load::load(
        &warehouse,
        &crate::load::LoadOptions {
            source: later,
            progress: false,
            max_retries: 0,
        },
    )
    .await?;
    let second = run(&mut session, &prepared, ScalarValue::Int64(Some(0))).await?;
    assert_ne!(first, second);

    // Unknown parameters are text; a declared type wins.
    let cast = session
        .prepare("SELECT $1::integer IS NULL, $2::text", &[])
        .await?;
    assert_eq!(
        cast.param_types(),
        &[Some(DataType::Int32), Some(DataType::Utf8View)]
    );
    let any = session.prepare("SELECT $1 AS x", &[]).await?;
    assert_eq!(any.param_types(), &[None]);
    let typed = session
        .prepare("SELECT $1 AS x", &[Some(DataType::Int64)])
        .await?;
    assert_eq!(typed.param_types(), &[Some(DataType::Int64)]);
    assert!(matches!(
        session.prepare("SELECT 1; SELECT 2", &[]).await,
        Err(EngineError::MultipleCommands)
    ));
    let show = session.prepare("SHOW application_name", &[]).await?;
    assert_eq!(
        show.schema().map(|s| s.field(0).name().clone()).as_deref(),
        Some("application_name")
    );
    assert!(
        session
            .prepare("SET application_name = 'x'", &[])
            .await?
            .schema()
            .is_none()
    );

    // SQL-level PREPARE / EXECUTE / DEALLOCATE.
    session
        .execute("PREPARE terms(int) AS SELECT count(*) FROM dim_term WHERE term_key >= $1")
        .await?;
    assert_eq!(rows(&mut session, "EXECUTE terms(0)").await?, second);
    assert!(matches!(
        session.execute("PREPARE terms AS SELECT 1").await,
        Err(EngineError::DuplicatePrepared { .. })
    ));
    session.execute("DEALLOCATE terms").await?;
    assert!(matches!(
        session.execute("EXECUTE terms(0)").await,
        Err(EngineError::NoSuchPrepared { .. })
    ));
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn superusers_manage_users() -> Result<()> {
    let dir = tmp()?;
    let engine = Engine::new(
        loaded_warehouse(dir.path(), false).await?,
        crate::pgcatalog::PostgresProfile::new()?,
    )?;
    let mut admin = engine.session(Identity::local())?;
    admin.execute("CREATE USER analyst PASSWORD 'pw1'").await?;
    admin
        .execute("CREATE USER IF NOT EXISTS analyst PASSWORD 'other'")
        .await?;
    assert!(admin.take_notices()[0].message.contains("already exists"));
    assert!(matches!(
        admin.execute("CREATE USER analyst PASSWORD 'pw1'").await,
        Err(EngineError::Catalog(
            lyceum_catalog::CatalogError::UserExists { .. }
        ))
    ));
    assert_eq!(
        rows(
            &mut admin,
            "SELECT rolname, rolsuper, rolcanlogin FROM pg_roles ORDER BY rolname"
        )
        .await?,
        ["analyst,false,true", "lyceum,true,false"]
    );
    let analyst = engine
        .auth()
        .check_password("analyst", "pw1")
        .await?
        .expect("the analyst logs in");
    let mut session = engine.session(analyst)?;
    assert_eq!(one(&mut session, "SELECT current_user").await?, "analyst");
    assert!(matches!(
        session.execute("CREATE USER intruder PASSWORD 'x'").await,
        Err(EngineError::PermissionDenied(_))
    ));
    assert!(matches!(
        session.execute("SELECT * FROM pg_authid").await,
        Err(EngineError::PermissionDenied(_))
    ));
    // A user may change their own password, not their privileges.
    session.execute("ALTER USER analyst PASSWORD 'pw2'").await?;
    assert!(
        engine
            .auth()
            .check_password("analyst", "pw2")
            .await?
            .is_some()
    );
    assert!(
        session
            .execute("ALTER USER analyst SUPERUSER")
            .await
            .is_err()
    );
    admin.execute("DROP USER analyst").await?;
    assert!(
        engine
            .auth()
            .check_password("analyst", "pw2")
            .await?
            .is_none()
    );
    admin.execute("DROP USER IF EXISTS analyst").await?;
    assert!(admin.take_notices()[0].message.contains("does not exist"));
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pg_catalog_describes_the_warehouse() -> Result<()> {
    let dir = tmp()?;
    let engine = Engine::new(
        loaded_warehouse(dir.path(), false).await?,
        crate::pgcatalog::PostgresProfile::new()?,
    )?;
    let mut s = engine.session(Identity::local())?;
    assert_eq!(
        rows(&mut s, "SELECT oid, nspname FROM pg_namespace ORDER BY oid").await?,
        [
            "11,pg_catalog",
            "2200,public",
            "13283,information_schema",
            "16384,system"
        ]
    );
    let oid = one(
        &mut s,
        "SELECT c.oid FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
         WHERE n.nspname = 'public' AND c.relname = 'fact_enrollment' AND c.relkind = 'r'",
    )
    .await?;
    assert_eq!(
        one(&mut s, "SELECT 'public.fact_enrollment'::regclass").await?,
        oid
    );
    assert_eq!(
        one(&mut s, "SELECT 'fact_enrollment'::regclass").await?,
        oid
    );
    // The primary key: an index and a constraint over the same columns.
    let pk = one(
        &mut s,
        &format!(
            "SELECT i.indisprimary, ic.relname, array_length(i.indkey, 1) \
             FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid WHERE i.indrelid = {oid}"
        ),
    )
    .await?;
    assert_eq!(pk, "true,fact_enrollment_pkey,1");
    let pk_def = one(
        &mut s,
        &format!(
            "SELECT pg_get_constraintdef(oid) FROM pg_constraint \
             WHERE conrelid = {oid} AND contype = 'p'"
        ),
    )
    .await?;
    assert!(pk_def.starts_with("PRIMARY KEY ("), "{pk_def}");
    let fks = rows(
        &mut s,
        &format!(
            "SELECT conname, pg_get_constraintdef(oid), confrelid::regclass \
             FROM pg_constraint WHERE conrelid = {oid} AND contype = 'f' ORDER BY conname"
        ),
    )
    .await?;
    assert!(
        fks.iter()
            .any(|f| f.contains("FOREIGN KEY (student_key) REFERENCES dim_student(student_key)")),
        "{fks:?}"
    );
    // Columns: types as the wire reports them, typmods, NOT NULL from the model.
    let columns = rows(
        &mut s,
        &format!(
            "SELECT a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull \
             FROM pg_attribute a WHERE a.attrelid = {oid} AND a.attnum > 0 ORDER BY a.attnum"
        ),
    )
    .await?;
    assert!(columns.len() > 5, "{columns:?}");
    assert!(
        columns[0].ends_with(",true"),
        "the key is NOT NULL: {columns:?}"
    );
    assert!(
        columns.iter().any(|c| c.contains("numeric(")),
        "decimals keep their precision: {columns:?}"
    );
    let description = one(
        &mut s,
        &format!("SELECT obj_description({oid}, 'pg_class')"),
    )
    .await?;
    assert!(description.starts_with("Fact table"), "{description}");
    assert_eq!(
        one(
            &mut s,
            &format!(
                "SELECT pg_table_is_visible({oid}), has_table_privilege({oid}, 'SELECT'), \
                 has_table_privilege({oid}, 'INSERT')"
            )
        )
        .await?,
        "true,true,false"
    );
    assert_eq!(
        one(
            &mut s,
            "SELECT t.typname, p.proname FROM pg_type t JOIN pg_proc p ON p.oid = t.typreceive \
             WHERE t.oid = 23"
        )
        .await?,
        "int4,int4recv"
    );
    // Each overload of an aggregate is its own pg_proc row (PostgreSQL's OIDs).
    assert_eq!(
        rows(
            &mut s,
            "SELECT a.aggfnoid, p.proname, p.prorettype, t.proname FROM pg_aggregate a \
             JOIN pg_proc p ON p.oid = a.aggfnoid JOIN pg_proc t ON t.oid = a.aggtransfn \
             WHERE p.proname = 'avg' ORDER BY 1 LIMIT 2"
        )
        .await?,
        [
            "2100,avg,1700,int8_avg_accum",
            "2101,avg,1700,int4_avg_accum"
        ]
    );
    assert_eq!(
        one(&mut s, "SELECT datname FROM pg_database").await?,
        "lyceum"
    );
    assert_eq!(
        one(
            &mut s,
            "SELECT count(*) FROM pg_settings WHERE name = 'application_name'"
        )
        .await?,
        "1"
    );
    // Relations of the catalog itself are listed too.
    assert_eq!(
        one(
            &mut s,
            "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
             WHERE n.nspname = 'pg_catalog' AND c.relname = 'pg_class'"
        )
        .await?,
        "1"
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn statements_time_out_and_are_canceled() -> Result<()> {
    let dir = tmp()?;
    let engine = Engine::new(
        loaded_warehouse(dir.path(), false).await?,
        crate::pgcatalog::PostgresProfile::new()?,
    )?;
    let mut session = engine.session(Identity::local())?;
    let slow = "SELECT count(*) FROM generate_series(1, 100000000000) AS t(x) WHERE x % 7 = 3";
    session.execute("SET statement_timeout = 200").await?;
    let started = Instant::now();
    let err = rows(&mut session, slow).await.expect_err("times out");
    assert!(
        matches!(&err, EngineError::Canceled(StopReason::Timeout(_)))
            || err.to_string().contains("statement timeout"),
        "{err}"
    );
    assert!(started.elapsed() < Duration::from_secs(5));
    session.execute("SET statement_timeout = 0").await?;
    assert_eq!(one(&mut session, "SELECT 1").await?, "1");

    let canceller = session.canceller();
    let pid = session.info().pid;
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(300)).await;
        canceller.cancel();
    });
    let started = Instant::now();
    let err = rows(&mut session, slow).await.expect_err("canceled");
    assert!(
        err.to_string()
            .contains("canceling statement due to user request"),
        "{err}"
    );
    assert!(started.elapsed() < Duration::from_secs(5));
    assert_eq!(one(&mut session, "SELECT 2").await?, "2");

    // pg_cancel_backend from another session reaches this one's statement.
    let mut other = engine.session(Identity::local())?;
    let registry = Arc::clone(engine.registry());
    assert!(registry.cancel(pid));
    // A cancel request with the session's key reaches it; another key does not.
    let secret = session.info().cancel_secret();
    assert!(!registry.cancel_with_secret(pid, secret.wrapping_add(1)));
    assert!(!registry.cancel_with_secret(-1, secret));
    assert!(registry.cancel_with_secret(pid, secret));
    assert_eq!(
        one(&mut other, "SELECT pg_cancel_backend(-1)").await?,
        "false"
    );
    // Only one's own sessions, unless an administrator.
    let analyst = Identity {
        name: "analyst".into(),
        superuser: false,
        oid: 0,
    };
    let mut theirs = engine.session(analyst.clone())?;
    let mut mine = engine.session(analyst)?;
    let pid_of_admin = pid;
    let pid_of_theirs = one(&mut theirs, "SELECT pg_backend_pid()").await?;
    assert!(matches!(
        rows(
            &mut mine,
            &format!("SELECT pg_cancel_backend({pid_of_admin})")
        )
        .await,
        Err(EngineError::PermissionDenied(_))
    ));
    assert_eq!(
        one(
            &mut mine,
            &format!("SELECT pg_cancel_backend({pid_of_theirs})")
        )
        .await?,
        "true"
    );
    assert_eq!(
        one(
            &mut other,
            &format!("SELECT pg_cancel_backend({pid_of_theirs})")
        )
        .await?,
        "true"
    );
    Ok(())
}

/// `FETCH ALL` streams from the cursor's query (a cursor over 10^11 rows returns its first
/// batch at once), `FETCH n` continues where the last one stopped, and a cancel reaches
/// whichever statement of a query string runs: later statements never run.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fetch_streams_and_cancel_reaches_the_running_statement_of_a_batch() -> Result<()> {
    let dir = tmp()?;
    let engine = Engine::new(
        loaded_warehouse(dir.path(), false).await?,
        crate::pgcatalog::PostgresProfile::new()?,
    )?;
    let mut session = engine.session(Identity::local())?;
    session.execute("BEGIN").await?;
    session
        .execute("DECLARE huge CURSOR FOR SELECT x FROM generate_series(1, 100000000000) AS t(x)")
        .await?;
    assert_eq!(rows(&mut session, "FETCH 2 FROM huge").await?, ["1", "2"]);
    assert_eq!(rows(&mut session, "FETCH 1 FROM huge").await?, ["3"]);
    let first_rows = async {
        let mut outputs = session.execute("FETCH ALL FROM huge").await?;
        let Some(QueryOutput::Rows { mut stream, .. }) = outputs.pop() else {
            panic!("FETCH ALL returns rows");
        };
        Ok::<_, EngineError>(stream.try_next().await?.map(|b| b.num_rows()))
    };
    let first = tokio::time::timeout(Duration::from_secs(20), first_rows)
        .await
        .expect("the first rows of FETCH ALL arrive before the rest is read")?;
    assert!(first.is_some_and(|n| n > 0));
    session.execute("ROLLBACK").await?;

    let slow = "SELECT count(*) FROM generate_series(1, 100000000000) AS t(x) WHERE x % 7 = 3";
    let canceller = session.canceller();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(500)).await;
        canceller.cancel();
    });
    let mut batch =
        session.start_batch(&format!("SELECT 1; {slow}; SET application_name = 'never'"))?;
    let mut results = Vec::new();
    while let Some(result) = session.next_statement(&mut batch).await {
        results.push(match result {
            Ok(QueryOutput::Rows { stream, .. }) => text(stream).await.map(|r| r.join(";")),
            Ok(other) => Ok(format!("{other:?}")),
            Err(e) => Err(e),
        });
        if results.last().is_some_and(|r| r.is_err()) {
            batch.fail();
        }
    }
    session.finish_batch(batch).await?;
    assert_eq!(results.len(), 2, "the statement after the canceled one ran");
    assert_eq!(results[0].as_deref().ok(), Some("1"));
    assert!(
        matches!(
            &results[1],
            Err(EngineError::Canceled(StopReason::UserRequest))
        ),
        "{:?}",
        results[1]
    );
    assert_eq!(one(&mut session, "SHOW application_name").await?, "");
    Ok(())
}

/// The DataFusion options Lyceum changes hold in a new session and after `RESET`, and the
/// one that matters for KPI 06 does its work: the cross join with the one-row `last_week`
/// builds on that row, not on the large joined side (which made one-row batches).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn engine_defaults_hold_and_cross_joins_build_on_the_small_side() -> Result<()> {
    // The generator's SF 0.01 university: the plan depends on the tables' sizes.
    let (_dir, engine) = generated_university().await?;
    let mut s = engine.session(Identity::local())?;
    let option = "datafusion.optimizer.use_statistics_registry";
    assert_eq!(one(&mut s, &format!("SHOW {option}")).await?, "true");
    s.execute(&format!("SET {option} = false")).await?;
    assert_eq!(one(&mut s, &format!("SHOW {option}")).await?, "false");
    s.execute(&format!("RESET {option}")).await?;
    assert_eq!(one(&mut s, &format!("SHOW {option}")).await?, "true");

    let kpi = include_str!("../../../../queries/06_at_risk_students_this_term.sql");
    let plan = rows(&mut s, &format!("EXPLAIN {kpi}")).await?.join("\n");
    let lines: Vec<&str> = plan.lines().map(str::trim).collect();
    let builds: Vec<&str> = lines
        .windows(2)
        .filter(|w| w[0].starts_with("CrossJoinExec"))
        .map(|w| w[1])
        .collect();
    assert!(
        builds.iter().any(|b| b.contains("as max_week")),
        "the cross join with last_week should build on it: {builds:?}\n{plan}"
    );
    Ok(())
}

/// The core alone (the `Plain` profile): settings, transactions and queries work, and
/// nothing of PostgreSQL's face is there.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_core_runs_without_the_postgres_profile() -> Result<()> {
    let dir = tmp()?;
    let engine = Engine::new(loaded_warehouse(dir.path(), false).await?, Arc::new(Plain))?;
    let mut s = engine.session(Identity::local())?;
    let out = s.execute("SET statement_timeout = '2s'").await?;
    assert_eq!(out[0].completion(), Some(&Completion::new("SET")));
    assert_eq!(one(&mut s, "SHOW statement_timeout").await?, "2s");
    assert_ne!(one(&mut s, "SELECT count(*) FROM dim_term").await?, "0");
    let out = s.execute("BEGIN; SELECT 1; COMMIT").await?;
    assert!(matches!(&out[0], QueryOutput::TransactionStart(c) if c.command == "BEGIN"));
    assert!(matches!(&out[2], QueryOutput::TransactionEnd(c) if c.command == "COMMIT"));
    s.execute("COMMIT").await?;
    assert_eq!(
        s.take_notices(),
        vec![Notice {
            kind: NoticeKind::NoTransaction,
            message: "there is no transaction in progress".into()
        }]
    );
    // PostgreSQL's parameters, catalog and functions belong to its profile.
    assert!(matches!(
        s.execute("SET client_encoding = 'UTF8'").await,
        Err(EngineError::UnknownSetting { .. })
    ));
    assert!(
        s.execute("SELECT * FROM pg_catalog.pg_class")
            .await
            .is_err()
    );
    assert!(s.execute("SELECT pg_backend_pid()").await.is_err());
    let reported: Vec<String> = s
        .reported_parameters()
        .into_iter()
        .map(|r| r.name)
        .collect();
    assert_eq!(reported, ["application_name", "TimeZone"]);
    Ok(())
}

/// The `result_cache` row of `EXPLAIN sql`: what the result cache does with the query.
async fn explain_cache(session: &mut Session, sql: &str) -> Result<String> {
    let lines = rows(session, &format!("EXPLAIN {sql}")).await?;
    Ok(lines
        .iter()
        .find_map(|l| l.strip_prefix("result_cache,"))
        .unwrap_or_default()
        .to_string())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_result_cache_answers_repeats_and_never_a_stale_or_foreign_answer() -> Result<()> {
    let dir = tmp()?;
    let engine = Engine::new(
        loaded_warehouse(dir.path(), false).await?,
        crate::pgcatalog::PostgresProfile::new()?,
    )?;
    let cache = engine.result_cache().clone();
    let mut s = engine.session(Identity::local())?;
    let count = "SELECT count(*) FROM fact_enrollment";
    assert!(explain_cache(&mut s, count).await?.starts_with("miss"));
    let first = one(&mut s, count).await?;
    assert!(explain_cache(&mut s, count).await?.starts_with("hit"));
    let (hits, _) = cache.counts();
    assert_eq!(one(&mut s, count).await?, first);
    // A hit is described exactly as a miss is (drivers compare the description with the
    // stream); COALESCE is NOT NULL in the plan but nullable in the physical stream.
    let coalesced = "SELECT coalesce(max(term_key) > 0, false) AS any FROM dim_term";
    let mut described = Vec::new();
    for _ in 0..2 {
        let Some(QueryOutput::Rows { schema, stream, .. }) = s.execute(coalesced).await?.pop()
        else {
            panic!("rows expected");
        };
        assert_eq!(text(stream).await?, ["true"]);
        described.push(schema);
    }
    assert_eq!(described[0], described[1]);
    assert!(!described[0].field(0).is_nullable());
    assert_eq!(
        cache.counts().0,
        hits + 2,
        "the repeats were answered from the cache"
    );

    // What can change between runs is never cached.
    assert!(
        explain_cache(&mut s, "SELECT now()")
            .await?
            .contains("now()")
    );
    assert!(
        explain_cache(&mut s, "SELECT count(*) FROM pg_catalog.pg_class")
            .await?
            .starts_with("not cached")
    );
    assert!(
        explain_cache(&mut s, "SELECT count(*) FROM generate_series(1, 3)")
            .await?
            .starts_with("not cached")
    );
    // Subqueries are part of the key.
    let sub = |k: u32| format!("SELECT (SELECT count(*) FROM dim_term WHERE term_key > {k})");
    let a = one(&mut s, &sub(0)).await?;
    let b = one(&mut s, &sub(1_000_000)).await?;
    assert_ne!(a, b);
    assert_eq!(one(&mut s, &sub(1_000_000)).await?, b);

    // A commit makes a new version: the next read sees it.
    s.execute("CREATE TABLE sandbox.tiles (n integer)").await?;
    s.execute("INSERT INTO sandbox.tiles VALUES (1)").await?;
    let tiles = "SELECT count(*) FROM sandbox.tiles";
    assert_eq!(one(&mut s, tiles).await?, "1");
    assert_eq!(one(&mut s, tiles).await?, "1");
    s.execute("INSERT INTO sandbox.tiles VALUES (2)").await?;
    assert_eq!(
        one(&mut s, tiles).await?,
        "2",
        "never the older version's answer"
    );
    // Uncommitted writes are the session's own: never cached or answered from the cache.
    s.execute("BEGIN").await?;
    s.execute("INSERT INTO sandbox.tiles VALUES (3)").await?;
    assert_eq!(one(&mut s, tiles).await?, "3");
    assert!(explain_cache(&mut s, tiles).await?.contains("uncommitted"));
    s.execute("ROLLBACK").await?;
    assert_eq!(one(&mut s, tiles).await?, "2");

    // Another user never shares an entry.
    let analyst = Identity {
        name: "analyst".into(),
        superuser: false,
        oid: 0,
    };
    let mut other = engine.session(analyst)?;
    assert!(explain_cache(&mut other, count).await?.starts_with("miss"));
    // Nor do other settings, and the cache can be turned off.
    s.execute("SET TimeZone = 'Europe/Paris'").await?;
    assert!(explain_cache(&mut s, count).await?.starts_with("miss"));
    s.execute("SET lyceum.result_cache = off").await?;
    assert!(explain_cache(&mut s, count).await?.contains("off"));
    let entries = cache.entries();
    assert!(entries.iter().all(|e| e.user == Identity::local().name));
    assert!(entries.iter().any(|e| e.hits > 0));
    // system.result_cache shows the same entries (and is itself never cached).
    assert_eq!(
        one(
            &mut s,
            "SELECT count(*), sum(hits) > 0, bool_and(user_name = 'lyceum') FROM system.result_cache"
        )
        .await?,
        format!("{},true,true", entries.len())
    );
    Ok(())
}

/// At most `running` statements run at once: the next waits for a turn (within its
/// statement_timeout), gets one when a running statement's rows are done, and a session
/// never waits for its own open results.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn statements_wait_their_turn() -> Result<()> {
    let dir = tmp()?;
    let limits = crate::memory::MemoryLimits::new(1 << 30, None, None)?.with_running(1);
    let engine = Engine::with_memory(
        loaded_warehouse(dir.path(), false).await?,
        limits,
        crate::pgcatalog::PostgresProfile::new()?,
    )?;
    let mut a = engine.session(Identity::local())?;
    let mut b = engine.session(Identity::local())?;
    // A timeout long enough for a loaded machine to run the first query (the setting is
    // part of the result cache's key, so it is set before that query is cached).
    b.execute("SET statement_timeout = '2s'").await?;
    let cached = "SELECT count(*) FROM dim_term";
    let terms = one(&mut b, cached).await?;

    // A's rows are not read yet: A holds the only turn.
    let open = a.execute("SELECT 1; SELECT 2").await?;
    assert_eq!(
        open.len(),
        2,
        "two statements of one session share its turn"
    );
    let err = b.execute("SELECT 3").await.err().map(|e| e.kind());
    assert_eq!(err, Some(crate::error::ErrorKind::QueryCanceled));
    // An answer the result cache holds needs no turn.
    let hits = engine.result_cache().counts().0;
    assert_eq!(one(&mut b, cached).await?, terms);
    assert_eq!(engine.result_cache().counts().0, hits + 1);

    // Read (or dropped): the turn is free.
    for output in open {
        if let QueryOutput::Rows { stream, .. } = output {
            let _: Vec<_> = stream.try_collect().await?;
        }
    }
    assert_eq!(one(&mut b, "SELECT 3").await?, "3");
    assert_eq!(one(&mut a, "SELECT 4").await?, "4");
    Ok(())
}

/// Two sessions missing the result cache on one query at once compute it once: the second
/// waits for the first's answer (single flight), and a session never waits for itself.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_misses_of_one_query_are_computed_once() -> Result<()> {
    let dir = tmp()?;
    let engine = Engine::new(
        loaded_warehouse(dir.path(), false).await?,
        crate::pgcatalog::PostgresProfile::new()?,
    )?;
    let mut a = engine.session(Identity::local())?;
    let mut b = engine.session(Identity::local())?;
    let query = "SELECT sum(credit_hours_attempted) FROM fact_enrollment";
    let (hits, misses) = engine.result_cache().counts();

    // A leads: its rows are not read yet.
    let mut open = a.execute(query).await?;
    let waiting = tokio::spawn(async move {
        let answer = one(&mut b, query).await;
        (b, answer)
    });
    let started = Instant::now();
    while engine.result_cache().waits() == 0 {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "B never waited"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(!waiting.is_finished(), "B waits for A's answer");
    // A's own repeat does not wait for A's open stream.
    let again = tokio::time::timeout(Duration::from_secs(20), one(&mut a, query))
        .await
        .map_err(|_| EngineError::Internal("a session waited for itself".into()))??;
    assert!(!waiting.is_finished(), "A's repeat did not lead");
    let Some(QueryOutput::Rows { stream, .. }) = open.pop() else {
        return Err(EngineError::Internal("rows".into()));
    };
    let _: Vec<_> = stream.try_collect().await?;
    let (_b, answer) = waiting
        .await
        .map_err(|e| EngineError::Internal(e.to_string()))?;
    assert_eq!(answer?, again);
    // B was answered from the cache (one hit) after missing once; A's repeat missed too.
    let (hits_now, misses_now) = engine.result_cache().counts();
    assert_eq!(hits_now - hits, 1);
    assert_eq!(misses_now - misses, 3);
    Ok(())
}
