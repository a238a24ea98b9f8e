//! The academic calendar: days, terms, holidays and class meetings.
//!
//! Days are `i32` counts since 1970-01-01 (pure integer civil-date arithmetic, no fallible
//! date constructors). Academic years 2020-21 .. 2024-25; `term_key` = start year × 100 +
//! 10 (fall) / 20 (spring) / 30 (summer); term codes use the calendar year of the term.

use chrono::{Datelike, NaiveDate};

pub(crate) type Day = i32;

/// Days since 1970-01-01 of a civil date (proleptic Gregorian).
pub(crate) fn ymd(y: i32, m: u32, d: u32) -> Day {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = m as i32;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d as i32 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The civil date (year, month, day) of a day number.
pub(crate) fn civil(z: Day) -> (i32, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i32::from(m <= 2);
    (y, m, d)
}

/// 0 = Monday .. 6 = Sunday.
pub(crate) fn weekday(d: Day) -> i32 {
    (d + 3).rem_euclid(7)
}

pub(crate) fn days_in_month(y: i32, m: u32) -> u32 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        _ => 28,
    }
}

pub(crate) fn from_naive(d: NaiveDate) -> Day {
    ymd(d.year(), d.month(), d.day())
}

/// ISO `YYYY-MM-DD` of any day (allocates; use [`DateStrings`] in hot loops).
pub(crate) fn iso(d: Day) -> String {
    let (y, m, dd) = civil(d);
    format!("{y:04}-{m:02}-{dd:02}")
}

/// The first day on or after `d` that falls on `wd` (0 = Monday).
fn on_or_after(d: Day, wd: i32) -> Day {
    d + (wd - weekday(d)).rem_euclid(7)
}

/// The `n`-th (1-based) weekday `wd` of a month.
fn nth_weekday(y: i32, m: u32, wd: i32, n: i32) -> Day {
    on_or_after(ymd(y, m, 1), wd) + 7 * (n - 1)
}

/// The last weekday `wd` of a month.
fn last_weekday(y: i32, m: u32, wd: i32) -> Day {
    let last = ymd(y, m, days_in_month(y, m));
    last - (weekday(last) - wd).rem_euclid(7)
}

/// Precomputed ISO strings for a window of days, for the hot writers.
pub(crate) struct DateStrings {
    first: Day,
    text: String,
}

impl DateStrings {
    fn new(first: Day, last: Day) -> Self {
        let mut text = String::with_capacity(((last - first + 1) * 10) as usize);
        for d in first..=last {
            text.push_str(&iso(d));
        }
        DateStrings { first, text }
    }

    /// The ISO text of `d` (falls back to an empty string outside the window, which the
    /// generator never asks for).
    pub(crate) fn get(&self, d: Day) -> &str {
        let i = (d - self.first) as usize * 10;
        self.text.get(i..i + 10).unwrap_or("")
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TermType {
    Fall,
    Spring,
    Summer,
}

#[derive(Debug, Clone)]
pub(crate) struct Term {
    pub idx: usize,
    pub code: String,
    pub name: String,
    pub ttype: TermType,
    pub start: Day,
    pub end: Day,
    pub census: Day,
    /// Instructional weeks with regular class meetings (the last week of a regular term is
    /// the finals week).
    pub instr_weeks: i32,
    /// The week of the final exam.
    pub final_week: i32,
}

impl Term {
    pub(crate) fn regular(&self) -> bool {
        self.ttype != TermType::Summer
    }
}

pub(crate) struct Calendar {
    pub terms: Vec<Term>,
    pub holidays: Vec<(Day, &'static str)>,
    holiday_flags: Vec<bool>,
    pub dates: DateStrings,
    /// 2020-07-01: the first day of the extract window.
    pub first_day: Day,
    window_first: Day,
}

pub(crate) const FIRST_AY: i32 = 2020;
pub(crate) const LAST_AY: i32 = 2024;

impl Calendar {
    pub(crate) fn new() -> Self {
        let first_day = ymd(FIRST_AY, 7, 1);
        let last_day = ymd(LAST_AY + 1, 6, 30);
        let mut terms = Vec::new();
        let mut holidays: Vec<(Day, &'static str)> = Vec::new();
        for y in FIRST_AY..=LAST_AY {
            let fall = on_or_after(ymd(y, 8, 22), 0);
            let spring = on_or_after(ymd(y + 1, 1, 13), 0);
            let summer = last_weekday(y + 1, 5, 0);
            for (ttype, start) in [
                (TermType::Fall, fall),
                (TermType::Spring, spring),
                (TermType::Summer, summer),
            ] {
                let (code, name, weeks, census) = match ttype {
                    TermType::Fall => (format!("{y}FA"), format!("Fall {y}"), 16, 16),
                    TermType::Spring => {
                        (format!("{}SP", y + 1), format!("Spring {}", y + 1), 16, 16)
                    }
                    TermType::Summer => {
                        (format!("{}SU", y + 1), format!("Summer {}", y + 1), 10, 9)
                    }
                };
                let regular = ttype != TermType::Summer;
                terms.push(Term {
                    idx: terms.len(),
                    code,
                    name,
                    ttype,
                    start,
                    end: start + weeks * 7 - 3,
                    census: start + census,
                    instr_weeks: if regular { weeks - 1 } else { weeks },
                    final_week: weeks,
                });
            }
            holidays.push((ymd(y, 7, 4), "Independence Day"));
            holidays.push((nth_weekday(y, 9, 0, 1), "Labor Day"));
            holidays.push((ymd(y, 11, 11), "Veterans Day"));
            let thanks = nth_weekday(y, 11, 3, 4);
            holidays.push((thanks - 1, "Thanksgiving Recess"));
            holidays.push((thanks, "Thanksgiving Day"));
            holidays.push((thanks + 1, "Thanksgiving Recess"));
            holidays.push((ymd(y, 12, 24), "Christmas Eve"));
            holidays.push((ymd(y, 12, 25), "Christmas Day"));
            holidays.push((ymd(y, 12, 31), "New Year's Eve"));
            holidays.push((ymd(y + 1, 1, 1), "New Year's Day"));
            holidays.push((nth_weekday(y + 1, 1, 0, 3), "Martin Luther King Jr. Day"));
            holidays.push((nth_weekday(y + 1, 2, 0, 3), "Presidents' Day"));
            for k in 0..5 {
                holidays.push((spring + 56 + k, "Spring Break"));
            }
            holidays.push((last_weekday(y + 1, 5, 0), "Memorial Day"));
            holidays.push((ymd(y + 1, 6, 19), "Juneteenth"));
        }
        holidays.retain(|&(d, _)| d >= first_day && d <= last_day);
        holidays.sort_by_key(|&(d, _)| d);
        holidays.dedup_by_key(|&mut (d, _)| d);
        let window_first = ymd(FIRST_AY - 1, 1, 1);
        let window_last = ymd(LAST_AY + 2, 12, 31);
        let mut holiday_flags = vec![false; (window_last - window_first + 1) as usize];
        for &(d, _) in &holidays {
            holiday_flags[(d - window_first) as usize] = true;
        }
        Calendar {
            terms,
            holidays,
            holiday_flags,
            dates: DateStrings::new(window_first, window_last),
            first_day,
            window_first,
        }
    }

    pub(crate) fn is_holiday(&self, d: Day) -> bool {
        let i = d - self.window_first;
        i >= 0 && self.holiday_flags.get(i as usize).copied().unwrap_or(false)
    }

    /// The ISO text of a day inside the calendar window.
    pub(crate) fn date(&self, d: Day) -> &str {
        self.dates.get(d)
    }

    /// Class meeting days of a section meeting on the weekdays in `mask` (bit 0 = Monday),
    /// over the term's instructional weeks, skipping holidays.
    pub(crate) fn meetings(&self, term: &Term, mask: u8) -> Vec<Day> {
        let mut out = Vec::with_capacity(term.instr_weeks as usize * 4);
        for w in 0..term.instr_weeks {
            for wd in 0..5 {
                if mask & (1 << wd) != 0 {
                    let d = term.start + w * 7 + wd;
                    if d <= term.end && !self.is_holiday(d) {
                        out.push(d);
                    }
                }
            }
        }
        out
    }

    /// The day of `week` (1-based) and weekday `wd` (0 = Monday) of a term.
    pub(crate) fn day_in_term(term: &Term, week: i32, wd: i32) -> Day {
        (term.start + (week - 1) * 7 + wd).min(term.end)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_round_trip_and_weekdays() {
        for d in ymd(1950, 1, 1)..ymd(2030, 1, 1) {
            let (y, m, dd) = civil(d);
            assert_eq!(ymd(y, m, dd), d);
        }
        assert_eq!(weekday(ymd(2024, 3, 15)), 4); // a Friday
        assert_eq!(iso(ymd(2024, 2, 29)), "2024-02-29");
    }

    #[test]
    fn terms_follow_the_contract() {
        let cal = Calendar::new();
        assert_eq!(cal.terms.len(), 15);
        assert_eq!(cal.terms[0].code, "2020FA");
        assert_eq!(cal.terms[1].code, "2021SP");
        assert_eq!(cal.terms[2].code, "2021SU");
        assert_eq!(cal.terms[13].code, "2025SP");
        let sp25 = &cal.terms[13];
        let as_of = ymd(2025, 3, 15);
        assert!(sp25.start <= as_of && as_of <= sp25.end);
        for t in &cal.terms {
            assert_eq!(weekday(t.start), 0);
            assert!(t.census > t.start && t.census < t.end);
        }
        assert!(cal.is_holiday(nth_weekday(2023, 9, 0, 1)));
        assert!(cal.holidays.windows(2).all(|w| w[0].0 < w[1].0));
    }
}
