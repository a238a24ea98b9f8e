//! The term-by-term simulation of the whole five years (independent of `as_of`, which only
//! cuts what the writers emit).

use super::calendar::Calendar;
use super::catalog::Catalog;
use super::enroll::{self, Request};
use super::model::{Grade, World};
use super::names::EmailBook;
use super::people;
use super::rng::{Tag, rng};
use super::students;

/// Simulates every term; `tick` is called after each term with its code.
pub(crate) fn simulate(seed: u64, scale: f64, tick: &dyn Fn(&str)) -> World {
    let cal = Calendar::new();
    let cat = Catalog::new(seed, scale);
    let fac = people::faculty(seed, scale, &cat, cal.first_day);
    let mut w = World {
        seed,
        cal,
        cat,
        fac,
        students: Vec::new(),
        sections: Vec::new(),
        enrollments: Vec::new(),
        term_sections: Vec::new(),
        degrees: Vec::new(),
        surveys: Vec::new(),
    };
    let mut emails = EmailBook::default();
    let n_courses = w.cat.courses.len();
    for t in 0..w.cal.terms.len() {
        students::admit(&mut w, &mut emails, t, scale);
        let term = w.cal.terms[t].clone();
        let mut demand: Vec<Vec<Request>> = (0..n_courses).map(|_| Vec::new()).collect();
        let mut roster: Vec<u32> = Vec::new();
        for s in 0..w.students.len() {
            let Some(reg) = students::decide(&mut w, s, t) else {
                continue;
            };
            roster.push(s as u32);
            let mut r = rng(seed, Tag::StudentTerm, s as u64, (1 << 32) | t as u64);
            let st = &w.students[s];
            let n = enroll::course_load(st, &w.cat, &term, &mut r);
            for (c, is_repeat) in enroll::choose_courses(st, &w.cat, &term, n, &mut r) {
                demand[c as usize].push(Request {
                    student: s as u32,
                    reg,
                    is_repeat,
                });
            }
        }
        let first = w.enrollments.len();
        enroll::build_sections(&mut w, t, &demand);
        let mut graded: Vec<(u32, u32, Grade, u16)> = w.enrollments[first..]
            .iter()
            .filter_map(|e| {
                let course = w.sections[e.section as usize].course;
                e.grade.map(|g| (e.student, course, g, e.credits10))
            })
            .collect();
        graded.sort_by_key(|g| g.0);
        let mut at = 0;
        let mut mine: Vec<(u32, Grade, u16)> = Vec::new();
        for &s in &roster {
            mine.clear();
            while at < graded.len() && graded[at].0 < s {
                at += 1;
            }
            while at < graded.len() && graded[at].0 == s {
                mine.push((graded[at].1, graded[at].2, graded[at].3));
                at += 1;
            }
            students::post_term(&mut w, s as usize, t, &mine);
        }
        tick(&term.code);
    }
    w
}
