//! Facts: enrollments, assessments (performance), attendance, degrees, feedback, and the
//! derived student-term snapshot.

use std::collections::{BTreeMap, HashSet};

use super::conform::{Conformer, EnrollmentInfo, Seen, TermCredit, unknown};
use super::dims::Format;
use super::grades::{self, GRADES};
use super::quality::Reject;
use super::rules::Fields;
use super::sentiment;
use super::value::Value;
use crate::error::Result;
use crate::extract::{ASSESSMENTS, ATTENDANCE, DEGREES, ENROLLMENTS};

/// The feedback fields, flattened from each JSON line in this order.
pub const FEEDBACK: &[&str] = &[
    "response_id",
    "survey_id",
    "survey_type",
    "respondent_token",
    "student_id",
    "section_id",
    "term_code",
    "submitted_date",
    "overall",
    "instructor",
    "course",
    "workload",
    "answers",
    "comment",
    "language",
];

const ENROLL_STATUS: &[&str] = &["ENROLLED", "DROPPED", "WITHDRAWN", "COMPLETED"];
const ASSESSMENT_TYPES: &[&str] = &[
    "HOMEWORK",
    "QUIZ",
    "LAB",
    "PROJECT",
    "MIDTERM",
    "FINAL_EXAM",
];
const SURVEY_TYPES: &[&str] = &["COURSE_EVAL", "STUDENT_EXPERIENCE", "EXIT"];

fn s(v: &str) -> Value {
    Value::Str(v.to_string())
}

fn opt<T>(v: Option<T>, f: impl FnOnce(T) -> Value) -> Value {
    v.map(f).unwrap_or(Value::Null)
}

impl Conformer<'_> {
    pub fn enrollments(&mut self) -> Result<()> {
        let mut seen = Seen::default();
        let batch = self.load_id;
        self.each_csv(
            "sis",
            "enrollments",
            "fact_enrollment",
            &ENROLLMENTS,
            true,
            |c, f| {
                let row = (|| {
                    let id = f.i64(0, 0, i64::MAX)?;
                    let student_id = f.code(1)?;
                    let section_id = f.code(2)?;
                    let section = c
                        .sections
                        .get(&section_id)
                        .cloned()
                        .ok_or_else(|| unknown("section_id", &section_id))?;
                    let registered = f.date(3)?;
                    let dropped = f.opt_date(4)?;
                    let status = f.one_of(5, ENROLL_STATUS)?;
                    let credits = f.decimal(6, 1, 0.0, 99.9)?;
                    let grade = f.opt_code(7);
                    if let Some(g) = &grade
                        && !GRADES.contains(&g.as_str())
                    {
                        return Err(Reject::new(
                            "final_grade",
                            "invalid_grade",
                            format!("{g:?} is not on the grade scale"),
                            Some(g),
                        ));
                    }
                    let score = f.opt_decimal(8, 2, 0.0, 100.0)?;
                    let repeat = f.bool(9)?;
                    let student = c.student_on("student_id", &student_id, registered)?;
                    seen.first("enrollment_id", &id.to_string())?;
                    Ok((
                        id,
                        student_id,
                        section,
                        registered,
                        dropped,
                        status,
                        credits,
                        grade,
                        score,
                        repeat,
                        student.key,
                    ))
                })();
                let (
                    id,
                    student_id,
                    section,
                    registered,
                    dropped,
                    status,
                    credits,
                    grade,
                    score,
                    repeat,
                    student_key,
                ) = match row {
                    Ok(v) => v,
                    Err(r) => return Ok(Err(r)),
                };
                let outcome = grades::outcome(grade.as_deref());
                let earned = if outcome.pass { credits } else { 0 };
                let reg_key = c.date_key(registered);
                let drop_key = dropped.map(|d| c.date_key(d));
                let census = c
                    .terms
                    .values()
                    .find(|t| t.key == section.term_key)
                    .map(|t| t.census);
                let counts_at_census = status != "DROPPED"
                    || matches!((dropped, census), (Some(d), Some(cd)) if d > cd);
                if counts_at_census {
                    c.term_credits.push(TermCredit {
                        student_id: student_id.clone(),
                        term_key: section.term_key,
                        attempted: credits,
                        earned,
                        points: outcome.points.filter(|_| outcome.gpa_eligible),
                    });
                }
                c.enrollments.insert(
                    id,
                    EnrollmentInfo {
                        student_key,
                        student_id: student_id.clone(),
                        section_key: section.key,
                        course_key: section.course_key,
                        term_key: section.term_key,
                    },
                );
                c.table("fact_enrollment")?.push(&[
                    Value::I64(id),
                    Value::I64(student_key),
                    s(&student_id),
                    Value::I32(section.key),
                    Value::I32(section.course_key),
                    Value::I32(section.term_key),
                    Value::I32(section.department_key),
                    opt(section.instructor_key, Value::I32),
                    Value::I32(reg_key),
                    opt(drop_key, Value::I32),
                    s(&status),
                    Value::Dec(credits),
                    Value::Dec(earned),
                    Value::opt_str(grade),
                    opt(outcome.points, Value::Dec),
                    opt(score, Value::Dec),
                    Value::Bool(outcome.gpa_eligible),
                    Value::Bool(outcome.dfw),
                    Value::Bool(outcome.pass),
                    Value::Bool(repeat),
                    Value::I64(batch),
                ])?;
                Ok(Ok(()))
            },
        )
    }

    pub fn assessments(&mut self) -> Result<()> {
        let mut seen = HashSet::new();
        self.each_csv(
            "lms",
            "assessments",
            "fact_performance",
            &ASSESSMENTS,
            false,
            |c, f| {
                let row = (|| {
                    let id = f.i64(0, 0, i64::MAX)?;
                    let enrollment_id = f.i64(1, 0, i64::MAX)?;
                    let e = c
                        .enrollments
                        .get(&enrollment_id)
                        .cloned()
                        .ok_or_else(|| unknown("enrollment_id", &enrollment_id.to_string()))?;
                    let student_id = f.code(2)?;
                    let section_id = f.code(3)?;
                    let section = c
                        .sections
                        .get(&section_id)
                        .ok_or_else(|| unknown("section_id", &section_id))?;
                    if section.key != e.section_key || student_id != e.student_id {
                        return Err(Reject::new(
                            "enrollment_id",
                            "unknown_reference",
                            "student/section do not match the enrollment",
                            Some(&enrollment_id.to_string()),
                        ));
                    }
                    let assessment_id = f.i64(4, 0, i64::MAX)?;
                    let kind = f.one_of(5, ASSESSMENT_TYPES)?;
                    let due = f.date(6)?;
                    let submitted = f.opt_date(7)?;
                    let week = f.i64(8, 1, 20)? as i16;
                    let score = f.opt_decimal(9, 2, 0.0, 9999.99)?;
                    let max = f.decimal(10, 2, 0.01, 9999.99)?;
                    if let Some(sc) = score
                        && sc > max
                    {
                        let shown = (sc as f64 / 100.0).to_string();
                        return Err(Reject::new(
                            "score",
                            "score_out_of_range",
                            format!("score {shown} above max_score {}", max as f64 / 100.0),
                            Some(&shown),
                        ));
                    }
                    let weight = f.decimal(11, 2, 0.0, 100.0)?;
                    let attempt = f.i64(12, 1, 100)? as i16;
                    if !seen.insert(id) {
                        return Err(super::conform::duplicate("performance_id", &id.to_string()));
                    }
                    Ok((
                        id,
                        enrollment_id,
                        e,
                        assessment_id,
                        kind,
                        due,
                        submitted,
                        week,
                        score,
                        max,
                        weight,
                        attempt,
                    ))
                })();
                let (
                    id,
                    enrollment_id,
                    e,
                    assessment_id,
                    kind,
                    due,
                    submitted,
                    week,
                    score,
                    max,
                    weight,
                    attempt,
                ) = match row {
                    Ok(v) => v,
                    Err(r) => return Ok(Err(r)),
                };
                let pct = score.map(|sc| ((sc * 10_000) as f64 / max as f64).round() as i128);
                let due_key = c.date_key(due);
                let sub_key = submitted.map(|d| c.date_key(d));
                c.table("fact_performance")?.push(&[
                    Value::I64(id),
                    Value::I64(enrollment_id),
                    Value::I64(e.student_key),
                    s(&e.student_id),
                    Value::I32(e.section_key),
                    Value::I32(e.course_key),
                    Value::I32(e.term_key),
                    Value::I64(assessment_id),
                    s(&kind),
                    Value::I32(due_key),
                    opt(sub_key, Value::I32),
                    Value::I16(week),
                    opt(score, Value::Dec),
                    Value::Dec(max),
                    opt(pct, Value::Dec),
                    Value::Dec(weight),
                    Value::Bool(matches!(submitted, Some(d) if d > due)),
                    Value::Bool(submitted.is_none()),
                    Value::I16(attempt),
                ])?;
                Ok(Ok(()))
            },
        )
    }

    pub fn attendance(&mut self) -> Result<()> {
        let mut seen: HashSet<(i64, i32, i32)> = HashSet::new();
        self.each_csv(
            "attendance",
            "attendance",
            "fact_attendance",
            &ATTENDANCE,
            false,
            |c, f| {
                let row = (|| {
                    let student_id = f.code(0)?;
                    let section_id = f.code(1)?;
                    let section = c
                        .sections
                        .get(&section_id)
                        .cloned()
                        .ok_or_else(|| unknown("section_id", &section_id))?;
                    let date = f.date(2)?;
                    let status = f.one_of(3, &["P", "A", "T", "E"])?;
                    let late = f.opt_i64(4, 0, 600)?.map(|m| m as i16);
                    let student = c.student_on("student_id", &student_id, date)?;
                    Ok((student_id, section, date, status, late, student.key))
                })();
                let (student_id, section, date, status, late, student_key) = match row {
                    Ok(v) => v,
                    Err(r) => return Ok(Err(r)),
                };
                let date_key = c.date_key(date);
                if !seen.insert((student_key, section.key, date_key)) {
                    return Ok(Err(super::conform::duplicate(
                        "student_id,section_id,meeting_date",
                        &format!("{student_id},{},{date}", section.key),
                    )));
                }
                c.table("fact_attendance")?.push(&[
                    Value::I64(student_key),
                    s(&student_id),
                    Value::I32(section.key),
                    Value::I32(section.course_key),
                    Value::I32(section.term_key),
                    Value::I32(date_key),
                    s(&status),
                    Value::Bool(status == "P" || status == "T"),
                    opt(late, Value::I16),
                ])?;
                Ok(Ok(()))
            },
        )
    }

    pub fn degrees(&mut self) -> Result<()> {
        let mut seen = Seen::default();
        self.each_csv("sis", "degrees", "fact_degree", &DEGREES, false, |c, f| {
            let row = (|| {
                let id = f.i64(0, 0, i64::MAX)?;
                let student_id = f.code(1)?;
                let program_code = f.code(2)?;
                let program = *c
                    .programs
                    .get(&program_code)
                    .ok_or_else(|| unknown("program_code", &program_code))?;
                let term = c.term("conferral_term_code", &f.code(3)?)?;
                let date = f.date(4)?;
                let level =
                    f.one_of(5, &["ASSOCIATE", "BACHELOR", "MASTER", "DOCTORAL", "CERT"])?;
                let gpa = f.decimal(6, 2, 0.0, 4.0)?;
                let honors = f.opt_text(7);
                let student = c.student_on("student_id", &student_id, date)?;
                seen.first("degree_id", &id.to_string())?;
                Ok((
                    id,
                    student_id,
                    student.key,
                    program,
                    term.key,
                    date,
                    level,
                    gpa,
                    honors,
                ))
            })();
            let (id, student_id, student_key, program, term_key, date, level, gpa, honors) =
                match row {
                    Ok(v) => v,
                    Err(r) => return Ok(Err(r)),
                };
            let date_key = c.date_key(date);
            c.table("fact_degree")?.push(&[
                Value::I64(id),
                s(&student_id),
                Value::I64(student_key),
                Value::I32(program),
                Value::I32(term_key),
                Value::I32(date_key),
                s(&level),
                Value::Dec(gpa),
                Value::opt_str(honors),
            ])?;
            Ok(Ok(()))
        })
    }

    pub fn feedback(&mut self) -> Result<()> {
        let mut seen = Seen::default();
        let format = Format::JsonLines {
            columns: FEEDBACK,
            flatten: flatten_feedback,
        };
        self.each_row(
            "survey",
            "feedback",
            "fact_feedback",
            format,
            false,
            |c, f| c.feedback_row(f, &mut seen),
        )
    }

    fn feedback_row(
        &mut self,
        f: &mut Fields,
        seen: &mut Seen,
    ) -> Result<std::result::Result<(), Reject>> {
        let row = (|| {
            let id = f.i64(0, 0, i64::MAX)?;
            let survey = f.i64(1, 0, i32::MAX as i64)? as i32;
            let kind = f.one_of(2, SURVEY_TYPES)?;
            let token = f.text(3)?;
            let student_id = f.opt_code(4);
            let section = match f.opt_code(5) {
                Some(sid) => Some(
                    self.sections
                        .get(&sid)
                        .cloned()
                        .ok_or_else(|| unknown("section_id", &sid))?,
                ),
                None => None,
            };
            let term = self.term("term_code", &f.code(6)?)?;
            let date = f.date(7)?;
            let student_key = match &student_id {
                Some(sid) => Some(self.student_on("student_id", sid, date)?.key),
                None => None,
            };
            let mut ratings = [None; 4];
            for (i, r) in ratings.iter_mut().enumerate() {
                *r = f.opt_i64(8 + i, 1, 5)?.map(|v| v as i16);
            }
            let answers = f.opt_text(12);
            let comment = f.opt_text(13);
            let language = f.opt_text(14);
            seen.first("response_id", &id.to_string())?;
            Ok((
                id,
                survey,
                kind,
                token,
                student_key,
                section,
                term.key,
                date,
                ratings,
                answers,
                comment,
                language,
            ))
        })();
        let (
            id,
            survey,
            kind,
            token,
            student_key,
            section,
            term_key,
            date,
            ratings,
            answers,
            comment,
            language,
        ) = match row {
            Ok(v) => v,
            Err(r) => return Ok(Err(r)),
        };
        let date_key = self.date_key(date);
        let sentiment = comment.as_deref().map(sentiment::score);
        let [overall, instructor, course, workload] = ratings.map(|r| opt(r, Value::I16));
        self.table("fact_feedback")?.push(&[
            Value::I64(id),
            Value::I32(survey),
            s(&kind),
            s(&token),
            opt(student_key, Value::I64),
            opt(section.as_ref().map(|x| x.key), Value::I32),
            opt(section.as_ref().map(|x| x.course_key), Value::I32),
            opt(section.as_ref().and_then(|x| x.instructor_key), Value::I32),
            Value::I32(term_key),
            Value::I32(date_key),
            overall,
            instructor,
            course,
            workload,
            Value::opt_str(answers),
            Value::opt_str(comment),
            opt(sentiment.map(|x| x.0), Value::F64),
            opt(sentiment.map(|x| x.1), s),
            opt(sentiment.map(|_| sentiment::MODEL), s),
            Value::opt_str(language),
        ])?;
        Ok(Ok(()))
    }

    /// `fact_student_term`: one row per student and term enrolled at census, with term and
    /// cumulative GPA (quality points / GPA credits, rounded to 2 places).
    pub fn student_terms(&mut self) -> Result<()> {
        let mut by_student: BTreeMap<String, BTreeMap<i32, [i128; 4]>> = BTreeMap::new();
        for tc in std::mem::take(&mut self.term_credits) {
            let e = by_student
                .entry(tc.student_id)
                .or_default()
                .entry(tc.term_key)
                .or_insert([0; 4]);
            e[0] += tc.attempted;
            e[1] += tc.earned;
            if let Some(p) = tc.points {
                e[2] += p * tc.attempted; // × 1000
                e[3] += tc.attempted;
            }
        }
        let census: BTreeMap<i32, chrono::NaiveDate> =
            self.terms.values().map(|t| (t.key, t.census)).collect();
        let gpa = |qp: i128, cr: i128| (cr > 0).then(|| (qp as f64 / cr as f64).round() as i128);
        for (student_id, terms) in by_student {
            let (mut cum_qp, mut cum_cr, mut cum_earned) = (0i128, 0i128, 0i128);
            for (term_key, [attempted, earned, qp, gpa_cr]) in terms {
                cum_qp += qp;
                cum_cr += gpa_cr;
                cum_earned += earned;
                let Some(day) = census.get(&term_key).copied() else {
                    continue;
                };
                // Owned: the row below borrows `self` mutably.
                let Ok(v) = self.student_on("student_id", &student_id, day).cloned() else {
                    continue;
                };
                let full_time = if v.class_level == "GR" {
                    attempted >= 90
                } else {
                    attempted >= 120
                };
                self.table("fact_student_term")?.push(&[
                    s(&student_id),
                    Value::I64(v.key),
                    Value::I32(term_key),
                    Value::I32(v.program_key),
                    s(&v.class_level),
                    Value::Bool(full_time),
                    Value::Dec(attempted),
                    Value::Dec(earned),
                    Value::Dec((qp as f64 / 10.0).round() as i128),
                    Value::Dec(gpa_cr),
                    opt(gpa(qp, gpa_cr), Value::Dec),
                    opt(gpa(cum_qp, cum_cr), Value::Dec),
                    Value::Dec(cum_earned),
                    s(&v.standing),
                ])?;
            }
        }
        Ok(())
    }
}

/// The feedback JSON object as strings in [`FEEDBACK`] order (null/missing = empty).
fn flatten_feedback(json: &serde_json::Value) -> std::result::Result<Vec<String>, Reject> {
    let obj = json
        .as_object()
        .ok_or_else(|| Reject::row("invalid_json", "a feedback line must be a JSON object"))?;
    let scalar = |v: Option<&serde_json::Value>| match v {
        None | Some(serde_json::Value::Null) => String::new(),
        Some(serde_json::Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
    };
    let ratings = obj.get("ratings").and_then(|r| r.as_object());
    let rating = |k: &str| scalar(ratings.and_then(|r| r.get(k)));
    Ok(vec![
        scalar(obj.get("response_id")),
        scalar(obj.get("survey_id")),
        scalar(obj.get("survey_type")),
        scalar(obj.get("respondent_token")),
        scalar(obj.get("student_id")),
        scalar(obj.get("section_id")),
        scalar(obj.get("term_code")),
        scalar(obj.get("submitted_date")),
        rating("overall"),
        rating("instructor"),
        rating("course"),
        rating("workload"),
        obj.get("answers")
            .filter(|a| !a.is_null())
            .map(|a| a.to_string())
            .unwrap_or_default(),
        scalar(obj.get("comment")),
        scalar(obj.get("language")),
    ])
}
