//! Aggregate functions Lyceum computes itself instead of DataFusion, registered in every
//! session (and in the planner of rollup definitions, so both read the same functions).
//!
//! - [`bivariate`]: `corr`, `covar_samp`, `covar_pop` and the `regr_*` family over
//!   integers and decimals from exact sums, with PostgreSQL's rules for empty and
//!   degenerate groups. Rollups store the same sums and finish them with the same code,
//!   so a rollup's answer is the base tables' to the last bit.

pub mod bivariate;
mod counts;
mod mode;
mod percentile_disc;

use arrow::array::{ArrayRef, AsArray};
use arrow::datatypes::{DataType, Decimal128Type, Int64Type};
use datafusion::error::Result;
use datafusion::prelude::SessionContext;

/// Registers Lyceum's aggregates over DataFusion's of the same names.
pub fn register(ctx: &SessionContext) {
    for udaf in bivariate::udafs() {
        ctx.register_udaf(udaf);
    }
    ctx.register_udaf(mode::udaf());
    ctx.register_udaf(percentile_disc::udaf());
    // PostgreSQL's name for bool_and.
    let every = datafusion::functions_aggregate::bool_and_or::bool_and_udaf()
        .as_ref()
        .clone()
        .with_aliases(["every"]);
    ctx.register_udaf(every);
}

/// The values of an integer, decimal or NULL column as unscaled integers with their scale
/// (exact sums are kept in `i128`); `None` for another type.
pub fn unscaled(array: &ArrayRef) -> Result<Option<(Vec<Option<i128>>, i32)>> {
    Ok(Some(match array.data_type() {
        DataType::Decimal128(_, scale) => (
            array.as_primitive::<Decimal128Type>().iter().collect(),
            i32::from(*scale),
        ),
        DataType::Null => (vec![None; array.len()], 0),
        t if t.is_integer() => {
            let ints = arrow::compute::cast(array, &DataType::Int64)?;
            let values = ints
                .as_primitive::<Int64Type>()
                .iter()
                .map(|v| v.map(i128::from))
                .collect();
            (values, 0)
        }
        _ => return Ok(None),
    }))
}
