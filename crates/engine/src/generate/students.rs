//! Students: admissions, term-to-term persistence and what happens after grades post.

use rand_chacha::ChaCha8Rng;

use super::calendar::{Day, Term, TermType, ymd};
use super::catalog::{Catalog, DegreeLevel};
use super::model::{
    Class, Degree, EntryType, Grade, Standing, State, Status, Student, Survey, SurveyKind, World,
};
use super::names::EmailBook;
use super::people::{Faculty, person};
use super::rng::{RngExt, Tag, rng};

/// New students per term at SF1, by (term type): (first-time, transfer, graduate).
fn intake(ttype: TermType) -> [(EntryType, f64); 3] {
    match ttype {
        TermType::Fall => [
            (EntryType::FirstTime, 5900.0),
            (EntryType::Transfer, 1450.0),
            (EntryType::Graduate, 1200.0),
        ],
        TermType::Spring => [
            (EntryType::FirstTime, 250.0),
            (EntryType::Transfer, 550.0),
            (EntryType::Graduate, 350.0),
        ],
        TermType::Summer => [
            (EntryType::FirstTime, 0.0),
            (EntryType::Transfer, 60.0),
            (EntryType::Graduate, 120.0),
        ],
    }
}

/// Students already enrolled when the extract history starts (Fall 2020), at SF1.
const CONTINUING: [(Class, f64); 4] = [
    (Class::So, 6500.0),
    (Class::Jr, 6100.0),
    (Class::Sr, 6900.0),
    (Class::Gr, 2900.0),
];

pub(crate) fn scaled(n: f64, scale: f64) -> usize {
    (n * scale).round() as usize
}

fn advisor(fac: &Faculty, dept: usize, r: &mut ChaCha8Rng) -> u32 {
    match fac.advisors.get(dept) {
        Some(list) if !list.is_empty() => *r.pick(list),
        _ => 0,
    }
}

struct Admission {
    entry_type: EntryType,
    /// `Some(class)` for students already enrolled when history starts.
    continuing: Option<Class>,
}

/// Admits the term's new students (and, in the first term, the continuing population).
pub(crate) fn admit(w: &mut World, emails: &mut EmailBook, t: usize, scale: f64) {
    let term = w.cal.terms[t].clone();
    let mut batch: Vec<Admission> = Vec::new();
    if t == 0 {
        for (class, n) in CONTINUING {
            for i in 0..scaled(n, scale) {
                let entry_type = match class {
                    Class::Gr => EntryType::Graduate,
                    _ if i % 5 == 4 => EntryType::Transfer,
                    _ => EntryType::FirstTime,
                };
                batch.push(Admission {
                    entry_type,
                    continuing: Some(class),
                });
            }
        }
    }
    for (entry_type, n) in intake(term.ttype) {
        for _ in 0..scaled(n, scale) {
            batch.push(Admission {
                entry_type,
                continuing: None,
            });
        }
    }
    for (serial, adm) in batch.into_iter().enumerate() {
        let idx = w.students.len();
        let mut r = rng(w.seed, Tag::Admit, t as u64, serial as u64);
        let student = new_student(w, emails, &term, idx, adm, &mut r);
        w.students.push(student);
    }
}

fn new_student(
    w: &World,
    emails: &mut EmailBook,
    term: &Term,
    idx: usize,
    adm: Admission,
    r: &mut ChaCha8Rng,
) -> Student {
    let cat: &Catalog = &w.cat;
    let entry_day = match adm.continuing {
        Some(_) => w.cal.first_day,
        None => (term.start - 55).max(w.cal.first_day),
    };
    let graduate = adm.entry_type == EntryType::Graduate;
    let (age, first_gen_p, mut ability) = match (adm.entry_type, adm.continuing) {
        (EntryType::FirstTime, None) => (18, 0.32, r.normal()),
        (EntryType::FirstTime, Some(c)) => (18 + class_years(c), 0.30, r.normal() + 0.1),
        (EntryType::Transfer, _) => (r.between(20, 28), 0.40, r.normal() - 0.1),
        (EntryType::Graduate, _) => (r.between(22, 34), 0.22, 0.35 + 0.8 * r.normal()),
    };
    let mut p = person(r, emails, entry_day, age, first_gen_p);
    if p.residency == "INTERNATIONAL" && graduate {
        p.pell = false;
    }
    // The equity gap: first-generation and Pell students face more obstacles.
    ability -= 0.22 * f64::from(u8::from(p.first_gen)) + 0.18 * f64::from(u8::from(p.pell));
    let program = if graduate {
        cat.grad_programs[r.weighted(&cat.grad_cum)]
    } else {
        let mut prog = cat.ug_programs[r.weighted(&cat.ug_cum)];
        if adm.entry_type == EntryType::Transfer || adm.continuing.is_some() {
            prog = cat.other_bachelor(r, u16::MAX);
        }
        prog
    };
    let level = cat.programs[program as usize].level;
    let (credits, regular_terms) = match adm.continuing {
        Some(Class::So) => (r.between(30, 58) as f32, r.between(2, 3) as u8),
        Some(Class::Jr) => (r.between(60, 88) as f32, r.between(4, 5) as u8),
        Some(Class::Sr) => (r.between(90, 114) as f32, r.between(6, 9) as u8),
        Some(_) => {
            let max = if level == DegreeLevel::Doctoral {
                48
            } else {
                18
            };
            (3.0 * r.between(2, max / 3) as f32, r.between(1, 4) as u8)
        }
        None => match adm.entry_type {
            EntryType::Transfer => (r.between(24, 64) as f32, 0),
            EntryType::FirstTime if r.chance(0.45) => (3.0 * r.between(1, 6) as f32, 0),
            _ => (0.0, 0),
        },
    };
    let class = if graduate {
        Class::Gr
    } else {
        Class::for_credits(credits)
    };
    let (gpa_credits, quality) = if adm.continuing.is_some() {
        let gpa = (3.05 + 0.42 * ability + 0.25 * r.normal()).clamp(2.05, 4.0) as f32;
        let own = if adm.entry_type == EntryType::Transfer {
            credits * 0.5
        } else {
            credits
        };
        (own, own * gpa)
    } else {
        (0.0, 0.0)
    };
    let part_time = r.chance(if graduate { 0.15 } else { 0.06 });
    let ipeds_term = (adm.entry_type == EntryType::FirstTime
        && adm.continuing.is_none()
        && term.ttype == TermType::Fall
        && !part_time)
        .then_some(term.idx as u8);
    let hs_gpa = (adm.entry_type == EntryType::FirstTime).then(|| {
        ((3.25 + 0.35 * ability + 0.2 * r.normal()).clamp(2.0, 4.0) * 100.0).round() as u16
    });
    let state = State {
        program,
        class,
        standing: Standing::Good,
        status: Status::Active,
        advisor: advisor(&w.fac, cat.programs[program as usize].dept, r),
        address: 0,
    };
    Student {
        id: format!("S{:07}", idx + 1),
        person: p,
        entry_type: adm.entry_type,
        entry_term: term.idx as u8,
        ipeds_term,
        hs_gpa,
        ability,
        part_time,
        changes: vec![(entry_day, state)],
        state,
        credits,
        gpa_credits,
        quality,
        regular_terms,
        missed: 0,
        sit_out: false,
        history: Vec::new(),
    }
}

fn class_years(c: Class) -> i32 {
    match c {
        Class::So => 1,
        Class::Jr => 2,
        Class::Sr => 3,
        _ => 0,
    }
}

/// Whether a student takes classes this term, updating their status (stop-out, return,
/// withdrawal). Returns the registration day if they do.
pub(crate) fn decide(w: &mut World, s: usize, t: usize) -> Option<Day> {
    let term = &w.cal.terms[t];
    let mut r = rng(w.seed, Tag::StudentTerm, s as u64, t as u64);
    let st = &mut w.students[s];
    if matches!(st.state.status, Status::Graduated | Status::Withdrawn)
        || st.entry_term as usize > t
    {
        return None;
    }
    let reg = if st.entry_term as usize == t {
        term.start - r.between(3, 50)
    } else if !term.regular() {
        term.start - r.between(3, 40)
    } else if r.chance(0.9) {
        term.start - r.between(3, 50)
    } else {
        term.start + r.between(0, 5)
    };
    if st.entry_term as usize == t {
        return Some(reg);
    }
    let graduate = st.state.class == Class::Gr;
    match (st.state.status, term.regular()) {
        (Status::Active, false) => {
            let p = match (graduate, super::enroll::behind_pace(st)) {
                (true, _) => 0.35,
                (false, true) => 0.4,
                (false, false) => 0.18,
            };
            (r.chance(p) && !st.sit_out).then_some(reg)
        }
        (Status::Active, true) => {
            let leave_as = |r: &mut ChaCha8Rng| {
                if r.chance(0.35) {
                    Status::Withdrawn
                } else {
                    Status::StoppedOut
                }
            };
            let leave = if st.sit_out {
                st.sit_out = false;
                Some(if r.chance(0.5) {
                    Status::Withdrawn
                } else {
                    Status::StoppedOut
                })
            } else {
                let cum = st.cum_gpa();
                let mut p = if graduate {
                    0.96
                } else if st.regular_terms <= 2 {
                    0.94
                } else {
                    0.972
                };
                if cum < 2.0 {
                    p -= 0.12;
                } else if cum < 2.5 {
                    p -= 0.03;
                }
                if st.person.first_gen {
                    p -= 0.02;
                }
                if st.person.pell {
                    p -= 0.015;
                }
                if st.part_time {
                    p -= 0.05;
                }
                if st.state.standing == Standing::Probation {
                    p -= 0.05;
                }
                (!r.chance(p)).then(|| leave_as(&mut r))
            };
            match leave {
                None => Some(reg),
                Some(status) => {
                    let day = term.census;
                    let state = State { status, ..st.state };
                    st.record(day, state);
                    if status == Status::Withdrawn && r.chance(0.3) {
                        let day = day + r.between(0, 10);
                        w.surveys.push(Survey {
                            kind: SurveyKind::Exit,
                            term: t as u8,
                            student: s as u32,
                            day,
                            graduating: false,
                        });
                    }
                    None
                }
            }
        }
        (Status::StoppedOut, true) => {
            st.missed += 1;
            if st.missed <= 4 && r.chance(0.17) {
                st.missed = 0;
                let state = State {
                    status: Status::Active,
                    ..st.state
                };
                st.record(reg, state);
                Some(reg)
            } else {
                None
            }
        }
        _ => None,
    }
}

/// Applies a finished term's grades to a student: GPA, standing, class level, major
/// switching, address changes and graduation.
pub(crate) fn post_term(w: &mut World, s: usize, t: usize, graded: &[(u32, Grade, u16)]) {
    let term = w.cal.terms[t].clone();
    let mut r = rng(w.seed, Tag::PostTerm, s as u64, t as u64);
    let (mut q, mut c, mut earned) = (0.0f32, 0.0f32, 0.0f32);
    {
        let st = &mut w.students[s];
        for &(course, grade, credits10) in graded {
            let cr = f32::from(credits10) / 10.0;
            if let Some(gp) = grade.points() {
                q += gp * cr;
                c += cr;
            }
            if grade.earns_credit() {
                earned += cr;
            }
            if grade != Grade::I {
                st.history.push((course, grade.satisfactory()));
            }
        }
        st.credits += earned;
        st.gpa_credits += c;
        st.quality += q;
        if term.regular() {
            st.regular_terms += 1;
        }
    }
    let st = &w.students[s];
    let mut state = st.state;
    let cum = st.cum_gpa();
    if c > 0.0 {
        let term_gpa = q / c;
        state.standing = match (st.state.standing, cum >= 2.0) {
            (_, true) => Standing::Good,
            (Standing::Good, false) => Standing::Warning,
            (Standing::Warning, false) | (Standing::Suspended, false) => Standing::Probation,
            (Standing::Probation, false) if term_gpa >= 2.0 => Standing::Probation,
            (Standing::Probation, false) => Standing::Suspended,
        };
    }
    let program = &w.cat.programs[state.program as usize];
    if state.class != Class::Gr {
        state.class = Class::for_credits(st.credits);
    }
    let doctoral_ready = program.level != DegreeLevel::Doctoral || st.regular_terms >= 6;
    if st.credits >= program.level.credits_required() && cum >= 2.0 && doctoral_ready {
        let day = term.end + 1;
        w.degrees.push(Degree {
            student: s as u32,
            program: state.program,
            term: t as u8,
            day,
            gpa: cum,
        });
        if r.chance(0.5) {
            let day = term.end - r.between(1, 20);
            w.surveys.push(Survey {
                kind: SurveyKind::Exit,
                term: t as u8,
                student: s as u32,
                day,
                graduating: true,
            });
        }
        state.status = Status::Graduated;
        w.students[s].record(day, state);
        return;
    }
    if term.regular()
        && program.level == DegreeLevel::Bachelor
        && matches!(st.state.class, Class::Fr | Class::So)
        && r.chance(0.06)
    {
        state.program = w.cat.other_bachelor(&mut r, state.program);
        let dept = w.cat.programs[state.program as usize].dept;
        state.advisor = advisor(&w.fac, dept, &mut r);
    }
    if state.standing == Standing::Suspended {
        w.students[s].sit_out = true;
    }
    let st = &mut w.students[s];
    if term.regular() && r.chance(0.02) {
        let moved = State {
            address: st.state.address + 1,
            ..st.state
        };
        st.record(term.start + r.between(20, 60), moved);
        state.address = moved.address;
    }
    if state != st.state {
        st.record(term.end + 3, state);
    }
    if term.ttype == TermType::Spring && r.chance(0.1) {
        let (y, _, _) = super::calendar::civil(term.start);
        let day = ymd(y, 2, 15) + r.between(0, 59);
        w.surveys.push(Survey {
            kind: SurveyKind::Experience,
            term: t as u8,
            student: s as u32,
            day,
            graduating: false,
        });
    }
}
