//! Tests of the generator against data/README.md (headers, cuts, defects) and of its
//! determinism, superset property and scale. All run at SF 0.01.

#![allow(clippy::unwrap_used)]

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;

use chrono::NaiveDate;

use super::{GenerateOptions, GenerateReport, generate};

pub(super) fn date(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

pub(super) fn run(dir: &Path, scale: f64, dirty_rate: f64, as_of: &str) -> GenerateReport {
    generate(&GenerateOptions {
        scale,
        out: dir.to_path_buf(),
        seed: 7,
        dirty_rate,
        as_of: date(as_of),
        progress: false,
    })
    .unwrap()
}

/// (header, rows) of a clean CSV file.
pub(super) fn read(dir: &Path, rel: &str) -> (Vec<String>, Vec<Vec<String>>) {
    let mut r = csv::ReaderBuilder::new().from_path(dir.join(rel)).unwrap();
    let header = r.headers().unwrap().iter().map(str::to_string).collect();
    let rows = r
        .records()
        .map(|x| x.unwrap().iter().map(str::to_string).collect())
        .collect();
    (header, rows)
}

pub(super) fn lines(dir: &Path, rel: &str) -> Vec<Vec<u8>> {
    let bytes = std::fs::read(dir.join(rel)).unwrap();
    bytes
        .split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .map(<[u8]>::to_vec)
        .collect()
}

/// Column names copied from data/README.md.
const CONTRACT: [(&str, &str); 13] = [
    (
        "sis/terms.csv",
        "term_code,term_name,start_date,end_date,census_date",
    ),
    ("sis/holidays.csv", "holiday_date,holiday_name"),
    (
        "sis/departments.csv",
        "department_code,department_name,college_code,college_name,division",
    ),
    (
        "sis/programs.csv",
        "program_code,program_name,cip_code,degree_level,department_code,is_stem,normal_time_terms",
    ),
    (
        "sis/courses.csv",
        "course_id,subject_code,course_number,course_title,department_code,credit_hours,is_gateway,grading_basis",
    ),
    (
        "sis/instructors.csv",
        "instructor_id,first_name,last_name,email,department_code,academic_rank,tenure_status,fte,hire_date,effective_date",
    ),
    (
        "sis/students.csv",
        "student_id,first_name,last_name,preferred_name,email,phone,birth_date,address_line1,city,postal_code,gender,ethnicity,is_first_generation,is_pell_recipient,has_disability,residency,entry_type,entry_term_code,ipeds_cohort_term_code,hs_gpa,program_code,class_level,academic_standing,enrollment_status,advisor_instructor_id,effective_date",
    ),
    (
        "sis/sections.csv",
        "section_id,course_id,term_code,section_number,instructor_id,delivery_mode,campus,capacity,meetings_per_week,takes_attendance",
    ),
    (
        "sis/enrollments.csv",
        "enrollment_id,student_id,section_id,registration_date,drop_date,enrollment_status,credit_hours,final_grade,final_score_pct,is_repeat",
    ),
    (
        "sis/degrees.csv",
        "degree_id,student_id,program_code,conferral_term_code,conferral_date,degree_level,final_cum_gpa,honors",
    ),
    (
        "lms/assessments_2023FA.csv",
        "performance_id,enrollment_id,student_id,section_id,assessment_id,assessment_type,due_date,submitted_date,week_of_term,score,max_score,weight_pct,attempt_no",
    ),
    (
        "attendance/attendance_2023FA.csv",
        "student_id,section_id,meeting_date,status,minutes_late",
    ),
    (
        "lms/assessments_2025SP.csv",
        "performance_id,enrollment_id,student_id,section_id,assessment_id,assessment_type,due_date,submitted_date,week_of_term,score,max_score,weight_pct,attempt_no",
    ),
];

pub(super) const TERMS: [&str; 15] = [
    "2020FA", "2021SP", "2021SU", "2021FA", "2022SP", "2022SU", "2022FA", "2023SP", "2023SU",
    "2023FA", "2024SP", "2024SU", "2024FA", "2025SP", "2025SU",
];

pub(super) fn manifest(dir: &Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(dir.join("manifest.json")).unwrap()).unwrap()
}

#[test]
fn writes_every_file_with_the_contract_headers() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let report = run(dir, 0.01, 0.0, "2025-03-15");
    for (rel, header) in CONTRACT {
        let (h, rows) = read(dir, rel);
        assert_eq!(h.join(","), header, "{rel}");
        assert!(!rows.is_empty(), "{rel} has no rows");
    }
    // Per-term files exist exactly for the terms started by as-of (Summer 2025 has none).
    for code in &TERMS[..14] {
        assert!(
            dir.join(format!("lms/assessments_{code}.csv")).is_file(),
            "{code}"
        );
        assert!(
            dir.join(format!("attendance/attendance_{code}.csv"))
                .is_file(),
            "{code}"
        );
    }
    assert!(!dir.join("lms/assessments_2025SU.csv").exists());
    assert!(!dir.join("attendance/attendance_empty.csv").exists());
    assert!(dir.join("survey/feedback_2023FA.jsonl").is_file());
    // Every feedback line has the documented keys.
    for line in lines(dir, "survey/feedback_2023FA.jsonl") {
        let v: serde_json::Value = serde_json::from_slice(&line).unwrap();
        let keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
        for k in [
            "response_id",
            "survey_id",
            "survey_type",
            "respondent_token",
            "student_id",
            "section_id",
            "term_code",
            "submitted_date",
            "ratings",
            "answers",
            "comment",
            "language",
        ] {
            assert!(keys.contains(&k), "missing {k}");
        }
        let anonymous = v["survey_type"] == "COURSE_EVAL";
        assert_eq!(v["student_id"].is_null(), anonymous);
        assert_eq!(v["section_id"].is_null(), !anonymous);
        assert_eq!(v["respondent_token"].as_str().unwrap().len(), 64);
    }
    // The manifest and the report agree with the files.
    let m = manifest(dir);
    assert_eq!(m["as_of"], "2025-03-15");
    let files = m["files"].as_array().unwrap();
    assert_eq!(files.len(), report.files.len());
    for (f, g) in files.iter().zip(&report.files) {
        assert_eq!(f["path"], g.path.as_str());
        let n = lines(dir, &g.path).len() as u64;
        let data = if g.path.ends_with(".jsonl") { n } else { n - 1 };
        assert_eq!(f["rows"].as_u64().unwrap(), data, "{}", g.path);
        assert_eq!(g.rows, data);
        assert_eq!(std::fs::metadata(dir.join(&g.path)).unwrap().len(), g.bytes);
    }
    assert_eq!(
        report.total_rows,
        report.files.iter().map(|f| f.rows).sum::<u64>()
    );
}

fn all_files(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    for sub in ["", "sis", "lms", "attendance", "survey"] {
        for e in std::fs::read_dir(dir.join(sub)).unwrap() {
            let e = e.unwrap();
            if e.file_type().unwrap().is_file() {
                out.insert(
                    format!("{sub}/{}", e.file_name().to_string_lossy()),
                    std::fs::read(e.path()).unwrap(),
                );
            }
        }
    }
    out
}

#[test]
fn same_options_give_byte_identical_files() {
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    run(a.path(), 0.01, 0.05, "2025-03-15");
    run(b.path(), 0.01, 0.05, "2025-03-15");
    let (fa, fb) = (all_files(a.path()), all_files(b.path()));
    assert!(fa.len() > 40);
    assert_eq!(fa.keys().collect::<Vec<_>>(), fb.keys().collect::<Vec<_>>());
    for (k, v) in &fa {
        assert!(v == &fb[k], "{k} differs");
    }
    // Rerunning into a used directory replaces the old extract (no stale per-term files).
    run(a.path(), 0.01, 0.0, "2021-03-01");
    assert!(!a.path().join("lms/assessments_2023FA.csv").exists());
    assert!(!a.path().join("attendance/attendance_empty.csv").exists());
}

fn row_set(dir: &Path, rel: &str) -> HashSet<Vec<String>> {
    read(dir, rel).1.into_iter().collect()
}

#[test]
fn a_later_as_of_is_a_superset() {
    let (early, late) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    run(early.path(), 0.01, 0.0, "2024-10-01");
    run(late.path(), 0.01, 0.0, "2025-03-15");
    let (e, l) = (early.path(), late.path());
    // Whole per-term files of terms finished by the earlier date are identical.
    for code in ["2023FA", "2024SP", "2024SU"] {
        for rel in [
            format!("lms/assessments_{code}.csv"),
            format!("attendance/attendance_{code}.csv"),
            format!("survey/feedback_{code}.jsonl"),
        ] {
            assert!(
                std::fs::read(e.join(&rel)).unwrap() == std::fs::read(l.join(&rel)).unwrap(),
                "{rel}"
            );
        }
    }
    // Attendance of the term in progress only grows.
    let (ea, la) = (
        row_set(e, "attendance/attendance_2024FA.csv"),
        row_set(l, "attendance/attendance_2024FA.csv"),
    );
    assert!(!ea.is_empty() && ea.is_subset(&la) && la.len() > ea.len());
    // Change logs, sections and degrees only grow.
    for rel in [
        "sis/students.csv",
        "sis/instructors.csv",
        "sis/sections.csv",
        "sis/degrees.csv",
        "sis/courses.csv",
    ] {
        let (a, b) = (row_set(e, rel), row_set(l, rel));
        assert!(a.is_subset(&b), "{rel}");
    }
    // Enrollments of finished terms are identical; the term in progress gains outcomes.
    let early_enr = read(e, "sis/enrollments.csv").1;
    let late_enr: HashMap<String, Vec<String>> = read(l, "sis/enrollments.csv")
        .1
        .into_iter()
        .map(|r| (r[0].clone(), r))
        .collect();
    let mut finished = 0;
    for row in &early_enr {
        let later = &late_enr[&row[0]];
        if row[2].ends_with("2024FA") && row[5] == "ENROLLED" {
            assert!(row[7].is_empty() && row[8].is_empty());
            assert_eq!(&row[..4], &later[..4]);
            assert_ne!(later[5], "ENROLLED");
        } else {
            assert_eq!(row, later);
            finished += 1;
        }
    }
    assert!(finished > 1000);
}

#[test]
fn invalid_options_are_rejected() {
    let tmp = tempfile::tempdir().unwrap();
    let base = GenerateOptions {
        scale: 0.01,
        out: tmp.path().to_path_buf(),
        seed: 1,
        dirty_rate: 0.0,
        as_of: date("2025-03-15"),
        progress: false,
    };
    for opts in [
        GenerateOptions {
            scale: 0.0,
            ..base.clone()
        },
        GenerateOptions {
            scale: f64::NAN,
            ..base.clone()
        },
        GenerateOptions {
            dirty_rate: 0.6,
            ..base.clone()
        },
        GenerateOptions {
            dirty_rate: -0.1,
            ..base.clone()
        },
        GenerateOptions {
            as_of: date("2020-06-30"),
            ..base.clone()
        },
        GenerateOptions {
            as_of: date("2025-07-01"),
            ..base.clone()
        },
    ] {
        assert!(matches!(
            generate(&opts),
            Err(crate::EngineError::InvalidArgument { .. })
        ));
    }
    assert!(
        std::fs::read_dir(tmp.path()).unwrap().next().is_none(),
        "nothing written"
    );
}

#[test]
fn assessment_plans_weigh_one_hundred_percent() {
    let cal = super::calendar::Calendar::new();
    for plan in 0..6u8 {
        for term in [&cal.terms[0], &cal.terms[2]] {
            let section = super::model::Section {
                id: String::new(),
                course: 0,
                term: 0,
                number: 1,
                instructor: 0,
                delivery: "IN_PERSON",
                campus: "MAIN",
                capacity: 10,
                meetings_per_week: 2,
                mask: 0b01010,
                attendance: true,
                plan,
                enrollments: 0..0,
            };
            let items = super::activity::plan(&section, term);
            assert_eq!(items.iter().map(|i| u32::from(i.weight)).sum::<u32>(), 100);
            assert!(
                items
                    .iter()
                    .all(|i| i.due >= term.start && i.due <= term.end)
            );
            assert!(items.iter().all(|i| (1..=16).contains(&i.week)));
        }
    }
}
