//! `percentile_disc(f) WITHIN GROUP (ORDER BY x)`: PostgreSQL's discrete percentile, the
//! first value in the ordering whose position reaches the fraction `f` of the non-NULL
//! values (position `ceil(f × n)`, at least the first), computed in float8 as PostgreSQL
//! computes it. `f` may be an array of fractions (`ARRAY[0.25, 0.5]`): the result is then
//! the array of those percentiles. No values: NULL. The state is the distinct values seen
//! with their counts.

use std::sync::Arc;

use arrow::array::{Array, ArrayRef};
use arrow::datatypes::{DataType, Field, FieldRef};
use datafusion::common::{Result, ScalarValue, exec_err};
use datafusion::logical_expr::function::{AccumulatorArgs, StateFieldsArgs};

use super::counts::ValueCounts;
use datafusion::logical_expr::{
    Accumulator, AggregateUDF, AggregateUDFImpl, Signature, Volatility,
};

use crate::error::EngineError;

#[derive(Debug, PartialEq, Eq, Hash)]
struct PercentileDisc {
    signature: Signature,
}

pub fn udaf() -> AggregateUDF {
    AggregateUDF::new_from_impl(PercentileDisc {
        signature: Signature::any(2, Volatility::Immutable),
    })
}

fn is_list(t: &DataType) -> bool {
    matches!(
        t,
        DataType::List(_) | DataType::LargeList(_) | DataType::FixedSizeList(..)
    )
}

impl AggregateUDFImpl for PercentileDisc {
    fn name(&self) -> &str {
        "percentile_disc"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, args: &[DataType]) -> Result<DataType> {
        match args {
            [value, fractions] if is_list(fractions) => Ok(DataType::List(Arc::new(
                Field::new_list_field(value.clone(), true),
            ))),
            [value, _] => Ok(value.clone()),
            _ => exec_err!(
                "percentile_disc(fraction) takes its value from WITHIN GROUP (ORDER BY ...)"
            ),
        }
    }

    fn state_fields(&self, args: StateFieldsArgs) -> Result<Vec<FieldRef>> {
        Ok(ValueCounts::state_fields(
            args.name,
            args.input_fields[0].data_type().clone(),
        ))
    }

    fn accumulator(&self, args: AccumulatorArgs) -> Result<Box<dyn Accumulator>> {
        let descending = args.order_bys.first().is_some_and(|s| s.options.descending);
        // The fraction is a constant: evaluated over no rows, it is a scalar.
        let none = arrow::record_batch::RecordBatch::new_empty(Arc::new(
            arrow::datatypes::Schema::empty(),
        ));
        let fraction = match args.exprs.get(1).map(|e| e.evaluate(&none)).transpose()? {
            Some(datafusion::logical_expr::ColumnarValue::Scalar(v)) => v,
            _ => return exec_err!("percentile_disc's fraction must be a constant"),
        };
        let (fractions, array) = fractions(&fraction)?;
        Ok(Box::new(PercentileAccumulator {
            data_type: args.expr_fields[0].data_type().clone(),
            descending,
            fractions,
            array,
            counts: ValueCounts::default(),
        }))
    }

    fn supports_within_group_clause(&self) -> bool {
        true
    }
}

/// The fractions asked for, and whether they came as an array.
fn fractions(value: &ScalarValue) -> Result<(Vec<Option<f64>>, bool)> {
    let one = |v: ScalarValue| -> Result<Option<f64>> {
        match v.cast_to(&DataType::Float64)? {
            ScalarValue::Float64(None) => Ok(None),
            ScalarValue::Float64(Some(f)) if (0.0..=1.0).contains(&f) => Ok(Some(f)),
            ScalarValue::Float64(Some(f)) => Err(datafusion::error::DataFusionError::External(
                Box::new(EngineError::InvalidArgument {
                    name: "percentile",
                    message: format!("percentile value {f} is not between 0 and 1"),
                }),
            )),
            other => exec_err!("percentile_disc's fraction is {other:?}"),
        }
    };
    match value {
        ScalarValue::List(list) => {
            let mut out = Vec::new();
            if list.is_empty() || list.is_null(0) {
                return Ok((out, true));
            }
            let items = list.value(0);
            for i in 0..items.len() {
                out.push(one(ScalarValue::try_from_array(&items, i)?)?);
            }
            Ok((out, true))
        }
        v => Ok((vec![one(v.clone())?], false)),
    }
}

#[derive(Debug)]
struct PercentileAccumulator {
    data_type: DataType,
    descending: bool,
    fractions: Vec<Option<f64>>,
    array: bool,
    counts: ValueCounts,
}

impl Accumulator for PercentileAccumulator {
    fn update_batch(&mut self, values: &[ArrayRef]) -> Result<()> {
        match values.first() {
            Some(v) => self.counts.add(v, None),
            None => Ok(()),
        }
    }

    fn merge_batch(&mut self, states: &[ArrayRef]) -> Result<()> {
        self.counts.merge(states)
    }

    fn state(&mut self) -> Result<Vec<ScalarValue>> {
        Ok(self.counts.state(&self.data_type))
    }

    fn evaluate(&mut self) -> Result<ScalarValue> {
        let null = ScalarValue::try_from(&self.data_type)?;
        let total: u64 = self.counts.counts.values().sum();
        let mut sorted: Vec<(&ScalarValue, u64)> =
            self.counts.counts.iter().map(|(v, n)| (v, *n)).collect();
        sorted.sort_by(|a, b| {
            let order = a.0.partial_cmp(b.0).unwrap_or(std::cmp::Ordering::Equal);
            if self.descending {
                order.reverse()
            } else {
                order
            }
        });
        let pick = |fraction: Option<f64>| -> ScalarValue {
            let Some(fraction) = fraction else {
                return null.clone();
            };
            if total == 0 {
                return null.clone();
            }
            // PostgreSQL: rownum = ceil(percentile * rowcount), at least 1.
            let position = ((fraction * total as f64).ceil() as u64).max(1);
            let mut seen = 0;
            for (value, n) in &sorted {
                seen += n;
                if seen >= position {
                    return (*value).clone();
                }
            }
            sorted.last().map_or(null.clone(), |(v, _)| (*v).clone())
        };
        if self.array {
            if total == 0 {
                return ScalarValue::try_from(&DataType::List(Arc::new(Field::new_list_field(
                    self.data_type.clone(),
                    true,
                ))));
            }
            let picked: Vec<ScalarValue> = self.fractions.iter().map(|f| pick(*f)).collect();
            Ok(ScalarValue::List(ScalarValue::new_list_nullable(
                &picked,
                &self.data_type,
            )))
        } else {
            Ok(pick(self.fractions.first().copied().flatten()))
        }
    }

    fn size(&self) -> usize {
        std::mem::size_of_val(self) + self.counts.size()
    }
}
