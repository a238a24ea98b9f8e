//! The simulated university: what the writers turn into extracts.

use std::ops::Range;

use super::calendar::{Calendar, Day};
use super::catalog::Catalog;
use super::people::{Faculty, Person};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Grade {
    A,
    AMinus,
    BPlus,
    B,
    BMinus,
    CPlus,
    C,
    CMinus,
    DPlus,
    D,
    DMinus,
    F,
    W,
    Wf,
    I,
    P,
    Np,
}

const LETTERS: [(f32, Grade, f32); 12] = [
    (93.0, Grade::A, 4.0),
    (90.0, Grade::AMinus, 3.7),
    (87.0, Grade::BPlus, 3.3),
    (83.0, Grade::B, 3.0),
    (80.0, Grade::BMinus, 2.7),
    (77.0, Grade::CPlus, 2.3),
    (73.0, Grade::C, 2.0),
    (70.0, Grade::CMinus, 1.7),
    (67.0, Grade::DPlus, 1.3),
    (63.0, Grade::D, 1.0),
    (60.0, Grade::DMinus, 0.7),
    (f32::MIN, Grade::F, 0.0),
];

impl Grade {
    pub(crate) fn code(self) -> &'static str {
        match self {
            Grade::A => "A",
            Grade::AMinus => "A-",
            Grade::BPlus => "B+",
            Grade::B => "B",
            Grade::BMinus => "B-",
            Grade::CPlus => "C+",
            Grade::C => "C",
            Grade::CMinus => "C-",
            Grade::DPlus => "D+",
            Grade::D => "D",
            Grade::DMinus => "D-",
            Grade::F => "F",
            Grade::W => "W",
            Grade::Wf => "WF",
            Grade::I => "I",
            Grade::P => "P",
            Grade::Np => "NP",
        }
    }

    /// The letter grade for a course score (0..100).
    pub(crate) fn from_score(score: f32) -> Grade {
        LETTERS
            .iter()
            .find(|l| score >= l.0)
            .map_or(Grade::F, |l| l.1)
    }

    /// Grade points on the 4.0 scale; `None` for grades outside the GPA (W, I, P, NP).
    pub(crate) fn points(self) -> Option<f32> {
        match self {
            Grade::Wf => Some(0.0),
            Grade::W | Grade::I | Grade::P | Grade::Np => None,
            g => LETTERS.iter().find(|l| l.1 == g).map(|l| l.2),
        }
    }

    /// Whether the credits are earned.
    pub(crate) fn earns_credit(self) -> bool {
        self <= Grade::DMinus || self == Grade::P
    }

    /// C- or better, or P: a retake is not needed.
    pub(crate) fn satisfactory(self) -> bool {
        self <= Grade::CMinus || self == Grade::P
    }
}

macro_rules! code_enum {
    ($name:ident { $($variant:ident => $code:literal),+ $(,)? }) => {
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub(crate) enum $name { $($variant),+ }
        impl $name {
            pub(crate) fn code(self) -> &'static str {
                match self { $($name::$variant => $code),+ }
            }
        }
    };
}

code_enum!(Class { Fr => "FR", So => "SO", Jr => "JR", Sr => "SR", Gr => "GR" });
code_enum!(Standing { Good => "GOOD", Warning => "WARNING", Probation => "PROBATION", Suspended => "SUSPENDED" });
code_enum!(Status { Active => "ACTIVE", StoppedOut => "STOPPED_OUT", Withdrawn => "WITHDRAWN", Graduated => "GRADUATED" });
code_enum!(EntryType { FirstTime => "FIRST_TIME", Transfer => "TRANSFER", Graduate => "GRADUATE" });

impl Class {
    /// The undergraduate class level for earned credits.
    pub(crate) fn for_credits(credits: f32) -> Class {
        if credits < 30.0 {
            Class::Fr
        } else if credits < 60.0 {
            Class::So
        } else if credits < 90.0 {
            Class::Jr
        } else {
            Class::Sr
        }
    }
}

/// The SCD2-tracked state of a student after a change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct State {
    pub program: u16,
    pub class: Class,
    pub standing: Standing,
    pub status: Status,
    pub advisor: u32,
    /// Which of the student's addresses (0 = the first).
    pub address: u16,
}

pub(crate) struct Student {
    pub id: String,
    pub person: Person,
    pub entry_type: EntryType,
    pub entry_term: u8,
    pub ipeds_term: Option<u8>,
    /// High-school GPA × 100.
    pub hs_gpa: Option<u16>,
    pub ability: f64,
    pub part_time: bool,
    /// Change log: the state from each day on. Days never decrease.
    pub changes: Vec<(Day, State)>,
    pub state: State,
    pub credits: f32,
    pub gpa_credits: f32,
    pub quality: f32,
    pub regular_terms: u8,
    pub missed: u8,
    pub sit_out: bool,
    /// (course, satisfactory) for every graded attempt.
    pub history: Vec<(u32, bool)>,
}

impl Student {
    pub(crate) fn cum_gpa(&self) -> f32 {
        if self.gpa_credits > 0.0 {
            self.quality / self.gpa_credits
        } else {
            3.0
        }
    }

    /// Records a new state from `day` (same-day changes merge into one row).
    pub(crate) fn record(&mut self, day: Day, state: State) {
        self.state = state;
        let day = self.changes.last().map_or(day, |&(d, _)| d.max(day));
        match self.changes.last_mut() {
            Some(last) if last.0 == day => last.1 = state,
            _ => self.changes.push((day, state)),
        }
    }

    pub(crate) fn passed(&self, course: u32) -> bool {
        self.history.iter().any(|&(c, ok)| c == course && ok)
    }

    pub(crate) fn attempted(&self, course: u32) -> bool {
        self.history.iter().any(|&(c, _)| c == course)
    }
}

pub(crate) struct Section {
    pub id: String,
    pub course: u32,
    pub term: u8,
    pub number: u16,
    pub instructor: u32,
    pub delivery: &'static str,
    pub campus: &'static str,
    pub capacity: u16,
    pub meetings_per_week: u8,
    /// Meeting weekdays, bit 0 = Monday.
    pub mask: u8,
    pub attendance: bool,
    /// Index of the assessment template.
    pub plan: u8,
    pub enrollments: Range<u32>,
}

pub(crate) struct Enrollment {
    pub id: u64,
    pub student: u32,
    pub section: u32,
    pub reg: Day,
    pub drop: Option<Day>,
    /// The day a W/WF student stopped attending.
    pub leave: Option<Day>,
    /// `None` for dropped registrations.
    pub grade: Option<Grade>,
    /// The course score the student earns (0..100); drives the LMS and attendance.
    pub score: f32,
    pub is_repeat: bool,
    pub credits10: u16,
    /// The day the student answers the course evaluation, if they do.
    pub eval_day: Option<Day>,
}

impl Enrollment {
    /// The last day the student takes part in the class.
    pub(crate) fn active_until(&self, term_end: Day) -> Day {
        match (self.drop, self.leave) {
            (Some(d), _) | (None, Some(d)) => d - 1,
            _ => term_end,
        }
    }
}

pub(crate) struct Degree {
    pub student: u32,
    pub program: u16,
    pub term: u8,
    pub day: Day,
    pub gpa: f32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SurveyKind {
    Experience,
    Exit,
}

pub(crate) struct Survey {
    pub kind: SurveyKind,
    pub term: u8,
    pub student: u32,
    pub day: Day,
    /// Why an exit survey was taken: graduation (true) or leaving (false).
    pub graduating: bool,
}

pub(crate) struct World {
    pub seed: u64,
    pub cal: Calendar,
    pub cat: Catalog,
    pub fac: Faculty,
    pub students: Vec<Student>,
    pub sections: Vec<Section>,
    pub enrollments: Vec<Enrollment>,
    pub term_sections: Vec<Range<u32>>,
    pub degrees: Vec<Degree>,
    pub surveys: Vec<Survey>,
}
