//! Loads a small hand-written extract with known defects and checks the accounting,
//! idempotency, SCD2 and time travel end to end (Delta tables in a temp directory).

use std::path::Path;

use futures::TryStreamExt;

use super::{LoadOptions, LoadReport, load};
use crate::error::{EngineError, Result};
use crate::session::{Engine, QueryOutput};
use crate::warehouse::Warehouse;

fn write(dir: &Path, file: &str, text: &str) -> Result<()> {
    let path = dir.join(file);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(|e| EngineError::io("mkdir", e))?;
    }
    std::fs::write(&path, text).map_err(|e| EngineError::io("write", e))
}

/// A two-term extract; `later` adds a spring term, grades and a major change.
pub(crate) fn extract(dir: &Path, later: bool) -> Result<()> {
    let mut terms = "term_code,term_name,start_date,end_date,census_date\n2023FA,Fall 2023,2023-08-28,2023-12-15,2023-09-15\n".to_string();
    if later {
        terms.push_str("2024SP,Spring 2024,2024-01-16,2024-05-10,2024-02-02\n");
    }
    write(dir, "sis/terms.csv", &terms)?;
    write(
        dir,
        "sis/holidays.csv",
        "holiday_date,holiday_name\n2023-11-23,Thanksgiving\n",
    )?;
    write(
        dir,
        "sis/departments.csv",
        "department_code,department_name,college_code,college_name,division\nMATH,Mathematics,SCI,College of Science,STEM\n hist ,History,HUM,College of Humanities,HUMANITIES\n",
    )?;
    write(
        dir,
        "sis/programs.csv",
        "program_code,program_name,cip_code,degree_level,department_code,is_stem,normal_time_terms\nBS-MATH,Mathematics BS,27.0101,BACHELOR,MATH,true,8\nBA-HIST,History BA,54.0101,BACHELOR,HIST,false,8\n",
    )?;
    write(
        dir,
        "sis/courses.csv",
        "course_id,subject_code,course_number,course_title,department_code,credit_hours,is_gateway,grading_basis\nMATH-1110,MATH,1110,Calculus I,MATH,4.0,true,LETTER\nHIST-2010,HIST,2010,World History,HIST,-3.0,false,LETTER\nHIST-1010,HIST,1010,US History,HIST,3.0,false,LETTER\n",
    )?;
    write(
        dir,
        "sis/instructors.csv",
        "instructor_id,first_name,last_name,email,department_code,academic_rank,tenure_status,fte,hire_date,effective_date\nI001,Ada,Lovelace,ada@uni.edu,MATH,ASSOCIATE,TENURED,1.00,2010-08-01,2010-08-01\nI002,Mary,Beard,mary@uni.edu,HIST,FULL,TENURED,1.00,2005-08-01,2005-08-01\n",
    )?;
    let mut students = "student_id,first_name,last_name,preferred_name,email,phone,birth_date,address_line1,city,postal_code,gender,ethnicity,is_first_generation,is_pell_recipient,has_disability,residency,entry_type,entry_term_code,ipeds_cohort_term_code,hs_gpa,program_code,class_level,academic_standing,enrollment_status,advisor_instructor_id,effective_date\n\
S001,Ann,Lee,,Ann.Lee@Uni.EDU ,555-0100,2005-03-01,1 Main St,Town,12345,F,Asian,true,false,false,IN_STATE,FIRST_TIME,2023FA,2023FA,3.50,BS-MATH,FR,GOOD,ACTIVE,I001,08/20/2023\n\
S002,Bob,Ray,Bobby,bob.ray@uni.edu,,2005-02-30,2 Main St,Town,12345,M,White,false,true,false,IN_STATE,FIRST_TIME,2023FA,2023FA,3.00,BS-MATH,FR,GOOD,ACTIVE,,2023-08-20\n\
S003,Cy,Doe,,cy.doe@,,2004-01-01,,,,M,White,false,false,false,IN_STATE,FIRST_TIME,2023FA,,3.00,BA-HIST,FR,GOOD,ACTIVE,,2023-08-20\n\
S004,Di,Poe,,di.poe@uni.edu,,2004-01-01,,,,F,Black,true,true,false,OUT_OF_STATE,FIRST_TIME,2023FA,2023FA,3.20,BA-HIST,FR,GOOD,ACTIVE,,2023-08-20\n".to_string();
    if later {
        students.push_str("S001,Ann,Lee,,ann.lee@uni.edu,555-0100,2005-03-01,1 Main St,Town,12345,F,Asian,true,false,false,IN_STATE,FIRST_TIME,2023FA,2023FA,3.50,BA-HIST,FR,GOOD,ACTIVE,I001,2024-01-10\n");
    }
    write(dir, "sis/students.csv", &students)?;
    let mut sections = "section_id,course_id,term_code,section_number,instructor_id,delivery_mode,campus,capacity,meetings_per_week,takes_attendance\nMATH-1110-001-2023FA,MATH-1110,2023FA,001,I001,IN_PERSON,Main,40,3,true\nHIST-1010-001-2023FA,HIST-1010,2023FA,001,I002,ONLINE,Main,40,2,false\nBAD-0000-001-2023FA,BAD-0000,2023FA,001,I002,ONLINE,Main,40,2,false\n".to_string();
    if later {
        sections
            .push_str("HIST-1010-001-2024SP,HIST-1010,2024SP,001,I002,HYBRID,Main,40,2,false\n");
    }
    write(dir, "sis/sections.csv", &sections)?;
    let (g1, g2) = if later { ("B+", "D") } else { ("", "") };
    let mut enrollments = format!(
        "enrollment_id,student_id,section_id,registration_date,drop_date,enrollment_status,credit_hours,final_grade,final_score_pct,is_repeat\n\
1,S001,MATH-1110-001-2023FA,2023-08-01,,{s1},4.0,{g1},,false\n\
2,S004,HIST-1010-001-2023FA,2023-08-01,,{s1},3.0,{g2},,false\n\
2,S004,HIST-1010-001-2023FA,2023-08-01,,{s1},3.0,{g2},,false\n\
3,S004,MATH-1110-001-2023FA,2023-08-01,,COMPLETED,4.0,Z,,false\n\
4,S004,NOPE-1000-001-2023FA,2023-08-01,,ENROLLED,4.0,,,false\n\
5,S004,MATH-1110-001-2023FA,2023-08-01,,ENROLLED,4.0,,,false,extra\n",
        s1 = if later { "COMPLETED" } else { "ENROLLED" }
    );
    if later {
        enrollments.push_str("6,S001,HIST-1010-001-2024SP,2024-01-05,,ENROLLED,3.0,,,false\n");
    }
    write(dir, "sis/enrollments.csv", &enrollments)?;
    write(
        dir,
        "attendance/attendance_2023FA.csv",
        "student_id,section_id,meeting_date,status,minutes_late\nS001,MATH-1110-001-2023FA,2023-09-05,P,\nS001,MATH-1110-001-2023FA,2023-09-07,T,5\ns001 ,MATH-1110-001-2023FA,2023-09-07,T,5\n",
    )?;
    write(dir, "attendance/attendance_empty.csv", "")?;
    write(
        dir,
        "survey/feedback_2023FA.jsonl",
        "{\"response_id\":1,\"survey_id\":1,\"survey_type\":\"COURSE_EVAL\",\"respondent_token\":\"t1\",\"student_id\":null,\"section_id\":\"MATH-1110-001-2023FA\",\"term_code\":\"2023FA\",\"submitted_date\":\"2023-12-08\",\"ratings\":{\"overall\":5,\"instructor\":5,\"course\":4,\"workload\":3},\"answers\":{\"q1\":4},\"comment\":\"Great, very helpful.\",\"language\":\"en\"}\nnot json\n",
    )?;
    Ok(())
}

/// A warehouse in `dir/wh` loaded from the small extract (version 1), and, with `later`,
/// its later extract as well (version 2).
pub(crate) async fn loaded_warehouse(dir: &Path, later: bool) -> Result<Warehouse> {
    let wh = Warehouse::open(&dir.join("wh").to_string_lossy())?;
    load_extract(&wh, dir, "src", false).await?;
    if later {
        load_later(&wh, dir).await?;
    }
    Ok(wh)
}

/// Loads the later extract (a new term, changed dimensions) into `wh` of `dir`.
pub(crate) async fn load_later(wh: &Warehouse, dir: &Path) -> Result<LoadReport> {
    load_extract(wh, dir, "src2", true).await
}

async fn load_extract(wh: &Warehouse, dir: &Path, name: &str, later: bool) -> Result<LoadReport> {
    let src = dir.join(name);
    extract(&src, later)?;
    let options = LoadOptions {
        source: src,
        progress: false,
        max_retries: 0,
    };
    load(wh, &options).await
}

/// Every row of every result of `sql`, as comma-joined text.
pub(crate) async fn query(engine: &std::sync::Arc<Engine>, sql: &str) -> Result<Vec<String>> {
    let mut session = engine.session(crate::auth::Identity::local())?;
    let mut out = Vec::new();
    for output in session.execute(sql).await? {
        if let QueryOutput::Rows { stream, .. } = output {
            let batches: Vec<_> = stream.try_collect().await?;
            let text = arrow::util::pretty::pretty_format_batches(&batches)?.to_string();
            out.extend(
                text.lines()
                    .filter(|l| l.starts_with('|'))
                    .skip(1)
                    .map(|l| {
                        l.trim_matches('|')
                            .split('|')
                            .map(str::trim)
                            .collect::<Vec<_>>()
                            .join(",")
                    }),
            );
        }
    }
    Ok(out)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn load_accounts_for_every_row_and_is_idempotent() -> Result<()> {
    let tmp = tempfile::tempdir().map_err(|e| EngineError::io("tmp", e))?;
    let (src, src2) = (tmp.path().join("src"), tmp.path().join("src2"));
    extract(&src, false)?;
    extract(&src2, true)?;
    let wh = Warehouse::open(&tmp.path().join("wh").to_string_lossy())?;
    let opts = |source: &Path| LoadOptions {
        source: source.to_path_buf(),
        progress: false,
        max_retries: 0,
    };

    let first = load(&wh, &opts(&src)).await?;
    assert_eq!(first.warehouse_version, 1);
    for f in &first.files {
        assert_eq!(f.rows_read, f.rows_loaded + f.rows_quarantined, "{f:?}");
    }
    let q = &first.quarantined_by_rule;
    for (rule, n) in [
        ("negative_value", 1),
        ("invalid_date", 1),
        ("invalid_email", 1),
        ("unknown_reference", 2),
        ("duplicate_key", 2),
        ("invalid_grade", 1),
        ("wrong_column_count", 1),
        ("invalid_json", 1),
    ] {
        assert_eq!(q.get(rule).copied(), Some(n), "{rule}: {q:?}");
    }
    for rule in [
        "standardise_date",
        "normalise_email",
        "trim_whitespace",
        "normalise_case",
    ] {
        assert!(
            first.cleaned_by_rule.contains_key(rule),
            "{rule}: {:?}",
            first.cleaned_by_rule
        );
    }
    assert!(
        first
            .files
            .iter()
            .any(|f| f.file.ends_with("attendance_empty.csv") && f.status == "EMPTY")
    );

    let engine = Engine::new(wh.clone(), crate::pgcatalog::PostgresProfile::new()?)?;
    assert_eq!(
        query(&engine, "SELECT count(*) FROM fact_enrollment").await?,
        ["2"]
    );
    assert_eq!(
        query(&engine, "SELECT count(*) FROM dim_student").await?,
        ["2"]
    );
    assert_eq!(
        query(
            &engine,
            "SELECT count(*), min(date_key), max(date_key) FROM dim_date"
        )
        .await?,
        ["1826,20200701,20250630"]
    );
    assert_eq!(
        query(&engine, "SELECT sentiment_label FROM fact_feedback").await?,
        ["POSITIVE"]
    );
    let q_rows = query(&engine, "SELECT count(*) FROM system.quarantine").await?;
    let read = query(&engine, "SELECT sum(rows_read) = sum(rows_loaded) + sum(rows_quarantined), sum(rows_quarantined) FROM system.load_files").await?;
    assert_eq!(read, [format!("true,{}", q_rows[0])]);

    let again = load(&wh, &opts(&src)).await?;
    assert!(
        again.tables_changed.is_empty(),
        "re-load changed {:?}",
        again.tables_changed
    );
    let v1 = wh.version(1).await?;
    let v2 = wh.version(2).await?;
    for (name, e) in &v1.tables {
        if name.starts_with("public.") {
            assert_eq!(
                Some(e.delta_version),
                v2.tables.get(name).map(|x| x.delta_version),
                "{name}"
            );
        }
    }

    let later = load(&wh, &opts(&src2)).await?;
    assert!(
        later.tables_changed.contains_key("dim_student"),
        "{:?} {:?}",
        later.tables_changed,
        later.quarantined_by_rule
    );
    assert_eq!(query(&engine, "SELECT student_id, count(*), sum(CAST(is_current AS INT)) FROM dim_student GROUP BY student_id ORDER BY student_id").await?, ["S001,2,1", "S004,1,1"]);
    assert_eq!(query(&engine, "SELECT count(*) FROM dim_student a JOIN dim_student b ON a.student_id = b.student_id AND a.student_key < b.student_key WHERE a.effective_to > b.effective_from AND b.effective_to > a.effective_from").await?, ["0"]);
    assert_eq!(
        query(
            &engine,
            "SELECT count(*), sum(CAST(is_dfw AS INT)) FROM fact_enrollment"
        )
        .await?,
        ["3,1"]
    );
    assert_eq!(
        query(
            &engine,
            "SELECT student_id, term_key, term_gpa, cum_gpa FROM fact_student_term ORDER BY 1, 2"
        )
        .await?,
        [
            "S001,202310,3.30,3.30",
            "S001,202320,,3.30",
            "S004,202310,1.00,1.00"
        ]
    );
    // Time travel: version 1 still has the first extract's counts.
    assert_eq!(
        query(
            &engine,
            "SET lyceum.as_of = 1; SELECT count(*) FROM fact_enrollment"
        )
        .await?,
        ["2"]
    );
    assert_eq!(
        query(
            &engine,
            "SET lyceum.as_of = 0; SELECT count(*) FROM dim_student"
        )
        .await?,
        ["0"]
    );
    Ok(())
}
