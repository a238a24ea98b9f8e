//! SQL with the meaning PostgreSQL gives it where DataFusion gives another (a different
//! answer, never an error): analyzer rules and functions that replace DataFusion's,
//! independent of the wire a query came by.

pub mod named_windows;
pub mod numeric;
mod set_ops;
mod similar_to;
mod to_char;

use datafusion::prelude::SessionContext;

pub use set_ops::MultisetSetOperations;
pub use similar_to::SimilarTo;

/// Registers the functions that replace DataFusion's own.
pub fn register(ctx: &SessionContext) {
    ctx.register_udf(to_char::udf());
}
