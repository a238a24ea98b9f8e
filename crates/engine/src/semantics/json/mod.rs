//! `json` and `jsonb` as PostgreSQL has them, over Arrow strings: the syntax pass
//! ([`syntax`]) turns casts, operators and JSON aggregates into calls of the functions in
//! [`functions`], which read and write documents as [`document`] does.

mod document;
pub mod functions;
mod syntax;

pub use functions::register;
pub(super) use syntax::resolve;
