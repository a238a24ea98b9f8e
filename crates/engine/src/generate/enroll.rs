//! Registration: course choice, demand-driven sections, instructors and course outcomes.

use rand::Rng as _;
use rand_chacha::ChaCha8Rng;

use super::calendar::{Day, Term};
use super::catalog::{COLLEGES, Catalog, DegreeLevel};
use super::model::{Class, Enrollment, Grade, Section, Student, World};
use super::people::Rank;
use super::rng::{RngExt, Tag, mix, rng};

/// How many courses a student takes this term.
pub(crate) fn course_load(st: &Student, cat: &Catalog, term: &Term, r: &mut ChaCha8Rng) -> usize {
    let level = cat.programs[st.state.program as usize].level;
    if !term.regular() {
        return if r.chance(0.55) { 1 } else { 2 };
    }
    if st.state.class == Class::Gr {
        return match (st.part_time, level) {
            (true, _) => 1 + r.below(2),
            (false, DegreeLevel::Doctoral) => 2 + r.below(2),
            _ if r.chance(0.7) => 3,
            _ => 2,
        };
    }
    if st.part_time {
        return 2 + r.below(2);
    }
    let x = r.random::<f64>();
    if behind_pace(st) && r.chance(0.4) {
        return 6;
    }
    if x < 0.03 {
        3
    } else if x < 0.14 {
        4
    } else if x < 0.8 {
        5
    } else {
        6
    }
}

/// An undergraduate short of 15 credits per regular term so far (who then takes heavier
/// loads and summer classes to catch up).
pub(crate) fn behind_pace(st: &Student) -> bool {
    st.state.class != Class::Gr && st.credits + 6.0 < 15.0 * f32::from(st.regular_terms)
}

#[derive(Clone, Copy)]
enum Slot {
    Gateway,
    OwnLower,
    OwnUpper,
    OwnGrad,
    GenEd,
    AnyUpper,
}

fn slot(class: Class, summer: bool, i: usize) -> Slot {
    match (class, summer) {
        (Class::Gr, _) => Slot::OwnGrad,
        (Class::Fr | Class::So, true) => [Slot::GenEd, Slot::OwnLower][i % 2],
        (_, true) => [Slot::OwnUpper, Slot::GenEd][i % 2],
        (Class::Fr, false) => match i {
            0 | 1 => Slot::Gateway,
            2 => Slot::OwnLower,
            _ => Slot::GenEd,
        },
        (Class::So, false) => match i {
            0 => Slot::Gateway,
            1 | 2 => Slot::OwnLower,
            _ => Slot::GenEd,
        },
        (_, false) => match i {
            0..=2 => Slot::OwnUpper,
            3 => Slot::GenEd,
            _ => Slot::AnyUpper,
        },
    }
}

/// Picks `n` distinct courses: a retake of an unsatisfactory course first (sometimes), then
/// courses by class level; never a course already passed. Returns (course, is_repeat).
pub(crate) fn choose_courses(
    st: &Student,
    cat: &Catalog,
    term: &Term,
    n: usize,
    r: &mut ChaCha8Rng,
) -> Vec<(u32, bool)> {
    let dept = cat.programs[st.state.program as usize].dept;
    let mut out: Vec<(u32, bool)> = Vec::with_capacity(n);
    if r.chance(0.6)
        && let Some(&(c, _)) = st
            .history
            .iter()
            .rev()
            .find(|&&(c, ok)| !ok && !st.passed(c))
    {
        out.push((c, true));
    }
    let mut attempts = 0;
    while out.len() < n && attempts < n * 10 {
        attempts += 1;
        let stuck = attempts > n * 4;
        let kind = slot(st.state.class, !term.regular(), out.len());
        let c = match kind {
            Slot::Gateway => Some(cat.gateways[r.weighted(&cat.gateway_cum)]),
            Slot::OwnLower => pick(r, &cat.lower[dept]),
            Slot::OwnUpper => pick(r, &cat.upper[dept]),
            Slot::OwnGrad if !stuck => pick(r, &cat.grad[dept]),
            Slot::OwnGrad => {
                let d = cat.dept_cum.len();
                let other = r.below(d);
                pick(r, &cat.grad[other]).or_else(|| pick(r, &cat.upper[dept]))
            }
            Slot::AnyUpper => {
                let other = r.weighted(&cat.dept_cum);
                pick(r, &cat.upper[other])
            }
            Slot::GenEd => None,
        };
        let c = match c {
            Some(c) if !stuck || !matches!(kind, Slot::OwnLower | Slot::OwnUpper) => c,
            _ => cat.gen_ed[r.weighted(&cat.gen_ed_cum)],
        };
        if out.iter().any(|&(x, _)| x == c) || st.passed(c) {
            continue;
        }
        if st.state.class != Class::Gr && cat.courses[c as usize].level >= 5000 {
            continue;
        }
        out.push((c, st.attempted(c)));
    }
    out
}

fn pick(r: &mut ChaCha8Rng, xs: &[u32]) -> Option<u32> {
    (!xs.is_empty()).then(|| *r.pick(xs))
}

/// One student's request for a course this term.
pub(crate) struct Request {
    pub student: u32,
    pub reg: Day,
    pub is_repeat: bool,
}

/// What section building needs to know about a course (copied out of the catalog).
struct CourseInfo {
    id: String,
    capacity: u16,
    level: u32,
    dept: usize,
    pass_fail: bool,
    gateway: bool,
    lab: bool,
    division: &'static str,
}

impl CourseInfo {
    fn of(cat: &Catalog, c: usize) -> Self {
        let course = &cat.courses[c];
        let dept = &cat.depts[course.dept];
        CourseInfo {
            id: course.id.clone(),
            capacity: course.capacity,
            level: course.level,
            dept: course.dept,
            pass_fail: course.pass_fail,
            gateway: course.gateway,
            lab: dept.lab,
            division: COLLEGES[dept.college].division,
        }
    }
}

/// Turns a term's course demand into sections (capacity-sized, numbered 001..), assigns
/// instructors and simulates every registration's outcome.
pub(crate) fn build_sections(w: &mut World, t: usize, demand: &[Vec<Request>]) {
    let term = w.cal.terms[t].clone();
    let first_section = w.sections.len() as u32;
    // Instructors available this term, by department.
    let n_depts = w.cat.depts.len();
    let mut by_dept: Vec<Vec<u32>> = vec![Vec::new(); n_depts];
    for (i, ins) in w.fac.instructors.iter().enumerate() {
        if ins.hire <= term.start {
            by_dept[ins.at(term.start).dept].push(i as u32);
        }
    }
    let mut load = vec![0.0f64; w.fac.instructors.len()];
    for (c, reqs) in demand.iter().enumerate() {
        if reqs.is_empty() {
            continue;
        }
        let course = CourseInfo::of(&w.cat, c);
        let cap = usize::from(course.capacity);
        let n = reqs.len().div_ceil(cap).min(799);
        for k in 0..n {
            let g = w.sections.len() as u64;
            let mut r = rng(w.seed, Tag::Sections, g, 0);
            let summer = !term.regular();
            let online_p = if summer {
                0.4
            } else if course.level >= 5000 {
                0.2
            } else {
                0.12
            };
            let x = r.random::<f64>();
            let delivery = if x < online_p {
                "ONLINE"
            } else if x < online_p + 0.1 {
                "HYBRID"
            } else {
                "IN_PERSON"
            };
            let campus = match (delivery, r.random::<f64>()) {
                ("ONLINE", _) => "ONLINE",
                (_, y) if y < 0.8 => "MAIN",
                (_, y) if y < 0.92 => "DOWNTOWN",
                _ => "NORTH",
            };
            let one_day = 1u8 << r.below(4);
            let (mpw, mask) = match delivery {
                "ONLINE" => (1, one_day),
                "IN_PERSON" if summer => (4, 0b01111),
                "HYBRID" => {
                    if r.chance(0.5) {
                        (1, one_day)
                    } else {
                        (2, 0b01010)
                    }
                }
                _ => match r.random::<f64>() {
                    y if y < 0.4 => (3, 0b10101),
                    y if y < 0.85 => (2, 0b01010),
                    _ => (1, one_day),
                },
            };
            let attend_p = match (delivery, course.level) {
                ("ONLINE", _) => 0.05,
                ("HYBRID", _) => 0.4,
                (_, l) if l <= 2000 => 0.8,
                (_, l) if l <= 4000 => 0.6,
                _ => 0.4,
            };
            let attendance = r.chance(attend_p);
            let division = course.division;
            let plan = if course.pass_fail {
                5
            } else if course.level >= 5000 {
                4
            } else if course.gateway {
                3
            } else if course.lab && course.level <= 2000 {
                1
            } else if division == "HUMANITIES" || r.chance(0.25) {
                2
            } else {
                0
            };
            let instructor = assign_instructor(
                w,
                &by_dept,
                &mut load,
                course.dept,
                course.level,
                g,
                term.start,
            );
            let first_enr = w.enrollments.len() as u32;
            for (j, req) in reqs.iter().enumerate() {
                if j % n == k {
                    outcome(w, &term, g as u32, c as u32, instructor, req);
                }
            }
            w.sections.push(Section {
                id: format!("{}-{:03}-{}", course.id, k + 1, term.code),
                course: c as u32,
                term: t as u8,
                number: (k + 1) as u16,
                instructor,
                delivery,
                campus,
                capacity: course.capacity,
                meetings_per_week: mpw,
                mask,
                attendance,
                plan,
                enrollments: first_enr..w.enrollments.len() as u32,
            });
        }
    }
    w.term_sections.push(first_section..w.sections.len() as u32);
}

fn assign_instructor(
    w: &World,
    by_dept: &[Vec<u32>],
    load: &mut [f64],
    dept: usize,
    level: u32,
    section: u64,
    day: Day,
) -> u32 {
    let own = &by_dept[dept];
    let all: Vec<u32>;
    let candidates: &[u32] = if own.is_empty() {
        all = by_dept.iter().flatten().copied().collect();
        &all
    } else {
        own
    };
    let mut best = (f64::MAX, 0u32);
    for &i in candidates {
        let ins = &w.fac.instructors[i as usize];
        let cur = ins.at(day);
        let fte = f64::from(cur.fte) / 100.0;
        let rank = cur.rank;
        let mut score = (load[i as usize] + 1.0) / (fte * 3.5);
        if level >= 3000 && rank == Rank::Ta {
            score += 10.0;
        }
        if level >= 5000 && rank == Rank::Adjunct {
            score += 5.0;
        }
        score += (mix(section, u64::from(i)) >> 54) as f64 * 1e-6;
        if score < best.0 {
            best = (score, i);
        }
    }
    load[best.1 as usize] += 1.0;
    best.1
}

/// Simulates one registration and appends it.
fn outcome(w: &mut World, term: &Term, section: u32, course: u32, instructor: u32, req: &Request) {
    let id = w.enrollments.len() as u64 + 1;
    let mut r = rng(w.seed, Tag::Outcome, id, 0);
    let st = &w.students[req.student as usize];
    let c = &w.cat.courses[course as usize];
    let quality = w.fac.instructors[instructor as usize].quality;
    let latent = st.ability - c.difficulty + 0.12 * quality + 0.72 * r.normal();
    // Scores above 94 approach 100 smoothly instead of piling up at the cap.
    let raw = 87.5 + 10.5 * latent;
    let score = if raw > 94.0 {
        94.0 + 6.0 * (1.0 - (-(raw - 94.0) / 6.0).exp())
    } else {
        raw
    };
    let score = score.max(2.0) as f32;
    let regular = term.regular();
    let reg = (req.reg + r.between(0, 2)).min(term.start + 6);
    let drop_p = 0.045 + if latent < -1.0 { 0.03 } else { 0.0 };
    let w_p = if latent < -1.4 {
        0.22
    } else if latent < -0.7 {
        0.04
    } else {
        0.005
    };
    let (mut drop, mut leave, mut grade) = (None, None, None);
    let u = r.random::<f64>();
    let (dropped, withdrawn, incomplete) =
        (u < drop_p, u >= drop_p && u < drop_p + w_p, r.chance(0.004));
    if dropped {
        let window = if regular { 12 } else { 6 };
        drop = Some(
            (reg.max(term.start) + r.between(0, window))
                .min(term.census - 1)
                .max(reg),
        );
    } else if withdrawn {
        let (lo, hi) = if regular { (35, 77) } else { (20, 45) };
        leave = Some(term.start + r.between(lo, hi));
        grade = Some(if r.chance(0.08) { Grade::Wf } else { Grade::W });
    } else if incomplete {
        grade = Some(Grade::I);
    } else if c.pass_fail {
        grade = Some(if score >= 65.0 { Grade::P } else { Grade::Np });
    } else {
        grade = Some(Grade::from_score(score));
    }
    let completed = matches!(grade, Some(g) if g != Grade::W && g != Grade::Wf);
    let eval_day = (completed && r.chance(0.22 + 0.17 * f64::from(score) / 100.0))
        .then(|| term.end - r.between(0, if regular { 16 } else { 9 }));
    w.enrollments.push(Enrollment {
        id,
        student: req.student,
        section,
        reg,
        drop,
        leave,
        grade,
        score,
        is_repeat: req.is_repeat,
        credits10: c.credits10,
        eval_day,
    });
}
