//! Exact distinct counts from rollups: a group's state is the set of distinct non-null
//! values of the argument, stored as text (a JSON array of the values' canonical text,
//! sorted; state format 1). Sets merge by union, and `COUNT(DISTINCT x)` over any
//! coarser grouping is the size of the union: the same number the base rows give.
//!
//! Three aggregates: `lyceum_distinct_set(x)` computes a group's set when a rollup is
//! built; `lyceum_distinct_count(set)` merges stored sets into a count when a query is
//! answered; `lyceum_distinct_union(set)` merges stored sets into a set when new rows'
//! states are folded into a rollup (an incremental refresh).
//! Floating-point arguments are refused (their text does not identify their value as
//! `COUNT(DISTINCT)` compares it).

use std::collections::HashSet;
use std::sync::Arc;

use arrow::array::{ArrayRef, AsArray};
use arrow::datatypes::{DataType, Field, FieldRef};
use datafusion::error::{DataFusionError, Result};
use datafusion::logical_expr::function::{AccumulatorArgs, StateFieldsArgs};
use datafusion::logical_expr::{
    Accumulator, AggregateUDF, AggregateUDFImpl, Expr, Signature, Volatility,
};
use datafusion::scalar::ScalarValue;

/// The aggregate computing a group's set of `argument`'s distinct values.
pub fn distinct_set(argument: Expr) -> Expr {
    AggregateUDF::from(DistinctSet(Mode::Build)).call(vec![argument])
}

/// The aggregate merging stored sets into `COUNT(DISTINCT ...)`.
pub fn distinct_count(sets: Expr) -> Expr {
    AggregateUDF::from(DistinctSet(Mode::Count)).call(vec![sets])
}

/// The aggregate merging stored sets into their union (a set).
pub fn distinct_union(sets: Expr) -> Expr {
    AggregateUDF::from(DistinctSet(Mode::Union)).call(vec![sets])
}

#[derive(Debug, PartialEq, Eq, Hash, Clone, Copy)]
enum Mode {
    /// Values → their set.
    Build,
    /// Sets → the size of their union.
    Count,
    /// Sets → their union.
    Union,
}

#[derive(Debug, PartialEq, Eq, Hash)]
struct DistinctSet(Mode);

static SIGNATURE: std::sync::LazyLock<Signature> =
    std::sync::LazyLock::new(|| Signature::any(1, Volatility::Immutable));

impl AggregateUDFImpl for DistinctSet {
    fn name(&self) -> &str {
        match self.0 {
            Mode::Build => "lyceum_distinct_set",
            Mode::Count => "lyceum_distinct_count",
            Mode::Union => "lyceum_distinct_union",
        }
    }

    fn signature(&self) -> &Signature {
        &SIGNATURE
    }

    fn return_type(&self, _: &[DataType]) -> Result<DataType> {
        Ok(if self.0 == Mode::Count {
            DataType::Int64
        } else {
            DataType::Utf8
        })
    }

    fn accumulator(&self, args: AccumulatorArgs) -> Result<Box<dyn Accumulator>> {
        let input = args
            .expr_fields
            .first()
            .map(|f| f.data_type().clone())
            .unwrap_or(DataType::Null);
        if matches!(
            input,
            DataType::Float16 | DataType::Float32 | DataType::Float64
        ) {
            return Err(DataFusionError::Plan(
                "a rollup keeps no distinct sets of floating-point values".into(),
            ));
        }
        Ok(Box::new(SetAccumulator::new(
            self.0 != Mode::Build,
            self.0 == Mode::Count,
        )))
    }

    fn state_fields(&self, args: StateFieldsArgs) -> Result<Vec<FieldRef>> {
        Ok(vec![Arc::new(Field::new(
            format!("{}[set]", args.name),
            DataType::Utf8,
            true,
        ))])
    }
}

#[derive(Debug)]
struct SetAccumulator {
    values: HashSet<String>,
    bytes: usize,
    /// The input is stored sets (not values).
    merging: bool,
    /// The result is the set's size (not the set).
    count: bool,
    /// The only stored set seen so far, not yet parsed: a group answered from one rollup
    /// row (the query's grain is the rollup's) needs only its size, not a union.
    single: Option<String>,
}

impl SetAccumulator {
    fn new(merging: bool, count: bool) -> SetAccumulator {
        SetAccumulator {
            values: HashSet::new(),
            bytes: 0,
            merging,
            count,
            single: None,
        }
    }

    fn insert(&mut self, value: &str) {
        if !self.values.contains(value) {
            self.bytes += value.len() + 32;
            self.values.insert(value.to_string());
        }
    }

    fn insert_set(&mut self, set: &str) -> Result<()> {
        match serde_json::from_str::<Vec<&str>>(set) {
            Ok(members) => members.into_iter().for_each(|m| self.insert(m)),
            // Members with escapes cannot be borrowed.
            Err(_) => parse_owned(set)?.iter().for_each(|m| self.insert(m)),
        }
        Ok(())
    }

    fn insert_sets(&mut self, sets: &ArrayRef) -> Result<()> {
        let sets = arrow::compute::cast(sets, &DataType::Utf8)?;
        for set in sets.as_string::<i32>().iter().flatten() {
            if self.values.is_empty() && self.single.is_none() {
                self.single = Some(set.to_string());
                continue;
            }
            if let Some(first) = self.single.take() {
                self.insert_set(&first)?;
            }
            self.insert_set(set)?;
        }
        Ok(())
    }

    fn serialized(&mut self) -> Result<String> {
        // One stored set is its own serialization (partial aggregates pass it on as is).
        if self.values.is_empty()
            && let Some(set) = &self.single
        {
            return Ok(set.clone());
        }
        if let Some(first) = self.single.take() {
            self.insert_set(&first)?;
        }
        let mut members: Vec<&String> = self.values.iter().collect();
        members.sort();
        serde_json::to_string(&members)
            .map_err(|e| DataFusionError::Execution(format!("writing a distinct set: {e}")))
    }

    fn size_of_set(&mut self) -> Result<usize> {
        match (&self.single, self.values.is_empty()) {
            // A stored set's members are distinct already.
            (Some(set), true) => Ok(match serde_json::from_str::<Vec<&str>>(set) {
                Ok(members) => members.len(),
                Err(_) => parse_owned(set)?.len(),
            }),
            _ => {
                if let Some(first) = self.single.take() {
                    self.insert_set(&first)?;
                }
                Ok(self.values.len())
            }
        }
    }
}

fn parse_owned(set: &str) -> Result<Vec<String>> {
    serde_json::from_str(set)
        .map_err(|e| DataFusionError::Execution(format!("a rollup's distinct set is damaged: {e}")))
}

impl Accumulator for SetAccumulator {
    fn update_batch(&mut self, values: &[ArrayRef]) -> Result<()> {
        let Some(input) = values.first() else {
            return Ok(());
        };
        if self.merging {
            return self.insert_sets(input);
        }
        let text = arrow::compute::cast(input, &DataType::Utf8)?;
        for value in text.as_string::<i32>().iter().flatten() {
            self.insert(value);
        }
        Ok(())
    }

    fn merge_batch(&mut self, states: &[ArrayRef]) -> Result<()> {
        match states.first() {
            Some(sets) => self.insert_sets(sets),
            None => Ok(()),
        }
    }

    fn state(&mut self) -> Result<Vec<ScalarValue>> {
        Ok(vec![ScalarValue::Utf8(Some(self.serialized()?))])
    }

    fn evaluate(&mut self) -> Result<ScalarValue> {
        if self.count {
            let n = i64::try_from(self.size_of_set()?).unwrap_or(i64::MAX);
            Ok(ScalarValue::Int64(Some(n)))
        } else {
            Ok(ScalarValue::Utf8(Some(self.serialized()?)))
        }
    }

    fn size(&self) -> usize {
        std::mem::size_of_val(self)
            + self.bytes
            + self.single.as_ref().map(String::len).unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::{Int64Array, StringArray};

    #[test]
    fn sets_merge_by_union_and_count_their_members() -> Result<()> {
        let mut a = SetAccumulator::new(false, false);
        a.update_batch(&[Arc::new(Int64Array::from(vec![
            Some(3),
            None,
            Some(1),
            Some(3),
        ]))])?;
        let ScalarValue::Utf8(Some(set)) = a.evaluate()? else {
            panic!("a set is text");
        };
        assert_eq!(set, r#"["1","3"]"#);
        let mut single = SetAccumulator::new(true, true);
        single.update_batch(&[Arc::new(StringArray::from(vec![set.as_str()]))])?;
        assert_eq!(single.evaluate()?, ScalarValue::Int64(Some(2)));
        let mut merged = SetAccumulator::new(true, true);
        merged.update_batch(&[Arc::new(StringArray::from(vec![
            Some(set.as_str()),
            Some(r#"["2","3"]"#),
            None,
        ]))])?;
        assert_eq!(merged.evaluate()?, ScalarValue::Int64(Some(3)));
        let mut union = SetAccumulator::new(true, false);
        union.update_batch(&[Arc::new(StringArray::from(vec![
            Some(r#"["1","3"]"#),
            None,
            Some(r#"["2","3"]"#),
        ]))])?;
        assert_eq!(
            union.evaluate()?,
            ScalarValue::Utf8(Some(r#"["1","2","3"]"#.into()))
        );
        assert!(
            merged
                .update_batch(&[Arc::new(StringArray::from(vec!["not a set"]))])
                .is_err()
        );
        Ok(())
    }
}
