//! Rollups: aggregate queries answered from stored, re-mergeable states.
//!
//! - [`shape`] reads which warehouse tables an aggregate reads and how (joins, filters),
//!   whatever aliases the query used.
//! - [`definition`] reads a rollup's defining aggregate: its keys and the states it stores.
//! - [`matcher`] answers one aggregate of a query from one rollup, or says why not;
//!   [`grain`] answers one at the rollup's own grain without merging.
//! - [`set`] is the rollups one warehouse version offers, each usable or not (and why).
//! - [`rule`] is the analyzer rule that rewrites a session's queries onto them.
//! - [`build`] plans a rollup's states from its definition, to build or refresh it.
//! - [`refresh`] refreshes, in a load's transaction, the rollups the load made stale:
//!   [`incremental`]ly where it only appended rows (through an [`overlay`] of the
//!   version), else by a rebuild; [`constraints`] disables a rollup whose join keys are
//!   broken.
//!
//! What is stored is Lyceum's own state format (`lyceum_catalog::rollup`); the catalog
//! entry records the Delta versions the states were computed from, and a version uses a
//! rollup only when its tables are at exactly those versions. A rollup that cannot be
//! used is never an error: the base tables answer, and `EXPLAIN` says why.

pub mod build;
pub mod constraints;
mod decimal_avg;
pub mod defaults;
pub mod definition;
pub mod distinct_set;
mod grain;
pub mod histogram;
pub mod incremental;
pub mod matcher;
pub mod overlay;
pub mod refresh;
mod row_delta;
pub mod rule;
pub mod set;
pub mod shape;
pub mod system_table;
mod variance;

pub use rule::{RollupMode, RollupRule, RollupSlot};
pub use set::RollupSet;
