//! `mode() WITHIN GROUP (ORDER BY x)`: PostgreSQL's ordered-set aggregate for the most
//! frequent value. NULLs are ignored; among equally frequent values the first in the
//! `ORDER BY` order wins (the smallest, or the largest under `DESC`); no values, NULL.
//! The state is the distinct values seen with their counts.

use std::collections::HashMap;
use std::sync::Arc;

use arrow::array::{Array, ArrayRef, AsArray, UInt64Array};
use arrow::datatypes::{DataType, Field, FieldRef, UInt64Type};
use datafusion::common::{Result, ScalarValue, exec_err};
use datafusion::logical_expr::function::{AccumulatorArgs, StateFieldsArgs};
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
        let value = args.input_fields[0].data_type().clone();
        Ok(vec![
            Arc::new(Field::new(
                format!("{}[values]", args.name),
                DataType::List(Arc::new(Field::new_list_field(value, true))),
                true,
            )),
            Arc::new(Field::new(
                format!("{}[counts]", args.name),
                DataType::List(Arc::new(Field::new_list_field(DataType::UInt64, true))),
                true,
            )),
        ])
    }

    fn accumulator(&self, args: AccumulatorArgs) -> Result<Box<dyn Accumulator>> {
        let descending = args.order_bys.first().is_some_and(|s| s.options.descending);
        Ok(Box::new(ModeAccumulator {
            data_type: args.return_field.data_type().clone(),
            descending,
            counts: HashMap::new(),
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
    counts: HashMap<ScalarValue, u64>,
}

impl ModeAccumulator {
    fn add(&mut self, values: &ArrayRef, counts: Option<&UInt64Array>) -> Result<()> {
        for i in 0..values.len() {
            if values.is_null(i) {
                continue;
            }
            let n = counts.map_or(1, |c| c.value(i));
            *self
                .counts
                .entry(ScalarValue::try_from_array(values, i)?)
                .or_insert(0) += n;
        }
        Ok(())
    }
}

impl Accumulator for ModeAccumulator {
    fn update_batch(&mut self, values: &[ArrayRef]) -> Result<()> {
        match values.first() {
            Some(v) => self.add(v, None),
            None => Ok(()),
        }
    }

    fn merge_batch(&mut self, states: &[ArrayRef]) -> Result<()> {
        let [values, counts] = states else {
            return exec_err!("mode() merges values and counts");
        };
        let (values, counts) = (values.as_list::<i32>(), counts.as_list::<i32>());
        for row in 0..values.len() {
            if values.is_null(row) || counts.is_null(row) {
                continue;
            }
            let row_counts = counts.value(row);
            self.add(
                &values.value(row),
                Some(row_counts.as_primitive::<UInt64Type>()),
            )?;
        }
        Ok(())
    }

    fn state(&mut self) -> Result<Vec<ScalarValue>> {
        let (values, counts): (Vec<ScalarValue>, Vec<ScalarValue>) = self
            .counts
            .iter()
            .map(|(v, n)| (v.clone(), ScalarValue::UInt64(Some(*n))))
            .unzip();
        Ok(vec![
            ScalarValue::List(ScalarValue::new_list_nullable(&values, &self.data_type)),
            ScalarValue::List(ScalarValue::new_list_nullable(&counts, &DataType::UInt64)),
        ])
    }

    fn evaluate(&mut self) -> Result<ScalarValue> {
        let mut best: Option<(&ScalarValue, u64)> = None;
        for (value, &n) in &self.counts {
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
        std::mem::size_of_val(self)
            + self
                .counts
                .keys()
                .map(|k| k.size() + std::mem::size_of::<u64>())
                .sum::<usize>()
    }
}
