//! Casts to an integer that round as PostgreSQL rounds. DataFusion's casts cut the
//! fraction: `2.5::int` was 2 and `(-3.5)::numeric::int` -3, where PostgreSQL rounds a
//! `numeric` half away from zero (3, -4) and a `float8` half to even (`rint`: 2.5 → 2,
//! 3.5 → 4). The cast's operand is rounded first, so the cast itself cuts nothing.

use std::sync::Arc;

use arrow::array::{ArrayRef, AsArray};
use arrow::datatypes::{DataType, Float32Type, Float64Type};
use datafusion::common::{Result, exec_err};
use datafusion::functions::math::expr_fn::round;
use datafusion::logical_expr::{
    Cast, ColumnarValue, Expr, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, Volatility,
};

/// `CAST(x AS integer type)` rounding `x` (of type `from`) as PostgreSQL does, or `None`
/// when the cast cuts nothing.
pub fn rounded(x: Expr, from: &DataType, to: DataType) -> Option<Expr> {
    let rounded = match from {
        DataType::Decimal128(_, s) if *s > 0 => round(vec![x]),
        DataType::Float64 | DataType::Float32 => rint(x),
        _ => return None,
    };
    Some(Expr::Cast(Cast::new(Box::new(rounded), to)))
}

/// `rint(x)`: PostgreSQL's `round` of a `float8`.
pub fn rint(x: Expr) -> Expr {
    Arc::new(ScalarUDF::new_from_impl(Rint {
        signature: Signature::any(1, Volatility::Immutable),
    }))
    .call(vec![x])
}

/// PostgreSQL's `rint`: the nearest integer, half to even.
#[derive(Debug, PartialEq, Eq, Hash)]
struct Rint {
    signature: Signature,
}

impl ScalarUDFImpl for Rint {
    fn name(&self) -> &str {
        "lyceum_rint"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, args: &[DataType]) -> Result<DataType> {
        match args {
            [t @ (DataType::Float64 | DataType::Float32)] => Ok(t.clone()),
            _ => exec_err!("lyceum_rint takes a float"),
        }
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let arrays = ColumnarValue::values_to_arrays(&args.args)?;
        let [x] = arrays.as_slice() else {
            return exec_err!("lyceum_rint takes one value");
        };
        let out: ArrayRef = match x.data_type() {
            DataType::Float64 => Arc::new(
                x.as_primitive::<Float64Type>()
                    .unary::<_, Float64Type>(f64::round_ties_even),
            ),
            DataType::Float32 => Arc::new(
                x.as_primitive::<Float32Type>()
                    .unary::<_, Float32Type>(f32::round_ties_even),
            ),
            other => return exec_err!("lyceum_rint takes a float, not {other}"),
        };
        Ok(ColumnarValue::Array(out))
    }
}
