//! Conforming extracts to the star schema: state shared by the dimension and fact steps.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::Path;

use chrono::NaiveDate;
use lyceum_catalog::TableDef;

use super::quality::{Quality, Reject};
use super::value::TableData;
use crate::error::{EngineError, Result};

/// Natural key → surrogate key, seeded from the warehouse so keys never change across
/// loads; new natural keys get the next numbers in extract order.
#[derive(Default)]
pub struct KeyMap {
    map: HashMap<String, i64>,
    next: i64,
}

impl KeyMap {
    pub fn from_existing(pairs: impl IntoIterator<Item = (String, i64)>) -> KeyMap {
        let map: HashMap<String, i64> = pairs.into_iter().collect();
        let next = map.values().max().copied().unwrap_or(0) + 1;
        KeyMap { map, next }
    }

    pub fn key(&mut self, natural: &str) -> i64 {
        if let Some(k) = self.map.get(natural) {
            return *k;
        }
        let k = self.next;
        self.next += 1;
        self.map.insert(natural.to_string(), k);
        k
    }
}

#[derive(Debug, Clone)]
pub struct TermInfo {
    pub key: i32,
    pub start: NaiveDate,
    pub end: NaiveDate,
    pub census: NaiveDate,
}

#[derive(Debug, Clone)]
pub struct CourseInfo {
    pub key: i32,
    pub department_key: i32,
}

#[derive(Debug, Clone)]
pub struct SectionInfo {
    pub key: i32,
    pub course_key: i32,
    pub term_key: i32,
    pub department_key: i32,
    pub instructor_key: Option<i32>,
}

#[derive(Debug, Clone)]
pub struct StudentVersion {
    pub from: NaiveDate,
    pub key: i64,
    pub program_key: i32,
    pub class_level: String,
    pub standing: String,
}

#[derive(Debug, Clone)]
pub struct EnrollmentInfo {
    pub student_key: i64,
    pub student_id: String,
    pub section_key: i32,
    pub course_key: i32,
    pub term_key: i32,
}

/// What fact_student_term needs of one enrollment.
#[derive(Debug, Clone)]
pub struct TermCredit {
    pub student_id: String,
    pub term_key: i32,
    /// × 10
    pub attempted: i128,
    /// × 10
    pub earned: i128,
    /// grade points × 100, when GPA-eligible
    pub points: Option<i128>,
}

pub struct Conformer<'a> {
    pub root: &'a Path,
    pub load_id: i64,
    pub quality: Quality,
    pub tables: BTreeMap<String, TableData>,
    pub keys: HashMap<&'static str, KeyMap>,
    pub terms: HashMap<String, TermInfo>,
    pub holidays: BTreeMap<NaiveDate, String>,
    pub departments: HashMap<String, i32>,
    pub programs: HashMap<String, i32>,
    pub courses: HashMap<String, CourseInfo>,
    /// instructor_id → versions `(effective_from, instructor_key)` by date.
    pub instructors: HashMap<String, Vec<(NaiveDate, i32)>>,
    pub students: HashMap<String, Vec<StudentVersion>>,
    pub sections: HashMap<String, SectionInfo>,
    pub enrollments: HashMap<i64, EnrollmentInfo>,
    pub term_credits: Vec<TermCredit>,
    pub date_range: Option<(NaiveDate, NaiveDate)>,
    defs: BTreeMap<String, TableDef>,
}

impl<'a> Conformer<'a> {
    pub fn new(
        root: &'a Path,
        load_id: i64,
        defs: &[TableDef],
        keys: HashMap<&'static str, KeyMap>,
    ) -> Self {
        Conformer {
            root,
            load_id,
            quality: Quality::default(),
            tables: BTreeMap::new(),
            keys,
            terms: HashMap::new(),
            holidays: BTreeMap::new(),
            departments: HashMap::new(),
            programs: HashMap::new(),
            courses: HashMap::new(),
            instructors: HashMap::new(),
            students: HashMap::new(),
            sections: HashMap::new(),
            enrollments: HashMap::new(),
            term_credits: Vec::new(),
            date_range: None,
            defs: defs.iter().map(|d| (d.name.clone(), d.clone())).collect(),
        }
    }

    pub fn def(&self, table: &str) -> Result<TableDef> {
        self.defs
            .get(table)
            .cloned()
            .ok_or_else(|| EngineError::Internal(format!("no table definition for {table}")))
    }

    /// The table being built, created on first use.
    pub fn table(&mut self, table: &str) -> Result<&mut TableData> {
        if !self.tables.contains_key(table) {
            let def = self.def(table)?;
            self.tables.insert(table.to_string(), TableData::new(&def));
        }
        self.tables
            .get_mut(table)
            .ok_or_else(|| EngineError::Internal(format!("table {table} vanished")))
    }

    pub fn key(&mut self, table: &'static str, natural: &str) -> i64 {
        self.keys.entry(table).or_default().key(natural)
    }

    /// The `YYYYMMDD` key of a date, widening the date dimension to cover it.
    pub fn date_key(&mut self, d: NaiveDate) -> i32 {
        self.date_range = Some(match self.date_range {
            None => (d, d),
            Some((lo, hi)) => (lo.min(d), hi.max(d)),
        });
        super::rules::date_key(d)
    }

    pub fn term(&self, column: &str, code: &str) -> std::result::Result<TermInfo, Reject> {
        self.terms
            .get(code)
            .cloned()
            .ok_or_else(|| unknown(column, code))
    }

    /// The student version valid on `date`.
    pub fn student_on(
        &self,
        column: &str,
        id: &str,
        date: NaiveDate,
    ) -> std::result::Result<&StudentVersion, Reject> {
        let versions = self.students.get(id).ok_or_else(|| unknown(column, id))?;
        let idx = versions
            .partition_point(|v| v.from <= date)
            .saturating_sub(1);
        versions.get(idx).ok_or_else(|| unknown(column, id))
    }

    /// The instructor version valid on `date`.
    pub fn instructor_on(&self, id: &str, date: NaiveDate) -> Option<i32> {
        let versions = self.instructors.get(id)?;
        let idx = versions.partition_point(|v| v.0 <= date).saturating_sub(1);
        versions.get(idx).map(|v| v.1)
    }
}

/// A foreign key that resolves to nothing.
pub fn unknown(column: &str, value: &str) -> Reject {
    Reject::new(
        column,
        "unknown_reference",
        format!("{column} {value:?} does not exist"),
        Some(value),
    )
}

/// A natural key seen twice in one extract (exactly, or after cleansing).
pub fn duplicate(column: &str, value: &str) -> Reject {
    Reject::new(
        column,
        "duplicate_key",
        format!("{column} {value:?} appears more than once"),
        Some(value),
    )
}

/// Tracks natural keys already loaded from one entity.
#[derive(Default)]
pub struct Seen(BTreeSet<String>);

impl Seen {
    pub fn first(&mut self, column: &str, key: &str) -> std::result::Result<(), Reject> {
        if self.0.insert(key.to_string()) {
            Ok(())
        } else {
            Err(duplicate(column, key))
        }
    }
}
