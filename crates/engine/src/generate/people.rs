//! Instructors (with their HR change history) and the personal data of students.

use super::calendar::{Day, iso, ymd};
use super::catalog::Catalog;
use super::names::{self, EmailBook};
use super::rng::{RngExt, Tag, cumulative, rng};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Rank {
    Full,
    Associate,
    Assistant,
    Lecturer,
    Adjunct,
    Ta,
}

impl Rank {
    pub(crate) fn code(self) -> &'static str {
        match self {
            Rank::Full => "FULL",
            Rank::Associate => "ASSOCIATE",
            Rank::Assistant => "ASSISTANT",
            Rank::Lecturer => "LECTURER",
            Rank::Adjunct => "ADJUNCT",
            Rank::Ta => "TA",
        }
    }
    pub(crate) fn tenure(self) -> &'static str {
        match self {
            Rank::Full | Rank::Associate => "TENURED",
            Rank::Assistant => "TENURE_TRACK",
            _ => "NON_TENURE",
        }
    }
}

#[derive(Debug, Clone, Copy)]
pub(crate) struct InstrVersion {
    pub day: Day,
    pub dept: usize,
    pub rank: Rank,
    /// FTE × 100.
    pub fte: u8,
}

pub(crate) struct Instructor {
    pub id: String,
    pub first: &'static str,
    pub last: &'static str,
    pub email: String,
    pub hire: Day,
    /// Teaching quality (drives course-evaluation ratings and, a little, grades).
    pub quality: f64,
    pub versions: Vec<InstrVersion>,
}

impl Instructor {
    /// The version in effect on `d` (the first version before the instructor's entry).
    pub(crate) fn at(&self, d: Day) -> &InstrVersion {
        let i = self.versions.partition_point(|v| v.day <= d);
        &self.versions[i.saturating_sub(1)]
    }
}

pub(crate) struct Faculty {
    pub instructors: Vec<Instructor>,
    /// Per department: advisor candidates.
    pub advisors: Vec<Vec<u32>>,
}

/// Builds ~1,800 × scale instructors (at least two per department) and their changes.
pub(crate) fn faculty(seed: u64, scale: f64, cat: &Catalog, first_day: Day) -> Faculty {
    let mut r = rng(seed, Tag::Instructor, 0, 0);
    let n_depts = cat.depts.len();
    let total = ((1800.0 * scale).round() as usize).max(2 * n_depts);
    let mut dept_of: Vec<usize> = (0..n_depts).flat_map(|d| [d, d]).collect();
    let dept_cum = cumulative(cat.depts.iter().map(|d| d.weight));
    while dept_of.len() < total {
        dept_of.push(r.weighted(&dept_cum));
    }
    dept_of.sort_unstable();
    let mut emails = EmailBook::default();
    let mut instructors = Vec::with_capacity(total);
    let mut advisors = vec![Vec::new(); n_depts];
    let mut prev_dept = usize::MAX;
    for (i, &dept) in dept_of.iter().enumerate() {
        let mut r = rng(seed, Tag::Instructor, 1, i as u64);
        let core = dept != prev_dept;
        prev_dept = dept;
        let female = r.chance(0.5);
        let first = *r.pick(if female { names::FEMALE } else { names::MALE });
        let last = *r.pick(names::LAST);
        let email = emails.next(first, last, "lyceum.edu");
        let rank = if core {
            if r.chance(0.5) {
                Rank::Full
            } else {
                Rank::Associate
            }
        } else {
            *[
                Rank::Full,
                Rank::Associate,
                Rank::Assistant,
                Rank::Assistant,
                Rank::Lecturer,
                Rank::Lecturer,
                Rank::Adjunct,
                Rank::Adjunct,
                Rank::Ta,
                Rank::Full,
            ]
            .get(r.below(10))
            .unwrap_or(&Rank::Lecturer)
        };
        let new_hire = !core && rank != Rank::Full && rank != Rank::Associate && r.chance(0.14);
        let hire_year = if new_hire {
            r.between(2021, 2024)
        } else {
            match rank {
                Rank::Full => r.between(1990, 2012),
                Rank::Associate => r.between(2003, 2016),
                Rank::Assistant => r.between(2014, 2020),
                Rank::Lecturer => r.between(2006, 2020),
                Rank::Adjunct => r.between(2012, 2020),
                Rank::Ta => r.between(2018, 2020),
            }
        };
        let hire = if hire_year >= 2020 {
            ymd(hire_year, 7, 1) + r.between(1, 45)
        } else {
            ymd(hire_year, 8, 1) + r.between(0, 20)
        };
        let fte = match rank {
            Rank::Adjunct => {
                if r.chance(0.5) {
                    25
                } else {
                    50
                }
            }
            Rank::Ta => 50,
            Rank::Lecturer if r.chance(0.2) => 75,
            _ => 100,
        };
        let mut versions = vec![InstrVersion {
            day: hire.max(first_day),
            dept,
            rank,
            fte,
        }];
        let july = |y: i32| ymd(y, 7, 1);
        let mut moved = false;
        match rank {
            Rank::Assistant if hire_year + 6 >= 2021 && hire_year + 6 <= 2024 && r.chance(0.8) => {
                versions.push(InstrVersion {
                    day: july(hire_year + 6),
                    rank: Rank::Associate,
                    ..versions[0]
                });
            }
            Rank::Associate if r.chance(0.25) => {
                versions.push(InstrVersion {
                    day: july(r.between(2021, 2024)),
                    rank: Rank::Full,
                    ..versions[0]
                });
            }
            Rank::Adjunct if r.chance(0.2) => {
                versions.push(InstrVersion {
                    day: july(r.between(2021, 2024)),
                    fte: fte + 25,
                    ..versions[0]
                });
            }
            Rank::Lecturer if fte == 100 && r.chance(0.12) => {
                let y = r.between(2021, 2024);
                let day = if r.chance(0.5) { july(y) } else { ymd(y, 1, 1) };
                versions.push(InstrVersion {
                    day,
                    fte: 75,
                    ..versions[0]
                });
            }
            _ => {}
        }
        if !core && r.chance(0.025) {
            let college = cat.depts[dept].college;
            let same: Vec<usize> = (0..n_depts)
                .filter(|&d| d != dept && cat.depts[d].college == college)
                .collect();
            if !same.is_empty() {
                let to = *r.pick(&same);
                let y = r.between(2021, 2024);
                let day = if r.chance(0.5) { july(y) } else { ymd(y, 1, 1) };
                let base = *versions
                    .iter()
                    .rev()
                    .find(|v| v.day <= day)
                    .unwrap_or(&versions[0]);
                versions.push(InstrVersion {
                    day,
                    dept: to,
                    ..base
                });
                for v in versions.iter_mut().filter(|v| v.day > day) {
                    v.dept = to;
                }
                moved = true;
            }
        }
        versions.retain(|v| v.day >= hire.max(first_day));
        versions.sort_by_key(|v| v.day);
        // One row per effective date: a later change on the same day wins.
        let mut merged: Vec<InstrVersion> = Vec::with_capacity(versions.len());
        for v in versions {
            match merged.last_mut() {
                Some(last) if last.day == v.day => *last = v,
                _ => merged.push(v),
            }
        }
        let advisor = !moved && hire <= first_day && !matches!(rank, Rank::Adjunct | Rank::Ta);
        if advisor {
            advisors[dept].push(i as u32);
        }
        instructors.push(Instructor {
            id: format!("I{:06}", i + 1),
            first,
            last,
            email,
            hire,
            quality: r.normal(),
            versions: merged,
        });
    }
    Faculty {
        instructors,
        advisors,
    }
}

/// Static personal data of a student.
pub(crate) struct Person {
    pub first: &'static str,
    pub last: &'static str,
    pub preferred: Option<&'static str>,
    pub email: String,
    pub phone: String,
    pub birth: String,
    pub gender: &'static str,
    pub ethnicity: &'static str,
    pub first_gen: bool,
    pub pell: bool,
    pub disability: bool,
    pub residency: &'static str,
}

const ETHNICITIES: [(&str, f64); 8] = [
    ("WHITE", 48.0),
    ("HISPANIC", 20.0),
    ("BLACK", 12.0),
    ("ASIAN", 10.0),
    ("TWO_OR_MORE", 5.0),
    ("AMERICAN_INDIAN", 1.0),
    ("PACIFIC_ISLANDER", 0.5),
    ("UNKNOWN", 3.5),
];

/// Draws a student's personal data; `age` is their age at `entry`.
pub(crate) fn person(
    r: &mut impl RngExt,
    emails: &mut EmailBook,
    entry: Day,
    age: i32,
    first_gen_p: f64,
) -> Person {
    let g = r.random::<f64>();
    let (gender, female) = if g < 0.56 {
        ("FEMALE", true)
    } else if g < 0.975 {
        ("MALE", false)
    } else if g < 0.99 {
        ("NONBINARY", r.chance(0.5))
    } else {
        ("UNKNOWN", r.chance(0.5))
    };
    let first = *r.pick(if female { names::FEMALE } else { names::MALE });
    let last = *r.pick(names::LAST);
    let preferred = if r.chance(0.1) {
        Some(*r.pick(names::NICKNAMES))
    } else {
        None
    };
    let rv = r.random::<f64>();
    let residency = if rv < 0.74 {
        "IN_STATE"
    } else if rv < 0.93 {
        "OUT_OF_STATE"
    } else {
        "INTERNATIONAL"
    };
    let ethnicity = if residency == "INTERNATIONAL" {
        "NONRESIDENT"
    } else {
        let cum = cumulative(ETHNICITIES.iter().map(|e| e.1));
        ETHNICITIES[r.weighted(&cum)].0
    };
    let first_gen = r.chance(first_gen_p);
    let pell = r.chance(if first_gen { 0.55 } else { 0.25 });
    Person {
        first,
        last,
        preferred,
        email: emails.next(first, last, "students.lyceum.edu"),
        phone: names::phone(r),
        birth: iso(entry - age * 365 - r.between(0, 364)),
        gender,
        ethnicity,
        first_gen,
        pell,
        disability: r.chance(0.07),
        residency,
    }
}
