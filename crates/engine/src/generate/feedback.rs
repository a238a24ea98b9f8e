//! Survey responses: `survey/feedback_{term}.jsonl`.
//!
//! Course evaluations are anonymous (`respondent_token` = hex SHA-256 of a seed-derived
//! secret and the student id); student-experience and exit surveys carry the student id.
//! Ratings follow the grade and the instructor; comments are built from positive/negative
//! phrase lists so a lexicon sentiment model finds the signal, and some name people.

use rand::Rng as _;
use rand_chacha::ChaCha8Rng;
use serde::Serialize;
use serde_json::json;
use sha2::{Digest, Sha256};

use super::calendar::Day;
use super::dirty::{self, Fk, Kind};
use super::model::{Enrollment, Survey, SurveyKind, World};
use super::names;
use super::rng::{RngExt, Tag, rng};
use super::sis::Ctx;
use super::specs::FEEDBACK_SPEC;
use super::writer::{FileOut, JsonlOut};
use crate::error::{EngineError, Result};

#[rustfmt::skip]
const POSITIVE: &[&str] = &[
    "Great pacing.", "The lectures were clear and well organized.",
    "I learned a lot in this course.", "Office hours were really helpful.",
    "Excellent examples and engaging discussions.", "The assignments were fair and useful.",
    "Feedback on homework was quick and helpful.", "One of the best classes I have taken.",
    "The instructor was enthusiastic and approachable.",
    "Interesting material and a supportive environment.",
    "I enjoyed the projects and felt well prepared for the exams.",
];
#[rustfmt::skip]
const NEGATIVE: &[&str] = &[
    "The workload was overwhelming.", "Lectures were confusing and disorganized.",
    "Grading felt unfair and inconsistent.", "It was hard to get help outside of class.",
    "The exams did not match the material.", "Too much busywork and not enough explanation.",
    "The pace was far too fast.", "Poor communication about deadlines.",
    "The online materials were frustrating to use.",
    "I felt lost and stressed for most of the term.", "Boring lectures and unclear expectations.",
];
#[rustfmt::skip]
const NEUTRAL: &[&str] = &[
    "The textbook was okay.", "The course covered the standard material.",
    "Some topics were more useful than others.", "Class met the expectations in the syllabus.",
    "I took this course as a requirement.",
];
#[rustfmt::skip]
const POSITIVE_ES: &[&str] = &[
    "Excelente curso, aprendí mucho.", "El profesor explica muy bien.", "Muy buena clase.",
];
#[rustfmt::skip]
const NEGATIVE_ES: &[&str] = &[
    "Demasiado trabajo y poca ayuda.", "Las clases eran confusas.", "La evaluación fue injusta.",
];
#[rustfmt::skip]
const LIKERT: [&str; 5] = [
    "strongly_disagree", "disagree", "neutral", "agree", "strongly_agree",
];

#[derive(Serialize)]
struct Ratings {
    overall: Option<u8>,
    instructor: Option<u8>,
    course: Option<u8>,
    workload: Option<u8>,
}

#[derive(Serialize)]
struct Response<'a> {
    response_id: u64,
    survey_id: u32,
    survey_type: String,
    respondent_token: Option<String>,
    student_id: Option<&'a str>,
    section_id: Option<String>,
    term_code: &'a str,
    submitted_date: String,
    ratings: Ratings,
    answers: serde_json::Value,
    comment: Option<String>,
    language: &'static str,
}

/// The first response id of each term (ids run over the whole simulation, so they do not
/// depend on `as_of`).
pub(crate) fn id_bases(w: &World) -> Vec<u64> {
    let mut counts = vec![0u64; w.cal.terms.len()];
    for e in &w.enrollments {
        if e.eval_day.is_some() {
            counts[w.sections[e.section as usize].term as usize] += 1;
        }
    }
    for s in &w.surveys {
        counts[s.term as usize] += 1;
    }
    let mut next = 1;
    counts
        .iter()
        .map(|c| {
            let base = next;
            next += c;
            base
        })
        .collect()
}

fn token(seed: u64, student_id: &str) -> String {
    let mut h = Sha256::new();
    h.update(format!("lyceum-feedback-secret-{seed:016x}:").as_bytes());
    h.update(student_id.as_bytes());
    hex::encode(h.finalize())
}

fn rating(r: &mut ChaCha8Rng, mean: f64, sd: f64) -> Option<u8> {
    let v = (mean + sd * r.normal()).round().clamp(1.0, 5.0) as u8;
    (!r.chance(0.03)).then_some(v)
}

/// A comment whose tone follows `tone` (1..5); sometimes it names a person.
fn comment(
    r: &mut ChaCha8Rng,
    tone: Option<u8>,
    instructor: Option<&str>,
    email: &str,
) -> (Option<String>, &'static str) {
    let tone = tone.unwrap_or(3);
    if r.chance(0.04) {
        let list = if tone >= 3 { POSITIVE_ES } else { NEGATIVE_ES };
        return (Some((*r.pick(list)).to_string()), "es");
    }
    let mut parts: Vec<String> = Vec::new();
    let (pos, neg) = match tone {
        5 => (2, 0),
        4 => (1, 0),
        3 => (usize::from(r.chance(0.5)), usize::from(r.chance(0.5))),
        2 => (0, 1),
        _ => (0, 2),
    };
    for _ in 0..pos {
        parts.push((*r.pick(POSITIVE)).to_string());
    }
    for _ in 0..neg {
        parts.push((*r.pick(NEGATIVE)).to_string());
    }
    if parts.is_empty() || r.chance(0.2) {
        parts.push((*r.pick(NEUTRAL)).to_string());
    }
    let x = r.random::<f64>();
    if let Some(last) = instructor.filter(|_| x < 0.07) {
        parts.push(if tone >= 3 {
            format!("Professor {last} really cared about us.")
        } else {
            format!("Professor {last} rarely answered emails.")
        });
    } else if x < 0.10 {
        let first = *r.pick(names::FEMALE);
        let last = *r.pick(names::LAST);
        parts.push(format!("Thanks to {first} {last} for sharing notes."));
    } else if x < 0.11 {
        parts.push(format!("Please contact me at {email}."));
    }
    (Some(parts.join(" ")), "en")
}

fn eval_response<'a>(w: &'a World, e: &Enrollment, id: u64, t: usize, day: Day) -> Response<'a> {
    let mut r = rng(w.seed, Tag::Feedback, id, 0);
    let sec = &w.sections[e.section as usize];
    let course = &w.cat.courses[sec.course as usize];
    let ins = &w.fac.instructors[sec.instructor as usize];
    let st = &w.students[e.student as usize];
    let z = (f64::from(e.score) - 80.0) / 12.0;
    let overall = rating(&mut r, 3.7 + 0.45 * z + 0.45 * ins.quality, 0.7);
    let instructor = rating(&mut r, 3.8 + 0.25 * z + 0.75 * ins.quality, 0.6);
    let course_r = rating(&mut r, 3.5 + 0.45 * z + 0.2 * ins.quality, 0.7);
    let workload = rating(&mut r, 3.0 + 1.2 * course.difficulty, 0.8);
    let q2 = LIKERT[usize::from(course_r.unwrap_or(3).clamp(1, 5) - 1)];
    let answers = json!({
        "q1": instructor.unwrap_or(3).saturating_add(u8::from(r.chance(0.3))).min(5),
        "q2": q2,
        "recommend": overall.unwrap_or(3) >= 4 || (overall == Some(3) && r.chance(0.4)),
        "hours_per_week": r.between(2, 15),
    });
    let (comment, language) = if r.chance(0.55) {
        comment(&mut r, overall, Some(ins.last), &st.person.email)
    } else {
        (None, "en")
    };
    Response {
        response_id: id,
        survey_id: t as u32 + 1,
        survey_type: "COURSE_EVAL".into(),
        respondent_token: Some(token(w.seed, &st.id)),
        student_id: None,
        section_id: Some(sec.id.clone()),
        term_code: &w.cal.terms[t].code,
        submitted_date: w.cal.date(day).to_string(),
        ratings: Ratings {
            overall,
            instructor,
            course: course_r,
            workload,
        },
        answers,
        comment,
        language,
    }
}

fn survey_response<'a>(w: &'a World, s: &Survey, id: u64, t: usize) -> Response<'a> {
    let mut r = rng(w.seed, Tag::Feedback, id, 0);
    let st = &w.students[s.student as usize];
    let mood = 0.3 * st.ability
        + if s.kind == SurveyKind::Exit && !s.graduating {
            -0.9
        } else {
            0.0
        };
    let overall = rating(&mut r, 3.6 + mood, 0.8);
    let workload = rating(&mut r, 3.2, 0.9);
    let (survey_id, survey_type, answers) = match s.kind {
        SurveyKind::Experience => (
            100 + t as u32 + 1,
            "STUDENT_EXPERIENCE",
            json!({
                "belonging": overall.unwrap_or(3),
                "advising": LIKERT[r.below(5)],
                "financial_stress": LIKERT[if st.person.pell { 2 + r.below(3) } else { r.below(4) }],
                "would_enroll_again": overall.unwrap_or(3) >= 3,
            }),
        ),
        SurveyKind::Exit => {
            let reason = if s.graduating {
                "graduating"
            } else {
                *r.pick(&["financial", "personal", "transfer", "academic", "health"])
            };
            (
                200 + t as u32 + 1,
                "EXIT",
                json!({
                    "reason": reason,
                    "satisfaction": overall.unwrap_or(3),
                    "recommend": overall.unwrap_or(3) >= 4,
                    "next_step": if s.graduating { *r.pick(&["employment", "graduate_school", "other"]) } else { "undecided" },
                }),
            )
        }
    };
    let (comment, language) = if r.chance(0.4) {
        comment(&mut r, overall, None, &st.person.email)
    } else {
        (None, "en")
    };
    Response {
        response_id: id,
        survey_id,
        survey_type: survey_type.into(),
        respondent_token: Some(token(w.seed, &st.id)),
        student_id: Some(&st.id),
        section_id: None,
        term_code: &w.cal.terms[t].code,
        submitted_date: w.cal.date(s.day).to_string(),
        ratings: Ratings {
            overall,
            instructor: None,
            course: None,
            workload,
        },
        answers,
        comment,
        language,
    }
}

fn emit(f: &mut JsonlOut, cx: &Ctx, mut resp: Response) -> Result<()> {
    let to_bytes = |resp: &Response| {
        serde_json::to_vec(resp)
            .map_err(|e| EngineError::Internal(format!("serialising feedback: {e}")))
    };
    let Some((mut kind, h)) = cx.dirt.decide(&FEEDBACK_SPEC, resp.response_id) else {
        return f.line(&to_bytes(&resp)?);
    };
    if kind == Kind::UnknownReference && resp.section_id.is_none() {
        kind = Kind::MixedCase;
    }
    f.count(kind);
    match kind {
        Kind::DateFormat => resp.submitted_date = dirty::other_format(&resp.submitted_date, h),
        Kind::ImpossibleDate => resp.submitted_date = dirty::impossible(&resp.submitted_date),
        Kind::UnknownReference => {
            resp.section_id = resp.section_id.map(|s| dirty::unknown(Fk::Section, &s, h));
        }
        Kind::MissingRequired => resp.respondent_token = None,
        Kind::MixedCase => resp.survey_type = dirty::recase(&resp.survey_type, h),
        Kind::InvalidUtf8 => {
            resp.comment = Some(
                format!("{} Merci, René!", resp.comment.unwrap_or_default())
                    .trim_start()
                    .to_string(),
            );
        }
        _ => {}
    }
    let mut bytes = to_bytes(&resp)?;
    if kind == Kind::InvalidUtf8
        && let Some(i) = bytes.windows(2).position(|p| p == [0xC3, 0xA9])
    {
        bytes.splice(i..i + 2, [0xE9]);
    }
    f.line(&bytes)?;
    if kind == Kind::ExactDuplicate {
        f.line(&bytes)?;
    }
    Ok(())
}

/// Writes `survey/feedback_{term}.jsonl`; `None` when the term has no response yet (an
/// empty JSON-lines file would read as an empty extract).
pub(crate) fn feedback(cx: &Ctx, t: usize, base: u64) -> Result<Option<FileOut>> {
    let w = cx.w;
    let term = &w.cal.terms[t];
    let rel = format!("survey/feedback_{}.jsonl", term.code);
    let mut f: Option<JsonlOut> = None;
    let mut id = base;
    let evals = w.term_sections[t].clone().flat_map(|g| {
        let r = &w.sections[g as usize].enrollments;
        &w.enrollments[r.start as usize..r.end as usize]
    });
    for e in evals {
        let Some(day) = e.eval_day else { continue };
        let this = id;
        id += 1;
        if day > cx.as_of {
            continue;
        }
        let out = match &mut f {
            Some(out) => out,
            None => f.insert(JsonlOut::create(cx.out, &rel)?),
        };
        emit(out, cx, eval_response(w, e, this, t, day))?;
    }
    for s in w.surveys.iter().filter(|s| s.term as usize == t) {
        let this = id;
        id += 1;
        if s.day > cx.as_of {
            continue;
        }
        let out = match &mut f {
            Some(out) => out,
            None => f.insert(JsonlOut::create(cx.out, &rel)?),
        };
        emit(out, cx, survey_response(w, s, this, t))?;
    }
    f.map(JsonlOut::finish).transpose()
}
