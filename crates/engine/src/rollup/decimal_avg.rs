//! The average of a decimal, finished from merged states exactly as DataFusion's own
//! `avg` finishes it: the sum rescaled to the average's scale, then divided by the count
//! with the remainder dropped (toward zero). A decimal average answered from a rollup is
//! therefore the same number, digit for digit, as the base tables' answer.

use std::sync::Arc;

use arrow::array::{Array, ArrayRef, AsArray, Decimal128Array};
use arrow::datatypes::{DataType, Decimal128Type, Int64Type};
use datafusion::error::{DataFusionError, Result};
use datafusion::logical_expr::{
    ColumnarValue, Expr, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, Volatility,
};

/// `sum / count` as a decimal of type `output` (the query's `avg` type).
pub fn decimal_avg(sum: Expr, count: Expr, output: DataType) -> Expr {
    ScalarUDF::new_from_impl(DecimalAvg {
        output,
        signature: Signature::any(2, Volatility::Immutable),
    })
    .call(vec![sum, count])
}

#[derive(Debug, PartialEq, Eq, Hash)]
struct DecimalAvg {
    output: DataType,
    signature: Signature,
}

impl ScalarUDFImpl for DecimalAvg {
    fn name(&self) -> &str {
        "lyceum_rollup_avg"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _: &[DataType]) -> Result<DataType> {
        Ok(self.output.clone())
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let DataType::Decimal128(precision, scale) = self.output else {
            return Err(internal("its output is not a decimal"));
        };
        let arrays = ColumnarValue::values_to_arrays(&args.args)?;
        let [sum, count] = arrays.as_slice() else {
            return Err(internal("it takes a sum and a count"));
        };
        let DataType::Decimal128(_, sum_scale) = sum.data_type() else {
            return Err(internal("its sum is not a decimal"));
        };
        if *sum_scale > scale {
            return Err(internal("its sum has a larger scale than the average"));
        }
        let sums = sum.as_primitive::<Decimal128Type>();
        let counts = count
            .as_primitive_opt::<Int64Type>()
            .ok_or_else(|| internal("its count is not a bigint"))?;
        let rescale = 10i128.pow(u32::from(scale.abs_diff(*sum_scale)));
        let mut out = Vec::with_capacity(sums.len());
        for i in 0..sums.len() {
            if sums.is_null(i) || counts.is_null(i) || counts.value(i) == 0 {
                out.push(None);
                continue;
            }
            let value = sums
                .value(i)
                .checked_mul(rescale)
                .map(|v| v / i128::from(counts.value(i)))
                .ok_or_else(overflow)?;
            out.push(Some(value));
        }
        let result = Decimal128Array::from(out)
            .with_precision_and_scale(precision, scale)
            .map_err(|e| DataFusionError::ArrowError(Box::new(e), None))?;
        result
            .validate_decimal_precision(precision)
            .map_err(|_| overflow())?;
        Ok(ColumnarValue::Array(Arc::new(result) as ArrayRef))
    }
}

fn internal(what: &str) -> DataFusionError {
    DataFusionError::Internal(format!("lyceum_rollup_avg: {what}"))
}

fn overflow() -> DataFusionError {
    DataFusionError::Execution("Arithmetic Overflow in AvgAccumulator".into())
}
