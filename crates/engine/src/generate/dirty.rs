//! Dirty data: which rows get a defect, which defect, and how it is applied.
//!
//! A row is chosen by a hash of (seed, file, the row's stable identity), never by position,
//! so the choice does not depend on `as_of` and a clean run (rate 0) writes exactly the
//! same rows as the simulation. Each chosen row gets one defect kind from its file's list:
//! - in place: the row itself is changed (cleaning kinds, and every kind in files no other
//!   file references: assessments, attendance, feedback, degrees);
//! - duplicates: the row is written, then an exact or near copy;
//! - synthetic: in files other rows reference (students, instructors, courses, sections,
//!   enrollments), a row to be quarantined is an extra copy with a fresh natural key, so
//!   quarantining it never orphans rows elsewhere and the manifest's counts are exact.

use super::calendar::days_in_month;
use super::rng::{mix, unit};
use super::writer::CsvOut;
use crate::error::Result;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    DateFormat,
    ImpossibleDate,
    InvalidGrade,
    ScoreAboveMax,
    NegativeCredits,
    ExactDuplicate,
    NearDuplicate,
    UnknownReference,
    MissingRequired,
    StrayWhitespace,
    MixedCase,
    EmailFormat,
    InvalidEmail,
    WrongColumnCount,
    InvalidUtf8,
    EmptyFile,
}

pub(crate) const KINDS: [Kind; 16] = [
    Kind::DateFormat,
    Kind::ImpossibleDate,
    Kind::InvalidGrade,
    Kind::ScoreAboveMax,
    Kind::NegativeCredits,
    Kind::ExactDuplicate,
    Kind::NearDuplicate,
    Kind::UnknownReference,
    Kind::MissingRequired,
    Kind::StrayWhitespace,
    Kind::MixedCase,
    Kind::EmailFormat,
    Kind::InvalidEmail,
    Kind::WrongColumnCount,
    Kind::InvalidUtf8,
    Kind::EmptyFile,
];

impl Kind {
    /// The name used in `manifest.json`.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Kind::DateFormat => "date_format",
            Kind::ImpossibleDate => "impossible_date",
            Kind::InvalidGrade => "invalid_grade",
            Kind::ScoreAboveMax => "score_above_max",
            Kind::NegativeCredits => "negative_credits",
            Kind::ExactDuplicate => "exact_duplicate",
            Kind::NearDuplicate => "near_duplicate",
            Kind::UnknownReference => "unknown_reference",
            Kind::MissingRequired => "missing_required",
            Kind::StrayWhitespace => "stray_whitespace",
            Kind::MixedCase => "mixed_case",
            Kind::EmailFormat => "email_case_whitespace",
            Kind::InvalidEmail => "invalid_email",
            Kind::WrongColumnCount => "wrong_column_count",
            Kind::InvalidUtf8 => "invalid_utf8",
            Kind::EmptyFile => "empty_file",
        }
    }

    /// The load rule data/README.md names for this defect.
    pub(crate) fn rule(self) -> &'static str {
        match self {
            Kind::DateFormat => "standardise_date",
            Kind::ImpossibleDate => "invalid_date",
            Kind::InvalidGrade => "invalid_grade",
            Kind::ScoreAboveMax => "score_out_of_range",
            Kind::NegativeCredits => "negative_value",
            Kind::ExactDuplicate | Kind::NearDuplicate => "duplicate_key",
            Kind::UnknownReference => "unknown_reference",
            Kind::MissingRequired => "missing_required",
            Kind::StrayWhitespace => "trim_whitespace",
            Kind::MixedCase => "normalise_case",
            Kind::EmailFormat => "normalise_email",
            Kind::InvalidEmail => "invalid_email",
            Kind::WrongColumnCount => "wrong_column_count",
            Kind::InvalidUtf8 => "invalid_utf8",
            Kind::EmptyFile => "EMPTY",
        }
    }

    /// What the load does with the row: `cleaned`, `quarantined`, or `empty_file`.
    pub(crate) fn outcome(self) -> &'static str {
        match self {
            Kind::DateFormat | Kind::StrayWhitespace | Kind::MixedCase | Kind::EmailFormat => {
                "cleaned"
            }
            Kind::EmptyFile => "empty_file",
            _ => "quarantined",
        }
    }
}

/// How to make a reference that resolves to nothing.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Fk {
    Section,
    Student,
    Course,
    Department,
    Program,
    Enrollment,
}

/// How a synthetic row gets a fresh natural key that no other row uses or references.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Fresh {
    Student,
    Instructor,
    Course,
    Section,
    Enrollment,
}

/// Not applicable.
pub(crate) const NA: usize = usize::MAX;

/// Where each defect goes in one file's records (column indices; [`NA`] when unused).
pub(crate) struct Spec {
    pub tag: u64,
    pub in_place: &'static [Kind],
    pub synthetic: &'static [Kind],
    pub fresh: Option<Fresh>,
    pub key: usize,
    pub date: usize,
    pub code: usize,
    pub pad: usize,
    pub email: usize,
    pub required: usize,
    pub fk: (usize, Fk),
    /// A second reference broken together with `fk`, so the row resolves by neither path.
    pub fk2: (usize, Fk),
    pub grade: usize,
    pub credits: usize,
    pub score: (usize, usize),
    pub text: usize,
}

impl Spec {
    pub(crate) const fn new(tag: u64) -> Self {
        Spec {
            tag,
            in_place: &[],
            synthetic: &[],
            fresh: None,
            key: 0,
            date: NA,
            code: NA,
            pad: NA,
            email: NA,
            required: NA,
            fk: (NA, Fk::Section),
            fk2: (NA, Fk::Enrollment),
            grade: NA,
            credits: NA,
            score: (NA, NA),
            text: NA,
        }
    }
}

/// The dirty-data settings of a run.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Dirt {
    pub rate: f64,
    pub seed: u64,
}

impl Dirt {
    /// Whether the row with identity `key` gets a defect, which kind, and a hash for the
    /// defect's own choices.
    pub(crate) fn decide(&self, spec: &Spec, key: u64) -> Option<(Kind, u64)> {
        if self.rate <= 0.0 {
            return None;
        }
        let h = mix(mix(self.seed ^ 0xD127_7D47_A000_0000, spec.tag), key);
        if unit(h) >= self.rate {
            return None;
        }
        let n = spec.in_place.len() + spec.synthetic.len();
        if n == 0 {
            return None;
        }
        let h2 = mix(h, 0x5EED);
        let i = (h2 % n as u64) as usize;
        let kind = spec
            .in_place
            .get(i)
            .or_else(|| spec.synthetic.get(i - spec.in_place.len()))?;
        Some((*kind, mix(h2, 1)))
    }
}

/// Writes one record, injecting a defect when the row is chosen.
pub(crate) fn put(
    out: &mut CsvOut,
    dirt: &Dirt,
    spec: &Spec,
    key: u64,
    rec: &[&[u8]],
) -> Result<()> {
    let Some((kind, h)) = dirt.decide(spec, key) else {
        return out.row(rec);
    };
    out.count(kind);
    let mut owned: Vec<Vec<u8>> = rec.iter().map(|f| f.to_vec()).collect();
    match kind {
        Kind::ExactDuplicate => {
            out.row(rec)?;
            out.row(rec)
        }
        Kind::NearDuplicate => {
            out.row(rec)?;
            if let Some(f) = owned.get_mut(spec.key) {
                near_key(f, h);
            }
            out.row(&owned)
        }
        k if spec.synthetic.contains(&k) => {
            out.row(rec)?;
            fresh_key(&mut owned, spec.fresh, key);
            apply(k, spec, &mut owned, h);
            out.row(&owned)
        }
        k => {
            apply(k, spec, &mut owned, h);
            out.row(&owned)
        }
    }
}

fn near_key(f: &mut Vec<u8>, h: u64) {
    if f.iter().any(u8::is_ascii_uppercase) {
        f.make_ascii_lowercase();
    } else {
        pad(f, h);
    }
}

fn pad(f: &mut Vec<u8>, h: u64) {
    match h % 3 {
        0 => f.insert(0, b' '),
        1 => f.push(b' '),
        _ => {
            f.splice(0..0, *b"  ");
            f.extend_from_slice(b"  ");
        }
    }
}

fn fresh_key(rec: &mut [Vec<u8>], fresh: Option<Fresh>, key: u64) {
    let Some(fresh) = fresh else { return };
    match fresh {
        Fresh::Student => rec[0] = format!("S9{:09}", key % 1_000_000_000).into_bytes(),
        Fresh::Instructor => rec[0] = format!("I9{:07}", key % 10_000_000).into_bytes(),
        Fresh::Enrollment => rec[0] = (900_000_000 + key).to_string().into_bytes(),
        Fresh::Course => {
            let subject = String::from_utf8_lossy(&rec[0])
                .split('-')
                .next()
                .unwrap_or("")
                .to_string();
            let number = format!("9{:03}", key % 1000);
            rec[0] = format!("{subject}-{number}").into_bytes();
            if let Some(f) = rec.get_mut(2) {
                *f = number.into_bytes();
            }
        }
        Fresh::Section => {
            let number = format!("8{:02}", key % 100);
            let id = String::from_utf8_lossy(&rec[0]).to_string();
            let parts: Vec<&str> = id.split('-').collect();
            if parts.len() == 4 {
                rec[0] = format!("{}-{}-{number}-{}", parts[0], parts[1], parts[3]).into_bytes();
            }
            if let Some(f) = rec.get_mut(3) {
                *f = number.into_bytes();
            }
        }
    }
}

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// Parses `YYYY-MM-DD` into numbers.
fn ymd_of(v: &[u8]) -> Option<(i32, u32, u32)> {
    let s = std::str::from_utf8(v).ok()?;
    if s.len() != 10 {
        return None;
    }
    Some((
        s.get(0..4)?.parse().ok()?,
        s.get(5..7)?.parse().ok()?,
        s.get(8..10)?.parse().ok()?,
    ))
}

/// An ISO date in another common format.
pub(crate) fn other_format(v: &str, h: u64) -> String {
    match ymd_of(v.as_bytes()) {
        Some((y, m, d)) => match h % 3 {
            0 => format!("{m:02}/{d:02}/{y:04}"),
            1 => format!("{d:02}-{}-{y:04}", MONTHS[(m as usize).clamp(1, 12) - 1]),
            _ => format!("{y:04}/{m:02}/{d:02}"),
        },
        None => v.to_string(),
    }
}

/// A date that does not exist in the same month (`2023-02-30`, `2023-09-31`).
pub(crate) fn impossible(v: &str) -> String {
    match ymd_of(v.as_bytes()) {
        Some((y, m, _)) => format!("{y:04}-{m:02}-{:02}", days_in_month(y, m) + 1),
        None => "2023-02-30".to_string(),
    }
}

/// A code in the wrong case (`completed`, `Completed`).
pub(crate) fn recase(v: &str, h: u64) -> String {
    let lower = v.to_ascii_lowercase();
    if h.is_multiple_of(2) || v.len() < 2 {
        return lower;
    }
    let mut s = String::with_capacity(v.len());
    let mut cs = lower.chars();
    if let Some(c) = cs.next() {
        s.push(c.to_ascii_uppercase());
    }
    s.extend(cs);
    if s == v { lower } else { s }
}

fn email_mixed(v: &[u8]) -> Vec<u8> {
    let s = String::from_utf8_lossy(v);
    let mut out = String::with_capacity(s.len() + 1);
    let tld_start = s.rfind('.').unwrap_or(s.len());
    let mut start_of_word = true;
    for (i, c) in s.char_indices() {
        if i > tld_start || start_of_word {
            out.push(c.to_ascii_uppercase());
        } else {
            out.push(c);
        }
        start_of_word = c == '.' || c == '@';
    }
    out.push(' ');
    out.into_bytes()
}

fn apply(kind: Kind, spec: &Spec, rec: &mut Vec<Vec<u8>>, h: u64) {
    let text = |f: &Vec<u8>| String::from_utf8_lossy(f).into_owned();
    match kind {
        Kind::DateFormat => {
            if let Some(f) = rec.get_mut(spec.date) {
                *f = other_format(&text(f), h).into_bytes();
            }
        }
        Kind::ImpossibleDate => {
            if let Some(f) = rec.get_mut(spec.date) {
                *f = impossible(&text(f)).into_bytes();
            }
        }
        Kind::InvalidGrade => {
            if let Some(f) = rec.get_mut(spec.grade) {
                *f = ["E+", "Z", "A++", "F-", "G"][(h % 5) as usize]
                    .as_bytes()
                    .to_vec();
            }
        }
        Kind::ScoreAboveMax => {
            let max: f64 = rec
                .get(spec.score.1)
                .and_then(|f| text(f).parse().ok())
                .unwrap_or(100.0);
            if let Some(f) = rec.get_mut(spec.score.0) {
                *f = format!("{:.2}", max * (1.1 + (h % 40) as f64 / 100.0)).into_bytes();
            }
        }
        Kind::NegativeCredits => {
            if let Some(f) = rec.get_mut(spec.credits) {
                f.insert(0, b'-');
            }
        }
        Kind::UnknownReference => {
            for (col, fk) in [spec.fk, spec.fk2] {
                if let Some(f) = rec.get_mut(col) {
                    *f = unknown(fk, &text(f), h).into_bytes();
                }
            }
        }
        Kind::MissingRequired => {
            if let Some(f) = rec.get_mut(spec.required) {
                f.clear();
            }
        }
        Kind::StrayWhitespace => {
            if let Some(f) = rec.get_mut(spec.pad) {
                pad(f, h);
            }
        }
        Kind::MixedCase => {
            if let Some(f) = rec.get_mut(spec.code) {
                *f = recase(&text(f), h).into_bytes();
            }
        }
        Kind::EmailFormat => {
            if let Some(f) = rec.get_mut(spec.email) {
                *f = email_mixed(f);
            }
        }
        Kind::InvalidEmail => {
            if let Some(f) = rec.get_mut(spec.email) {
                let at = f.iter().position(|&b| b == b'@').unwrap_or(f.len());
                match h % 3 {
                    0 => f.truncate((at + 1).min(f.len())),
                    1 if at < f.len() => {
                        f.remove(at);
                    }
                    _ => f.insert(at.min(f.len()), b'@'),
                }
            }
        }
        Kind::WrongColumnCount => {
            if h.is_multiple_of(2) {
                rec.push(b"EXTRA".to_vec());
            } else {
                rec.pop();
            }
        }
        Kind::InvalidUtf8 => {
            if let Some(f) = rec.get_mut(spec.text) {
                latin1(f);
            }
        }
        Kind::ExactDuplicate | Kind::NearDuplicate | Kind::EmptyFile => {}
    }
}

/// Puts a Latin-1 `é` (0xE9, invalid as UTF-8) into a text field.
pub(crate) fn latin1(f: &mut Vec<u8>) {
    match f.iter().position(|&b| b == b'e') {
        Some(i) => f[i] = 0xE9,
        None => f.push(0xE9),
    }
}

/// A reference that resolves to nothing.
pub(crate) fn unknown(fk: Fk, v: &str, h: u64) -> String {
    match fk {
        Fk::Section => {
            let parts: Vec<&str> = v.split('-').collect();
            if parts.len() == 4 {
                format!("{}-{}-9{:02}-{}", parts[0], parts[1], h % 100, parts[3])
            } else {
                format!("ZZZ-9999-9{:02}-2023FA", h % 100)
            }
        }
        Fk::Student => format!("S8{:07}", h % 10_000_000),
        Fk::Course => format!("ZZZ-9{:03}", h % 1000),
        Fk::Department => "ZZZZ".to_string(),
        Fk::Program => "ZZZ-BS".to_string(),
        Fk::Enrollment => (2_000_000_000 + h % 1_000_000).to_string(),
    }
}
