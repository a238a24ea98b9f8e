//! Variances and standard deviations from rollups. A group's states are `n`, `Σx` and
//! `Σx²` of the non-null arguments, kept exactly (integer and decimal arguments only:
//! `Σx²` of a decimal is a decimal at twice its scale), so merged groups give exact
//! sums and `n·Σx² − (Σx)²` is computed without loss in 128-bit integers; only the last
//! division is in `float8`, as DataFusion's own `var`/`stddev` answer. (A float
//! argument's sums of squares would cancel catastrophically and are not kept.)

use std::sync::Arc;

use arrow::array::{Array, ArrayRef, AsArray, Float64Array};
use arrow::datatypes::{DataType, Int64Type};
use datafusion::error::{DataFusionError, Result};
use datafusion::logical_expr::{
    ColumnarValue, Expr, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, Volatility,
};

/// Which statistic: sample or population, variance or standard deviation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Statistic {
    VarSamp,
    VarPop,
    StddevSamp,
    StddevPop,
}

impl Statistic {
    /// The statistic DataFusion's aggregate `name` computes.
    pub fn of(name: &str) -> Option<Statistic> {
        Some(match name {
            "var" | "var_samp" | "var_sample" => Statistic::VarSamp,
            "var_pop" | "var_population" => Statistic::VarPop,
            "stddev" | "stddev_samp" => Statistic::StddevSamp,
            "stddev_pop" => Statistic::StddevPop,
            _ => return None,
        })
    }

    fn name(self) -> &'static str {
        match self {
            Statistic::VarSamp => "lyceum_rollup_var_samp",
            Statistic::VarPop => "lyceum_rollup_var_pop",
            Statistic::StddevSamp => "lyceum_rollup_stddev_samp",
            Statistic::StddevPop => "lyceum_rollup_stddev_pop",
        }
    }

    fn sample(self) -> bool {
        matches!(self, Statistic::VarSamp | Statistic::StddevSamp)
    }
}

/// The statistic of merged states: `count` (bigint), `sum` and `squares` (bigint or
/// decimal, `squares` at twice `sum`'s scale).
pub fn variance(statistic: Statistic, count: Expr, sum: Expr, squares: Expr) -> Expr {
    ScalarUDF::new_from_impl(Variance {
        statistic,
        signature: Signature::any(3, Volatility::Immutable),
    })
    .call(vec![count, sum, squares])
}

#[derive(Debug, PartialEq, Eq, Hash)]
struct Variance {
    statistic: Statistic,
    signature: Signature,
}

impl ScalarUDFImpl for Variance {
    fn name(&self) -> &str {
        // By the statistic: `var(x)` and `stddev(x)` of one query are two columns.
        self.statistic.name()
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _: &[DataType]) -> Result<DataType> {
        Ok(DataType::Float64)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let arrays = ColumnarValue::values_to_arrays(&args.args)?;
        let [count, sum, squares] = arrays.as_slice() else {
            return Err(internal("it takes a count, a sum and a sum of squares"));
        };
        let count = arrow::compute::cast(count, &DataType::Int64)?;
        let count = count.as_primitive::<Int64Type>();
        let (sums, sum_scale) = unscaled(sum)?;
        let (squares, squares_scale) = unscaled(squares)?;
        if squares_scale != 2 * sum_scale {
            return Err(internal(
                "its sum of squares is not at twice the sum's scale",
            ));
        }
        let out: Float64Array = (0..count.len())
            .map(|i| {
                if count.is_null(i) {
                    return None;
                }
                let n = count.value(i);
                let divisor = if self.statistic.sample() { n - 1 } else { n };
                if divisor <= 0 {
                    return None;
                }
                let (s, q) = (sums[i]?, squares[i]?);
                let spread = spread(n, s, q, squares_scale)?;
                let variance = spread / (n as f64) / (divisor as f64);
                Some(match self.statistic {
                    Statistic::VarSamp | Statistic::VarPop => variance,
                    Statistic::StddevSamp | Statistic::StddevPop => variance.sqrt(),
                })
            })
            .collect();
        Ok(ColumnarValue::Array(Arc::new(out) as ArrayRef))
    }
}

/// `n·Σx² − (Σx)²` (≥ 0), unscaled to a float: exact in 128-bit integers unless they
/// overflow (then in floats).
fn spread(n: i64, sum: i128, squares: i128, scale: i32) -> Option<f64> {
    let exact = i128::from(n)
        .checked_mul(squares)
        .and_then(|a| sum.checked_mul(sum).and_then(|b| a.checked_sub(b)));
    let unscale = 10f64.powi(scale);
    Some(match exact {
        Some(v) => (v as f64) / unscale,
        None => {
            let (s, q) = (sum as f64, squares as f64);
            ((n as f64) * q - s * s).max(0.0) / unscale
        }
    })
}

/// The values of a bigint or decimal column as unscaled integers, with their scale.
fn unscaled(array: &ArrayRef) -> Result<(Vec<Option<i128>>, i32)> {
    crate::aggregates::unscaled(array)?
        .ok_or_else(|| internal(&format!("a sum of type {}", array.data_type())))
}

fn internal(what: &str) -> DataFusionError {
    DataFusionError::Internal(format!("lyceum_rollup_variance: {what}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spread_is_exact_for_equal_values_and_matches_the_definition() {
        // 3.70 three times: no spread at all (floats would leave a remainder).
        assert_eq!(spread(3, 1110, 410_700, 4), Some(0.0));
        // {1, 2, 3, 4}: n·Σx² − (Σx)² = 4·30 − 100 = 20; var_samp = 20 / 4 / 3.
        let s = spread(4, 10, 30, 0).unwrap_or(f64::NAN);
        assert!((s / 4.0 / 3.0 - 5.0 / 3.0).abs() < 1e-15);
    }
}
