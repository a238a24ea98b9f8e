//! Where each file's defects go: the in-place kinds, the kinds put on synthetic rows, and
//! the columns they touch (see [`Spec`]). Reference files (terms, holidays, departments,
//! programs) stay clean: a defect there would orphan whole tables.

use super::dirty::{Fk, Fresh, Kind, Spec};

/// `sis/courses.csv` (referenced by sections: quarantined defects go on synthetic rows).
pub(crate) const COURSE_SPEC: Spec = Spec {
    in_place: &[
        Kind::MixedCase,
        Kind::StrayWhitespace,
        Kind::ExactDuplicate,
        Kind::NearDuplicate,
    ],
    synthetic: &[
        Kind::NegativeCredits,
        Kind::UnknownReference,
        Kind::MissingRequired,
    ],
    fresh: Some(Fresh::Course),
    code: 1,
    pad: 4,
    credits: 5,
    fk: (4, Fk::Department),
    required: 3,
    ..Spec::new(1)
};

/// `sis/instructors.csv` (referenced by sections and advisors).
pub(crate) const INSTRUCTOR_SPEC: Spec = Spec {
    in_place: &[
        Kind::EmailFormat,
        Kind::MixedCase,
        Kind::DateFormat,
        Kind::ExactDuplicate,
    ],
    synthetic: &[
        Kind::InvalidEmail,
        Kind::InvalidUtf8,
        Kind::UnknownReference,
    ],
    fresh: Some(Fresh::Instructor),
    email: 3,
    code: 5,
    date: 8,
    text: 2,
    fk: (4, Fk::Department),
    ..Spec::new(2)
};

/// `sis/students.csv` (referenced by everything).
pub(crate) const STUDENT_SPEC: Spec = Spec {
    in_place: &[
        Kind::DateFormat,
        Kind::EmailFormat,
        Kind::StrayWhitespace,
        Kind::MixedCase,
        Kind::ExactDuplicate,
        Kind::NearDuplicate,
    ],
    synthetic: &[
        Kind::ImpossibleDate,
        Kind::InvalidEmail,
        Kind::MissingRequired,
        Kind::UnknownReference,
        Kind::WrongColumnCount,
        Kind::InvalidUtf8,
    ],
    fresh: Some(Fresh::Student),
    date: 25,
    email: 4,
    pad: 20,
    code: 21,
    required: 0,
    fk: (20, Fk::Program),
    text: 1,
    ..Spec::new(3)
};

/// `sis/sections.csv` (referenced by enrollments, LMS, attendance, feedback).
pub(crate) const SECTION_SPEC: Spec = Spec {
    in_place: &[
        Kind::MixedCase,
        Kind::StrayWhitespace,
        Kind::ExactDuplicate,
        Kind::NearDuplicate,
    ],
    synthetic: &[
        Kind::UnknownReference,
        Kind::MissingRequired,
        Kind::WrongColumnCount,
    ],
    fresh: Some(Fresh::Section),
    code: 2,
    pad: 1,
    fk: (1, Fk::Course),
    required: 1,
    ..Spec::new(4)
};

/// `sis/enrollments.csv` (referenced by the LMS).
pub(crate) const ENROLLMENT_SPEC: Spec = Spec {
    in_place: &[
        Kind::DateFormat,
        Kind::MixedCase,
        Kind::StrayWhitespace,
        Kind::ExactDuplicate,
        Kind::NearDuplicate,
    ],
    synthetic: &[
        Kind::ImpossibleDate,
        Kind::InvalidGrade,
        Kind::NegativeCredits,
        Kind::UnknownReference,
        Kind::MissingRequired,
        Kind::WrongColumnCount,
    ],
    fresh: Some(Fresh::Enrollment),
    date: 3,
    code: 5,
    pad: 2,
    grade: 7,
    credits: 6,
    fk: (2, Fk::Section),
    required: 1,
    ..Spec::new(5)
};

/// `sis/degrees.csv` (nothing references it: every defect in place).
pub(crate) const DEGREE_SPEC: Spec = Spec {
    in_place: &[
        Kind::DateFormat,
        Kind::ImpossibleDate,
        Kind::MissingRequired,
        Kind::UnknownReference,
        Kind::MixedCase,
        Kind::ExactDuplicate,
    ],
    date: 4,
    required: 1,
    fk: (1, Fk::Student),
    code: 5,
    ..Spec::new(6)
};

/// `lms/assessments_*.csv` (in place). An unknown reference breaks both `section_id` and
/// `enrollment_id`, so the row resolves by neither.
pub(crate) const ASSESS_SPEC: Spec = Spec {
    in_place: &[
        Kind::DateFormat,
        Kind::ImpossibleDate,
        Kind::ScoreAboveMax,
        Kind::MissingRequired,
        Kind::UnknownReference,
        Kind::MixedCase,
        Kind::StrayWhitespace,
        Kind::ExactDuplicate,
        Kind::NearDuplicate,
        Kind::WrongColumnCount,
    ],
    date: 6,
    score: (9, 10),
    required: 2,
    fk: (3, Fk::Section),
    fk2: (1, Fk::Enrollment),
    code: 5,
    pad: 3,
    ..Spec::new(7)
};

/// `attendance/attendance_*.csv` (in place).
pub(crate) const ATTEND_SPEC: Spec = Spec {
    in_place: &[
        Kind::DateFormat,
        Kind::ImpossibleDate,
        Kind::MissingRequired,
        Kind::UnknownReference,
        Kind::MixedCase,
        Kind::StrayWhitespace,
        Kind::ExactDuplicate,
        Kind::NearDuplicate,
        Kind::WrongColumnCount,
    ],
    date: 2,
    required: 0,
    fk: (1, Fk::Section),
    code: 3,
    pad: 0,
    ..Spec::new(8)
};

/// `survey/feedback_*.jsonl` (in place; applied to the JSON fields in `feedback.rs`: dates
/// to `submitted_date`, unknown reference to `section_id` (course evaluations; other surveys
/// get mixed case instead), missing required to `respondent_token`, mixed case to
/// `survey_type`, non-UTF-8 to `comment`).
pub(crate) const FEEDBACK_SPEC: Spec = Spec {
    in_place: &[
        Kind::DateFormat,
        Kind::ImpossibleDate,
        Kind::UnknownReference,
        Kind::MissingRequired,
        Kind::MixedCase,
        Kind::InvalidUtf8,
        Kind::ExactDuplicate,
    ],
    ..Spec::new(9)
};
