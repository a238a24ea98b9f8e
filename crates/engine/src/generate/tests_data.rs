//! Tests of the generated data's quality: clean data is clean and consistent, dirty data
//! holds every defect kind in the counts the manifest states, and the scale is right.

#![allow(clippy::unwrap_used)]

use std::collections::{HashMap, HashSet};

use chrono::NaiveDate;

use super::tests::{TERMS, lines, manifest, read, run};

fn is_iso(s: &str) -> bool {
    s.len() == 10 && NaiveDate::parse_from_str(s, "%Y-%m-%d").is_ok()
}

fn valid_email(s: &str) -> bool {
    let Some((local, domain)) = s.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && domain.contains('.')
        && !domain.contains('@')
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '.' || c == '@')
}

#[test]
fn clean_data_is_clean_and_consistent() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    run(dir, 0.01, 0.0, "2025-03-15");
    let as_of = "2025-03-15".to_string();
    let m = manifest(dir);
    for k in m["defect_kinds"].as_array().unwrap() {
        assert_eq!(k["injected"], 0);
    }
    // Dates: ISO everywhere, never after as-of (terms and holidays are the published calendar).
    let date_cols: [(&str, &[usize]); 7] = [
        ("sis/instructors.csv", &[8, 9]),
        ("sis/students.csv", &[6, 25]),
        ("sis/enrollments.csv", &[3, 4]),
        ("sis/degrees.csv", &[4]),
        ("lms/assessments_2025SP.csv", &[6, 7]),
        ("attendance/attendance_2025SP.csv", &[2]),
        ("sis/terms.csv", &[2, 3, 4]),
    ];
    for (rel, cols) in date_cols {
        for row in read(dir, rel).1 {
            for &c in cols {
                let v = &row[c];
                if v.is_empty()
                    && matches!(
                        (rel, c),
                        ("sis/enrollments.csv", 4) | ("lms/assessments_2025SP.csv", 7)
                    )
                {
                    continue;
                }
                assert!(is_iso(v), "{rel} col {c}: {v:?}");
                if rel != "sis/terms.csv"
                    && !(rel == "sis/students.csv" && c == 6)
                    && !(rel == "sis/instructors.csv" && c == 8)
                {
                    assert!(v <= &as_of, "{rel} col {c}: {v} after as-of");
                }
            }
        }
    }
    // Emails, codes and keys.
    let (_, students) = read(dir, "sis/students.csv");
    let (_, instructors) = read(dir, "sis/instructors.csv");
    assert!(students.iter().all(|r| valid_email(&r[4])));
    assert!(instructors.iter().all(|r| valid_email(&r[3])));
    let mut keys = HashSet::new();
    assert!(
        students
            .iter()
            .all(|r| keys.insert((r[0].clone(), r[25].clone()))),
        "duplicate student change"
    );
    let programs: HashSet<String> = read(dir, "sis/programs.csv")
        .1
        .into_iter()
        .map(|r| r[0].clone())
        .collect();
    let instructor_ids: HashSet<String> = instructors.iter().map(|r| r[0].clone()).collect();
    let first_row: HashMap<String, String> = students
        .iter()
        .rev()
        .map(|r| (r[0].clone(), r[25].clone()))
        .collect();
    for r in &students {
        assert!(programs.contains(&r[20]), "program {}", r[20]);
        assert!(instructor_ids.contains(&r[24]), "advisor {}", r[24]);
        assert_eq!(r[21], r[21].to_uppercase());
    }
    let sections: HashMap<String, Vec<String>> = read(dir, "sis/sections.csv")
        .1
        .into_iter()
        .map(|r| (r[0].clone(), r))
        .collect();
    let courses: HashSet<String> = read(dir, "sis/courses.csv")
        .1
        .into_iter()
        .map(|r| r[0].clone())
        .collect();
    for s in sections.values() {
        assert!(courses.contains(&s[1]) && instructor_ids.contains(&s[4]));
    }
    let grades = [
        "A", "A-", "B+", "B", "B-", "C+", "C", "C-", "D+", "D", "D-", "F", "W", "WF", "I", "P",
        "NP", "",
    ];
    let (_, enrollments) = read(dir, "sis/enrollments.csv");
    let mut enrollment_ids = HashSet::new();
    for e in &enrollments {
        assert!(
            enrollment_ids.insert(e[0].clone()),
            "duplicate enrollment {}",
            e[0]
        );
        assert!(sections.contains_key(&e[2]), "section {}", e[2]);
        assert!(
            first_row[&e[1]] <= e[3],
            "student {} registered before entering",
            e[1]
        );
        assert!(grades.contains(&e[7].as_str()), "grade {}", e[7]);
        assert!(e[6].parse::<f64>().unwrap() > 0.0);
        if e[5] == "DROPPED" {
            assert!(e[7].is_empty() && !e[4].is_empty());
        }
        if e[2].ends_with("2025SP") {
            assert!(e[7].is_empty() && e[8].is_empty());
        }
    }
    for row in read(dir, "lms/assessments_2024FA.csv").1 {
        assert!(enrollment_ids.contains(&row[1]) && sections.contains_key(&row[3]));
        if !row[9].is_empty() {
            assert!(row[9].parse::<f64>().unwrap() <= row[10].parse::<f64>().unwrap());
        }
    }
    let mut seen = HashSet::new();
    for row in read(dir, "attendance/attendance_2024FA.csv").1 {
        assert!(sections.contains_key(&row[1]) && first_row.contains_key(&row[0]));
        assert!(["P", "A", "T", "E"].contains(&row[3].as_str()));
        assert_eq!(row[4].is_empty(), row[3] != "T");
        assert!(
            seen.insert((row[0].clone(), row[1].clone(), row[2].clone())),
            "duplicate attendance"
        );
    }
    for line in lines(dir, "survey/feedback_2024FA.jsonl") {
        let v: serde_json::Value = serde_json::from_slice(&line).unwrap();
        if let Some(s) = v["section_id"].as_str() {
            assert!(sections.contains_key(s));
        }
        assert!(is_iso(v["submitted_date"].as_str().unwrap()));
    }
}

#[test]
fn dirty_data_has_every_kind_and_the_manifest_counts_them() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    run(dir, 0.01, 0.05, "2025-03-15");
    let m = manifest(dir);
    for k in m["defect_kinds"].as_array().unwrap() {
        assert!(
            k["injected"].as_u64().unwrap() >= 1,
            "no {} injected",
            k["kind"]
        );
    }
    assert_eq!(
        std::fs::metadata(dir.join("attendance/attendance_empty.csv"))
            .unwrap()
            .len(),
        0
    );
    let per_file: HashMap<String, serde_json::Value> = m["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["path"].as_str().unwrap().to_string(),
                f["defects"].clone(),
            )
        })
        .collect();
    let count = |rel: &str, kind: &str| per_file[rel][kind].as_u64().unwrap_or(0);
    // Row counts match the lines written, defects included.
    for f in m["files"].as_array().unwrap() {
        let rel = f["path"].as_str().unwrap();
        let n = lines(dir, rel).len() as u64;
        let expect = if rel.ends_with(".jsonl") || n == 0 {
            n
        } else {
            n - 1
        };
        assert_eq!(f["rows"].as_u64().unwrap(), expect, "{rel}");
    }
    // Non-UTF-8 bytes are where the manifest says.
    let bad_lines = |rel: &str| {
        lines(dir, rel)
            .iter()
            .filter(|l| std::str::from_utf8(l).is_err())
            .count() as u64
    };
    assert_eq!(
        bad_lines("sis/students.csv"),
        count("sis/students.csv", "invalid_utf8")
    );
    // Exact counts of defects that are visible in one column.
    let raw = |rel: &str| -> Vec<Vec<String>> {
        let mut r = csv::ReaderBuilder::new()
            .flexible(true)
            .from_path(dir.join(rel))
            .unwrap();
        r.byte_records()
            .map(|x| {
                x.unwrap()
                    .iter()
                    .map(|f| String::from_utf8_lossy(f).into_owned())
                    .collect()
            })
            .collect()
    };
    let enr = raw("sis/enrollments.csv");
    let scale = [
        "A", "A-", "B+", "B", "B-", "C+", "C", "C-", "D+", "D", "D-", "F", "W", "WF", "I", "P",
        "NP", "",
    ];
    let bad_grades = enr
        .iter()
        .filter(|r| r.len() == 10 && !scale.contains(&r[7].as_str()))
        .count() as u64;
    assert_eq!(bad_grades, count("sis/enrollments.csv", "invalid_grade"));
    let negative = enr
        .iter()
        .filter(|r| r.len() == 10 && r[6].starts_with('-'))
        .count() as u64;
    assert_eq!(negative, count("sis/enrollments.csv", "negative_credits"));
    let wrong = enr.iter().filter(|r| r.len() != 10).count() as u64;
    assert_eq!(wrong, count("sis/enrollments.csv", "wrong_column_count"));
    let att = raw("attendance/attendance_2023FA.csv");
    let rel = "attendance/attendance_2023FA.csv";
    let shaped = |v: &str| v.len() == 10 && v.as_bytes()[4] == b'-' && v.as_bytes()[7] == b'-';
    let impossible = att
        .iter()
        .filter(|r| r.len() == 5 && shaped(&r[2]) && !is_iso(&r[2]))
        .count() as u64;
    assert_eq!(impossible, count(rel, "impossible_date"));
    let reformatted = att
        .iter()
        .filter(|r| r.len() == 5 && !shaped(&r[2]))
        .count() as u64;
    assert_eq!(reformatted, count(rel, "date_format"));
    let missing = att
        .iter()
        .filter(|r| r.len() == 5 && r[0].is_empty())
        .count() as u64;
    assert_eq!(missing, count(rel, "missing_required"));
    let assess = raw("lms/assessments_2023FA.csv");
    let over = assess
        .iter()
        .filter(|r| r.len() == 13 && !r[9].is_empty())
        .filter(|r| r[9].parse::<f64>().unwrap() > r[10].parse::<f64>().unwrap())
        .count() as u64;
    assert_eq!(over, count("lms/assessments_2023FA.csv", "score_above_max"));
    let invalid_emails = raw("sis/students.csv")
        .iter()
        .filter(|r| r.len() == 26 && !valid_email(r[4].trim()) && !r[4].ends_with(' '))
        .count() as u64;
    assert_eq!(invalid_emails, count("sis/students.csv", "invalid_email"));
}

#[test]
fn scale_drives_the_size() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    run(dir, 0.01, 0.0, "2025-06-30");
    let sections: HashMap<String, String> = read(dir, "sis/sections.csv")
        .1
        .into_iter()
        .map(|r| (r[0].clone(), r[2].clone()))
        .collect();
    let mut per_term: HashMap<String, HashSet<String>> = HashMap::new();
    let (mut points, mut credits, mut dfw, mut letter) = (0.0, 0.0, 0, 0);
    let gp: HashMap<&str, f64> = [
        ("A", 4.0),
        ("A-", 3.7),
        ("B+", 3.3),
        ("B", 3.0),
        ("B-", 2.7),
        ("C+", 2.3),
        ("C", 2.0),
        ("C-", 1.7),
        ("D+", 1.3),
        ("D", 1.0),
        ("D-", 0.7),
        ("F", 0.0),
    ]
    .into_iter()
    .collect();
    for e in read(dir, "sis/enrollments.csv").1 {
        if e[5] != "DROPPED" {
            per_term
                .entry(sections[&e[2]].clone())
                .or_default()
                .insert(e[1].clone());
        }
        if let Some(p) = gp.get(e[7].as_str()) {
            let c: f64 = e[6].parse().unwrap();
            points += p * c;
            credits += c;
        }
        if gp.contains_key(e[7].as_str()) || e[7] == "W" || e[7] == "WF" {
            letter += 1;
            dfw += usize::from(["D+", "D", "D-", "F", "W", "WF"].contains(&e[7].as_str()));
        }
    }
    for code in TERMS.iter().filter(|c| !c.ends_with("SU")) {
        let n = per_term[*code].len() as f64;
        assert!(
            (210.0..=390.0).contains(&n),
            "{code}: {n} students (expected 300 ± 30%)"
        );
    }
    let gpa = points / credits;
    let dfw_rate = dfw as f64 / letter as f64;
    assert!((2.7..=3.3).contains(&gpa), "GPA {gpa}");
    assert!((0.08..=0.2).contains(&dfw_rate), "DFW {dfw_rate}");
    let (_, courses) = read(dir, "sis/courses.csv");
    let depts: HashSet<&String> = courses.iter().map(|c| &c[4]).collect();
    assert!(courses.len() >= 60 && depts.len() == 50);
}
