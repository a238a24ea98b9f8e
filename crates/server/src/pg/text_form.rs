//! PostgreSQL's text form of values whose Arrow rendering differs from it. arrow-pg
//! writes a `float8` with Rust's formatting (`2.0`, `inf`, `1e20`); PostgreSQL 15 writes
//! the shortest digits that read back to the same value, in fixed notation for decimal
//! exponents from -4 to 14 (`float4`: to 5) and otherwise as `1e+20`, and spells
//! `Infinity`, `-Infinity` and `NaN`. A `timestamp` has no `.000000` when its seconds
//! are whole. Columns sent in text format are rendered here, as text under their own
//! type OID; binary format sends the value unchanged.

use std::sync::Arc;

use arrow::array::{Array, ArrayRef, AsArray, StringBuilder};
use arrow::datatypes::{
    DataType, Decimal128Type, Field, Float32Type, Float64Type, Int32Type, Schema, TimeUnit,
    TimestampMicrosecondType,
};
use arrow::record_batch::RecordBatch;
use lyceum_engine::BPCHAR_LENGTH_KEY;
use lyceum_engine::numeric_display::{self, Layout};
use pgwire::api::Type;
use pgwire::api::results::{FieldFormat, FieldInfo};
use pgwire::error::PgWireResult;

use crate::error;

/// `batch` as clients see it: its hidden columns dropped, and its text-format numeric
/// (at each value's display scale), float and timestamp columns rendered as PostgreSQL
/// renders them. A binary-format numeric keeps its stored scale.
pub(crate) fn present(batch: RecordBatch, fields: &[FieldInfo]) -> PgWireResult<RecordBatch> {
    let schema = batch.schema();
    let layout = Layout::of(&schema);
    let text = |i: usize| {
        fields
            .get(i)
            .is_some_and(|f| f.format() == FieldFormat::Text)
    };
    // jsonb's binary form is a version byte before the text.
    let binary_jsonb = |i: usize| {
        fields
            .get(i)
            .is_some_and(|f| f.format() == FieldFormat::Binary && f.datatype() == &Type::JSONB)
    };
    // `char(n)`: padded to its length when shown.
    let bpchar = |i: usize| {
        schema
            .fields()
            .get(i)
            .and_then(|f| f.metadata().get(BPCHAR_LENGTH_KEY))
            .and_then(|n| n.parse::<usize>().ok())
    };
    let render = |i: usize, column: &ArrayRef| {
        column.data_type() == &DataType::Utf8 && bpchar(i).is_some()
            || text(i)
                && (layout.scales[i].is_some()
                    || matches!(
                        column.data_type(),
                        DataType::Float64 | DataType::Float32 | DataType::Timestamp(_, None)
                    ))
            || binary_jsonb(i) && column.data_type() == &DataType::Utf8
    };
    let hidden = layout.has_hidden(&schema);
    if !hidden
        && !batch
            .columns()
            .iter()
            .enumerate()
            .any(|(i, c)| render(i, c))
    {
        return Ok(batch);
    }
    let mut columns = Vec::with_capacity(layout.visible);
    let mut out_fields = Vec::with_capacity(layout.visible);
    for (i, (field, column)) in schema
        .fields()
        .iter()
        .zip(batch.columns())
        .take(layout.visible)
        .enumerate()
    {
        if render(i, column) {
            columns.push(match (layout.scales[i], column.data_type()) {
                (_, DataType::Utf8) => match bpchar(i) {
                    Some(n) => padded(column, n),
                    None => jsonb_binary(column),
                },
                (Some(scales), DataType::Decimal128(..)) => {
                    numeric_text(field.name(), column, batch.column(scales))?
                }
                (_, DataType::Timestamp(..)) => timestamp_text(column)?,
                (_, DataType::Float64 | DataType::Float32) => float_text(column),
                (_, other) => {
                    return Err(error::internal(format!(
                        "column {} of type {other} has a display scale",
                        field.name()
                    )));
                }
            });
            out_fields.push(Field::new(field.name(), DataType::Utf8, true));
        } else {
            columns.push(column.clone());
            out_fields.push(field.as_ref().clone());
        }
    }
    let schema = Arc::new(Schema::new_with_metadata(
        out_fields,
        schema.metadata().clone(),
    ));
    RecordBatch::try_new(schema, columns)
        .map_err(|e| error::internal(format!("cannot render a result batch: {e}")))
}

/// A `char(n)` column with each value padded with blanks to `n` characters.
fn padded(column: &ArrayRef, n: usize) -> ArrayRef {
    let values = column.as_string::<i32>();
    let out: arrow::array::StringArray = values
        .iter()
        .map(|v| {
            v.map(|text| {
                let missing = n.saturating_sub(text.chars().count());
                format!("{text}{}", " ".repeat(missing))
            })
        })
        .collect();
    Arc::new(out)
}

/// A `jsonb` column in the binary format: version 1, then the text.
fn jsonb_binary(column: &ArrayRef) -> ArrayRef {
    let values = column.as_string::<i32>();
    let out: arrow::array::StringArray = values
        .iter()
        .map(|v| v.map(|text| format!("\u{1}{text}")))
        .collect();
    Arc::new(out)
}

/// A numeric column written with each value's own display scale (`scales`, per row).
fn numeric_text(name: &str, column: &ArrayRef, scales: &ArrayRef) -> PgWireResult<ArrayRef> {
    let DataType::Decimal128(_, stored) = column.data_type() else {
        return Err(error::internal(format!("column {name} is not numeric")));
    };
    let values = column.as_primitive::<Decimal128Type>();
    let scales = scales
        .as_primitive_opt::<Int32Type>()
        .ok_or_else(|| error::internal(format!("the display scales of {name} are not int4")))?;
    let mut out = StringBuilder::with_capacity(column.len(), column.len() * 24);
    for i in 0..column.len() {
        if values.is_null(i) {
            out.append_null();
            continue;
        }
        if scales.is_null(i) {
            return Err(error::not_supported(format!(
                "column \"{name}\" cannot be shown as PostgreSQL would: Lyceum does not know \
                 the display scale of its numeric values after this operation (round them, or \
                 cast them to numeric(p,s))"
            )));
        }
        let text =
            numeric_display::text(values.value(i), *stored, scales.value(i)).ok_or_else(|| {
                error::internal(format!(
                    "column {name}: a value has more digits than its display scale"
                ))
            })?;
        out.append_value(text);
    }
    Ok(Arc::new(out.finish()))
}

/// PostgreSQL's `timestamp` output (ISO style): seconds' fraction only when it is not
/// zero, without trailing zeros (`2024-01-05 08:30:00`, `2024-01-05 08:30:00.25`).
fn timestamp_text(column: &ArrayRef) -> PgWireResult<ArrayRef> {
    // PostgreSQL keeps microseconds: nanoseconds (DataFusion's literals) are cut to them.
    let micros = arrow::compute::cast(column, &DataType::Timestamp(TimeUnit::Microsecond, None))
        .map_err(|e| error::internal(format!("cannot render a timestamp: {e}")))?;
    let values = micros.as_primitive::<TimestampMicrosecondType>();
    let mut out = StringBuilder::with_capacity(column.len(), column.len() * 19);
    for i in 0..column.len() {
        if column.is_null(i) {
            out.append_null();
            continue;
        }
        let t = values.value_as_datetime(i).ok_or_else(|| {
            error::internal(format!("timestamp {} is out of range", values.value(i)))
        })?;
        out.append_value(timestamp(t));
    }
    Ok(Arc::new(out.finish()))
}

pub(crate) fn timestamp(t: chrono::NaiveDateTime) -> String {
    use chrono::{Datelike, Timelike};
    let mut text = if t.year() < 1 {
        format!("{:04}{}", 1 - t.year(), t.format("-%m-%d %H:%M:%S"))
    } else {
        t.format("%Y-%m-%d %H:%M:%S").to_string()
    };
    let micros = t.nanosecond() / 1000;
    if micros != 0 {
        let fraction = format!("{micros:06}");
        text.push('.');
        text.push_str(fraction.trim_end_matches('0'));
    }
    if t.year() < 1 {
        text.push_str(" BC");
    }
    text
}

fn float_text(column: &ArrayRef) -> ArrayRef {
    let mut out = StringBuilder::with_capacity(column.len(), column.len() * 8);
    let mut text = String::new();
    for i in 0..column.len() {
        if column.is_null(i) {
            out.append_null();
            continue;
        }
        text.clear();
        match column.data_type() {
            DataType::Float32 => float4(column.as_primitive::<Float32Type>().value(i), &mut text),
            _ => float8(column.as_primitive::<Float64Type>().value(i), &mut text),
        }
        out.append_value(&text);
    }
    Arc::new(out.finish())
}

/// PostgreSQL's `float8out` (with the default `extra_float_digits = 1`).
pub(crate) fn float8(value: f64, out: &mut String) {
    shortest(
        value.is_nan(),
        value.is_infinite(),
        value.is_sign_negative(),
        || format!("{value:e}"),
        15,
        out,
    )
}

/// PostgreSQL's `float4out` (with the default `extra_float_digits = 1`).
pub(crate) fn float4(value: f32, out: &mut String) {
    shortest(
        value.is_nan(),
        value.is_infinite(),
        value.is_sign_negative(),
        || format!("{value:e}"),
        6,
        out,
    )
}

/// Lays out Rust's shortest round-trip digits (`{:e}`: `-1.25e-7`) as PostgreSQL does:
/// fixed notation when `-4 <= exponent < fixed_below`, else `d.ddde±XX`.
fn shortest(
    nan: bool,
    infinite: bool,
    negative: bool,
    scientific: impl FnOnce() -> String,
    fixed_below: i32,
    out: &mut String,
) {
    if nan {
        out.push_str("NaN");
        return;
    }
    if infinite {
        out.push_str(if negative { "-Infinity" } else { "Infinity" });
        return;
    }
    let text = scientific();
    let (mantissa, exponent) = text.split_once('e').unwrap_or((&text, "0"));
    let exponent: i32 = exponent.parse().unwrap_or(0);
    let (sign, mantissa) = match mantissa.strip_prefix('-') {
        Some(m) => ("-", m),
        None => ("", mantissa),
    };
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    out.push_str(sign);
    if digits.bytes().all(|d| d == b'0') {
        out.push('0');
        return;
    }
    if (-4..fixed_below).contains(&exponent) {
        if exponent < 0 {
            out.push_str("0.");
            out.extend(std::iter::repeat_n('0', (-exponent - 1) as usize));
            out.push_str(&digits);
        } else {
            let whole = exponent as usize + 1;
            if digits.len() <= whole {
                out.push_str(&digits);
                out.extend(std::iter::repeat_n('0', whole - digits.len()));
            } else {
                out.push_str(&digits[..whole]);
                out.push('.');
                out.push_str(&digits[whole..]);
            }
        }
    } else {
        out.push_str(&digits[..1]);
        if digits.len() > 1 {
            out.push('.');
            out.push_str(&digits[1..]);
        }
        out.push('e');
        out.push(if exponent < 0 { '-' } else { '+' });
        out.push_str(&format!("{:02}", exponent.abs()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f8(v: f64) -> String {
        let mut s = String::new();
        float8(v, &mut s);
        s
    }

    fn f4(v: f32) -> String {
        let mut s = String::new();
        float4(v, &mut s);
        s
    }

    /// Each expected text is what PostgreSQL 15 prints for the value.
    #[test]
    fn floats_print_as_postgresql_prints_them() {
        assert_eq!(f8(2.0), "2");
        assert_eq!(f8(0.1 + 0.2), "0.30000000000000004");
        assert_eq!(f8(-1.5), "-1.5");
        assert_eq!(f8(0.0), "0");
        assert_eq!(f8(-0.0), "-0");
        assert_eq!(f8(1e15), "1e+15");
        assert_eq!(f8(123456789012345.0), "123456789012345");
        assert_eq!(f8(0.0001), "0.0001");
        assert_eq!(f8(0.00001234), "1.234e-05");
        assert_eq!(f8(1.5e300), "1.5e+300");
        assert_eq!(f8(f64::INFINITY), "Infinity");
        assert_eq!(f8(f64::NEG_INFINITY), "-Infinity");
        assert_eq!(f8(f64::NAN), "NaN");
        assert_eq!(f8(1598227200.0), "1598227200");
        assert_eq!(f8(std::f64::consts::PI), "3.141592653589793");
        assert_eq!(f4(2.5), "2.5");
        assert_eq!(f4(1e6), "1e+06");
        assert_eq!(f4(123456.0), "123456");
        assert_eq!(f4(0.1), "0.1");
    }

    #[test]
    fn timestamps_print_as_postgresql_prints_them() {
        let at = |s: &str| {
            chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S%.f").expect("a timestamp")
        };
        assert_eq!(
            timestamp(at("2024-01-05 08:30:00.0")),
            "2024-01-05 08:30:00"
        );
        assert_eq!(
            timestamp(at("2024-01-05 08:30:00.25")),
            "2024-01-05 08:30:00.25"
        );
        assert_eq!(
            timestamp(at("2024-01-05 08:30:00.000001")),
            "2024-01-05 08:30:00.000001"
        );
    }
}
