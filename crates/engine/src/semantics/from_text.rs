//! `to_date(text, template)`, `to_timestamp(text, template)` and `to_number(text,
//! template)` with PostgreSQL's template patterns (`YYYY`, `MM`, `DD`, `HH24`, `MI`, `SS`,
//! `Mon`, `Month`, `AM`, `9`, `0`, `D`, `G`, ...). DataFusion's functions of those names
//! take chrono formats, so `to_date('20210120', 'YYYYMMDD')` failed. As in PostgreSQL
//! (outside `FX` mode): a numeric field followed by another field reads its width of
//! digits, one followed by a separator reads all its digits; a separator in the template
//! matches one separator in the input or none; leading spaces before a field are skipped.
//! `to_timestamp(double)` keeps its epoch meaning. Text that does not fit the template is
//! an error, never a guess.

use std::sync::Arc;

use arrow::array::{Array, AsArray, Date32Array, Decimal128Array, TimestampMicrosecondArray};
use arrow::datatypes::{DataType, Field, FieldRef, Float64Type, TimeUnit};
use arrow::error::ArrowError;
use chrono::{NaiveDate, NaiveDateTime, NaiveTime};
use datafusion::common::{DataFusionError, ScalarValue, exec_err};
use datafusion::logical_expr::{
    ColumnarValue, ReturnFieldArgs, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature,
    Volatility,
};
use datafusion::prelude::SessionContext;

use super::to_char::{MONTHS, PATTERNS};
use crate::sqlfn::{shape, text_arg};

type Result<T> = datafusion::error::Result<T>;

pub fn register(ctx: &SessionContext) {
    ctx.register_udf(ScalarUDF::new_from_impl(FromText::new(Target::Date)));
    ctx.register_udf(ScalarUDF::new_from_impl(FromText::new(Target::Timestamp)));
    ctx.register_udf(ScalarUDF::new_from_impl(FromText::new(Target::Number)));
}

fn bad(message: String) -> DataFusionError {
    DataFusionError::ArrowError(Box::new(ArrowError::ParseError(message)), None)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Target {
    Date,
    Timestamp,
    Number,
}

#[derive(Debug, PartialEq, Eq, Hash)]
struct FromText {
    target: Target,
    signature: Signature,
}

impl FromText {
    fn new(target: Target) -> Self {
        Self {
            target,
            signature: Signature::user_defined(Volatility::Immutable),
        }
    }
}

fn timestamptz() -> DataType {
    DataType::Timestamp(TimeUnit::Microsecond, Some("+00:00".into()))
}

impl ScalarUDFImpl for FromText {
    fn name(&self) -> &str {
        match self.target {
            Target::Date => "to_date",
            Target::Timestamp => "to_timestamp",
            Target::Number => "to_number",
        }
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn coerce_types(&self, args: &[DataType]) -> Result<Vec<DataType>> {
        match (self.target, args) {
            (_, [_, _]) => Ok(vec![DataType::Utf8, DataType::Utf8]),
            (Target::Timestamp, [t]) if t.is_numeric() || t.is_null() => {
                Ok(vec![DataType::Float64])
            }
            _ => exec_err!("{}(text, template) takes two arguments", self.name()),
        }
    }

    fn return_type(&self, _args: &[DataType]) -> Result<DataType> {
        Ok(match self.target {
            Target::Date => DataType::Date32,
            Target::Timestamp => timestamptz(),
            Target::Number => DataType::Decimal128(38, 0),
        })
    }

    fn return_field_from_args(&self, args: ReturnFieldArgs) -> Result<FieldRef> {
        let data_type = match self.target {
            // The digits after the point are the template's: it must be a constant.
            Target::Number => match args.scalar_arguments.get(1) {
                Some(Some(ScalarValue::Utf8(Some(t)))) => {
                    DataType::Decimal128(38, number_scale(t)?)
                }
                Some(Some(v)) if v.is_null() => DataType::Decimal128(38, 0),
                _ => {
                    return Err(DataFusionError::NotImplemented(
                        "to_number with a template that is not a constant is not supported".into(),
                    ));
                }
            },
            _ => self.return_type(&[])?,
        };
        Ok(Arc::new(Field::new(self.name(), data_type, true)))
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        if self.target == Target::Timestamp && args.args.len() == 1 {
            return epoch(&args);
        }
        let texts = text_arg(&args, 0)?;
        let templates = text_arg(&args, 1)?;
        let rows = texts.iter().zip(&templates);
        let out: Arc<dyn Array> = match self.target {
            Target::Date => Arc::new(
                rows.map(|(t, f)| match (t, f) {
                    (Some(t), Some(f)) => read(t, f).and_then(|r| r.date()).map(|d| Some(days(d))),
                    _ => Ok(None),
                })
                .collect::<Result<Date32Array>>()?,
            ),
            Target::Timestamp => Arc::new(
                rows.map(|(t, f)| match (t, f) {
                    (Some(t), Some(f)) => read(t, f)
                        .and_then(|r| r.timestamp())
                        .map(|ts| Some(ts.and_utc().timestamp_micros())),
                    _ => Ok(None),
                })
                .collect::<Result<TimestampMicrosecondArray>>()?
                .with_timezone("+00:00"),
            ),
            Target::Number => {
                let DataType::Decimal128(_, scale) = args.return_field.data_type() else {
                    return exec_err!("to_number returns numeric");
                };
                let scale = *scale;
                Arc::new(
                    rows.map(|(t, f)| match (t, f) {
                        (Some(t), Some(f)) => number(t, f, scale).map(Some),
                        _ => Ok(None),
                    })
                    .collect::<Result<Decimal128Array>>()?
                    .with_precision_and_scale(38, scale)?,
                )
            }
        };
        shape(&args, out)
    }
}

fn days(d: NaiveDate) -> i32 {
    let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).unwrap_or_default();
    i32::try_from((d - epoch).num_days()).unwrap_or(i32::MAX)
}

/// `to_timestamp(seconds since 1970)`.
fn epoch(args: &ScalarFunctionArgs) -> Result<ColumnarValue> {
    let array = arrow::compute::cast(
        &args.args[0].to_array(args.number_rows)?,
        &DataType::Float64,
    )?;
    let out: TimestampMicrosecondArray = array
        .as_primitive::<Float64Type>()
        .iter()
        .map(|v| {
            v.map(|s| {
                let micros = (s * 1e6).round();
                if micros.is_finite() && micros.abs() < 9.2e18 {
                    Ok(micros as i64)
                } else {
                    Err(bad(format!("timestamp out of range: \"{s}\"")))
                }
            })
            .transpose()
        })
        .collect::<Result<_>>()?;
    shape(args, Arc::new(out.with_timezone("+00:00")))
}

/// What a template read from the text.
#[derive(Debug, Default)]
struct Fields {
    year: Option<i32>,
    month: Option<u32>,
    day: Option<u32>,
    day_of_year: Option<u32>,
    hour: Option<u32>,
    twelve_hour: bool,
    pm: Option<bool>,
    minute: Option<u32>,
    second: Option<u32>,
    micros: Option<u32>,
}

impl Fields {
    fn date(&self) -> Result<NaiveDate> {
        let year = self.year.unwrap_or(1);
        let date = match (self.day_of_year, self.month, self.day) {
            (Some(doy), None, None) => NaiveDate::from_yo_opt(year, doy),
            (_, month, day) => NaiveDate::from_ymd_opt(year, month.unwrap_or(1), day.unwrap_or(1)),
        };
        date.ok_or_else(|| bad("date/time field value out of range".into()))
    }

    fn timestamp(&self) -> Result<NaiveDateTime> {
        let mut hour = self.hour.unwrap_or(0);
        if self.twelve_hour || self.pm.is_some() {
            if !(1..=12).contains(&hour) && self.hour.is_some() {
                return Err(bad(format!(
                    "hour \"{hour}\" is invalid for the 12-hour clock"
                )));
            }
            hour %= 12;
            if self.pm == Some(true) {
                hour += 12;
            }
        }
        let time = NaiveTime::from_hms_micro_opt(
            hour,
            self.minute.unwrap_or(0),
            self.second.unwrap_or(0),
            self.micros.unwrap_or(0),
        )
        .ok_or_else(|| bad("date/time field value out of range".into()))?;
        Ok(self.date()?.and_time(time))
    }
}

/// The width of a numeric pattern's field, and whether it is one.
fn numeric_width(pattern: &str) -> Option<usize> {
    Some(match pattern {
        "YYYY" | "IYYY" => 4,
        "YYY" | "IYY" | "DDD" | "IDDD" | "MS" => 3,
        "YY" | "IY" | "MM" | "DD" | "HH" | "HH12" | "HH24" | "MI" | "SS" | "CC" | "WW" | "IW" => 2,
        "Y" | "I" | "D" | "ID" | "Q" | "W" => 1,
        "US" => 6,
        "J" => 9,
        _ => return None,
    })
}

/// Reads `text` by `template`.
fn read(text: &str, template: &str) -> Result<Fields> {
    let mut fields = Fields::default();
    let mut input = text;
    let mut rest = template;
    while !rest.is_empty() {
        // FM and TH change only how a value is printed.
        if let Some(r) = rest.strip_prefix("FM").or_else(|| rest.strip_prefix("fm")) {
            rest = r;
            continue;
        }
        if let Some(r) = rest.strip_prefix("TH").or_else(|| rest.strip_prefix("th")) {
            rest = r;
            input = input.trim_start_matches(|c: char| c.is_ascii_alphabetic());
            continue;
        }
        if let Some(quoted) = rest.strip_prefix('"') {
            let end = quoted.find('"').unwrap_or(quoted.len());
            let literal = &quoted[..end];
            for _ in literal.chars() {
                let mut chars = input.chars();
                chars.next();
                input = chars.as_str();
            }
            rest = quoted.get(end + 1..).unwrap_or("");
            continue;
        }
        let Some(pattern) = PATTERNS.iter().find(|p| rest.starts_with(**p)).copied() else {
            // A separator or another character: matches one such character, or none.
            let mut chars = rest.chars();
            let c = chars.next().unwrap_or(' ');
            rest = chars.as_str();
            if let Some(next) = input.chars().next()
                && (!next.is_alphanumeric() || next == c)
            {
                input = &input[next.len_utf8()..];
            }
            continue;
        };
        rest = &rest[pattern.len()..];
        input = input.trim_start_matches(' ');
        if let Some(width) = numeric_width(pattern) {
            // Before another field its width of digits; before a separator or the end, all.
            let next_is_field = PATTERNS.iter().any(|p| rest.starts_with(*p))
                || rest.starts_with("FM")
                || rest.chars().next().is_some_and(|c| c.is_ascii_digit());
            let limit = if next_is_field { width } else { usize::MAX };
            let negative = input.starts_with('-') && pattern.starts_with('Y');
            let digits_from = usize::from(negative);
            let count = input[digits_from..]
                .chars()
                .take_while(char::is_ascii_digit)
                .take(limit)
                .count();
            if count == 0 {
                return Err(bad(format!(
                    "invalid value \"{}\" for \"{pattern}\"",
                    input.chars().take(width).collect::<String>()
                )));
            }
            let digits = &input[digits_from..digits_from + count];
            input = &input[digits_from + count..];
            let value: i64 = digits.parse().map_err(|_| {
                bad(format!(
                    "value for \"{pattern}\" in the input is out of range"
                ))
            })?;
            let value = if negative { -value } else { value };
            let small = |v: i64| {
                u32::try_from(v).map_err(|_| bad(format!("invalid value for \"{pattern}\"")))
            };
            match pattern {
                "YYYY" | "IYYY" => {
                    fields.year =
                        Some(i32::try_from(value).map_err(|_| bad("year out of range".into()))?)
                }
                "YYY" | "IYY" => {
                    let v = i32::try_from(value).unwrap_or(0);
                    fields.year = Some(if count > 3 {
                        v
                    } else if v < 520 {
                        2000 + v
                    } else {
                        1000 + v
                    });
                }
                "YY" | "IY" => {
                    let v = i32::try_from(value).unwrap_or(0);
                    fields.year = Some(if count > 2 {
                        v
                    } else if v < 70 {
                        2000 + v
                    } else {
                        1900 + v
                    });
                }
                "Y" | "I" => fields.year = Some(2000 + i32::try_from(value).unwrap_or(0)),
                "MM" => fields.month = Some(small(value)?),
                "DD" => fields.day = Some(small(value)?),
                "DDD" | "IDDD" => fields.day_of_year = Some(small(value)?),
                "HH" | "HH12" => {
                    fields.hour = Some(small(value)?);
                    fields.twelve_hour = true;
                }
                "HH24" => fields.hour = Some(small(value)?),
                "MI" => fields.minute = Some(small(value)?),
                "SS" => fields.second = Some(small(value)?),
                "MS" => {
                    fields.micros = Some(small(value)? * 1000 * 10u32.pow(3 - count.min(3) as u32))
                }
                "US" => fields.micros = Some(small(value)? * 10u32.pow(6 - count.min(6) as u32)),
                // Week-based and other fields PostgreSQL reads but this does not use.
                _ => {
                    return Err(DataFusionError::NotImplemented(format!(
                        "the template pattern \"{pattern}\" is not supported when reading text"
                    )));
                }
            }
            continue;
        }
        match pattern {
            "MONTH" | "Month" | "month" | "MON" | "Mon" | "mon" => {
                let full = pattern.len() == 5;
                let lower = input.to_lowercase();
                let found = MONTHS.iter().enumerate().find_map(|(i, m)| {
                    let name = if full {
                        m.to_lowercase()
                    } else {
                        m[..3].to_lowercase()
                    };
                    lower.starts_with(&name).then_some((i, name.len()))
                });
                let Some((index, len)) = found else {
                    return Err(bad(format!(
                        "invalid value \"{}\" for \"{pattern}\"",
                        input.chars().take(3).collect::<String>()
                    )));
                };
                fields.month = Some(u32::try_from(index).unwrap_or(0) + 1);
                input = &input[len..];
            }
            "AM" | "am" | "PM" | "pm" | "A.M." | "a.m." | "P.M." | "p.m." => {
                let upper: String = input
                    .chars()
                    .take(pattern.len())
                    .collect::<String>()
                    .to_uppercase();
                let pm = match upper.replace('.', "").as_str() {
                    "AM" => false,
                    "PM" => true,
                    _ => return Err(bad(format!("invalid value \"{upper}\" for \"{pattern}\""))),
                };
                fields.pm = Some(pm);
                input = &input[upper.len().min(input.len())..];
            }
            _ => {
                return Err(DataFusionError::NotImplemented(format!(
                    "the template pattern \"{pattern}\" is not supported when reading text"
                )));
            }
        }
    }
    Ok(fields)
}

/// The digits after the decimal point a `to_number` template has (`D` or `.`).
fn number_scale(template: &str) -> Result<i8> {
    let after = template
        .find(['D', '.'])
        .map(|i| {
            template[i + 1..]
                .chars()
                .filter(|c| *c == '9' || *c == '0')
                .count()
        })
        .unwrap_or(0);
    i8::try_from(after)
        .ok()
        .filter(|s| *s <= 38)
        .ok_or_else(|| bad(format!("too many digits in the template \"{template}\"")))
}

/// `to_number(text, template)` at `scale`: the template's digit positions read in order
/// (`9`, `0`), `D`/`.` the decimal point, `G`/`,` a group separator, a minus sign
/// anywhere before the digits; other template characters skip one input character.
fn number(text: &str, template: &str, scale: i8) -> Result<i128> {
    let mut input = text.trim_start().chars().peekable();
    let mut negative = false;
    let mut whole = String::new();
    let mut fraction = String::new();
    let mut after_point = false;
    let mut template_chars = template.chars().peekable();
    while let Some(t) = template_chars.next() {
        if input.peek() == Some(&'-') && whole.is_empty() && fraction.is_empty() {
            negative = true;
            input.next();
        }
        match t {
            '9' | '0' => match input.peek() {
                Some(c) if c.is_ascii_digit() => {
                    if after_point {
                        fraction.push(*c);
                    } else {
                        whole.push(*c);
                    }
                    input.next();
                }
                Some(' ') => {
                    input.next();
                }
                _ => {}
            },
            'D' | '.' => {
                after_point = true;
                if input.peek() == Some(&'.') {
                    input.next();
                }
            }
            'G' | ',' => {
                if input.peek() == Some(&',') {
                    input.next();
                }
            }
            'S' | 'M' | 'P' | 'L' | 'F' | 'I' | 'R' | 'V' | 'E' => {
                // Sign, currency, FM and friends: a sign in the input was read above.
                if t == 'M' {
                    template_chars.next_if_eq(&'I');
                }
                if t == 'F' {
                    template_chars.next_if_eq(&'M');
                }
            }
            _ => {
                input.next();
            }
        }
    }
    if whole.is_empty() && fraction.is_empty() {
        return Err(bad(format!(
            "invalid input syntax for type numeric: \"{text}\""
        )));
    }
    let scale_digits = usize::from(scale.unsigned_abs());
    let mut digits = whole;
    let mut kept: String = fraction.chars().take(scale_digits).collect();
    while kept.len() < scale_digits {
        kept.push('0');
    }
    digits.push_str(&kept);
    // The template reads no more fraction digits than its scale: nothing to round.
    let value: i128 = if digits.is_empty() {
        0
    } else {
        digits
            .parse()
            .map_err(|_| bad(format!("numeric field overflow: \"{text}\"")))?
    };
    Ok(if negative { -value } else { value })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(text: &str, template: &str) -> String {
        read(text, template)
            .and_then(|f| f.date())
            .map(|d| d.to_string())
            .unwrap_or_else(|e| format!("error: {e}"))
    }

    fn timestamp(text: &str, template: &str) -> String {
        read(text, template)
            .and_then(|f| f.timestamp())
            .map(|t| t.to_string())
            .unwrap_or_else(|e| format!("error: {e}"))
    }

    #[test]
    fn dates_read_as_postgresql_reads_them() {
        assert_eq!(date("20210120", "YYYYMMDD"), "2021-01-20");
        assert_eq!(date("2023-07-01", "YYYY-MM-DD"), "2023-07-01");
        assert_eq!(date("30 Jun 2024", "DD Mon YYYY"), "2024-06-30");
        assert_eq!(date("5/7/2024", "DD/MM/YYYY"), "2024-07-05");
        assert_eq!(date("March 3, 2024", "Month DD, YYYY"), "2024-03-03");
        assert_eq!(date("24-02-29", "YY-MM-DD"), "2024-02-29");
        assert!(date("2023-02-30", "YYYY-MM-DD").starts_with("error"));
        assert!(date("abc", "YYYY").starts_with("error"));
    }

    #[test]
    fn timestamps_read_hours_minutes_and_the_twelve_hour_clock() {
        assert_eq!(
            timestamp("20230828 0915", "YYYYMMDD HH24MI"),
            "2023-08-28 09:15:00"
        );
        assert_eq!(
            timestamp("28/08/2023 17:05:09", "DD/MM/YYYY HH24:MI:SS"),
            "2023-08-28 17:05:09"
        );
        assert_eq!(
            timestamp("2023-08-28 05:30 PM", "YYYY-MM-DD HH:MI AM"),
            "2023-08-28 17:30:00"
        );
        assert_eq!(
            timestamp("2023-08-28 12:00 AM", "YYYY-MM-DD HH12:MI AM"),
            "2023-08-28 00:00:00"
        );
    }

    #[test]
    fn numbers_read_digits_groups_and_the_point() {
        assert_eq!(number_scale("9G999D99").expect("scale"), 2);
        assert_eq!(number("1,234.50", "9G999D99", 2).expect("number"), 123_450);
        assert_eq!(number("1010", "9999", 0).expect("number"), 1010);
        assert_eq!(number("-12.34", "99D99", 2).expect("number"), -1234);
        assert!(number("abc", "999", 0).is_err());
    }
}
