//! Aggregate functions Lyceum computes itself instead of DataFusion, registered in every
//! session (and in the planner of rollup definitions, so both read the same functions).
//!
//! - [`bivariate`]: `corr`, `covar_samp`, `covar_pop` and the `regr_*` family over
//!   integers and decimals from exact sums, with PostgreSQL's rules for empty and
//!   degenerate groups. Rollups store the same sums and finish them with the same code,
//!   so a rollup's answer is the base tables' to the last bit.

pub mod bivariate;

use datafusion::prelude::SessionContext;

/// Registers Lyceum's aggregates over DataFusion's of the same names.
pub fn register(ctx: &SessionContext) {
    for udaf in bivariate::udafs() {
        ctx.register_udaf(udaf);
    }
}
