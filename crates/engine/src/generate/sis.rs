//! The SIS extracts: `sis/*.csv`.

use std::path::Path;

use super::calendar::{Calendar, Day};
use super::dirty::{Dirt, put};
use super::model::{Enrollment, Grade, World};
use super::names;
use super::rng::{Tag, rng};
use super::specs::{
    COURSE_SPEC, DEGREE_SPEC, ENROLLMENT_SPEC, INSTRUCTOR_SPEC, SECTION_SPEC, STUDENT_SPEC,
};
use super::writer::{CsvOut, FileOut};
use crate::error::Result;
use crate::extract::{
    COURSES, DEGREES, DEPARTMENTS, ENROLLMENTS, HOLIDAYS, INSTRUCTORS, PROGRAMS, SECTIONS,
    STUDENTS, TERMS,
};

pub(crate) fn bool_str(b: bool) -> &'static str {
    if b { "true" } else { "false" }
}

/// `30` → `3.0`.
pub(crate) fn tenths(v: u16) -> String {
    format!("{}.{}", v / 10, v % 10)
}

/// The shared inputs of every writer.
pub(crate) struct Ctx<'a> {
    pub w: &'a World,
    pub out: &'a Path,
    pub as_of: Day,
    pub dirt: Dirt,
}

impl Ctx<'_> {
    fn cal(&self) -> &Calendar {
        &self.w.cal
    }
}

/// Reference data: terms, holidays, departments, programs (always clean, never cut: they
/// are the published calendar and catalog).
pub(crate) fn reference(cx: &Ctx) -> Result<Vec<FileOut>> {
    let cal = cx.cal();
    let mut f = CsvOut::create(cx.out, "sis/terms.csv", &TERMS)?;
    for t in &cal.terms {
        f.row([
            &t.code,
            &t.name,
            cal.date(t.start),
            cal.date(t.end),
            cal.date(t.census),
        ])?;
    }
    let mut files = vec![f.finish()?];
    let mut f = CsvOut::create(cx.out, "sis/holidays.csv", &HOLIDAYS)?;
    for &(d, name) in &cal.holidays {
        f.row([cal.date(d), name])?;
    }
    files.push(f.finish()?);
    let cat = &cx.w.cat;
    let mut f = CsvOut::create(cx.out, "sis/departments.csv", &DEPARTMENTS)?;
    for (i, d) in cat.depts.iter().enumerate() {
        let c = cat.college_of(i);
        f.row([d.code, d.name, c.code, c.name, c.division])?;
    }
    files.push(f.finish()?);
    let mut f = CsvOut::create(cx.out, "sis/programs.csv", &PROGRAMS)?;
    for p in &cat.programs {
        let normal = p.level.normal_time_terms().to_string();
        f.row([
            p.code.as_str(),
            &p.name,
            p.cip,
            p.level.code(),
            cat.depts[p.dept].code,
            bool_str(p.is_stem()),
            &normal,
        ])?;
    }
    files.push(f.finish()?);
    let mut f = CsvOut::create(cx.out, "sis/courses.csv", &COURSES)?;
    for (i, c) in cat.courses.iter().enumerate() {
        let dept = cat.depts[c.dept].code;
        let (number, credits) = (c.number.to_string(), tenths(c.credits10));
        let basis = if c.pass_fail { "PASS_FAIL" } else { "LETTER" };
        let rec = [
            c.id.as_str(),
            dept,
            &number,
            &c.title,
            dept,
            &credits,
            bool_str(c.gateway),
            basis,
        ];
        put(
            &mut f,
            &cx.dirt,
            &COURSE_SPEC,
            i as u64,
            &rec.map(str::as_bytes),
        )?;
    }
    files.push(f.finish()?);
    Ok(files)
}

pub(crate) fn instructors(cx: &Ctx) -> Result<FileOut> {
    let mut f = CsvOut::create(cx.out, "sis/instructors.csv", &INSTRUCTORS)?;
    let cal = cx.cal();
    for (i, ins) in cx.w.fac.instructors.iter().enumerate() {
        let hire = super::calendar::iso(ins.hire);
        for (k, v) in ins
            .versions
            .iter()
            .enumerate()
            .filter(|(_, v)| v.day <= cx.as_of)
        {
            let fte = format!("{}.{:02}", v.fte / 100, v.fte % 100);
            let rec = [
                ins.id.as_str(),
                ins.first,
                ins.last,
                &ins.email,
                cx.w.cat.depts[v.dept].code,
                v.rank.code(),
                v.rank.tenure(),
                &fte,
                &hire,
                cal.date(v.day),
            ];
            put(
                &mut f,
                &cx.dirt,
                &INSTRUCTOR_SPEC,
                ((i as u64) << 8) | k as u64,
                &rec.map(str::as_bytes),
            )?;
        }
    }
    f.finish()
}

pub(crate) fn students(cx: &Ctx) -> Result<FileOut> {
    let mut f = CsvOut::create(cx.out, "sis/students.csv", &STUDENTS)?;
    let (w, cal) = (cx.w, cx.cal());
    for (s, st) in w.students.iter().enumerate() {
        let p = &st.person;
        let entry = &cal.terms[st.entry_term as usize].code;
        let ipeds = st
            .ipeds_term
            .map_or("", |t| cal.terms[t as usize].code.as_str());
        let hs = st
            .hs_gpa
            .map(|g| format!("{}.{:02}", g / 100, g % 100))
            .unwrap_or_default();
        let mut address = (u16::MAX, (String::new(), "", String::new()));
        for (k, &(day, state)) in st
            .changes
            .iter()
            .enumerate()
            .filter(|(_, c)| c.0 <= cx.as_of)
        {
            if address.0 != state.address {
                let mut r = rng(w.seed, Tag::Address, s as u64, u64::from(state.address));
                address = (state.address, names::address(&mut r));
            }
            let (line1, city, zip) = &address.1;
            let advisor = w
                .fac
                .instructors
                .get(state.advisor as usize)
                .map_or("", |i| i.id.as_str());
            let rec = [
                st.id.as_str(),
                p.first,
                p.last,
                p.preferred.unwrap_or(""),
                &p.email,
                &p.phone,
                &p.birth,
                line1,
                city,
                zip,
                p.gender,
                p.ethnicity,
                bool_str(p.first_gen),
                bool_str(p.pell),
                bool_str(p.disability),
                p.residency,
                st.entry_type.code(),
                entry,
                ipeds,
                &hs,
                &w.cat.programs[state.program as usize].code,
                state.class.code(),
                state.standing.code(),
                state.status.code(),
                advisor,
                cal.date(day),
            ];
            let key = ((s as u64) << 8) | k.min(255) as u64;
            put(
                &mut f,
                &cx.dirt,
                &STUDENT_SPEC,
                key,
                &rec.map(str::as_bytes),
            )?;
        }
    }
    f.finish()
}

pub(crate) fn sections(cx: &Ctx) -> Result<FileOut> {
    let mut f = CsvOut::create(cx.out, "sis/sections.csv", &SECTIONS)?;
    let w = cx.w;
    for (g, sec) in w.sections.iter().enumerate() {
        let term = &w.cal.terms[sec.term as usize];
        if term.start > cx.as_of {
            continue;
        }
        let (number, capacity) = (format!("{:03}", sec.number), sec.capacity.to_string());
        let mpw = sec.meetings_per_week.to_string();
        let rec = [
            sec.id.as_str(),
            &w.cat.courses[sec.course as usize].id,
            &term.code,
            &number,
            &w.fac.instructors[sec.instructor as usize].id,
            sec.delivery,
            sec.campus,
            &capacity,
            &mpw,
            bool_str(sec.attendance),
        ];
        put(
            &mut f,
            &cx.dirt,
            &SECTION_SPEC,
            g as u64,
            &rec.map(str::as_bytes),
        )?;
    }
    f.finish()
}

/// What an enrollment looks like on `as_of`: (status, drop date, grade, score shown).
pub(crate) fn visible(
    e: &Enrollment,
    term_end: Day,
    as_of: Day,
) -> (&'static str, Option<Day>, Option<Grade>, bool) {
    match (e.drop, e.grade) {
        (Some(d), _) if d <= as_of => ("DROPPED", Some(d), None, false),
        _ if as_of <= term_end => ("ENROLLED", None, None, false),
        (_, Some(g @ (Grade::W | Grade::Wf))) => ("WITHDRAWN", None, Some(g), false),
        (_, Some(g)) => ("COMPLETED", None, Some(g), g != Grade::I),
        (_, None) => ("ENROLLED", None, None, false),
    }
}

pub(crate) fn enrollments(cx: &Ctx) -> Result<FileOut> {
    let mut f = CsvOut::create(cx.out, "sis/enrollments.csv", &ENROLLMENTS)?;
    let (w, cal) = (cx.w, cx.cal());
    for e in &w.enrollments {
        let sec = &w.sections[e.section as usize];
        let term = &cal.terms[sec.term as usize];
        if term.start > cx.as_of || e.reg > cx.as_of {
            continue;
        }
        let (status, drop, grade, show) = visible(e, term.end, cx.as_of);
        let id = e.id.to_string();
        let score = if show {
            format!("{:.2}", e.score)
        } else {
            String::new()
        };
        let credits = tenths(e.credits10);
        let rec = [
            id.as_str(),
            &w.students[e.student as usize].id,
            &sec.id,
            cal.date(e.reg),
            drop.map_or("", |d| cal.date(d)),
            status,
            &credits,
            grade.map_or("", Grade::code),
            &score,
            bool_str(e.is_repeat),
        ];
        put(
            &mut f,
            &cx.dirt,
            &ENROLLMENT_SPEC,
            e.id,
            &rec.map(str::as_bytes),
        )?;
    }
    f.finish()
}

pub(crate) fn degrees(cx: &Ctx) -> Result<FileOut> {
    let mut f = CsvOut::create(cx.out, "sis/degrees.csv", &DEGREES)?;
    let (w, cal) = (cx.w, cx.cal());
    for (i, d) in w
        .degrees
        .iter()
        .enumerate()
        .filter(|(_, d)| d.day <= cx.as_of)
    {
        let program = &w.cat.programs[d.program as usize];
        let honors = match (program.level, d.gpa) {
            (super::catalog::DegreeLevel::Bachelor, g) if g >= 3.9 => "SUMMA_CUM_LAUDE",
            (super::catalog::DegreeLevel::Bachelor, g) if g >= 3.7 => "MAGNA_CUM_LAUDE",
            (super::catalog::DegreeLevel::Bachelor, g) if g >= 3.5 => "CUM_LAUDE",
            _ => "",
        };
        let (id, gpa) = ((i + 1).to_string(), format!("{:.2}", d.gpa));
        let rec = [
            id.as_str(),
            &w.students[d.student as usize].id,
            &program.code,
            &cal.terms[d.term as usize].code,
            cal.date(d.day),
            program.level.code(),
            &gpa,
            honors,
        ];
        put(
            &mut f,
            &cx.dirt,
            &DEGREE_SPEC,
            i as u64,
            &rec.map(str::as_bytes),
        )?;
    }
    f.finish()
}
