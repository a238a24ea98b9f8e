//! How work runs in Lyceum.
//!
//! - [`extract`] is the extract headers, the contract shared by the generator and the load.
//! - [`generate`] writes a synthetic university's source extracts (see `data/README.md`).
//! - [`load`] turns extracts into the star schema: validate, cleanse, conform, SCD2, write
//!   Delta tables, and commit one warehouse version.
//! - [`warehouse`] opens the warehouse by URL, pins warehouse versions, and commits them.
//! - [`session`] is the one query layer every endpoint (CLI, Postgres wire, Flight) shares.
//! - [`memory`] is the server's memory pool and each query's share of it.
//! - [`aggregates`] are the aggregate functions Lyceum computes itself (exact regressions).
//! - [`auth`] checks users' credentials for every endpoint.
//! - [`pgcatalog`] is PostgreSQL's system catalog over Lyceum's, for BI tools and drivers.
//!
//! Invariants: a reader always sees one pinned warehouse version; a writer commits all of
//! its tables or none; every source row is loaded, cleaned-and-loaded, or quarantined.

pub mod aggregates;
pub mod auth;
pub mod error;
pub mod extract;
pub mod generate;
pub mod load;
pub mod memory;
pub mod pgcatalog;
mod privileges;
pub mod rollup;
mod semantics;
pub mod session;
mod sqlfn;
pub mod warehouse;

pub use error::{EngineError, Result};
pub use semantics::numeric::display as numeric_display;
pub use semantics::typmods::BPCHAR_LENGTH_KEY;
