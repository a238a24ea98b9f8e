//! Grade semantics: points on the 4.0 scale, DFW, pass, GPA eligibility.

pub const GRADES: &[&str] = &[
    "A", "A-", "B+", "B", "B-", "C+", "C", "C-", "D+", "D", "D-", "F", "W", "WF", "I", "P", "NP",
];

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Outcome {
    /// Grade points × 100, for GPA-eligible grades.
    pub points: Option<i128>,
    pub gpa_eligible: bool,
    pub dfw: bool,
    pub pass: bool,
}

/// The outcome of a final grade (`None` = no grade yet, or dropped).
pub fn outcome(grade: Option<&str>) -> Outcome {
    let points = match grade {
        Some("A") => Some(400),
        Some("A-") => Some(370),
        Some("B+") => Some(330),
        Some("B") => Some(300),
        Some("B-") => Some(270),
        Some("C+") => Some(230),
        Some("C") => Some(200),
        Some("C-") => Some(170),
        Some("D+") => Some(130),
        Some("D") => Some(100),
        Some("D-") => Some(70),
        Some("F") | Some("WF") => Some(0),
        _ => None,
    };
    let dfw = matches!(grade, Some("D+" | "D" | "D-" | "F" | "W" | "WF"));
    let pass = matches!(points, Some(p) if p >= 70) || grade == Some("P");
    Outcome {
        points,
        gpa_eligible: points.is_some(),
        dfw,
        pass,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outcomes() {
        assert_eq!(
            outcome(Some("B+")),
            Outcome {
                points: Some(330),
                gpa_eligible: true,
                dfw: false,
                pass: true
            }
        );
        assert_eq!(
            outcome(Some("D")),
            Outcome {
                points: Some(100),
                gpa_eligible: true,
                dfw: true,
                pass: true
            }
        );
        assert_eq!(
            outcome(Some("W")),
            Outcome {
                points: None,
                gpa_eligible: false,
                dfw: true,
                pass: false
            }
        );
        assert_eq!(outcome(Some("WF")).points, Some(0));
        assert!(outcome(Some("P")).pass && !outcome(Some("NP")).pass);
        assert_eq!(
            outcome(None),
            Outcome {
                points: None,
                gpa_eligible: false,
                dfw: false,
                pass: false
            }
        );
    }
}
