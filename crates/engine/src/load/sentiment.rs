//! A small lexicon-based sentiment model for feedback comments (`lyceum-lexicon-v1`):
//! counts positive and negative words, flips a word after a negation, and scales the
//! balance to -1..1.

pub const MODEL: &str = "lyceum-lexicon-v1";

const POSITIVE: &[&str] = &[
    "good",
    "great",
    "excellent",
    "amazing",
    "helpful",
    "clear",
    "engaging",
    "interesting",
    "love",
    "loved",
    "enjoyed",
    "fantastic",
    "best",
    "well",
    "organized",
    "organised",
    "supportive",
    "inspiring",
    "fair",
    "useful",
    "knowledgeable",
    "patient",
    "fun",
    "awesome",
    "recommend",
    "approachable",
    "thorough",
    "brilliant",
    "valuable",
    "positive",
    "easy",
];
const NEGATIVE: &[&str] = &[
    "bad",
    "poor",
    "terrible",
    "awful",
    "confusing",
    "boring",
    "unclear",
    "hard",
    "difficult",
    "hate",
    "hated",
    "worst",
    "unfair",
    "disorganized",
    "disorganised",
    "rude",
    "late",
    "useless",
    "slow",
    "overwhelming",
    "frustrating",
    "stressful",
    "unhelpful",
    "chaotic",
    "waste",
    "negative",
    "harsh",
    "dull",
    "vague",
    "unprepared",
];
const NEGATIONS: &[&str] = &[
    "not", "no", "never", "hardly", "isn't", "wasn't", "don't", "didn't",
];

/// `(score in -1..=1, label)`.
pub fn score(text: &str) -> (f64, &'static str) {
    let mut pos = 0i32;
    let mut neg = 0i32;
    let mut negate = false;
    for raw in text.split(|c: char| !(c.is_alphanumeric() || c == '\'')) {
        if raw.is_empty() {
            continue;
        }
        let w = raw.to_lowercase();
        let (p, n) = (
            POSITIVE.contains(&w.as_str()),
            NEGATIVE.contains(&w.as_str()),
        );
        match (p, n, negate) {
            (true, _, false) | (_, true, true) => pos += 1,
            (true, _, true) | (_, true, false) => neg += 1,
            _ => {}
        }
        negate = NEGATIONS.contains(&w.as_str());
    }
    let total = pos + neg;
    let s = if total == 0 {
        0.0
    } else {
        f64::from(pos - neg) / f64::from(total)
    };
    let s = (s * 1000.0).round() / 1000.0;
    let label = if s > 0.05 {
        "POSITIVE"
    } else if s < -0.05 {
        "NEGATIVE"
    } else {
        "NEUTRAL"
    };
    (s, label)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lexicon() {
        assert_eq!(
            score("Great pacing, very helpful instructor."),
            (1.0, "POSITIVE")
        );
        assert_eq!(
            score("Confusing lectures and unfair exams."),
            (-1.0, "NEGATIVE")
        );
        assert_eq!(score("The lectures were not good."), (-1.0, "NEGATIVE"));
        assert_eq!(score("Room 101 on Tuesdays."), (0.0, "NEUTRAL"));
    }
}
