//! `corr`, `covar_samp`, `covar_pop` and `regr_count`, `regr_sxx`, `regr_syy`,
//! `regr_sxy`, `regr_avgx`, `regr_avgy`, `regr_slope`, `regr_intercept`, `regr_r2`.
//!
//! Over integer and decimal arguments (decimals of at most 18 digits) these are
//! Lyceum's own: a group keeps the exact sums `n`, `Σy`, `Σx`, `Σy²`, `Σx²`, `Σxy` of its
//! non-null pairs as 128-bit integers (unscaled, a square at twice its argument's
//! scale), and the statistic is finished from them by [`finish`]: the co-moments
//! `n·Σxy − Σx·Σy` are exact, so a group whose values are all equal has exactly no
//! spread and gets PostgreSQL's NULL (DataFusion's float sums leave a remainder there and
//! return an arbitrary number), and only the last divisions are in `float8`. Rollups
//! store the same six sums and finish them with the same function, so a rollup's answer
//! equals the base tables' exactly. Sums that would overflow 128 bits are an error, not
//! a rounded answer.
//!
//! Float arguments (and wider decimals) are DataFusion's accumulators, unchanged.
//! `regr_count` is always Lyceum's: PostgreSQL's `bigint`, where DataFusion's is
//! unsigned. Empty and degenerate groups follow PostgreSQL (`float8_regr_*`): every
//! statistic is NULL without pairs; `covar_samp` needs two; `corr`, `regr_slope`,
//! `regr_intercept` and `regr_r2` are NULL when the x values are all equal, `corr` also
//! when the y values are, and `regr_r2` is 1 when only the y values are all equal.

use std::sync::Arc;

use arrow::array::{Array, ArrayRef, AsArray, Decimal128Array, Float64Array, Int64Array};
use arrow::datatypes::{DataType, Decimal128Type, Field, FieldRef, Int64Type};
use datafusion::error::{DataFusionError, Result};
use datafusion::functions_aggregate::{correlation, covariance, regr};
use datafusion::logical_expr::function::{AccumulatorArgs, StateFieldsArgs};
use datafusion::logical_expr::{
    Accumulator, AggregateUDF, AggregateUDFImpl, ColumnarValue, Expr, GroupsAccumulator,
    ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, Volatility,
};
use datafusion::scalar::ScalarValue;

/// Which statistic of the pairs `(y, x)` (the first argument is `y`, as in SQL).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    Corr,
    CovarSamp,
    CovarPop,
    RegrCount,
    RegrSxx,
    RegrSyy,
    RegrSxy,
    RegrAvgx,
    RegrAvgy,
    RegrSlope,
    RegrIntercept,
    RegrR2,
}

const KINDS: [(Kind, &str); 12] = [
    (Kind::Corr, "corr"),
    (Kind::CovarSamp, "covar_samp"),
    (Kind::CovarPop, "covar_pop"),
    (Kind::RegrCount, "regr_count"),
    (Kind::RegrSxx, "regr_sxx"),
    (Kind::RegrSyy, "regr_syy"),
    (Kind::RegrSxy, "regr_sxy"),
    (Kind::RegrAvgx, "regr_avgx"),
    (Kind::RegrAvgy, "regr_avgy"),
    (Kind::RegrSlope, "regr_slope"),
    (Kind::RegrIntercept, "regr_intercept"),
    (Kind::RegrR2, "regr_r2"),
];

impl Kind {
    /// The statistic the aggregate `name` computes (its registered name or an alias).
    pub fn of(name: &str) -> Option<Kind> {
        if name == "covar" {
            return Some(Kind::CovarSamp);
        }
        KINDS.iter().find(|(_, n)| *n == name).map(|(k, _)| *k)
    }

    pub fn name(self) -> &'static str {
        KINDS
            .iter()
            .find(|(k, _)| *k == self)
            .map(|(_, n)| *n)
            .unwrap_or("corr")
    }

    /// DataFusion's aggregate of the same name, which float arguments use.
    fn datafusion(self) -> Arc<AggregateUDF> {
        match self {
            Kind::Corr => correlation::corr_udaf(),
            Kind::CovarSamp => covariance::covar_samp_udaf(),
            Kind::CovarPop => covariance::covar_pop_udaf(),
            Kind::RegrCount => regr::regr_count_udaf(),
            Kind::RegrSxx => regr::regr_sxx_udaf(),
            Kind::RegrSyy => regr::regr_syy_udaf(),
            Kind::RegrSxy => regr::regr_sxy_udaf(),
            Kind::RegrAvgx => regr::regr_avgx_udaf(),
            Kind::RegrAvgy => regr::regr_avgy_udaf(),
            Kind::RegrSlope => regr::regr_slope_udaf(),
            Kind::RegrIntercept => regr::regr_intercept_udaf(),
            Kind::RegrR2 => regr::regr_r2_udaf(),
        }
    }

    /// The statistic's result type.
    pub fn output(self) -> DataType {
        match self {
            Kind::RegrCount => DataType::Int64,
            _ => DataType::Float64,
        }
    }
}

/// The aggregates, to register over DataFusion's.
pub fn udafs() -> Vec<AggregateUDF> {
    KINDS
        .iter()
        .map(|(kind, _)| {
            AggregateUDF::from(Bivariate {
                kind: *kind,
                aliases: if *kind == Kind::CovarSamp {
                    vec!["covar".to_string()]
                } else {
                    Vec::new()
                },
            })
        })
        .collect()
}

/// The type an argument is summed exactly as, if it is: integers as bigint, decimals of
/// at most 18 digits as themselves (their squares and products fit 128 bits).
pub fn exact_type(data_type: &DataType) -> Option<DataType> {
    match data_type {
        DataType::Null
        | DataType::Int8
        | DataType::Int16
        | DataType::Int32
        | DataType::Int64
        | DataType::UInt8
        | DataType::UInt16
        | DataType::UInt32 => Some(DataType::Int64),
        DataType::Decimal128(p, _) if *p <= 18 => Some(data_type.clone()),
        _ => None,
    }
}

fn scale_of(data_type: &DataType) -> i32 {
    match data_type {
        DataType::Decimal128(_, s) => i32::from(*s),
        _ => 0,
    }
}

/// The exact sums of a group's non-null pairs, unscaled: `y`, `x` at their arguments'
/// scales, `yy`, `xx` at twice them, `xy` at their sum.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Sums {
    pub n: i64,
    pub y: i128,
    pub x: i128,
    pub yy: i128,
    pub xx: i128,
    pub xy: i128,
}

fn overflow() -> DataFusionError {
    DataFusionError::Execution(
        "numeric value out of range: the exact sums of a regression or correlation overflow 128 bits (cast the arguments to float8 to compute it approximately)".into(),
    )
}

impl Sums {
    fn add(&mut self, y: i128, x: i128) -> Result<()> {
        let square = |a: i128, b: i128| a.checked_mul(b).ok_or_else(overflow);
        let plus = |a: i128, b: i128| a.checked_add(b).ok_or_else(overflow);
        self.n += 1;
        self.y = plus(self.y, y)?;
        self.x = plus(self.x, x)?;
        self.yy = plus(self.yy, square(y, y)?)?;
        self.xx = plus(self.xx, square(x, x)?)?;
        self.xy = plus(self.xy, square(x, y)?)?;
        Ok(())
    }

    fn merge(&mut self, other: &Sums) -> Result<()> {
        let plus = |a: i128, b: i128| a.checked_add(b).ok_or_else(overflow);
        self.n += other.n;
        self.y = plus(self.y, other.y)?;
        self.x = plus(self.x, other.x)?;
        self.yy = plus(self.yy, other.yy)?;
        self.xx = plus(self.xx, other.xx)?;
        self.xy = plus(self.xy, other.xy)?;
        Ok(())
    }
}

/// The scales of `y` and `x` (0 for integers).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Scales {
    pub y: i32,
    pub x: i32,
}

/// An unscaled integer at `scale` as a float8, as arrow casts a decimal.
fn real(value: i128, scale: i32) -> f64 {
    value as f64 / 10f64.powi(scale)
}

/// `n·Σab − Σa·Σb` as a float8 (exact in 128 bits where it fits, else in floats), and
/// whether it is exactly zero.
fn comoment(n: i64, ab: i128, a: i128, b: i128, scale_a: i32, scale_b: i32) -> (f64, bool) {
    let scale = scale_a + scale_b;
    let exact = i128::from(n)
        .checked_mul(ab)
        .and_then(|left| a.checked_mul(b).and_then(|right| left.checked_sub(right)));
    match exact {
        Some(v) => (real(v, scale), v == 0),
        None => {
            let v = n as f64 * real(ab, scale) - real(a, scale_a) * real(b, scale_b);
            (v, v == 0.0)
        }
    }
}

/// The statistic of `sums` (NULL as `None`), as PostgreSQL defines it for empty and
/// degenerate groups. `regr_count` is `n` itself (see [`Kind::output`]).
pub fn finish(kind: Kind, sums: &Sums, scales: Scales) -> Option<f64> {
    let n = sums.n;
    if n < 1 {
        return None;
    }
    let count = n as f64;
    let (sxx, x_flat) = comoment(n, sums.xx, sums.x, sums.x, scales.x, scales.x);
    let (syy, y_flat) = comoment(n, sums.yy, sums.y, sums.y, scales.y, scales.y);
    let (sxy, _) = comoment(n, sums.xy, sums.x, sums.y, scales.x, scales.y);
    // The co-moments above are n times PostgreSQL's Sxx, Syy, Sxy.
    Some(match kind {
        Kind::RegrCount => count,
        Kind::CovarPop => sxy / count / count,
        Kind::CovarSamp if n < 2 => return None,
        Kind::CovarSamp => sxy / count / (count - 1.0),
        Kind::Corr if x_flat || y_flat => return None,
        Kind::Corr => sxy / (sxx * syy).sqrt(),
        Kind::RegrSxx => sxx / count,
        Kind::RegrSyy => syy / count,
        Kind::RegrSxy => sxy / count,
        Kind::RegrAvgx => real(sums.x, scales.x) / count,
        Kind::RegrAvgy => real(sums.y, scales.y) / count,
        Kind::RegrSlope | Kind::RegrIntercept | Kind::RegrR2 if x_flat => return None,
        Kind::RegrSlope => sxy / sxx,
        Kind::RegrIntercept => {
            (real(sums.y, scales.y) - real(sums.x, scales.x) * sxy / sxx) / count
        }
        Kind::RegrR2 if y_flat => 1.0,
        Kind::RegrR2 => (sxy * sxy) / (sxx * syy),
    })
}

/// One of the aggregates.
#[derive(Debug, PartialEq, Eq, Hash)]
struct Bivariate {
    kind: Kind,
    aliases: Vec<String>,
}

static SIGNATURE: std::sync::LazyLock<Signature> =
    std::sync::LazyLock::new(|| Signature::user_defined(Volatility::Immutable));

impl Bivariate {
    /// Whether arguments of these types are summed exactly (else DataFusion's floats).
    fn exact(&self, types: &[&DataType]) -> bool {
        self.kind == Kind::RegrCount || types.iter().all(|t| exact_type(t).is_some())
    }

    fn exact_fields(fields: &[FieldRef]) -> Vec<&DataType> {
        fields.iter().map(|f| f.data_type()).collect()
    }
}

impl AggregateUDFImpl for Bivariate {
    fn name(&self) -> &str {
        self.kind.name()
    }

    fn aliases(&self) -> &[String] {
        &self.aliases
    }

    fn signature(&self) -> &Signature {
        &SIGNATURE
    }

    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        let name = self.kind.name();
        let [y, x] = arg_types else {
            return Err(DataFusionError::Plan(format!(
                "function {name} takes two arguments, not {}",
                arg_types.len()
            )));
        };
        let numeric = |t: &DataType| t.is_numeric() || t.is_null();
        if !numeric(y) || !numeric(x) {
            return Err(DataFusionError::Plan(format!(
                "function {name}({y}, {x}) does not exist: it takes numeric arguments"
            )));
        }
        if self.kind == Kind::RegrCount {
            return Ok(arg_types.to_vec());
        }
        Ok(match (exact_type(y), exact_type(x)) {
            (Some(y), Some(x)) => vec![y, x],
            _ => vec![DataType::Float64, DataType::Float64],
        })
    }

    fn return_type(&self, _: &[DataType]) -> Result<DataType> {
        Ok(self.kind.output())
    }

    fn is_nullable(&self) -> bool {
        self.kind != Kind::RegrCount
    }

    fn default_value(&self, _: &DataType) -> Result<ScalarValue> {
        Ok(match self.kind {
            Kind::RegrCount => ScalarValue::Int64(Some(0)),
            _ => ScalarValue::Float64(None),
        })
    }

    fn accumulator(&self, args: AccumulatorArgs) -> Result<Box<dyn Accumulator>> {
        if args.is_distinct {
            return Err(DataFusionError::NotImplemented(format!(
                "{}(DISTINCT ...) is not supported",
                self.kind.name()
            )));
        }
        let types = Self::exact_fields(args.expr_fields);
        if !self.exact(&types) {
            return self.kind.datafusion().inner().accumulator(args);
        }
        let scales = match types.as_slice() {
            [y, x] => Scales {
                y: scale_of(y),
                x: scale_of(x),
            },
            _ => Scales { y: 0, x: 0 },
        };
        Ok(Box::new(Pairs {
            kind: self.kind,
            sums: Sums::default(),
            scales,
        }))
    }

    fn state_fields(&self, args: StateFieldsArgs) -> Result<Vec<FieldRef>> {
        let types = Self::exact_fields(args.input_fields);
        if !self.exact(&types) {
            return self.kind.datafusion().inner().state_fields(args);
        }
        let wide = DataType::Decimal128(38, 0);
        let field = |part: &str, t: &DataType| {
            Arc::new(Field::new(
                format!("{}[{part}]", args.name),
                t.clone(),
                true,
            ))
        };
        Ok(vec![
            field("n", &DataType::Int64),
            field("sum_y", &wide),
            field("sum_x", &wide),
            field("sum_yy", &wide),
            field("sum_xx", &wide),
            field("sum_xy", &wide),
        ])
    }

    fn groups_accumulator_supported(&self, args: AccumulatorArgs) -> bool {
        let types = Self::exact_fields(args.expr_fields);
        !self.exact(&types)
            && self
                .kind
                .datafusion()
                .inner()
                .groups_accumulator_supported(args)
    }

    fn create_groups_accumulator(
        &self,
        args: AccumulatorArgs,
    ) -> Result<Box<dyn GroupsAccumulator>> {
        self.kind
            .datafusion()
            .inner()
            .create_groups_accumulator(args)
    }
}

/// A column of integers or decimals read as unscaled 128-bit integers.
enum Unscaled<'a> {
    Int(&'a Int64Array),
    Decimal(&'a Decimal128Array),
}

impl<'a> Unscaled<'a> {
    fn of(array: &'a ArrayRef) -> Result<Unscaled<'a>> {
        match array.data_type() {
            DataType::Int64 => Ok(Unscaled::Int(array.as_primitive::<Int64Type>())),
            DataType::Decimal128(..) => {
                Ok(Unscaled::Decimal(array.as_primitive::<Decimal128Type>()))
            }
            other => Err(DataFusionError::Internal(format!(
                "an exact regression sum of {other}"
            ))),
        }
    }

    fn get(&self, i: usize) -> Option<i128> {
        match self {
            Unscaled::Int(a) => a.is_valid(i).then(|| i128::from(a.value(i))),
            Unscaled::Decimal(a) => a.is_valid(i).then(|| a.value(i)),
        }
    }
}

/// The accumulator of exact sums.
#[derive(Debug)]
struct Pairs {
    kind: Kind,
    sums: Sums,
    scales: Scales,
}

impl Accumulator for Pairs {
    fn update_batch(&mut self, values: &[ArrayRef]) -> Result<()> {
        let [y, x] = values else {
            return Err(DataFusionError::Internal(
                "a regression takes two arguments".into(),
            ));
        };
        if self.kind == Kind::RegrCount {
            let pairs = (0..y.len())
                .filter(|&i| y.is_valid(i) && x.is_valid(i))
                .count();
            self.sums.n += i64::try_from(pairs).map_err(|_| overflow())?;
            return Ok(());
        }
        let (ys, xs) = (Unscaled::of(y)?, Unscaled::of(x)?);
        for i in 0..y.len() {
            if let (Some(y), Some(x)) = (ys.get(i), xs.get(i)) {
                self.sums.add(y, x)?;
            }
        }
        Ok(())
    }

    fn merge_batch(&mut self, states: &[ArrayRef]) -> Result<()> {
        let [n, y, x, yy, xx, xy] = states else {
            return Err(DataFusionError::Internal(
                "a regression's state has six parts".into(),
            ));
        };
        let n = n.as_primitive::<Int64Type>();
        let parts = [y, x, yy, xx, xy].map(|a| a.as_primitive::<Decimal128Type>());
        for i in 0..n.len() {
            if n.is_null(i) {
                continue;
            }
            let value = |p: usize| {
                if parts[p].is_valid(i) {
                    parts[p].value(i)
                } else {
                    0
                }
            };
            self.sums.merge(&Sums {
                n: n.value(i),
                y: value(0),
                x: value(1),
                yy: value(2),
                xx: value(3),
                xy: value(4),
            })?;
        }
        Ok(())
    }

    fn state(&mut self) -> Result<Vec<ScalarValue>> {
        let s = self.sums;
        let wide = |v: i128| ScalarValue::Decimal128(Some(v), 38, 0);
        Ok(vec![
            ScalarValue::Int64(Some(s.n)),
            wide(s.y),
            wide(s.x),
            wide(s.yy),
            wide(s.xx),
            wide(s.xy),
        ])
    }

    fn evaluate(&mut self) -> Result<ScalarValue> {
        Ok(match self.kind {
            Kind::RegrCount => ScalarValue::Int64(Some(self.sums.n)),
            kind => ScalarValue::Float64(finish(kind, &self.sums, self.scales)),
        })
    }

    fn size(&self) -> usize {
        std::mem::size_of_val(self)
    }
}

/// The statistic of merged sums (a rollup's): `n` (bigint) and `Σy`, `Σx`, `Σy²`, `Σx²`,
/// `Σxy` (bigint or decimal, squares at twice their argument's scale, `Σxy` at the sum of
/// both), finished by [`finish`].
pub fn of_sums(kind: Kind, sums: [Expr; 6]) -> Expr {
    ScalarUDF::new_from_impl(OfSums {
        kind,
        name: format!("lyceum_rollup_{}", kind.name()),
        signature: Signature::any(6, Volatility::Immutable),
    })
    .call(sums.to_vec())
}

#[derive(Debug, PartialEq, Eq, Hash)]
struct OfSums {
    kind: Kind,
    /// Named by the statistic, so that two statistics of the same sums are two columns.
    name: String,
    signature: Signature,
}

/// A column of sums as unscaled integers with their scale.
fn sums_column(array: &ArrayRef) -> Result<(Vec<Option<i128>>, i32)> {
    super::unscaled(array)?.ok_or_else(|| {
        DataFusionError::Internal(format!(
            "lyceum_rollup_bivariate: a sum of type {}",
            array.data_type()
        ))
    })
}

impl ScalarUDFImpl for OfSums {
    fn name(&self) -> &str {
        &self.name
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _: &[DataType]) -> Result<DataType> {
        Ok(self.kind.output())
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let arrays = ColumnarValue::values_to_arrays(&args.args)?;
        let [n, rest @ ..] = arrays.as_slice() else {
            return Err(DataFusionError::Internal(
                "lyceum_rollup_bivariate takes six sums".into(),
            ));
        };
        let n = arrow::compute::cast(n, &DataType::Int64)?;
        let n = n.as_primitive::<Int64Type>();
        if self.kind == Kind::RegrCount {
            let counts: Int64Array = n.iter().map(|v| Some(v.unwrap_or(0))).collect();
            return Ok(ColumnarValue::Array(Arc::new(counts)));
        }
        let columns = rest.iter().map(sums_column).collect::<Result<Vec<_>>>()?;
        let [(y, sy), (x, sx), (yy, syy), (xx, sxx), (xy, sxy)] = columns.as_slice() else {
            return Err(DataFusionError::Internal(
                "lyceum_rollup_bivariate takes six sums".into(),
            ));
        };
        let empty = |c: &[Option<i128>]| c.iter().all(Option::is_none);
        let consistent = *syy == 2 * sy && *sxx == 2 * sx && *sxy == sx + sy;
        if !consistent && (!empty(y) || !empty(x)) {
            return Err(DataFusionError::Internal(
                "lyceum_rollup_bivariate: the sums' scales do not agree".into(),
            ));
        }
        let scales = Scales { y: *sy, x: *sx };
        let out: Float64Array = (0..n.len())
            .map(|i| {
                let sums = Sums {
                    n: if n.is_valid(i) { n.value(i) } else { 0 },
                    y: y[i].unwrap_or(0),
                    x: x[i].unwrap_or(0),
                    yy: yy[i].unwrap_or(0),
                    xx: xx[i].unwrap_or(0),
                    xy: xy[i].unwrap_or(0),
                };
                finish(self.kind, &sums, scales)
            })
            .collect();
        Ok(ColumnarValue::Array(Arc::new(out)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sums_of(pairs: &[(i128, i128)]) -> Result<Sums> {
        let mut sums = Sums::default();
        for (y, x) in pairs {
            sums.add(*y, *x)?;
        }
        Ok(sums)
    }

    #[test]
    fn equal_values_have_no_spread_and_postgresql_nulls() -> Result<()> {
        // x = 3.70 three times (scale 2), y varies: no x spread at all.
        let sums = sums_of(&[(100, 370), (250, 370), (300, 370)])?;
        let scales = Scales { y: 2, x: 2 };
        assert_eq!(finish(Kind::Corr, &sums, scales), None);
        assert_eq!(finish(Kind::RegrSlope, &sums, scales), None);
        assert_eq!(finish(Kind::RegrR2, &sums, scales), None);
        assert_eq!(finish(Kind::CovarPop, &sums, scales), Some(0.0));
        // Only y flat: r² is 1 (PostgreSQL), corr NULL.
        let flat_y = sums_of(&[(5, 1), (5, 2), (5, 4)])?;
        let ints = Scales { y: 0, x: 0 };
        assert_eq!(finish(Kind::RegrR2, &flat_y, ints), Some(1.0));
        assert_eq!(finish(Kind::Corr, &flat_y, ints), None);
        assert_eq!(finish(Kind::CovarSamp, &sums_of(&[(1, 1)])?, ints), None);
        assert_eq!(finish(Kind::RegrAvgx, &Sums::default(), ints), None);
        Ok(())
    }

    #[test]
    fn statistics_match_their_definitions() -> Result<()> {
        // y = 2x + 1 exactly over x = 1..4: slope 2, intercept 1, r² 1, corr 1.
        let sums = sums_of(&[(3, 1), (5, 2), (7, 3), (9, 4)])?;
        let s = Scales { y: 0, x: 0 };
        let close = |k: Kind, v: f64| {
            let got = finish(k, &sums, s).unwrap_or(f64::NAN);
            assert!((got - v).abs() < 1e-12, "{k:?}: {got} vs {v}");
        };
        close(Kind::RegrSlope, 2.0);
        close(Kind::RegrIntercept, 1.0);
        close(Kind::RegrR2, 1.0);
        close(Kind::Corr, 1.0);
        // Sxx = Σ(x − 2.5)² = 5; Sxy = 10; covariances 10/4 and 10/3.
        close(Kind::RegrSxx, 5.0);
        close(Kind::RegrSxy, 10.0);
        close(Kind::CovarPop, 2.5);
        close(Kind::CovarSamp, 10.0 / 3.0);
        close(Kind::RegrAvgx, 2.5);
        close(Kind::RegrAvgy, 6.0);
        Ok(())
    }

    #[test]
    fn overflowing_sums_are_an_error() {
        let mut sums = Sums::default();
        let big = i128::MAX / 2;
        assert!(sums.add(big, 1).is_err());
    }
}
