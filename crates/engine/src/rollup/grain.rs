//! A query at a rollup's grain: when the query groups by every key of the rollup, each of
//! its groups is exactly one stored row (a rollup holds one row per key combination,
//! built or incrementally merged by a `GROUP BY` of its keys), so nothing needs merging.
//! The merge expressions are then finished from the row's own states: a sum, a minimum
//! or a maximum of one state is that state, and a distinct count of one stored set is the
//! size stored beside it (or, in formats before sizes, that its header records). This skips the hash aggregation and the decoding of distinct
//! sets that a merge would do (a query over 53k class sections read every set).
//!
//! Only where the answer is the same by construction: no dimension joined back (a joined
//! row could repeat a stored row), at least one group key (a query without one returns a
//! row even over no stored rows), and merges made only of the functions above.

use std::collections::BTreeSet;

use datafusion::common::tree_node::{Transformed, TreeNode};
use datafusion::common::{Column, DFSchema, TableReference};
use datafusion::logical_expr::{Expr, ExprSchemable, cast};
use lyceum_catalog::StateKind;

use super::definition::Definition;
use super::distinct_set::distinct_size;

/// Whether `group` (the query's group keys over the rollup's columns) names every key
/// column of the rollup scanned as `reference`.
pub fn covers_keys(group: &[Expr], definition: &Definition, reference: &TableReference) -> bool {
    let named: BTreeSet<&str> = group
        .iter()
        .filter_map(|key| match key {
            Expr::Column(c) if c.relation.as_ref() == Some(reference) => Some(c.name.as_str()),
            _ => None,
        })
        .collect();
    !group.is_empty()
        && definition
            .states
            .iter()
            .filter(|s| s.column.kind == StateKind::Key)
            .all(|s| named.contains(s.column.column.as_str()))
}

/// `merge` finished from one stored row of `schema` (the rollup of `definition`), or
/// `None` where it has a merge this module cannot finish so. A distinct count reads the
/// set's stored size where the rollup's format has one.
pub fn single_row(merge: &Expr, schema: &DFSchema, definition: &Definition) -> Option<Expr> {
    let mut unfinished = false;
    let finished = merge
        .clone()
        .transform_up(|e| {
            let Expr::AggregateFunction(function) = &e else {
                return Ok(Transformed::no(e));
            };
            let params = &function.params;
            let plain = params.filter.is_none() && params.order_by.is_empty();
            let [argument] = params.args.as_slice() else {
                unfinished = true;
                return Ok(Transformed::no(e));
            };
            let replaced = match function.func.name() {
                "sum" | "min" | "max" if plain && !params.distinct => {
                    let merged = e.get_type(schema)?;
                    if argument.get_type(schema)? == merged {
                        argument.clone()
                    } else {
                        cast(argument.clone(), merged)
                    }
                }
                "lyceum_distinct_count" if plain => match argument {
                    Expr::Column(set) => match definition.size_of_set(&set.name) {
                        Some(size) => Expr::Column(Column::new(set.relation.clone(), size)),
                        None => distinct_size(argument.clone()),
                    },
                    _ => distinct_size(argument.clone()),
                },
                _ => {
                    unfinished = true;
                    return Ok(Transformed::no(e));
                }
            };
            Ok(Transformed::yes(replaced))
        })
        .ok()?
        .data;
    (!unfinished).then_some(finished)
}
