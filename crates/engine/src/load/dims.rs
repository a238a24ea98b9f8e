//! Dimensions: terms and dates, departments, programs, courses, instructors (SCD2),
//! students (SCD2), sections.

use chrono::{Datelike, NaiveDate};
use sha2::{Digest, Sha256};

use super::conform::{Conformer, CourseInfo, SectionInfo, Seen, StudentVersion, TermInfo, unknown};
use super::quality::Reject;
use super::rules::{Fields, epoch_days, valid_email};
use super::scd2::{self, Change};
use super::source::{RowCtx, find_files, read_csv, read_jsonl};
use super::value::Value;
use crate::error::{EngineError, Result};
use crate::extract::{
    COURSES, DEPARTMENTS, HOLIDAYS, INSTRUCTORS, PROGRAMS, SECTIONS, STUDENTS, TERMS,
};

type Row = std::result::Result<(), Reject>;

/// How a source file is read into rows of text fields.
#[derive(Clone, Copy)]
pub enum Format<'h> {
    /// CSV with exactly this header.
    Csv(&'h [&'h str]),
    /// One JSON object per line, flattened to `columns`.
    JsonLines {
        columns: &'static [&'static str],
        flatten: fn(&serde_json::Value) -> std::result::Result<Vec<String>, Reject>,
    },
}

const DIVISIONS: &[&str] = &["STEM", "HUMANITIES", "SOCIAL_SCI", "PROFESSIONAL", "HEALTH"];
const DEGREE_LEVELS: &[&str] = &["ASSOCIATE", "BACHELOR", "MASTER", "DOCTORAL", "CERT"];
const RANKS: &[&str] = &[
    "LECTURER",
    "ASSISTANT",
    "ASSOCIATE",
    "FULL",
    "ADJUNCT",
    "TA",
];
const TENURE: &[&str] = &["TENURED", "TENURE_TRACK", "NON_TENURE"];
const RESIDENCY: &[&str] = &["IN_STATE", "OUT_OF_STATE", "INTERNATIONAL"];
const ENTRY_TYPES: &[&str] = &["FIRST_TIME", "TRANSFER", "GRADUATE", "NON_DEGREE"];
const CLASS_LEVELS: &[&str] = &["FR", "SO", "JR", "SR", "GR"];
const STANDING: &[&str] = &["GOOD", "WARNING", "PROBATION", "SUSPENDED"];
const STUDENT_STATUS: &[&str] = &["ACTIVE", "STOPPED_OUT", "WITHDRAWN", "GRADUATED"];
const DELIVERY: &[&str] = &["IN_PERSON", "ONLINE", "HYBRID"];

/// `(term_key, term_type, academic_year)` of a term code like `2024FA`.
pub fn parse_term_code(code: &str) -> Option<(i32, &'static str, String)> {
    if code.len() != 6 {
        return None;
    }
    let year: i32 = code.get(..4)?.parse().ok()?;
    let (start_year, suffix, kind) = match code.get(4..)? {
        "FA" => (year, 10, "FALL"),
        "SP" => (year - 1, 20, "SPRING"),
        "SU" => (year - 1, 30, "SUMMER"),
        _ => return None,
    };
    Some((start_year * 100 + suffix, kind, academic_year(start_year)))
}

fn academic_year(start_year: i32) -> String {
    format!("{start_year}-{:02}", (start_year + 1) % 100)
}

fn hash(parts: &[&str]) -> String {
    let mut h = Sha256::new();
    for p in parts {
        h.update(p.as_bytes());
        h.update([0x1f]);
    }
    hex::encode(h.finalize())
}

fn s(v: &str) -> Value {
    Value::Str(v.to_string())
}

impl Conformer<'_> {
    /// Runs `f` on every row of every CSV file `sub/prefix*.csv`.
    pub fn each_csv(
        &mut self,
        sub: &str,
        prefix: &str,
        table: &str,
        header: &[&str],
        required: bool,
        f: impl FnMut(&mut Self, &mut Fields) -> Result<Row>,
    ) -> Result<()> {
        self.each_row(sub, prefix, table, Format::Csv(header), required, f)
    }

    /// Runs `f` on every row of every file matching `sub/prefix*`; a row `f` rejects is
    /// quarantined, and an error from `f` stops the load.
    pub fn each_row(
        &mut self,
        sub: &str,
        prefix: &str,
        table: &str,
        format: Format,
        required: bool,
        mut f: impl FnMut(&mut Self, &mut Fields) -> Result<Row>,
    ) -> Result<()> {
        let root = self.root;
        let suffix = match format {
            Format::Csv(_) => ".csv",
            Format::JsonLines { .. } => ".jsonl",
        };
        let files = find_files(root, sub, prefix, suffix)?;
        if files.is_empty() && required {
            return Err(EngineError::MissingExtract {
                pattern: format!("{sub}/{prefix}*{suffix}"),
                dir: root.to_path_buf(),
            });
        }
        let mut quality = std::mem::take(&mut self.quality);
        let mut fatal = None;
        let mut row = |c: &mut Self, values: &[&str], ctx: &mut RowCtx| {
            if fatal.is_some() {
                return Err(Reject::row("load_aborted", "the load failed"));
            }
            match f(c, &mut Fields { values, ctx }) {
                Ok(row) => row,
                Err(e) => {
                    fatal = Some(e);
                    Err(Reject::row("load_aborted", "the load failed"))
                }
            }
        };
        let mut failed = None;
        for path in files {
            let outcome = match format {
                Format::Csv(header) => {
                    read_csv(root, &path, table, header, &mut quality, |values, ctx| {
                        row(self, values, ctx)
                    })
                }
                Format::JsonLines { columns, flatten } => {
                    read_jsonl(root, &path, table, &mut quality, |json, ctx| {
                        let flat = flatten(json)?;
                        let values: Vec<&str> = flat.iter().map(String::as_str).collect();
                        ctx.columns = columns;
                        row(self, &values, ctx)
                    })
                }
            };
            if let Err(e) = outcome {
                failed = Some(e);
                break;
            }
        }
        self.quality = quality;
        match (failed, fatal) {
            (Some(e), _) | (None, Some(e)) => Err(e),
            (None, None) => Ok(()),
        }
    }

    pub fn terms(&mut self) -> Result<()> {
        let mut seen = Seen::default();
        let mut rows = Vec::new();
        self.each_csv("sis", "terms", "dim_term", &TERMS, true, |c, f| {
            Ok((|| {
                let code = f.code(0)?;
                let (key, kind, year) = parse_term_code(&code).ok_or_else(|| {
                    Reject::new(
                        "term_code",
                        "invalid_code",
                        format!("{code:?} is not a term code"),
                        Some(&code),
                    )
                })?;
                let name = f.text(1)?;
                let (start, end, census) = (f.date(2)?, f.date(3)?, f.date(4)?);
                if end < start || census < start || census > end {
                    return Err(Reject::new(
                        "census_date",
                        "out_of_range",
                        "dates out of order",
                        None,
                    ));
                }
                seen.first("term_code", &code)?;
                c.terms.insert(
                    code.clone(),
                    TermInfo {
                        key,
                        start,
                        end,
                        census,
                    },
                );
                rows.push((key, code, name, kind, year, start, end, census));
                Ok(())
            })())
        })?;
        rows.sort_by_key(|r| r.0);
        for (seq, (key, code, name, kind, year, start, end, census)) in rows.into_iter().enumerate()
        {
            let row = [
                Value::I32(key),
                s(&code),
                s(&name),
                s(kind),
                s(&year),
                Value::I16(seq as i16 + 1),
                Value::Date(epoch_days(start)),
                Value::Date(epoch_days(end)),
                Value::Date(epoch_days(census)),
            ];
            self.table("dim_term")?.push(&row)?;
        }
        self.each_csv("sis", "holidays", "dim_date", &HOLIDAYS, false, |c, f| {
            Ok((|| {
                let d = f.date(0)?;
                let name = f.text(1)?;
                c.holidays.insert(d, name);
                Ok(())
            })())
        })
    }

    /// `dim_date`: every day of the academic years the loaded dates fall in.
    pub fn dates(&mut self) -> Result<()> {
        let mut lo = NaiveDate::from_ymd_opt(2020, 7, 1).unwrap_or_default();
        let mut hi = NaiveDate::from_ymd_opt(2025, 6, 30).unwrap_or_default();
        for t in self.terms.values() {
            lo = lo.min(t.start);
            hi = hi.max(t.end);
        }
        if let Some((a, b)) = self.date_range {
            lo = lo.min(a);
            hi = hi.max(b);
        }
        let ay_start = |d: NaiveDate| {
            if d.month() >= 7 {
                d.year()
            } else {
                d.year() - 1
            }
        };
        let first = NaiveDate::from_ymd_opt(ay_start(lo), 7, 1).unwrap_or(lo);
        let last = NaiveDate::from_ymd_opt(ay_start(hi) + 1, 6, 30).unwrap_or(hi);
        let mut terms: Vec<TermInfo> = self.terms.values().cloned().collect();
        terms.sort_by_key(|t| t.start);
        let mut day = first;
        while day <= last {
            let term = terms.iter().find(|t| t.start <= day && day <= t.end);
            let holiday = self.holidays.contains_key(&day);
            let dow = day.weekday().number_from_monday() as i16;
            let week_of_term = term.map(|t| (((day - t.start).num_days() / 7) + 1).min(16) as i16);
            let row = [
                Value::I32(super::rules::date_key(day)),
                Value::Date(epoch_days(day)),
                Value::I16(dow),
                s(&day.format("%A").to_string()),
                Value::I16(day.iso_week().week() as i16),
                Value::I16(day.month() as i16),
                s(&day.format("%B").to_string()),
                Value::I16(((day.month() - 1) / 3 + 1) as i16),
                Value::I16(day.year() as i16),
                s(&academic_year(ay_start(day))),
                term.map(|t| Value::I32(t.key)).unwrap_or(Value::Null),
                week_of_term.map(Value::I16).unwrap_or(Value::Null),
                Value::Bool(term.is_some() && dow <= 5 && !holiday),
                Value::Bool(holiday),
            ];
            self.table("dim_date")?.push(&row)?;
            day = day.succ_opt().unwrap_or(NaiveDate::MAX);
            if day == NaiveDate::MAX {
                break;
            }
        }
        Ok(())
    }

    pub fn departments(&mut self) -> Result<()> {
        let mut seen = Seen::default();
        self.each_csv(
            "sis",
            "departments",
            "dim_department",
            &DEPARTMENTS,
            true,
            |c, f| {
                let row = (|| {
                    let code = f.code(0)?;
                    let name = f.text(1)?;
                    let (college, college_name) = (f.code(2)?, f.text(3)?);
                    let division = f.one_of(4, DIVISIONS)?;
                    seen.first("department_code", &code)?;
                    Ok((code, name, college, college_name, division))
                })();
                let (code, name, college, college_name, division) = match row {
                    Ok(v) => v,
                    Err(r) => return Ok(Err(r)),
                };
                let key = c.key("dim_department", &code) as i32;
                c.departments.insert(code.clone(), key);
                c.table("dim_department")?.push(&[
                    Value::I32(key),
                    s(&code),
                    s(&name),
                    s(&college),
                    s(&college_name),
                    s(&division),
                ])?;
                Ok(Ok(()))
            },
        )
    }

    pub fn programs(&mut self) -> Result<()> {
        let mut seen = Seen::default();
        self.each_csv("sis", "programs", "dim_program", &PROGRAMS, true, |c, f| {
            let row = (|| {
                let code = f.code(0)?;
                let name = f.text(1)?;
                let cip = f.text(2)?;
                let level = f.one_of(3, DEGREE_LEVELS)?;
                let dept_code = f.code(4)?;
                let dept = *c
                    .departments
                    .get(&dept_code)
                    .ok_or_else(|| unknown("department_code", &dept_code))?;
                let stem = f.bool(5)?;
                let normal = f.i64(6, 1, 40)? as i16;
                seen.first("program_code", &code)?;
                Ok((code, name, cip, level, dept, stem, normal))
            })();
            let (code, name, cip, level, dept, stem, normal) = match row {
                Ok(v) => v,
                Err(r) => return Ok(Err(r)),
            };
            let key = c.key("dim_program", &code) as i32;
            c.programs.insert(code.clone(), key);
            c.table("dim_program")?.push(&[
                Value::I32(key),
                s(&code),
                s(&name),
                s(&cip),
                s(&level),
                Value::I32(dept),
                Value::Bool(stem),
                Value::I16(normal),
            ])?;
            Ok(Ok(()))
        })
    }

    pub fn courses(&mut self) -> Result<()> {
        let mut seen = Seen::default();
        self.each_csv("sis", "courses", "dim_course", &COURSES, true, |c, f| {
            let row = (|| {
                let id = f.code(0)?;
                let subject = f.code(1)?;
                let number = f.text(2)?;
                let title = f.text(3)?;
                let dept_code = f.code(4)?;
                let dept = *c
                    .departments
                    .get(&dept_code)
                    .ok_or_else(|| unknown("department_code", &dept_code))?;
                let credits = f.decimal(5, 1, 0.0, 99.9)?;
                let gateway = f.bool(6)?;
                let basis = f.one_of(7, &["LETTER", "PASS_FAIL"])?;
                let level: i16 = number
                    .chars()
                    .next()
                    .and_then(|ch| ch.to_digit(10))
                    .map(|d| d as i16 * 1000)
                    .filter(|l| *l >= 1000)
                    .ok_or_else(|| {
                        Reject::new(
                            "course_number",
                            "invalid_code",
                            format!("{number:?} has no level digit"),
                            Some(&number),
                        )
                    })?;
                let group = match level {
                    ..=2000 => "LOWER_DIV",
                    3000..=4000 => "UPPER_DIV",
                    _ => "GRADUATE",
                };
                seen.first("course_id", &id)?;
                Ok((
                    id, subject, number, title, dept, credits, level, group, gateway, basis,
                ))
            })();
            let (id, subject, number, title, dept, credits, level, group, gateway, basis) =
                match row {
                    Ok(v) => v,
                    Err(r) => return Ok(Err(r)),
                };
            let key = c.key("dim_course", &id) as i32;
            c.courses.insert(
                id.clone(),
                CourseInfo {
                    key,
                    department_key: dept,
                },
            );
            c.table("dim_course")?.push(&[
                Value::I32(key),
                s(&id),
                s(&subject),
                s(&number),
                s(&title),
                Value::I32(dept),
                Value::Dec(credits),
                Value::I16(level),
                s(group),
                Value::Bool(gateway),
                s(&basis),
            ])?;
            Ok(Ok(()))
        })
    }

    pub fn instructors(&mut self) -> Result<()> {
        let mut seen = Seen::default();
        let mut changes = Vec::new();
        self.each_csv(
            "sis",
            "instructors",
            "dim_instructor",
            &INSTRUCTORS,
            true,
            |c, f| {
                Ok((|| {
                    let id = f.code(0)?;
                    let (first, last) = (f.text(1)?, f.text(2)?);
                    let email = f.email(3)?;
                    let dept_code = f.code(4)?;
                    let dept = *c
                        .departments
                        .get(&dept_code)
                        .ok_or_else(|| unknown("department_code", &dept_code))?;
                    let rank = f.one_of(5, RANKS)?;
                    let tenure = f.one_of(6, TENURE)?;
                    let fte = f.decimal(7, 2, 0.0, 1.0)?;
                    let hire = f.date(8)?;
                    let eff = f.date(9)?;
                    seen.first("instructor_id", &format!("{id}|{eff}"))?;
                    let h = hash(&[&dept.to_string(), &rank, &tenure, &fte.to_string()]);
                    changes.push(Change {
                        id: id.clone(),
                        date: eff,
                        hash: h,
                        attrs: (first, last, email, dept, rank, tenure, fte, hire),
                    });
                    Ok(())
                })())
            },
        )?;
        for (id, versions) in scd2::versions(changes) {
            for v in versions {
                let key = self.key("dim_instructor", &format!("{id}|{}", v.from)) as i32;
                self.instructors
                    .entry(id.clone())
                    .or_default()
                    .push((v.from, key));
                let (first, last, email, dept, rank, tenure, fte, hire) = &v.attrs;
                let row = [
                    Value::I32(key),
                    s(&id),
                    s(first),
                    s(last),
                    s(email),
                    Value::I32(*dept),
                    s(rank),
                    s(tenure),
                    Value::Dec(*fte),
                    Value::Date(epoch_days(*hire)),
                    Value::Date(epoch_days(v.from)),
                    Value::Date(epoch_days(v.to)),
                    Value::Bool(v.current),
                    s(&v.hash),
                ];
                self.table("dim_instructor")?.push(&row)?;
            }
        }
        Ok(())
    }

    pub fn students(&mut self) -> Result<()> {
        let mut seen = Seen::default();
        let mut changes = Vec::new();
        self.each_csv("sis", "students", "dim_student", &STUDENTS, true, |c, f| {
            Ok((|| {
                let id = f.code(0)?;
                let first = f.text(1)?;
                let last = f.text(2)?;
                let preferred = f.opt_text(3);
                let email = f.email(4)?;
                let phone = f.opt_text(5);
                let birth = f.date(6)?;
                let address = f.opt_text(7);
                let city = f.opt_text(8);
                let postal = f.opt_text(9);
                let gender = f.code(10)?;
                let ethnicity = f.text(11)?;
                let first_gen = f.bool(12)?;
                let pell = f.bool(13)?;
                let disability = f.bool(14)?;
                let residency = f.one_of(15, RESIDENCY)?;
                let entry_type = f.one_of(16, ENTRY_TYPES)?;
                let entry_term = f.code(17)?;
                let entry_term_key = c.term("entry_term_code", &entry_term)?.key;
                let cohort = match f.opt_code(18) {
                    Some(code) => Some(c.term("ipeds_cohort_term_code", &code)?.key),
                    None => None,
                };
                let hs_gpa = f.opt_decimal(19, 2, 0.0, 5.0)?;
                let program_code = f.code(20)?;
                let program = *c
                    .programs
                    .get(&program_code)
                    .ok_or_else(|| unknown("program_code", &program_code))?;
                let class_level = f.one_of(21, CLASS_LEVELS)?;
                let standing = f.one_of(22, STANDING)?;
                let status = f.one_of(23, STUDENT_STATUS)?;
                let advisor = f.opt_code(24);
                let eff = f.date(25)?;
                seen.first("student_id", &format!("{id}|{eff}"))?;
                if !valid_email(&email) {
                    return Err(Reject::new(
                        "email",
                        "invalid_email",
                        "not an email address",
                        Some(&email),
                    ));
                }
                let h = hash(&[
                    &program.to_string(),
                    &class_level,
                    &standing,
                    &status,
                    &residency,
                    address.as_deref().unwrap_or(""),
                    city.as_deref().unwrap_or(""),
                    postal.as_deref().unwrap_or(""),
                ]);
                let attrs = vec![
                    s(&id),
                    s(&first),
                    s(&last),
                    Value::opt_str(preferred),
                    s(&email),
                    Value::opt_str(phone),
                    Value::Date(epoch_days(birth)),
                    Value::opt_str(address),
                    Value::opt_str(city),
                    Value::opt_str(postal),
                    s(&gender),
                    s(&ethnicity),
                    Value::Bool(first_gen),
                    Value::Bool(pell),
                    Value::Bool(disability),
                    s(&residency),
                    s(&entry_type),
                    Value::I32(entry_term_key),
                    cohort.map(Value::I32).unwrap_or(Value::Null),
                    hs_gpa.map(Value::Dec).unwrap_or(Value::Null),
                    Value::I32(program),
                    s(&class_level),
                    s(&standing),
                    s(&status),
                    Value::opt_str(advisor),
                ];
                changes.push(Change {
                    id,
                    date: eff,
                    hash: h,
                    attrs: (attrs, program, class_level, standing),
                });
                Ok(())
            })())
        })?;
        let batch = self.load_id;
        for (id, versions) in scd2::versions(changes) {
            for v in versions {
                let key = self.key("dim_student", &format!("{id}|{}", v.from));
                let (attrs, program, class_level, standing) = v.attrs;
                self.students
                    .entry(id.clone())
                    .or_default()
                    .push(StudentVersion {
                        from: v.from,
                        key,
                        program_key: program,
                        class_level,
                        standing,
                    });
                let mut row = Vec::with_capacity(32);
                row.push(Value::I64(key));
                row.extend(attrs);
                row.extend([
                    Value::Date(epoch_days(v.from)),
                    Value::Date(epoch_days(v.to)),
                    Value::Bool(v.current),
                    Value::I16(v.version_no),
                    s(&v.hash),
                    Value::I64(batch),
                ]);
                self.table("dim_student")?.push(&row)?;
            }
        }
        Ok(())
    }

    pub fn sections(&mut self) -> Result<()> {
        let mut seen = Seen::default();
        self.each_csv("sis", "sections", "dim_section", &SECTIONS, true, |c, f| {
            let row = (|| {
                let id = f.code(0)?;
                let course_id = f.code(1)?;
                let course = c
                    .courses
                    .get(&course_id)
                    .cloned()
                    .ok_or_else(|| unknown("course_id", &course_id))?;
                let term_code = f.code(2)?;
                let term = c.term("term_code", &term_code)?;
                let number = f.text(3)?;
                let instructor = match f.opt_code(4) {
                    Some(iid) => Some(
                        c.instructor_on(&iid, term.start)
                            .ok_or_else(|| unknown("instructor_id", &iid))?,
                    ),
                    None => None,
                };
                let mode = f.one_of(5, DELIVERY)?;
                let campus = f.text(6)?;
                let capacity = f.i64(7, 0, 32_000)? as i16;
                let meetings = f.i64(8, 0, 14)? as i16;
                let attendance = f.bool(9)?;
                seen.first("section_id", &id)?;
                Ok((
                    id, course, term, number, instructor, mode, campus, capacity, meetings,
                    attendance,
                ))
            })();
            let (
                id,
                course,
                term,
                number,
                instructor,
                mode,
                campus,
                capacity,
                meetings,
                attendance,
            ) = match row {
                Ok(v) => v,
                Err(r) => return Ok(Err(r)),
            };
            let key = c.key("dim_section", &id) as i32;
            c.sections.insert(
                id.clone(),
                SectionInfo {
                    key,
                    course_key: course.key,
                    term_key: term.key,
                    department_key: course.department_key,
                    instructor_key: instructor,
                },
            );
            c.table("dim_section")?.push(&[
                Value::I32(key),
                s(&id),
                Value::I32(course.key),
                Value::I32(term.key),
                s(&number),
                instructor.map(Value::I32).unwrap_or(Value::Null),
                s(&mode),
                s(&campus),
                Value::I16(capacity),
                Value::I16(meetings),
                Value::Bool(attendance),
            ])?;
            Ok(Ok(()))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn term_codes() {
        assert_eq!(
            parse_term_code("2024FA"),
            Some((202410, "FALL", "2024-25".to_string()))
        );
        assert_eq!(
            parse_term_code("2025SP"),
            Some((202420, "SPRING", "2024-25".to_string()))
        );
        assert_eq!(
            parse_term_code("2025SU"),
            Some((202430, "SUMMER", "2024-25".to_string()))
        );
        assert_eq!(parse_term_code("2025XX"), None);
    }
}
