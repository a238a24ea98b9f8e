//! PostgreSQL's numeric functions that DataFusion 55 lacks or types differently:
//! `sign` (numeric → numeric, otherwise float8), `div` (the integer part of a quotient, as
//! numeric), `width_bucket` (the bucket of an operand among equal-width buckets, computed
//! exactly for numerics), and `ceiling` (PostgreSQL's other name for `ceil`).

use std::sync::Arc;

use arrow::array::{Array, ArrayRef, AsArray, Decimal128Array, Float64Array, Int32Array};
use arrow::datatypes::{DataType, Decimal128Type, Float64Type};
use datafusion::common::{DataFusionError, exec_err};
use datafusion::logical_expr::{
    ColumnarValue, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, Volatility,
};
use datafusion::prelude::SessionContext;

use crate::error::EngineError;
use crate::sqlfn::shape;

type Result<T> = datafusion::error::Result<T>;

pub fn register(ctx: &SessionContext) {
    ctx.register_udf(ScalarUDF::new_from_impl(Sign {
        signature: user_defined(),
    }));
    ctx.register_udf(ScalarUDF::new_from_impl(Div {
        signature: user_defined(),
    }));
    ctx.register_udf(ScalarUDF::new_from_impl(WidthBucket {
        signature: user_defined(),
    }));
    let ceil = datafusion::functions::math::ceil()
        .as_ref()
        .clone()
        .with_aliases(["ceiling"]);
    ctx.register_udf(ceil);
}

fn invalid(name: &'static str, message: &str) -> DataFusionError {
    DataFusionError::External(Box::new(EngineError::InvalidArgument {
        name,
        message: message.to_string(),
    }))
}

/// The scale of a decimal type (integers: 0); `None` for anything else.
fn exact_scale(t: &DataType) -> Option<i8> {
    match t {
        DataType::Decimal128(_, s) => Some(*s),
        t if t.is_integer() => Some(0),
        DataType::Null => Some(0),
        _ => None,
    }
}

/// Argument `i` as unscaled `i128`s at `scale`.
fn unscaled(args: &ScalarFunctionArgs, i: usize, scale: i8) -> Result<Vec<Option<i128>>> {
    let Some(value) = args.args.get(i) else {
        return exec_err!("missing argument {}", i + 1);
    };
    let array = arrow::compute::cast(
        &value.to_array(args.number_rows)?,
        &DataType::Decimal128(38, scale),
    )?;
    Ok(array.as_primitive::<Decimal128Type>().iter().collect())
}

fn floats(args: &ScalarFunctionArgs, i: usize) -> Result<Vec<Option<f64>>> {
    let Some(value) = args.args.get(i) else {
        return exec_err!("missing argument {}", i + 1);
    };
    let array = arrow::compute::cast(&value.to_array(args.number_rows)?, &DataType::Float64)?;
    Ok(array.as_primitive::<Float64Type>().iter().collect())
}

/// Each function coerces its own arguments (`coerce_types`).
fn user_defined() -> Signature {
    Signature::user_defined(Volatility::Immutable)
}

#[derive(Debug, PartialEq, Eq, Hash)]
struct Sign {
    signature: Signature,
}

impl ScalarUDFImpl for Sign {
    fn name(&self) -> &str {
        "sign"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn coerce_types(&self, args: &[DataType]) -> Result<Vec<DataType>> {
        match args {
            [t @ DataType::Decimal128(..)] => Ok(vec![t.clone()]),
            [t] if t.is_numeric() || t.is_null() => Ok(vec![DataType::Float64]),
            _ => exec_err!("sign takes one numeric argument"),
        }
    }

    fn return_type(&self, args: &[DataType]) -> Result<DataType> {
        Ok(match args {
            [t @ DataType::Decimal128(..)] => t.clone(),
            _ => DataType::Float64,
        })
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let array = args.args[0].to_array(args.number_rows)?;
        let out: ArrayRef = match array.data_type() {
            DataType::Decimal128(p, s) => {
                let one = 10_i128.pow(u32::from(s.unsigned_abs()));
                let values: Decimal128Array = array
                    .as_primitive::<Decimal128Type>()
                    .iter()
                    .map(|v| v.map(|v| v.signum() * one))
                    .collect();
                Arc::new(values.with_precision_and_scale(*p, *s)?)
            }
            _ => {
                let values: Float64Array = floats(&args, 0)?
                    .into_iter()
                    .map(|v| {
                        v.map(|v| {
                            if v == 0.0 || v.is_nan() {
                                v
                            } else {
                                v.signum()
                            }
                        })
                    })
                    .collect();
                Arc::new(values)
            }
        };
        shape(&args, out)
    }
}

#[derive(Debug, PartialEq, Eq, Hash)]
struct Div {
    signature: Signature,
}

impl ScalarUDFImpl for Div {
    fn name(&self) -> &str {
        "div"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn coerce_types(&self, args: &[DataType]) -> Result<Vec<DataType>> {
        match args {
            [a, b] if exact_scale(a).is_some() && exact_scale(b).is_some() => Ok(args.to_vec()),
            _ => exec_err!("div takes two integer or numeric arguments"),
        }
    }

    fn return_type(&self, _args: &[DataType]) -> Result<DataType> {
        Ok(DataType::Decimal128(38, 0))
    }

    /// `trunc(y / x)`, exactly: both at their larger scale, divided as integers.
    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let types: Vec<DataType> = args.args.iter().map(|a| a.data_type()).collect();
        let scale = types.iter().filter_map(exact_scale).max().unwrap_or(0);
        let (y, x) = (unscaled(&args, 0, scale)?, unscaled(&args, 1, scale)?);
        let out: Decimal128Array = y
            .into_iter()
            .zip(x)
            .map(|(y, x)| match (y, x) {
                (Some(_), Some(0)) => Err(DataFusionError::ArrowError(
                    Box::new(arrow::error::ArrowError::DivideByZero),
                    None,
                )),
                (Some(y), Some(x)) => Ok(Some(y / x)),
                _ => Ok(None),
            })
            .collect::<Result<_>>()?;
        shape(&args, Arc::new(out.with_precision_and_scale(38, 0)?))
    }
}

#[derive(Debug, PartialEq, Eq, Hash)]
struct WidthBucket {
    signature: Signature,
}

impl ScalarUDFImpl for WidthBucket {
    fn name(&self) -> &str {
        "width_bucket"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn coerce_types(&self, args: &[DataType]) -> Result<Vec<DataType>> {
        match args {
            [o, l, h, c]
                if [o, l, h].iter().all(|t| t.is_numeric() || t.is_null())
                    && (c.is_integer() || c.is_null()) =>
            {
                let exact = [o, l, h].iter().all(|t| exact_scale(t).is_some());
                let bound = if exact {
                    let scale = [o, l, h]
                        .iter()
                        .filter_map(|t| exact_scale(t))
                        .max()
                        .unwrap_or(0);
                    DataType::Decimal128(38, scale)
                } else {
                    DataType::Float64
                };
                Ok(vec![bound.clone(), bound.clone(), bound, DataType::Int32])
            }
            _ => exec_err!("width_bucket takes (operand, low, high, count)"),
        }
    }

    fn return_type(&self, _args: &[DataType]) -> Result<DataType> {
        Ok(DataType::Int32)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let counts = crate::sqlfn::int_arg(&args, 3)?;
        let rows = counts.len();
        let mut out = Vec::with_capacity(rows);
        match args.args[0].data_type() {
            DataType::Decimal128(_, scale) => {
                let (o, l, h) = (
                    unscaled(&args, 0, scale)?,
                    unscaled(&args, 1, scale)?,
                    unscaled(&args, 2, scale)?,
                );
                for row in 0..rows {
                    out.push(match (o[row], l[row], h[row], counts[row]) {
                        (Some(o), Some(l), Some(h), Some(c)) => Some(bucket_exact(o, l, h, c)?),
                        _ => None,
                    });
                }
            }
            _ => {
                let (o, l, h) = (floats(&args, 0)?, floats(&args, 1)?, floats(&args, 2)?);
                for row in 0..rows {
                    out.push(match (o[row], l[row], h[row], counts[row]) {
                        (Some(o), Some(l), Some(h), Some(c)) => Some(bucket_float(o, l, h, c)?),
                        _ => None,
                    });
                }
            }
        }
        shape(&args, Arc::new(Int32Array::from(out)))
    }
}

fn check_bounds(count: i32, equal: bool) -> Result<()> {
    if count <= 0 {
        return Err(invalid("width_bucket", "count must be greater than zero"));
    }
    if equal {
        return Err(invalid(
            "width_bucket",
            "lower bound cannot equal upper bound",
        ));
    }
    Ok(())
}

fn overflow(count: i32) -> Result<i32> {
    count
        .checked_add(1)
        .ok_or_else(|| invalid("width_bucket", "integer out of range"))
}

/// PostgreSQL's `width_bucket` of numerics: exact.
fn bucket_exact(o: i128, low: i128, high: i128, count: i32) -> Result<i32> {
    check_bounds(count, low == high)?;
    let (position, width) = if low < high {
        if o < low {
            return Ok(0);
        }
        if o >= high {
            return overflow(count);
        }
        (o - low, high - low)
    } else {
        if o > low {
            return Ok(0);
        }
        if o <= high {
            return overflow(count);
        }
        (low - o, low - high)
    };
    let scaled = position
        .checked_mul(i128::from(count))
        .ok_or_else(|| invalid("width_bucket", "value out of range"))?;
    Ok(i32::try_from(scaled / width).unwrap_or(i32::MAX - 1) + 1)
}

/// PostgreSQL's `width_bucket` of float8s (its arithmetic, in its order).
fn bucket_float(o: f64, low: f64, high: f64, count: i32) -> Result<i32> {
    if o.is_nan() || low.is_nan() || high.is_nan() || low.is_infinite() || high.is_infinite() {
        return Err(invalid(
            "width_bucket",
            "operand, lower bound, and upper bound cannot be NaN or infinity",
        ));
    }
    check_bounds(count, low == high)?;
    let c = f64::from(count);
    let result = if low < high {
        if o < low {
            return Ok(0);
        }
        if o >= high {
            return overflow(count);
        }
        ((o - low) / (high - low) * c) as i32
    } else {
        if o > low {
            return Ok(0);
        }
        if o <= high {
            return overflow(count);
        }
        ((low - o) / (low - high) * c) as i32
    };
    Ok(result.min(count - 1) + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn width_bucket_places_bounds_as_postgres_does() {
        // width_bucket(x, 0, 100, 10) at scale 2.
        let at = |x: i128| bucket_exact(x * 100, 0, 10_000, 10).expect("valid");
        assert_eq!(at(-1), 0);
        assert_eq!(at(0), 1);
        assert_eq!(at(9), 1);
        assert_eq!(at(10), 2);
        assert_eq!(at(99), 10);
        assert_eq!(at(100), 11);
        assert_eq!(bucket_exact(5, 10, 0, 5).expect("reversed"), 3);
        assert!(bucket_exact(5, 1, 1, 5).is_err());
        assert!(bucket_exact(5, 0, 10, 0).is_err());
        assert_eq!(bucket_float(5.35, 0.024, 10.06, 5).expect("float"), 3);
        assert_eq!(bucket_float(-0.5, 0.0, 1.0, 4).expect("below"), 0);
    }
}
