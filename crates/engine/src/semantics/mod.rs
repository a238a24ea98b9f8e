//! SQL with the meaning PostgreSQL gives it where DataFusion gives another (a different
//! answer, never an error): analyzer rules and functions that replace DataFusion's,
//! independent of the wire a query came by.

mod any_array;
mod ast;
mod distinct_order;
mod extract;
mod fetch_first;
mod from_text;
pub mod json;
mod math;
mod modulo;
mod named_windows;
pub mod numeric;
mod refusals;
mod set_ops;
mod similar_to;
mod to_char;
pub mod typmods;

use datafusion::prelude::SessionContext;

pub use set_ops::MultisetSetOperations;
pub use similar_to::SimilarTo;

/// A parsed statement with the clauses DataFusion plans differently written out as SQL
/// defines them (windows on windows, `op ANY (array)` with NULLs), before it is planned.
pub fn before_planning(
    statement: datafusion::sql::parser::Statement,
) -> datafusion::sql::parser::Statement {
    let statement = json::resolve(named_windows::resolve(any_array::resolve(statement)));
    let statement = modulo::resolve(fetch_first::resolve(distinct_order::resolve(statement)));
    typmods::resolve(extract::resolve(statement))
}

/// Registers the functions that replace DataFusion's own.
pub fn register(ctx: &SessionContext) {
    ctx.register_udf(to_char::udf());
    json::register(ctx);
    math::register(ctx);
    from_text::register(ctx);
    extract::register(ctx);
    typmods::register(ctx);
}
