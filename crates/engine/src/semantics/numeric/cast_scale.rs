//! The display scale of `x::numeric` for text and floats, where PostgreSQL keeps the digits
//! the value was written with: `'12.50'::numeric` is `12.50`, `3.14159::numeric` (a float
//! here) `3.14159`. Text counts its digits after the point (less an exponent); a `float8`
//! is written with 15 significant digits first (`float8_numeric`), a `float4` with 6. A
//! value needing more digits than the cast keeps has no known scale (NULL), so it is
//! refused when shown rather than printed cut.

use std::sync::Arc;

use arrow::array::{Array, ArrayRef, AsArray, Int32Builder};
use arrow::datatypes::{DataType, Float32Type, Float64Type};
use datafusion::common::{Result, exec_err};
use datafusion::logical_expr::{
    ColumnarValue, Expr, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, Volatility,
};

/// The scale PostgreSQL gives `source::numeric`, where the cast keeps `kept` digits.
pub fn cast_scale(source: Expr, kept: i32) -> Expr {
    Arc::new(ScalarUDF::new_from_impl(CastScale {
        kept,
        signature: Signature::any(1, Volatility::Immutable),
    }))
    .call(vec![source])
}

#[derive(Debug, PartialEq, Eq, Hash)]
struct CastScale {
    kept: i32,
    signature: Signature,
}

impl ScalarUDFImpl for CastScale {
    fn name(&self) -> &str {
        "lyceum_numeric_cast_scale"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _: &[DataType]) -> Result<DataType> {
        Ok(DataType::Int32)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let arrays = ColumnarValue::values_to_arrays(&args.args)?;
        let [source] = arrays.as_slice() else {
            return exec_err!("lyceum_numeric_cast_scale takes one value");
        };
        let mut out = Int32Builder::with_capacity(source.len());
        for i in 0..source.len() {
            let scale = if source.is_null(i) {
                None
            } else {
                scale_at(source, i)?
            };
            out.append_option(scale.filter(|s| *s <= self.kept));
        }
        let array: ArrayRef = Arc::new(out.finish());
        Ok(ColumnarValue::Array(array))
    }
}

fn scale_at(source: &ArrayRef, i: usize) -> Result<Option<i32>> {
    Ok(match source.data_type() {
        DataType::Float64 => Some(float_scale(&format!(
            "{:.14e}",
            source.as_primitive::<Float64Type>().value(i)
        ))),
        DataType::Float32 => Some(float_scale(&format!(
            "{:.5e}",
            source.as_primitive::<Float32Type>().value(i)
        ))),
        DataType::Utf8 => text_scale(source.as_string::<i32>().value(i)),
        DataType::LargeUtf8 => text_scale(source.as_string::<i64>().value(i)),
        DataType::Utf8View => text_scale(source.as_string_view().value(i)),
        _ => None,
    })
}

/// Digits after the point of a number in Rust's `{:e}` form (`1.25000e-3` → 5).
fn float_scale(text: &str) -> i32 {
    let (mantissa, exponent) = text.split_once('e').unwrap_or((text, "0"));
    let exponent: i32 = exponent.parse().unwrap_or(0);
    let fraction = mantissa
        .split_once('.')
        .map(|(_, f)| f.trim_end_matches('0').len() as i32)
        .unwrap_or(0);
    (fraction - exponent).max(0)
}

/// Digits after the point PostgreSQL's `numeric_in` keeps for `text` (`None`: not a number).
pub fn text_scale(text: &str) -> Option<i32> {
    let text = text.trim();
    if text.eq_ignore_ascii_case("nan") {
        return Some(0);
    }
    let (mantissa, exponent) = match text.find(['e', 'E']) {
        Some(at) => (&text[..at], text[at + 1..].parse::<i32>().ok()?),
        None => (text, 0),
    };
    let fraction = mantissa
        .split_once('.')
        .map(|(_, f)| f.len() as i32)
        .unwrap_or(0);
    Some((fraction - exponent).max(0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scales_as_postgresql_keeps_them() {
        assert_eq!(text_scale("12.50"), Some(2));
        assert_eq!(text_scale(" 3 "), Some(0));
        assert_eq!(text_scale("1.5e-3"), Some(4));
        assert_eq!(text_scale("1.5E3"), Some(0));
        assert_eq!(text_scale("-0.000"), Some(3));
        assert_eq!(float_scale(&format!("{:.14e}", 1.23456f64)), 5);
        assert_eq!(float_scale(&format!("{:.14e}", 0.1f64)), 1);
        assert_eq!(float_scale(&format!("{:.14e}", 100.0f64)), 0);
        assert_eq!(float_scale(&format!("{:.14e}", 1.0f64 / 3.0)), 15);
    }
}
