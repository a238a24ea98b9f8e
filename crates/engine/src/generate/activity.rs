//! LMS assessments and attendance: one file per term, generated while streaming.
//!
//! Each enrollment has its own random streams (keyed by its id), and every draw is made
//! whether or not the row is written, so a later `as_of` only adds rows.

use std::fmt::Write as _;

use rand::Rng as _;

use super::calendar::{Calendar, Day, Term};
use super::dirty::put;
use super::model::{Enrollment, Section};
use super::rng::{RngExt, Tag, rng};
use super::sis::Ctx;
use super::specs::{ASSESS_SPEC, ATTEND_SPEC};
use super::writer::{CsvOut, FileOut};
use crate::error::Result;
use crate::extract::{ASSESSMENTS, ATTENDANCE};

/// One graded item of a section's assessment plan.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Item {
    pub kind: &'static str,
    /// Weight in the final grade, percent.
    pub weight: u8,
    pub max: u16,
    pub week: i32,
    pub due: Day,
}

/// (type, weight each, max score, weeks of a 16-week term)
type Group = (&'static str, u8, u16, &'static [i32]);

const PLANS: [&[Group]; 6] = [
    &[
        ("HOMEWORK", 4, 20, &[2, 4, 6, 10, 13]),
        ("QUIZ", 5, 25, &[4, 11]),
        ("MIDTERM", 20, 100, &[8]),
        ("PROJECT", 15, 100, &[14]),
        ("FINAL_EXAM", 35, 150, &[16]),
    ],
    &[
        ("HOMEWORK", 4, 20, &[3, 7, 12]),
        ("QUIZ", 4, 25, &[5, 10]),
        ("LAB", 6, 20, &[4, 8, 13]),
        ("MIDTERM", 22, 100, &[8]),
        ("FINAL_EXAM", 40, 150, &[16]),
    ],
    &[
        ("HOMEWORK", 3, 10, &[2, 3, 5, 9, 12]),
        ("QUIZ", 5, 20, &[4, 11]),
        ("PROJECT", 20, 100, &[7, 14]),
        ("MIDTERM", 15, 100, &[8]),
        ("FINAL_EXAM", 20, 100, &[16]),
    ],
    &[
        ("HOMEWORK", 3, 10, &[2, 4, 6, 10, 12]),
        ("QUIZ", 5, 20, &[3, 7, 11, 14]),
        ("MIDTERM", 25, 100, &[8]),
        ("FINAL_EXAM", 40, 200, &[16]),
    ],
    &[
        ("HOMEWORK", 4, 20, &[2, 3, 5, 9, 11]),
        ("QUIZ", 5, 10, &[6, 12]),
        ("PROJECT", 20, 100, &[7, 14]),
        ("FINAL_EXAM", 30, 100, &[16]),
    ],
    &[
        ("HOMEWORK", 10, 10, &[2, 5, 9, 12]),
        ("PROJECT", 30, 100, &[7, 14]),
    ],
];

/// The graded items of a section, in due-date order (weights sum to 100).
pub(crate) fn plan(section: &Section, term: &Term) -> Vec<Item> {
    let groups = PLANS[usize::from(section.plan).min(PLANS.len() - 1)];
    let mut items = Vec::with_capacity(12);
    for &(kind, weight, max, weeks) in groups {
        for &w16 in weeks {
            let week = if term.regular() {
                w16
            } else {
                ((w16 * term.final_week + 8) / 16).clamp(1, term.final_week)
            };
            let wd = match kind {
                "QUIZ" | "MIDTERM" => 2,
                "LAB" => 3,
                "FINAL_EXAM" if term.regular() => 1,
                "FINAL_EXAM" => 3,
                _ => 4,
            };
            let due = Calendar::day_in_term(term, week, wd);
            items.push(Item {
                kind,
                weight,
                max,
                week,
                due,
            });
        }
    }
    items.sort_by_key(|i| i.due);
    items
}

/// Formats hundredths as a decimal (`1234` → `12.34`).
fn hundredths(buf: &mut String, v: i64) {
    buf.clear();
    let _ = write!(buf, "{}.{:02}", v / 100, v % 100);
}

#[rustfmt::skip]
const WEEKS: [&str; 17] = [
    "0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11", "12", "13", "14", "15", "16",
];

/// Writes `lms/assessments_{term}.csv`.
pub(crate) fn assessments(cx: &Ctx, t: usize) -> Result<FileOut> {
    let (w, cal) = (cx.w, &cx.w.cal);
    let term = &cal.terms[t];
    let rel = format!("lms/assessments_{}.csv", term.code);
    let mut f = CsvOut::create(cx.out, &rel, &ASSESSMENTS)?;
    let (mut perf, mut enr, mut aid, mut score, mut max, mut weight) = (
        String::new(),
        String::new(),
        String::new(),
        String::new(),
        String::new(),
        String::new(),
    );
    for g in w.term_sections[t].clone() {
        let sec = &w.sections[g as usize];
        let items = plan(sec, term);
        for e in &w.enrollments[sec.enrollments.start as usize..sec.enrollments.end as usize] {
            if e.reg > cx.as_of {
                continue;
            }
            let student = &w.students[e.student as usize].id;
            enr.clear();
            let _ = write!(enr, "{}", e.id);
            let draws = submissions(w.seed, e, term, &items);
            let until = e.active_until(term.end);
            for (i, (item, sub)) in items.iter().zip(draws).enumerate() {
                if item.due > cx.as_of || item.due > until {
                    continue;
                }
                let (submitted, pts) = match sub {
                    Some((day, pts)) if day <= cx.as_of => (cal.date(day), Some(pts)),
                    _ => ("", None),
                };
                let n = i as u64 + 1;
                perf.clear();
                let _ = write!(perf, "{}", e.id * 100 + n);
                aid.clear();
                let _ = write!(aid, "{}", (u64::from(g) + 1) * 100 + n);
                match pts {
                    Some(p) => hundredths(&mut score, p),
                    None => score.clear(),
                }
                hundredths(&mut max, i64::from(item.max) * 100);
                hundredths(&mut weight, i64::from(item.weight) * 100);
                let attempt = if item.kind == "QUIZ" && (e.id + n).is_multiple_of(9) {
                    "2"
                } else {
                    "1"
                };
                let rec: [&str; 13] = [
                    &perf,
                    &enr,
                    student,
                    &sec.id,
                    &aid,
                    item.kind,
                    cal.date(item.due),
                    submitted,
                    WEEKS[item.week.clamp(0, 16) as usize],
                    &score,
                    &max,
                    &weight,
                    attempt,
                ];
                put(
                    &mut f,
                    &cx.dirt,
                    &ASSESS_SPEC,
                    e.id * 100 + n,
                    &rec.map(str::as_bytes),
                )?;
            }
        }
    }
    f.finish()
}

/// Every item's submission for one enrollment: `None` when missing, else (day submitted,
/// score in hundredths). All draws are made for all items, whatever is written.
pub(crate) fn submissions(
    seed: u64,
    e: &Enrollment,
    term: &Term,
    items: &[Item],
) -> Vec<Option<(Day, i64)>> {
    let mut r = rng(seed, Tag::Assessment, e.id, 0);
    let base = f64::from(e.score);
    let falling = if base < 68.0 {
        4.0 + 10.0 * r.random::<f64>()
    } else {
        0.0
    };
    let miss_p = (0.02 + (80.0 - base).max(0.0) * 0.006).min(0.5);
    let late_p = if base < 70.0 { 0.14 } else { 0.07 };
    items
        .iter()
        .map(|item| {
            let (u_miss, u_late) = (r.random::<f64>(), r.random::<f64>());
            let noise = r.normal();
            let (early, late) = (r.between(0, 3), r.between(1, 5));
            let exam = matches!(item.kind, "MIDTERM" | "FINAL_EXAM");
            if u_miss < if exam { miss_p * 0.4 } else { miss_p } {
                return None;
            }
            let is_late = !exam && u_late < late_p;
            let day = if is_late {
                item.due + late
            } else {
                item.due - early
            };
            let day = day.max(e.reg).min(term.end);
            let shift = match item.kind {
                "HOMEWORK" | "LAB" => 5.0,
                "QUIZ" => 1.0,
                "PROJECT" => 3.0,
                _ => -2.0,
            };
            let progress = f64::from(item.week) / f64::from(term.final_week);
            let mut pct = base + shift - falling * progress + 7.0 * noise;
            if is_late {
                pct *= 0.9;
            }
            let pct = pct.clamp(0.0, 100.0);
            Some((day, (f64::from(item.max) * pct).round() as i64))
        })
        .collect()
}

/// Writes `attendance/attendance_{term}.csv`.
pub(crate) fn attendance(cx: &Ctx, t: usize) -> Result<FileOut> {
    let (w, cal) = (cx.w, &cx.w.cal);
    let term = &cal.terms[t];
    let rel = format!("attendance/attendance_{}.csv", term.code);
    let mut f = CsvOut::create(cx.out, &rel, &ATTENDANCE)?;
    let mut late_buf = String::new();
    for g in w.term_sections[t].clone() {
        let sec = &w.sections[g as usize];
        if !sec.attendance {
            continue;
        }
        let meetings = cal.meetings(term, sec.mask);
        let n = meetings.len().max(1) as f64;
        for e in &w.enrollments[sec.enrollments.start as usize..sec.enrollments.end as usize] {
            if e.reg > cx.as_of {
                continue;
            }
            let student = w.students[e.student as usize].id.as_bytes();
            let mut r = rng(w.seed, Tag::Attendance, e.id, 0);
            let base = f64::from(e.score);
            let p0 = (0.55 + 0.42 * (base - 45.0) / 55.0).clamp(0.45, 0.97);
            let decline = if base < 65.0 { 0.18 } else { 0.03 };
            let until = e.active_until(term.end);
            for (i, &day) in meetings.iter().enumerate() {
                let u: f64 = r.random();
                let minutes = r.between(1, 25);
                if day > cx.as_of || day > until || day < e.reg {
                    continue;
                }
                let p = p0 - decline * i as f64 / n;
                let status: &[u8] = if u < p * 0.92 {
                    b"P"
                } else if u < p {
                    b"T"
                } else if u < p + 0.03 {
                    b"E"
                } else {
                    b"A"
                };
                late_buf.clear();
                if status == b"T" {
                    let _ = write!(late_buf, "{minutes}");
                }
                let rec: [&[u8]; 5] = [
                    student,
                    sec.id.as_bytes(),
                    cal.date(day).as_bytes(),
                    status,
                    late_buf.as_bytes(),
                ];
                put(&mut f, &cx.dirt, &ATTEND_SPEC, (e.id << 8) | i as u64, &rec)?;
            }
        }
    }
    f.finish()
}
