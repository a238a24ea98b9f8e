//! Rollups: materialized views whose data are re-mergeable aggregate states.
//!
//! A rollup is defined by an administrator's `CREATE MATERIALIZED VIEW name AS SELECT
//! <keys>, <aggregates> FROM <fact> JOIN <dimensions> ... GROUP BY <keys>`. Its data are a
//! Delta table (a [`crate::TableEntry`] of role [`crate::TableRole::Rollup`]) holding, per
//! group, one column per key and one per *state*: the partial results an aggregate can be
//! merged from (a sum, a count, a minimum, a maximum), never a finished average or
//! DataFusion's internal accumulator state. A query whose aggregate is finer than or equal
//! to the rollup's grain is answered by merging states (the engine's `rollup` module).
//!
//! What is persisted here, in the warehouse version:
//! - `query`: the definition as written, re-planned by the engine when a version is read;
//! - `columns`: what the view shows (its output columns), for the catalog;
//! - `states`: what each stored column holds, in order, in Lyceum's own terms
//!   ([`StateKind`] over the printed, normalised argument). The engine derives the same
//!   list from `query` when it reads the version and uses the rollup only if both agree;
//! - `built_from`: the Delta version of every table the states were computed from. A
//!   warehouse version whose tables are at other versions does not use the rollup;
//! - `disabled`: why the rollup must not answer queries, when it must not.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::model::ColumnDef;

/// The format of the stored states this build writes and the newest it reads. 1: distinct
/// sets as JSON arrays of text; 2: distinct sets as roaring bitmaps (tagged text, see the
/// engine's `rollup::distinct_set`); 3: each distinct set followed by its size
/// ([`StateKind::Size`]). A build reads every older format; a rollup in an older one is
/// rebuilt (not incrementally refreshed) by the next refresh.
pub const ROLLUP_STATE_FORMAT: u32 = 3;

/// The first format that stores [`StateKind::Size`] columns.
pub const SIZE_STATE_FORMAT: u32 = 3;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RollupDef {
    /// The defining `SELECT`, as the administrator wrote it.
    pub query: String,
    /// The columns the materialized view shows.
    pub columns: Vec<ColumnDef>,
    pub state_format: u32,
    /// What each stored column holds, in the stored table's column order.
    pub states: Vec<StateColumn>,
    /// `schema.table` → the Delta version the states were computed from.
    pub built_from: BTreeMap<String, u64>,
    /// Why the rollup must not answer queries (a failed check of its inputs).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disabled: Option<String>,
}

/// One stored column of a rollup.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StateColumn {
    /// The stored column's name.
    pub column: String,
    pub kind: StateKind,
    /// The key expression or the aggregate's argument, normalised and printed by the
    /// engine (`public.fact_enrollment.credit_hours_attempted`); `*` for `COUNT(*)`.
    pub argument: String,
}

/// What a stored column holds, and how groups of it merge.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StateKind {
    /// A group key (merged by grouping).
    Key,
    /// The sum of the non-null arguments (merged by sum; NULL when there were none).
    Sum,
    /// The number of non-null arguments, or of rows for `*` (merged by sum).
    Count,
    /// Merged by min.
    Min,
    /// Merged by max.
    Max,
    /// The distinct non-null values, as a JSON array of their text, sorted (merged by
    /// union; `COUNT(DISTINCT)` is the union's size).
    Distinct,
    /// The number of members of the distinct set of the same argument (stored after all
    /// other states, so a refresh adds it to a rollup of an older format). Not merged: a query at the rollup's grain reads it instead of the set, and a
    /// merge of sets counts the merged set.
    Size,
    /// The non-null values (integers and decimals) with how many rows had each, as a
    /// JSON array of `["<unscaled value>", count]` pairs sorted by value (merged by
    /// adding counts; a median is read off the merged histogram).
    Histogram,
}

impl StateKind {
    pub fn name(self) -> &'static str {
        match self {
            StateKind::Key => "key",
            StateKind::Sum => "sum",
            StateKind::Count => "count",
            StateKind::Min => "min",
            StateKind::Max => "max",
            StateKind::Distinct => "distinct",
            StateKind::Size => "size",
            StateKind::Histogram => "histogram",
        }
    }
}

impl RollupDef {
    /// The tables whose versions the states depend on.
    pub fn sources(&self) -> impl Iterator<Item = &str> {
        self.built_from.keys().map(String::as_str)
    }

    /// Why this rollup's states do not describe `tables` (name → pinned Delta version),
    /// or `None` when they do.
    pub fn staleness(&self, version_of: impl Fn(&str) -> Option<u64>) -> Option<String> {
        for (table, built) in &self.built_from {
            match version_of(table) {
                Some(now) if now == *built => {}
                Some(now) => {
                    return Some(format!(
                        "{table} changed since it was built (Delta version {built}, now {now})"
                    ));
                }
                None => return Some(format!("{table} no longer exists")),
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn staleness_names_the_first_changed_table() {
        let def = RollupDef {
            query: "SELECT 1".into(),
            columns: Vec::new(),
            state_format: ROLLUP_STATE_FORMAT,
            states: Vec::new(),
            built_from: BTreeMap::from([("public.a".to_string(), 3), ("public.b".to_string(), 1)]),
            disabled: None,
        };
        assert_eq!(
            def.staleness(|_| Some(3)).as_deref(),
            Some("public.b changed since it was built (Delta version 1, now 3)")
        );
        assert_eq!(
            def.staleness(|t| Some(if t == "public.a" { 3 } else { 1 })),
            None
        );
        assert!(
            def.staleness(|_| None)
                .is_some_and(|r| r.contains("no longer exists"))
        );
    }
}
