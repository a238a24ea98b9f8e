//! Exact medians from rollups: a group's state is the histogram of the argument's
//! non-null values (each distinct value with how many rows had it), stored as text: a
//! JSON array of `["<unscaled value>", count]` pairs sorted by value (state format 1;
//! the value is the integer, or a decimal's unscaled integer at the argument's scale).
//! Histograms merge by adding counts, and the median of any coarser grouping is read
//! off the merged histogram: the same number the base rows give. Discrete measures
//! (grade points, Likert ratings, whole-percent scores) have few distinct values, so a
//! histogram is small where a list of values would be as large as the fact table.
//!
//! Three aggregates: `lyceum_histogram(x)` computes a group's histogram when a rollup is
//! built; `lyceum_histogram_union(h)` merges histograms into one (an incremental
//! refresh); `lyceum_histogram_median(h)` merges them into the median, finished as
//! DataFusion's `median` finishes it (the middle value, or the two middle values' sum
//! halved toward zero in the argument's type; integers DataFusion casts to `float8` for
//! `median` are halved in `float8`). Only integer and decimal arguments are kept (a
//! float's text does not identify its value as a comparison does).

use std::collections::BTreeMap;
use std::sync::Arc;

use arrow::array::{ArrayRef, AsArray};
use arrow::datatypes::{DataType, Decimal128Type, Field, FieldRef, Int64Type};
use datafusion::error::{DataFusionError, Result};
use datafusion::logical_expr::function::{AccumulatorArgs, StateFieldsArgs};
use datafusion::logical_expr::{
    Accumulator, AggregateUDF, AggregateUDFImpl, Expr, Signature, Volatility,
};
use datafusion::scalar::ScalarValue;

/// Whether a rollup can keep a histogram of values of `data_type`.
pub fn kept(data_type: &DataType) -> bool {
    data_type.is_integer() || matches!(data_type, DataType::Decimal128(..))
}

/// The aggregate computing a group's histogram of `argument`.
pub fn histogram(argument: Expr) -> Expr {
    AggregateUDF::from(Histogram::new(Mode::Build)).call(vec![argument])
}

/// The aggregate merging stored histograms into one.
pub fn histogram_union(histograms: Expr) -> Expr {
    AggregateUDF::from(Histogram::new(Mode::Union)).call(vec![histograms])
}

/// The aggregate merging stored histograms into `percentile_cont(fraction)` of values at
/// `scale` (the query's ordering already folded into `fraction`), as DataFusion finishes
/// it from the values' float8s.
pub fn histogram_percentile(histograms: Expr, fraction: f64, scale: i8) -> Expr {
    AggregateUDF::from(Histogram::new(Mode::Percentile {
        fraction: fraction.to_bits(),
        scale,
    }))
    .call(vec![histograms])
}

/// The aggregate merging stored histograms into the median, of type `output` (the
/// query's `median` type: the argument's).
pub fn histogram_median(histograms: Expr, output: DataType) -> Expr {
    AggregateUDF::from(Histogram::new(Mode::Median(output))).call(vec![histograms])
}

#[derive(Debug, PartialEq, Eq, Hash, Clone)]
enum Mode {
    /// Values → their histogram.
    Build,
    /// Histograms → their sum.
    Union,
    /// Histograms → the median of their sum, of this type.
    Median(DataType),
    /// Histograms → a continuous percentile (float8) of their sum: the fraction's bits
    /// and the values' scale.
    Percentile { fraction: u64, scale: i8 },
}

#[derive(Debug, PartialEq, Eq, Hash)]
struct Histogram {
    mode: Mode,
    /// A percentile's name carries its fraction: two percentiles of one histogram in one
    /// query are two columns (an alias would not survive the optimizer).
    name: String,
}

impl Histogram {
    fn new(mode: Mode) -> Histogram {
        let name = match &mode {
            Mode::Build => "lyceum_histogram".to_string(),
            Mode::Union => "lyceum_histogram_union".to_string(),
            Mode::Median(_) => "lyceum_histogram_median".to_string(),
            Mode::Percentile { fraction, .. } => {
                format!("lyceum_histogram_percentile_{}", f64::from_bits(*fraction))
            }
        };
        Histogram { mode, name }
    }
}

static SIGNATURE: std::sync::LazyLock<Signature> =
    std::sync::LazyLock::new(|| Signature::any(1, Volatility::Immutable));

impl AggregateUDFImpl for Histogram {
    fn name(&self) -> &str {
        &self.name
    }

    fn signature(&self) -> &Signature {
        &SIGNATURE
    }

    fn return_type(&self, _: &[DataType]) -> Result<DataType> {
        Ok(match &self.mode {
            Mode::Median(output) => output.clone(),
            Mode::Percentile { .. } => DataType::Float64,
            _ => DataType::Utf8,
        })
    }

    fn accumulator(&self, args: AccumulatorArgs) -> Result<Box<dyn Accumulator>> {
        let input = args
            .expr_fields
            .first()
            .map(|f| f.data_type().clone())
            .unwrap_or(DataType::Null);
        if self.mode == Mode::Build && !kept(&input) && input != DataType::Null {
            return Err(DataFusionError::Plan(format!(
                "a rollup keeps histograms of integers and decimals, not of {input}"
            )));
        }
        if let Mode::Median(output) = &self.mode
            && !kept(output)
            && output != &DataType::Float64
        {
            return Err(DataFusionError::Plan(format!(
                "a median of {output} is not merged from histograms"
            )));
        }
        Ok(Box::new(Counts {
            counts: BTreeMap::new(),
            mode: self.mode.clone(),
        }))
    }

    fn state_fields(&self, args: StateFieldsArgs) -> Result<Vec<FieldRef>> {
        Ok(vec![Arc::new(Field::new(
            format!("{}[histogram]", args.name),
            DataType::Utf8,
            true,
        ))])
    }
}

#[derive(Debug)]
struct Counts {
    /// Unscaled value → rows.
    counts: BTreeMap<i128, u64>,
    mode: Mode,
}

impl Counts {
    fn add_values(&mut self, values: &ArrayRef) -> Result<()> {
        if let DataType::Decimal128(..) = values.data_type() {
            for v in values.as_primitive::<Decimal128Type>().iter().flatten() {
                *self.counts.entry(v).or_default() += 1;
            }
            return Ok(());
        }
        let values = arrow::compute::cast(values, &DataType::Int64)?;
        for v in values.as_primitive::<Int64Type>().iter().flatten() {
            *self.counts.entry(i128::from(v)).or_default() += 1;
        }
        Ok(())
    }

    fn add_histograms(&mut self, histograms: &ArrayRef) -> Result<()> {
        let histograms = arrow::compute::cast(histograms, &DataType::Utf8)?;
        for text in histograms.as_string::<i32>().iter().flatten() {
            let pairs: Vec<(String, u64)> = serde_json::from_str(text).map_err(damaged)?;
            for (value, n) in pairs {
                let value: i128 = value.parse().map_err(damaged)?;
                *self.counts.entry(value).or_default() += n;
            }
        }
        Ok(())
    }

    fn serialized(&self) -> Result<String> {
        let pairs: Vec<(String, u64)> = self
            .counts
            .iter()
            .map(|(v, n)| (v.to_string(), *n))
            .collect();
        serde_json::to_string(&pairs)
            .map_err(|e| DataFusionError::Execution(format!("writing a histogram: {e}")))
    }

    /// The value at (0-based) `position` in order, unscaled.
    fn at(&self, position: u64) -> Option<i128> {
        let mut seen = 0;
        self.counts.iter().find_map(|(v, n)| {
            seen += n;
            (seen > position).then_some(*v)
        })
    }

    /// `percentile_cont(fraction)` as DataFusion computes it from the values cast to
    /// float8 (arrow's cast: the unscaled integer's float8 over `10^scale`): the value at
    /// `fraction · (n − 1)`, or between the two around it by a weight quantised to 10⁻⁶.
    fn percentile(&self, fraction: f64, scale: i8) -> Option<f64> {
        let total: u64 = self.counts.values().sum();
        let value = |position: u64| {
            self.at(position)
                .map(|v| v as f64 / 10f64.powi(i32::from(scale)))
        };
        if total == 0 {
            return None;
        }
        if total == 1 || fraction == 0.0 {
            return value(0);
        }
        if fraction == 1.0 {
            return value(total - 1);
        }
        let index = fraction * ((total - 1) as f64);
        let (lower, upper) = (index.floor() as u64, index.ceil() as u64);
        if lower == upper {
            return value(lower);
        }
        let weight = ((index - lower as f64) * 1_000_000.0) as u64 as f64 / 1_000_000.0;
        let (low, high) = (value(lower)?, value(upper)?);
        Some(low + (high - low) * weight)
    }

    /// The median's middle values (unscaled): the middle one twice, or the two middle
    /// ones for an even number of values.
    fn middle(&self) -> Option<(i128, i128)> {
        let total: u64 = self.counts.values().sum();
        if total == 0 {
            return None;
        }
        // The values at (0-based) positions `total / 2` and, for an even total, the one
        // before it.
        let high = self.at(total / 2)?;
        if total % 2 == 1 {
            return Some((high, high));
        }
        Some((self.at(total / 2 - 1)?, high))
    }
}

fn damaged(e: impl std::fmt::Display) -> DataFusionError {
    DataFusionError::Execution(format!("a rollup's histogram is damaged: {e}"))
}

impl Accumulator for Counts {
    fn update_batch(&mut self, values: &[ArrayRef]) -> Result<()> {
        match values.first() {
            Some(input) if self.mode == Mode::Build => self.add_values(input),
            Some(input) => self.add_histograms(input),
            None => Ok(()),
        }
    }

    fn merge_batch(&mut self, states: &[ArrayRef]) -> Result<()> {
        match states.first() {
            Some(histograms) => self.add_histograms(histograms),
            None => Ok(()),
        }
    }

    fn state(&mut self) -> Result<Vec<ScalarValue>> {
        Ok(vec![ScalarValue::Utf8(Some(self.serialized()?))])
    }

    fn evaluate(&mut self) -> Result<ScalarValue> {
        if let Mode::Percentile { fraction, scale } = self.mode {
            return Ok(ScalarValue::Float64(
                self.percentile(f64::from_bits(fraction), scale),
            ));
        }
        let Mode::Median(output) = &self.mode else {
            return Ok(ScalarValue::Utf8(Some(self.serialized()?)));
        };
        let middle = self.middle();
        // As DataFusion's `median` finishes: the middle value, or the two middle ones'
        // sum halved in the argument's type (toward zero for integers and decimals).
        let halved = middle.map(|(low, high)| if low == high { low } else { (low + high) / 2 });
        match output {
            DataType::Decimal128(precision, scale) => {
                Ok(ScalarValue::Decimal128(halved, *precision, *scale))
            }
            // Integers DataFusion cast to float8 (exactly: they are below 2^53).
            DataType::Float64 => Ok(ScalarValue::Float64(middle.map(|(low, high)| {
                if low == high {
                    low as f64
                } else {
                    (low as f64 + high as f64) / 2.0
                }
            }))),
            integer => {
                let value = halved
                    .map(i64::try_from)
                    .transpose()
                    .map_err(|_| DataFusionError::Execution("a median overflows".into()))?;
                ScalarValue::Int64(value).cast_to(integer)
            }
        }
    }

    fn size(&self) -> usize {
        std::mem::size_of_val(self) + self.counts.len() * 48
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::{Decimal128Array, Int32Array, StringArray};

    fn counts(mode: Mode) -> Counts {
        Counts {
            counts: BTreeMap::new(),
            mode,
        }
    }

    #[test]
    fn percentiles_interpolate_as_datafusion_does() -> Result<()> {
        // {1.00, 2.00, 2.00, 4.00} at scale 2.
        let mut h = counts(Mode::Percentile {
            fraction: 0.5f64.to_bits(),
            scale: 2,
        });
        h.update_batch(&[Arc::new(StringArray::from(vec![
            r#"[["100",1],["200",2]]"#,
            r#"[["400",1]]"#,
        ]))])?;
        // Index 1.5 between 2 and 2; 0.9 → index 2.7: 2 + (4 − 2)·0.7.
        assert_eq!(h.percentile(0.5, 2), Some(2.0));
        assert_eq!(h.percentile(0.9, 2), Some(2.0 + 2.0 * 0.7));
        assert_eq!(h.percentile(0.0, 2), Some(1.0));
        assert_eq!(h.percentile(1.0, 2), Some(4.0));
        // Index 0.75: between the first two values.
        assert_eq!(h.percentile(0.25, 2), Some(1.0 + 0.75));
        assert_eq!(h.evaluate()?, ScalarValue::Float64(Some(2.0)));
        let mut empty = counts(Mode::Percentile {
            fraction: 0.5f64.to_bits(),
            scale: 0,
        });
        assert_eq!(empty.evaluate()?, ScalarValue::Float64(None));
        Ok(())
    }

    #[test]
    fn histograms_merge_by_adding_counts_and_give_the_median() -> Result<()> {
        let mut a = counts(Mode::Build);
        a.update_batch(&[Arc::new(Int32Array::from(vec![
            Some(3),
            None,
            Some(1),
            Some(3),
        ]))])?;
        let ScalarValue::Utf8(Some(h)) = a.evaluate()? else {
            panic!("a histogram is text");
        };
        assert_eq!(h, r#"[["1",1],["3",2]]"#);
        // {1, 3, 3} and {2, 4}: five values, the middle one is 3.
        let mut odd = counts(Mode::Median(DataType::Int32));
        odd.update_batch(&[Arc::new(StringArray::from(vec![
            Some(h.as_str()),
            None,
            Some(r#"[["2",1],["4",1]]"#),
        ]))])?;
        assert_eq!(odd.evaluate()?, ScalarValue::Int32(Some(3)));
        // {1, 3, 3, 4}: (3 + 3) / 2; {1, 4}: (1 + 4) / 2 toward zero, as median(int).
        let mut even = counts(Mode::Median(DataType::Int32));
        even.update_batch(&[Arc::new(StringArray::from(vec![
            h.as_str(),
            r#"[["4",1]]"#,
        ]))])?;
        assert_eq!(even.evaluate()?, ScalarValue::Int32(Some(3)));
        let mut halved = counts(Mode::Median(DataType::Int32));
        halved.update_batch(&[Arc::new(StringArray::from(vec![r#"[["1",1],["4",1]]"#]))])?;
        assert_eq!(halved.evaluate()?, ScalarValue::Int32(Some(2)));
        // Decimals keep their scale: 3.70 and 4.00 → 3.85.
        let mut d = counts(Mode::Build);
        d.update_batch(&[Arc::new(
            Decimal128Array::from(vec![370, 400]).with_precision_and_scale(3, 2)?,
        )])?;
        let ScalarValue::Utf8(Some(dh)) = d.evaluate()? else {
            panic!("a histogram is text");
        };
        let mut dm = counts(Mode::Median(DataType::Decimal128(3, 2)));
        dm.update_batch(&[Arc::new(StringArray::from(vec![dh.as_str()]))])?;
        assert_eq!(dm.evaluate()?, ScalarValue::Decimal128(Some(385), 3, 2));
        // Integers read as float8: {1, 4} → 2.5.
        let mut float = counts(Mode::Median(DataType::Float64));
        float.update_batch(&[Arc::new(StringArray::from(vec![r#"[["1",1],["4",1]]"#]))])?;
        assert_eq!(float.evaluate()?, ScalarValue::Float64(Some(2.5)));
        // No values: NULL; a damaged state is an error, not a number.
        let mut none = counts(Mode::Median(DataType::Int64));
        none.update_batch(&[Arc::new(StringArray::from(vec!["[]"]))])?;
        assert_eq!(none.evaluate()?, ScalarValue::Int64(None));
        assert!(
            none.update_batch(&[Arc::new(StringArray::from(vec!["[[1,2]]"]))])
                .is_err()
        );
        Ok(())
    }
}
