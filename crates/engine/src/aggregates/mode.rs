//! `mode() WITHIN GROUP (ORDER BY x)`: PostgreSQL's ordered-set aggregate for the most
//! frequent value. NULLs are ignored; among equally frequent values the first in the
//! `ORDER BY` order wins (the smallest, or the largest under `DESC`); no values, NULL.
//! The state is the distinct values seen with their counts.

use arrow::array::ArrayRef;
use arrow::datatypes::{DataType, FieldRef};
use datafusion::common::{Result, ScalarValue, exec_err};
use datafusion::logical_expr::function::{AccumulatorArgs, StateFieldsArgs};

use super::counts::ValueCounts;
use datafusion::logical_expr::{
    Accumulator, AggregateUDF, AggregateUDFImpl, Signature, Volatility,
};

#[derive(Debug, PartialEq, Eq, Hash)]
struct Mode {
    signature: Signature,
}

pub fn udaf() -> AggregateUDF {
    AggregateUDF::new_from_impl(Mode {
        signature: Signature::any(1, Volatility::Immutable),
    })
}

impl AggregateUDFImpl for Mode {
    fn name(&self) -> &str {
        "mode"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, args: &[DataType]) -> Result<DataType> {
        match args {
            [t] => Ok(t.clone()),
            _ => exec_err!("mode() takes its value from WITHIN GROUP (ORDER BY ...)"),
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
        Ok(Box::new(ModeAccumulator {
            data_type: args.return_field.data_type().clone(),
            descending,
            counts: ValueCounts::default(),
        }))
    }

    fn supports_within_group_clause(&self) -> bool {
        true
    }
}

#[derive(Debug)]
struct ModeAccumulator {
    data_type: DataType,
    descending: bool,
    counts: ValueCounts,
}

impl Accumulator for ModeAccumulator {
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
        let mut best: Option<(&ScalarValue, u64)> = None;
        for (value, &n) in &self.counts.counts {
            let better = match best {
                None => true,
                Some((b, bn)) => {
                    n > bn
                        || (n == bn
                            && if self.descending {
                                value > b
                            } else {
                                value < b
                            })
                }
            };
            if better {
                best = Some((value, n));
            }
        }
        match best {
            Some((value, _)) => Ok(value.clone()),
            None => ScalarValue::try_from(&self.data_type),
        }
    }

    fn size(&self) -> usize {
        std::mem::size_of_val(self) + self.counts.size()
    }
}
