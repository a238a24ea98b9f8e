//! `to_char(date | timestamp, template)` with PostgreSQL's template patterns. DataFusion's
//! `to_char` reads chrono patterns, so `to_char(d, 'YYYY-MM-DD')` gave the text
//! `YYYY-MM-DD` back: a different answer without an error. This one replaces it; what it
//! does not format as PostgreSQL does (numbers, intervals, time zones) is refused.
//!
//! Patterns: `HH HH12 HH24 MI SS MS US AM PM am pm A.M. P.M. a.m. p.m. YYYY YYY YY Y Y,YYY
//! IYYY IYY IY I BC AD MONTH Month month MON Mon mon MM DAY Day day DY Dy dy DDD IDDD DD D
//! ID W WW IW CC J Q RM rm`, with the `FM` prefix (no padding) and the `TH`/`th` suffix
//! (ordinal); `"text"` and `\` escape literal text; anything else is copied.

use std::sync::Arc;

use arrow::array::{Array, ArrayRef, AsArray, StringBuilder};
use arrow::datatypes::{DataType, TimeUnit, TimestampMicrosecondType};
use chrono::{Datelike, NaiveDateTime, Timelike};
use datafusion::common::{Result, ScalarValue, exec_err, not_impl_err};
use datafusion::logical_expr::{
    ColumnarValue, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, Volatility,
};

#[derive(Debug, PartialEq, Eq, Hash)]
pub struct ToChar {
    signature: Signature,
    aliases: Vec<String>,
}

/// The function, also under DataFusion's alias for its own `to_char` (`date_format`), so
/// that no name still leads to DataFusion's, whatever order a session's functions are
/// registered in again.
pub fn udf() -> ScalarUDF {
    ScalarUDF::new_from_impl(ToChar {
        signature: Signature::any(2, Volatility::Immutable),
        aliases: vec!["date_format".to_string()],
    })
}

impl ScalarUDFImpl for ToChar {
    fn name(&self) -> &str {
        "to_char"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn aliases(&self) -> &[String] {
        &self.aliases
    }

    fn return_type(&self, args: &[DataType]) -> Result<DataType> {
        match args {
            [DataType::Date32 | DataType::Timestamp(_, None), text] if is_text(text) => {
                Ok(DataType::Utf8)
            }
            [DataType::Null, _] | [_, DataType::Null] => Ok(DataType::Utf8),
            [value, _] => not_impl_err!(
                "to_char of {value} is not supported (only dates and timestamps without time zone)"
            ),
            _ => exec_err!("to_char takes a value and a template"),
        }
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let rows = args.number_rows;
        let [value, template] = args.args.as_slice() else {
            return exec_err!("to_char takes a value and a template");
        };
        let scalar = matches!(
            (value, template),
            (ColumnarValue::Scalar(_), ColumnarValue::Scalar(_))
        );
        let values = value.to_array(rows)?;
        let values = match values.data_type() {
            DataType::Null => return Ok(ColumnarValue::Scalar(ScalarValue::Utf8(None))),
            _ => arrow::compute::cast(&values, &DataType::Timestamp(TimeUnit::Microsecond, None))?,
        };
        let templates = arrow::compute::cast(&template.to_array(rows)?, &DataType::Utf8)?;
        let templates = templates.as_string::<i32>();
        let times = values.as_primitive::<TimestampMicrosecondType>();
        let mut out = StringBuilder::with_capacity(rows, rows * 16);
        for i in 0..values.len() {
            if times.is_null(i) || templates.is_null(i) {
                out.append_null();
                continue;
            }
            let Some(t) = times.value_as_datetime(i) else {
                return exec_err!("to_char: timestamp {} is out of range", times.value(i));
            };
            out.append_value(format(t, templates.value(i)));
        }
        let array: ArrayRef = Arc::new(out.finish());
        if scalar {
            Ok(ColumnarValue::Scalar(ScalarValue::try_from_array(
                &array, 0,
            )?))
        } else {
            Ok(ColumnarValue::Array(array))
        }
    }
}

fn is_text(t: &DataType) -> bool {
    matches!(t, DataType::Utf8 | DataType::Utf8View | DataType::LargeUtf8)
}

/// The patterns, longest first where one is a prefix of another.
pub(super) const PATTERNS: &[&str] = &[
    "A.M.", "a.m.", "P.M.", "p.m.", "Y,YYY", "HH24", "HH12", "IYYY", "YYYY", "MONTH", "Month",
    "month", "IDDD", "HH", "MI", "SS", "MS", "US", "AM", "am", "PM", "pm", "IYY", "YYY", "IY",
    "YY", "BC", "bc", "AD", "ad", "MON", "Mon", "mon", "MM", "DAY", "Day", "day", "DY", "Dy", "dy",
    "DDD", "DD", "ID", "IW", "WW", "CC", "RM", "rm", "I", "Y", "D", "W", "J", "Q",
];

pub(super) const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];
const DAYS: [&str; 7] = [
    "Sunday",
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
];
const ROMAN: [&str; 12] = [
    "I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII",
];

/// `t` formatted by PostgreSQL's template `template`.
pub fn format(t: NaiveDateTime, template: &str) -> String {
    let mut out = String::new();
    let mut rest = template;
    while !rest.is_empty() {
        let mut fill = false;
        if let Some(r) = rest.strip_prefix("FM") {
            fill = true;
            rest = r;
        }
        if let Some(r) = rest.strip_prefix("FX") {
            rest = r;
        }
        if let Some(pattern) = PATTERNS.iter().find(|p| rest.starts_with(**p)) {
            rest = &rest[pattern.len()..];
            let (text, number) = field(t, pattern, fill);
            out.push_str(&text);
            for (suffix, upper) in [("TH", true), ("th", false)] {
                if let Some(r) = rest.strip_prefix(suffix) {
                    rest = r;
                    if let Some(n) = number {
                        out.push_str(&ordinal(n, upper));
                    }
                }
            }
            continue;
        }
        let mut chars = rest.chars();
        match chars.next() {
            Some('"') => {
                let mut escaped = false;
                let mut consumed = 1;
                for c in chars {
                    consumed += c.len_utf8();
                    match (escaped, c) {
                        (false, '\\') => escaped = true,
                        (false, '"') => break,
                        _ => {
                            out.push(c);
                            escaped = false;
                        }
                    }
                }
                rest = &rest[consumed.min(rest.len())..];
            }
            Some('\\') => {
                let next = chars.next();
                if let Some(c) = next {
                    out.push(c);
                }
                rest = &rest[1 + next.map_or(0, char::len_utf8)..];
            }
            Some(c) => {
                out.push(c);
                rest = &rest[c.len_utf8()..];
            }
            None => break,
        }
    }
    out
}

fn padded(n: i64, width: usize, fill: bool) -> String {
    if fill {
        n.to_string()
    } else if n < 0 {
        format!("-{:0width$}", -n, width = width.saturating_sub(1))
    } else {
        format!("{n:0width$}")
    }
}

fn name(word: &str, case: &str, fill: bool) -> String {
    let cased = match case {
        "upper" => word.to_uppercase(),
        "lower" => word.to_lowercase(),
        _ => word.to_string(),
    };
    if fill { cased } else { format!("{cased:<9}") }
}

/// One pattern's text, and its number when `TH` may follow it.
fn field(t: NaiveDateTime, pattern: &str, fill: bool) -> (String, Option<i64>) {
    let year = i64::from(t.year());
    let iso = t.iso_week();
    let hour12 = match t.hour() % 12 {
        0 => 12,
        h => i64::from(h),
    };
    let pm = t.hour() >= 12;
    let month = t.month0() as usize;
    let weekday = t.weekday().num_days_from_sunday() as usize;
    let number = |n: i64, width: usize| (padded(n, width, fill), Some(n));
    match pattern {
        "HH" | "HH12" => number(hour12, 2),
        "HH24" => number(i64::from(t.hour()), 2),
        "MI" => number(i64::from(t.minute()), 2),
        "SS" => number(i64::from(t.second()), 2),
        "MS" => number(i64::from(t.nanosecond() / 1_000_000), 3),
        "US" => number(i64::from(t.nanosecond() / 1_000), 6),
        "AM" | "PM" => ((if pm { "PM" } else { "AM" }).into(), None),
        "am" | "pm" => ((if pm { "pm" } else { "am" }).into(), None),
        "A.M." | "P.M." => ((if pm { "P.M." } else { "A.M." }).into(), None),
        "a.m." | "p.m." => ((if pm { "p.m." } else { "a.m." }).into(), None),
        "YYYY" => number(year, 4),
        "Y,YYY" => (format!("{},{:03}", year / 1000, year % 1000), Some(year)),
        "YYY" => number(year % 1000, 3),
        "YY" => number(year % 100, 2),
        "Y" => number(year % 10, 1),
        "IYYY" => number(i64::from(iso.year()), 4),
        "IYY" => number(i64::from(iso.year()) % 1000, 3),
        "IY" => number(i64::from(iso.year()) % 100, 2),
        "I" => number(i64::from(iso.year()) % 10, 1),
        "BC" | "AD" => ((if year <= 0 { "BC" } else { "AD" }).into(), None),
        "bc" | "ad" => ((if year <= 0 { "bc" } else { "ad" }).into(), None),
        "MONTH" => (name(MONTHS[month], "upper", fill), None),
        "Month" => (name(MONTHS[month], "", fill), None),
        "month" => (name(MONTHS[month], "lower", fill), None),
        "MON" => (MONTHS[month][..3].to_uppercase(), None),
        "Mon" => (MONTHS[month][..3].to_string(), None),
        "mon" => (MONTHS[month][..3].to_lowercase(), None),
        "MM" => number(month as i64 + 1, 2),
        "DAY" => (name(DAYS[weekday], "upper", fill), None),
        "Day" => (name(DAYS[weekday], "", fill), None),
        "day" => (name(DAYS[weekday], "lower", fill), None),
        "DY" => (DAYS[weekday][..3].to_uppercase(), None),
        "Dy" => (DAYS[weekday][..3].to_string(), None),
        "dy" => (DAYS[weekday][..3].to_lowercase(), None),
        "DDD" => number(i64::from(t.ordinal()), 3),
        "IDDD" => number(
            i64::from((iso.week() - 1) * 7 + t.weekday().number_from_monday()),
            3,
        ),
        "DD" => number(i64::from(t.day()), 2),
        "D" => number(weekday as i64 + 1, 1),
        "ID" => number(i64::from(t.weekday().number_from_monday()), 1),
        "W" => number(i64::from((t.day() - 1) / 7 + 1), 1),
        "WW" => number(i64::from((t.ordinal() - 1) / 7 + 1), 2),
        "IW" => number(i64::from(iso.week()), 2),
        "CC" => {
            let century = if year > 0 {
                (year + 99) / 100
            } else {
                -((99 - year) / 100)
            };
            number(century, 2)
        }
        "J" => number(i64::from(t.num_days_from_ce()) + 1_721_425, 1),
        "Q" => number(month as i64 / 3 + 1, 1),
        "RM" => (roman(ROMAN[month].to_string(), fill), None),
        "rm" => (roman(ROMAN[month].to_lowercase(), fill), None),
        _ => (pattern.to_string(), None),
    }
}

/// A month in Roman numerals, blank-padded to 4 unless `fill`.
fn roman(numeral: String, fill: bool) -> String {
    if fill {
        numeral
    } else {
        format!("{numeral:<4}")
    }
}

fn ordinal(n: i64, upper: bool) -> String {
    let suffix = match (n % 100, n % 10) {
        (11..=13, _) => "th",
        (_, 1) => "st",
        (_, 2) => "nd",
        (_, 3) => "rd",
        _ => "th",
    };
    if upper {
        suffix.to_uppercase()
    } else {
        suffix.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S%.f").expect("a timestamp")
    }

    /// Each expected text is what PostgreSQL 15 prints.
    #[test]
    fn templates_format_as_postgresql_formats_them() {
        let d = at("2020-08-24 00:00:00");
        assert_eq!(format(d, "YYYY-MM-DD"), "2020-08-24");
        assert_eq!(format(d, "Dy, DD Mon YYYY"), "Mon, 24 Aug 2020");
        assert_eq!(
            format(d, "FMDay, FMMonth FMDD, YYYY"),
            "Monday, August 24, 2020"
        );
        assert_eq!(
            format(at("2020-09-09 00:00:00"), "FMDDth \"of\" FMMonth"),
            "9th of September"
        );
        assert_eq!(
            format(at("2020-09-09 00:00:00"), "DDD Q FMMMth"),
            "253 3 9th"
        );
        assert_eq!(
            format(at("2020-12-26 00:00:00"), "IYYY-\"W\"IW-ID"),
            "2020-W52-6"
        );
        assert_eq!(
            format(at("2020-12-26 00:00:00"), "YYYY \"wk\" WW"),
            "2020 wk 52"
        );
        let j = at("2021-01-03 00:00:00");
        assert_eq!(format(j, "Month|MON|[Day]"), "January  |JAN|[Sunday   ]");
        let t = at("2020-08-24 13:45:30.25");
        assert_eq!(format(t, "YYYY-MM-DD HH24:MI:SS"), "2020-08-24 13:45:30");
        assert_eq!(format(t, "HH12:MI AM Dy"), "01:45 PM Mon");
        assert_eq!(format(t, "HH24:MI:SS.MS"), "13:45:30.250");
        assert_eq!(format(at("2020-10-01 00:00:00"), "YYYY\"Q\"Q"), "2020Q4");
        assert_eq!(format(at("2023-11-21 00:00:00"), "DDth DDTH"), "21st 21ST");
        assert_eq!(format(at("2023-11-12 00:00:00"), "FMDDth"), "12th");
        assert_eq!(
            format(at("2023-11-05 00:00:00"), "J CC RM"),
            "2460254 21 XI  "
        );
    }
}
