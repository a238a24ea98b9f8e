//! Intervals as PostgreSQL computes and compares them. `timestamp - timestamp` is an
//! interval of days and a time under a day (`109 days 09:00:00`, PostgreSQL's
//! `justify_hours`), where DataFusion's holds only nanoseconds (`2625:00:00`). And two
//! intervals compare by their length, a month counting 30 days and a day 24 hours, where
//! DataFusion compares months, then days, then nanoseconds (so `2625 hours` was less than
//! `100 days`, and `1 month` more than `31 days`).

use std::sync::Arc;

use arrow::array::{AsArray, Decimal128Array, IntervalMonthDayNanoArray};
use arrow::datatypes::{DataType, IntervalMonthDayNano, IntervalMonthDayNanoType, IntervalUnit};
use datafusion::common::{Result, exec_err};
use datafusion::logical_expr::{
    ColumnarValue, Expr, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, Volatility,
};

use crate::sqlfn::shape;

const NANOS_PER_DAY: i64 = 86_400_000_000_000;

fn month_day_nano(args: &ScalarFunctionArgs) -> Result<IntervalMonthDayNanoArray> {
    let Some(value) = args.args.first() else {
        return exec_err!("an interval function takes one interval");
    };
    let array = arrow::compute::cast(
        &value.to_array(args.number_rows)?,
        &DataType::Interval(IntervalUnit::MonthDayNano),
    )?;
    Ok(array.as_primitive::<IntervalMonthDayNanoType>().clone())
}

#[derive(Debug, PartialEq, Eq, Hash)]
struct JustifyHours {
    signature: Signature,
}

/// `x` (a difference of timestamps) with whole days out of its time, as PostgreSQL's.
pub fn justify_hours(x: Expr) -> Expr {
    Arc::new(ScalarUDF::new_from_impl(JustifyHours {
        signature: Signature::any(1, Volatility::Immutable),
    }))
    .call(vec![x])
}

impl ScalarUDFImpl for JustifyHours {
    fn name(&self) -> &str {
        "lyceum_justify_hours"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _args: &[DataType]) -> Result<DataType> {
        Ok(DataType::Interval(IntervalUnit::MonthDayNano))
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let out: IntervalMonthDayNanoArray = month_day_nano(&args)?
            .iter()
            .map(|v| v.map(justified))
            .collect();
        shape(&args, Arc::new(out))
    }
}

/// PostgreSQL's `interval_justify_hours`: days out of the time, both of one sign.
fn justified(v: IntervalMonthDayNano) -> IntervalMonthDayNano {
    let whole_days = v.nanoseconds / NANOS_PER_DAY;
    let mut days = i64::from(v.days) + whole_days;
    let mut nanos = v.nanoseconds - whole_days * NANOS_PER_DAY;
    if days > 0 && nanos < 0 {
        nanos += NANOS_PER_DAY;
        days -= 1;
    } else if days < 0 && nanos > 0 {
        nanos -= NANOS_PER_DAY;
        days += 1;
    }
    IntervalMonthDayNano::new(
        v.months,
        i32::try_from(days).unwrap_or(if days < 0 { i32::MIN } else { i32::MAX }),
        nanos,
    )
}

#[derive(Debug, PartialEq, Eq, Hash)]
struct IntervalKey {
    signature: Signature,
}

/// `x`'s length in nanoseconds (a month 30 days, a day 24 hours): what PostgreSQL
/// compares intervals by.
pub fn interval_key(x: Expr) -> Expr {
    Arc::new(ScalarUDF::new_from_impl(IntervalKey {
        signature: Signature::any(1, Volatility::Immutable),
    }))
    .call(vec![x])
}

impl ScalarUDFImpl for IntervalKey {
    fn name(&self) -> &str {
        "lyceum_interval_key"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _args: &[DataType]) -> Result<DataType> {
        Ok(DataType::Decimal128(38, 0))
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let keys: Decimal128Array = month_day_nano(&args)?
            .iter()
            .map(|v| v.map(length))
            .collect();
        shape(&args, Arc::new(keys.with_precision_and_scale(38, 0)?))
    }
}

fn length(v: IntervalMonthDayNano) -> i128 {
    let day = i128::from(NANOS_PER_DAY);
    (i128::from(v.months) * 30 + i128::from(v.days)) * day + i128::from(v.nanoseconds)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn differences_justify_and_intervals_compare_by_length() {
        let hours = |h: i64| IntervalMonthDayNano::new(0, 0, h * 3_600_000_000_000);
        let j = justified(hours(2625));
        assert_eq!(
            (j.months, j.days, j.nanoseconds),
            (0, 109, 9 * 3_600_000_000_000)
        );
        let j = justified(hours(-30));
        assert_eq!((j.days, j.nanoseconds), (-1, -6 * 3_600_000_000_000));
        assert!(length(hours(2625)) > length(IntervalMonthDayNano::new(0, 100, 0)));
        assert!(
            length(IntervalMonthDayNano::new(1, 0, 0))
                < length(IntervalMonthDayNano::new(0, 31, 0))
        );
    }
}
