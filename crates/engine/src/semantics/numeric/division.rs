//! PostgreSQL's `numeric` division. DataFusion divides decimals at a fixed scale four
//! digits past the dividend's and drops the rest, so `1::numeric / 3` had 14 digits and a
//! GPA of 0.6142857… printed `0.614285`. PostgreSQL (`select_div_scale` in `numeric.c`)
//! picks each quotient's display scale from its operands: at least 16 significant
//! digits, `16 - 4 * qweight` where `qweight` estimates the quotient's weight in base
//! 10000, and never fewer than either operand's own scale; the quotient is rounded there,
//! half away from zero. Two functions give that here: `lyceum_numeric_div` the value
//! (stored at [`QUOTIENT_SCALE`] digits, zeros past its own scale) and
//! `lyceum_numeric_div_scale` the scale it is shown at. Both take the operands and the
//! scales the operands are shown at.

use std::sync::Arc;

use arrow::array::{Array, ArrayRef, AsArray, Decimal128Builder, Int32Array, Int32Builder};
use arrow::datatypes::{DataType, Decimal128Type, Int32Type, i256};
use arrow::error::ArrowError;
use datafusion::common::{DataFusionError, Result, exec_err};
use datafusion::logical_expr::{
    ColumnarValue, Expr, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, Volatility,
};

/// Digits after the point a quotient is stored with (when its operands have no more):
/// PostgreSQL's 16 significant digits for quotients down to 0.0001, with 14 digits left
/// before the point. A quotient that needs more is refused, never cut.
pub const QUOTIENT_SCALE: i8 = 24;

/// The name of the function giving a quotient's value.
pub const DIV: &str = "lyceum_numeric_div";
/// The name of the function giving the scale a quotient is shown at.
pub const DIV_SCALE: &str = "lyceum_numeric_div_scale";

/// `a / b` as PostgreSQL's numeric division, where `a` is shown with `a_scale` digits after
/// the point and `b` with `b_scale` (Int32 expressions).
pub fn div(a: Expr, b: Expr, a_scale: Expr, b_scale: Expr) -> Expr {
    udf(Output::Value).call(vec![a, b, a_scale, b_scale])
}

/// The scale PostgreSQL shows `a / b` at (the arguments of [`div`]).
pub fn div_scale(args: Vec<Expr>) -> Expr {
    udf(Output::Scale).call(args)
}

fn udf(output: Output) -> Arc<ScalarUDF> {
    Arc::new(ScalarUDF::new_from_impl(NumericDiv {
        output,
        signature: Signature::any(4, Volatility::Immutable),
    }))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Output {
    Value,
    Scale,
}

#[derive(Debug, PartialEq, Eq, Hash)]
struct NumericDiv {
    output: Output,
    signature: Signature,
}

/// The Arrow type of a quotient of operands of these types.
pub fn quotient_type(a: &DataType, b: &DataType) -> DataType {
    let scale = |t: &DataType| match t {
        DataType::Decimal128(_, s) => *s,
        _ => 0,
    };
    DataType::Decimal128(38, QUOTIENT_SCALE.max(scale(a)).max(scale(b)).min(38))
}

impl ScalarUDFImpl for NumericDiv {
    fn name(&self) -> &str {
        match self.output {
            Output::Value => DIV,
            Output::Scale => DIV_SCALE,
        }
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, args: &[DataType]) -> Result<DataType> {
        match (self.output, args) {
            (Output::Value, [a, b, ..]) => Ok(quotient_type(a, b)),
            (Output::Scale, _) => Ok(DataType::Int32),
            _ => exec_err!("{} takes two operands and their scales", self.name()),
        }
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let arrays = ColumnarValue::values_to_arrays(&args.args)?;
        let [a, b, a_scale, b_scale] = arrays.as_slice() else {
            return exec_err!("{} takes two operands and their scales", self.name());
        };
        let (a, b) = (decimal(a)?, decimal(b)?);
        let shown = |scales: &ArrayRef| -> Result<Int32Array> {
            let cast = arrow::compute::cast(scales, &DataType::Int32)?;
            Ok(cast.as_primitive::<Int32Type>().clone())
        };
        let (a_shown, b_shown) = (shown(a_scale)?, shown(b_scale)?);
        let rows = a.values.len();
        let operands = |i: usize| -> Option<(Decimal, Decimal, i32, i32)> {
            if a.values.is_null(i) || b.values.is_null(i) {
                return None;
            }
            let x = Decimal::new(a.values.value(i), a.scale);
            let y = Decimal::new(b.values.value(i), b.scale);
            // A scale not known is taken as the stored one (never more digits than kept).
            let xs = if a_shown.is_null(i) {
                a.scale as i32
            } else {
                a_shown.value(i)
            };
            let ys = if b_shown.is_null(i) {
                b.scale as i32
            } else {
                b_shown.value(i)
            };
            Some((x, y, xs, ys))
        };
        let array: ArrayRef = match self.output {
            Output::Scale => {
                let mut out = Int32Builder::with_capacity(rows);
                for i in 0..rows {
                    match operands(i) {
                        Some((x, y, xs, ys)) => out.append_value(division_scale(x, y, xs, ys)),
                        None => out.append_null(),
                    }
                }
                Arc::new(out.finish())
            }
            Output::Value => {
                let DataType::Decimal128(precision, scale) =
                    quotient_type(&a.data_type, &b.data_type)
                else {
                    return exec_err!("{DIV}: its quotient is not a decimal");
                };
                let mut out = Decimal128Builder::with_capacity(rows);
                for i in 0..rows {
                    match operands(i) {
                        Some((x, y, xs, ys)) => {
                            let shown = division_scale(x, y, xs, ys);
                            out.append_value(quotient(x, y, shown, scale).map_err(arrow_error)?)
                        }
                        None => out.append_null(),
                    }
                }
                Arc::new(
                    out.finish()
                        .with_precision_and_scale(precision, scale)
                        .map_err(|e| DataFusionError::ArrowError(Box::new(e), None))?,
                )
            }
        };
        Ok(ColumnarValue::Array(array))
    }
}

fn arrow_error(e: ArrowError) -> DataFusionError {
    DataFusionError::ArrowError(Box::new(e), None)
}

/// An operand column as decimals: its values, their scale and the column's type.
struct Operand {
    values: arrow::array::Decimal128Array,
    scale: i8,
    data_type: DataType,
}

fn decimal(array: &ArrayRef) -> Result<Operand> {
    let data_type = array.data_type().clone();
    let (values, scale) = match &data_type {
        DataType::Decimal128(_, s) => (array.clone(), *s),
        t if t.is_integer() || t.is_null() => (
            arrow::compute::cast(array, &DataType::Decimal128(38, 0))?,
            0,
        ),
        other => return exec_err!("{DIV}: {other} is not a numeric operand"),
    };
    Ok(Operand {
        values: values.as_primitive::<Decimal128Type>().clone(),
        scale,
        data_type,
    })
}

/// A decimal number: `unscaled` × 10^-`scale`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decimal {
    pub unscaled: i128,
    pub scale: i8,
}

impl Decimal {
    pub fn new(unscaled: i128, scale: i8) -> Self {
        Decimal { unscaled, scale }
    }
}

/// The weight of `v`'s first non-zero base-10000 digit and that digit (0 and 0 for zero),
/// as PostgreSQL's `NumericVar` has them.
fn weight_and_first_digit(v: Decimal) -> (i32, u128) {
    let m = v.unscaled.unsigned_abs();
    if m == 0 {
        return (0, 0);
    }
    let exponent = m.ilog10() as i32 - v.scale as i32;
    let weight = exponent.div_euclid(4);
    let shift = v.scale as i32 + 4 * weight;
    let first = if shift >= 0 {
        m / 10u128.pow(shift as u32)
    } else {
        m * 10u128.pow((-shift) as u32)
    };
    (weight, first)
}

/// PostgreSQL's `select_div_scale`: the digits after the point of `a / b`, where `a` is
/// shown with `a_scale` digits and `b` with `b_scale`.
pub fn division_scale(a: Decimal, b: Decimal, a_scale: i32, b_scale: i32) -> i32 {
    const MIN_SIG_DIGITS: i32 = 16;
    const MAX_DISPLAY_SCALE: i32 = 1000;
    let (w1, d1) = weight_and_first_digit(a);
    let (w2, d2) = weight_and_first_digit(b);
    let mut qweight = w1 - w2;
    if d1 <= d2 {
        qweight -= 1;
    }
    (MIN_SIG_DIGITS - 4 * qweight)
        .max(a_scale)
        .max(b_scale)
        .clamp(0, MAX_DISPLAY_SCALE)
}

fn ten_to(n: u32) -> Option<i256> {
    i256::from_i128(10).checked_pow(n)
}

fn out_of_range(what: &str) -> ArrowError {
    ArrowError::ArithmeticOverflow(format!("numeric division: {what}"))
}

/// `a / b` rounded half away from zero at `shown` digits after the point, stored with
/// `scale` digits. A quotient needing more digits than `scale`, or more than 38 in all,
/// is an error (22003), never cut.
pub fn quotient(a: Decimal, b: Decimal, shown: i32, scale: i8) -> Result<i128, ArrowError> {
    if b.unscaled == 0 {
        return Err(ArrowError::DivideByZero);
    }
    if shown > scale as i32 {
        return Err(out_of_range(&format!(
            "the quotient has {shown} digits after the decimal point; Lyceum keeps at most {scale}"
        )));
    }
    // a / b × 10^shown = a.unscaled × 10^(shown + b.scale - a.scale) / b.unscaled
    let shift = shown + b.scale as i32 - a.scale as i32;
    let mut n = i256::from_i128(a.unscaled);
    let mut d = i256::from_i128(b.unscaled);
    let too_large = || out_of_range("the quotient is too large");
    let power = ten_to(shift.unsigned_abs()).ok_or_else(too_large)?;
    if shift >= 0 {
        n = n.checked_mul(power).ok_or_else(too_large)?;
    } else {
        d = d.checked_mul(power).ok_or_else(too_large)?;
    }
    let mut q = n.checked_div(d).ok_or_else(too_large)?;
    let r = n.checked_rem(d).ok_or_else(too_large)?;
    // Round half away from zero: |2r| ≥ |d|.
    let twice = r.wrapping_abs().checked_mul(i256::from_i128(2));
    if twice.is_none_or(|t| t >= d.wrapping_abs()) {
        let away = if n.is_negative() != d.is_negative() {
            i256::from_i128(-1)
        } else {
            i256::from_i128(1)
        };
        q = q.checked_add(away).ok_or_else(too_large)?;
    }
    let stored = q
        .checked_mul(ten_to((scale as i32 - shown) as u32).ok_or_else(too_large)?)
        .and_then(|v| v.to_i128())
        .filter(|v| v.unsigned_abs() < 10u128.pow(38))
        .ok_or_else(too_large)?;
    Ok(stored)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(unscaled: i128, scale: i8) -> Decimal {
        Decimal::new(unscaled, scale)
    }

    /// The quotient as PostgreSQL prints it.
    fn pg(a: Decimal, b: Decimal) -> String {
        let shown = division_scale(a, b, a.scale as i32, b.scale as i32);
        let q = quotient(a, b, shown, 30).expect("a quotient");
        crate::semantics::numeric::display::text(q, 30, shown).expect("its text")
    }

    #[test]
    fn scales_follow_postgresql() {
        // Checked against PostgreSQL 15.
        assert_eq!(pg(d(1, 0), d(3, 0)), "0.33333333333333333333");
        assert_eq!(pg(d(10, 0), d(3, 0)), "3.3333333333333333");
        assert_eq!(pg(d(2, 0), d(3, 0)), "0.66666666666666666667");
        assert_eq!(pg(d(-2, 0), d(3, 0)), "-0.66666666666666666667");
        assert_eq!(pg(d(15, 1), d(1, 0)), "1.50000000000000000000");
        assert_eq!(pg(d(4, 0), d(2, 0)), "2.0000000000000000");
        assert_eq!(pg(d(0, 0), d(7, 0)), "0.00000000000000000000");
        assert_eq!(pg(d(1250, 2), d(4, 0)), "3.1250000000000000");
        assert_eq!(pg(d(100000, 0), d(3, 0)), "33333.333333333333");
        assert_eq!(pg(d(1, 0), d(30000, 0)), "0.000033333333333333333333");
        assert_eq!(pg(d(43, 0), d(55, 0)), "0.78181818181818181818");
        assert_eq!(pg(d(5, 1), d(25, 2)), "2.0000000000000000");
    }

    #[test]
    fn rounding_is_half_away_from_zero() {
        // 1/8 = 0.125 at 2 digits → 0.13; -1/8 → -0.13.
        assert_eq!(quotient(d(1, 0), d(8, 0), 2, 2).expect("a quotient"), 13);
        assert_eq!(quotient(d(-1, 0), d(8, 0), 2, 2).expect("a quotient"), -13);
        assert_eq!(quotient(d(1, 0), d(-8, 0), 2, 2).expect("a quotient"), -13);
        assert_eq!(quotient(d(1, 0), d(9, 0), 2, 2).expect("a quotient"), 11);
    }

    #[test]
    fn refuses_what_it_cannot_keep() {
        assert!(matches!(
            quotient(d(1, 0), d(0, 0), 20, 24),
            Err(ArrowError::DivideByZero)
        ));
        assert!(matches!(
            quotient(d(1, 0), d(3, 0), 30, 24),
            Err(ArrowError::ArithmeticOverflow(_))
        ));
        assert!(matches!(
            quotient(d(10i128.pow(20), 0), d(1, 0), 16, 24),
            Err(ArrowError::ArithmeticOverflow(_))
        ));
    }
}
