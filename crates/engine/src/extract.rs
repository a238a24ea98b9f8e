//! The extract files' headers: the one definition of the contract between the generator
//! (which writes them) and the loader (which checks them). Formats: `data/README.md`.

#[rustfmt::skip]
pub const TERMS: [&str; 5] = [
    "term_code", "term_name", "start_date", "end_date", "census_date",
];
pub const HOLIDAYS: [&str; 2] = ["holiday_date", "holiday_name"];
#[rustfmt::skip]
pub const DEPARTMENTS: [&str; 5] = [
    "department_code", "department_name", "college_code", "college_name", "division",
];
#[rustfmt::skip]
pub const PROGRAMS: [&str; 7] = [
    "program_code", "program_name", "cip_code", "degree_level", "department_code", "is_stem",
    "normal_time_terms",
];
#[rustfmt::skip]
pub const COURSES: [&str; 8] = [
    "course_id", "subject_code", "course_number", "course_title", "department_code",
    "credit_hours", "is_gateway", "grading_basis",
];
#[rustfmt::skip]
pub const INSTRUCTORS: [&str; 10] = [
    "instructor_id", "first_name", "last_name", "email", "department_code", "academic_rank",
    "tenure_status", "fte", "hire_date", "effective_date",
];
#[rustfmt::skip]
pub const STUDENTS: [&str; 26] = [
    "student_id", "first_name", "last_name", "preferred_name", "email", "phone", "birth_date",
    "address_line1", "city", "postal_code", "gender", "ethnicity", "is_first_generation",
    "is_pell_recipient", "has_disability", "residency", "entry_type", "entry_term_code",
    "ipeds_cohort_term_code", "hs_gpa", "program_code", "class_level", "academic_standing",
    "enrollment_status", "advisor_instructor_id", "effective_date",
];
#[rustfmt::skip]
pub const SECTIONS: [&str; 10] = [
    "section_id", "course_id", "term_code", "section_number", "instructor_id", "delivery_mode",
    "campus", "capacity", "meetings_per_week", "takes_attendance",
];
#[rustfmt::skip]
pub const ENROLLMENTS: [&str; 10] = [
    "enrollment_id", "student_id", "section_id", "registration_date", "drop_date",
    "enrollment_status", "credit_hours", "final_grade", "final_score_pct", "is_repeat",
];
#[rustfmt::skip]
pub const DEGREES: [&str; 8] = [
    "degree_id", "student_id", "program_code", "conferral_term_code", "conferral_date",
    "degree_level", "final_cum_gpa", "honors",
];

#[rustfmt::skip]
pub const ASSESSMENTS: [&str; 13] = [
    "performance_id", "enrollment_id", "student_id", "section_id", "assessment_id",
    "assessment_type", "due_date", "submitted_date", "week_of_term", "score", "max_score",
    "weight_pct", "attempt_no",
];
#[rustfmt::skip]
pub const ATTENDANCE: [&str; 5] = [
    "student_id", "section_id", "meeting_date", "status", "minutes_late",
];
