//! The distinct non-NULL values an ordered-set aggregate has seen, each with how often:
//! the state of `mode()` and `percentile_disc`, kept and merged the same way.

use std::collections::HashMap;
use std::sync::Arc;

use arrow::array::{Array, ArrayRef, AsArray, UInt64Array};
use arrow::datatypes::{DataType, Field, FieldRef, UInt64Type};
use datafusion::common::{Result, ScalarValue, exec_err};

#[derive(Debug, Default)]
pub(super) struct ValueCounts {
    pub counts: HashMap<ScalarValue, u64>,
}

impl ValueCounts {
    /// The state's fields: the values, and their counts.
    pub fn state_fields(name: &str, value: DataType) -> Vec<FieldRef> {
        vec![
            Arc::new(Field::new(
                format!("{name}[values]"),
                DataType::List(Arc::new(Field::new_list_field(value, true))),
                true,
            )),
            Arc::new(Field::new(
                format!("{name}[counts]"),
                DataType::List(Arc::new(Field::new_list_field(DataType::UInt64, true))),
                true,
            )),
        ]
    }

    /// Counts `values` (each `counts[i]` times, or once).
    pub fn add(&mut self, values: &ArrayRef, counts: Option<&UInt64Array>) -> Result<()> {
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

    /// Adds the states of other partitions (`[values, counts]` lists).
    pub fn merge(&mut self, states: &[ArrayRef]) -> Result<()> {
        let [values, counts] = states else {
            return exec_err!("an ordered-set aggregate merges values and counts");
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

    /// The state: the values (of `data_type`) and their counts.
    pub fn state(&self, data_type: &DataType) -> Vec<ScalarValue> {
        let (values, counts): (Vec<ScalarValue>, Vec<ScalarValue>) = self
            .counts
            .iter()
            .map(|(v, n)| (v.clone(), ScalarValue::UInt64(Some(*n))))
            .unzip();
        vec![
            ScalarValue::List(ScalarValue::new_list_nullable(&values, data_type)),
            ScalarValue::List(ScalarValue::new_list_nullable(&counts, &DataType::UInt64)),
        ]
    }

    pub fn size(&self) -> usize {
        self.counts
            .keys()
            .map(|k| k.size() + std::mem::size_of::<u64>())
            .sum::<usize>()
    }
}
