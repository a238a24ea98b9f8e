//! The rollups of one warehouse version: each one usable (fresh, understood, its stored
//! states the ones its definition derives) or not, with the reason.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use datafusion::catalog::TableProvider;
use datafusion::common::TableReference;
use datafusion::common::tree_node::{TreeNode, TreeNodeRecursion};
use datafusion::datasource::{provider_as_source, source_as_provider};
use datafusion::logical_expr::{Aggregate, LogicalPlan, TableSource};
use lyceum_catalog::{ROLLUP_STATE_FORMAT, RollupDef, TableEntry, TableRole, WarehouseVersion};

use super::definition::{Definition, top_aggregate};
use super::matcher::{Answer, Usable, answer};
use super::shape::Shape;

/// Where a provider lives: the same table of the same snapshot has one address.
pub fn provider_address(provider: &Arc<dyn TableProvider>) -> usize {
    Arc::as_ptr(provider) as *const () as usize
}

/// One rollup of a version.
#[derive(Debug)]
pub struct Candidate {
    /// `schema.name`.
    pub name: String,
    /// Stored groups (what a scan of it reads).
    pub rows: u64,
    /// Its definition as written.
    pub query: String,
    /// `schema.table@delta_version` of what its states were computed from.
    pub built_from: String,
    pub usable: Result<Usable, String>,
    /// Queries it answered since this version was opened.
    pub hits: AtomicU64,
}

/// What one aggregate of a query got.
#[derive(Debug)]
pub enum Outcome {
    /// Answered from the named rollup (with these dimensions joined back) by this plan.
    Used {
        rollup: String,
        joined_back: Vec<String>,
        /// At the rollup's grain: a projection of its rows, no merge.
        at_grain: bool,
        plan: LogicalPlan,
    },
    /// Not answered, and why, per candidate (or for all of them).
    NotUsed { reasons: Vec<String>, facts: bool },
    /// Not an aggregate over warehouse tables (an already rewritten one, a system view).
    NotApplicable,
}

/// The rollups of one warehouse version and what identifies its tables in plans.
#[derive(Debug, Default)]
pub struct RollupSet {
    /// Warehouse table providers by address → `schema.table`.
    names: HashMap<usize, String>,
    /// Rollups' state tables, by address (an aggregate over one is not rewritten again).
    states: HashSet<usize>,
    facts: BTreeSet<String>,
    /// Ordered by stored rows, fewest first: the first that answers wins.
    candidates: Vec<Candidate>,
}

/// One rollup entry of a version, as the snapshot opened it.
pub struct Opened<'a> {
    pub entry: &'a TableEntry,
    pub def: &'a RollupDef,
    pub provider: Arc<dyn TableProvider>,
    /// The definition planned against this version and analysed, or why it cannot be.
    pub planned: Result<LogicalPlan, String>,
}

impl RollupSet {
    /// The set of `manifest`'s rollups; `tables` are the version's other warehouse
    /// tables' providers by `schema.table`.
    pub fn new(
        manifest: &WarehouseVersion,
        tables: &HashMap<String, Arc<dyn TableProvider>>,
        rollups: Vec<Opened<'_>>,
    ) -> RollupSet {
        let names: HashMap<usize, String> = tables
            .iter()
            .map(|(name, p)| (provider_address(p), name.clone()))
            .collect();
        let facts = manifest
            .tables
            .iter()
            .filter(|(_, e)| e.definition.role == TableRole::Fact)
            .map(|(n, _)| n.clone())
            .collect();
        let mut set = RollupSet {
            names,
            states: rollups
                .iter()
                .map(|r| provider_address(&r.provider))
                .collect(),
            facts,
            candidates: Vec::new(),
        };
        for opened in rollups {
            let name = opened.entry.definition.qualified_name();
            let usable = set.usable(manifest, &opened);
            let built_from = opened
                .def
                .built_from
                .iter()
                .map(|(t, v)| format!("{t}@{v}"))
                .collect::<Vec<_>>()
                .join(", ");
            set.candidates.push(Candidate {
                name,
                rows: opened.entry.rows,
                query: opened.def.query.clone(),
                built_from,
                usable,
                hits: AtomicU64::new(0),
            });
        }
        set.candidates
            .sort_by(|a, b| a.rows.cmp(&b.rows).then(a.name.cmp(&b.name)));
        set
    }

    fn usable(&self, manifest: &WarehouseVersion, opened: &Opened<'_>) -> Result<Usable, String> {
        let def = opened.def;
        if let Some(reason) = &def.disabled {
            return Err(format!("disabled: {reason}"));
        }
        if def.state_format > ROLLUP_STATE_FORMAT {
            return Err(format!(
                "its states are in format {}, newer than this build reads ({ROLLUP_STATE_FORMAT})",
                def.state_format
            ));
        }
        if let Some(stale) = def.staleness(|t| manifest.tables.get(t).map(|e| e.delta_version)) {
            return Err(format!(
                "stale: {stale}; REFRESH MATERIALIZED VIEW rebuilds it"
            ));
        }
        let planned = opened.planned.as_ref().map_err(Clone::clone)?;
        let aggregate = top_aggregate(planned)?;
        let definition =
            Definition::of(aggregate, &|s| self.name_of(s))?.as_stored_in(def.state_format);
        if definition.columns() != def.states {
            return Err(
                "its stored states are not the ones its definition derives now (REFRESH MATERIALIZED VIEW rebuilds them)"
                    .into(),
            );
        }
        let table = &opened.entry.definition;
        let reference = TableReference::partial(table.schema.as_str(), table.name.as_str());
        let lossless = super::constraints::lossless_joins(&definition.shape, manifest);
        Ok(Usable {
            definition,
            source: provider_as_source(opened.provider.clone()),
            reference,
            lossless,
        })
    }

    /// The warehouse table a scanned source is, if it is one.
    pub fn name_of(&self, source: &Arc<dyn TableSource>) -> Option<String> {
        let provider = source_as_provider(source).ok()?;
        self.names.get(&provider_address(&provider)).cloned()
    }

    fn is_state_table(&self, source: &Arc<dyn TableSource>) -> bool {
        source_as_provider(source)
            .map(|p| self.states.contains(&provider_address(&p)))
            .unwrap_or(false)
    }

    pub fn candidates(&self) -> &[Candidate] {
        &self.candidates
    }

    /// How `aggregate` is answered: from the smallest rollup that can, or why none can.
    pub fn answer(&self, aggregate: &Aggregate) -> Outcome {
        let mut reads_state = false;
        let _ = aggregate.input.apply(|node| {
            if let LogicalPlan::TableScan(scan) = node
                && self.is_state_table(&scan.source)
            {
                reads_state = true;
            }
            Ok(TreeNodeRecursion::Continue)
        });
        if reads_state {
            return Outcome::NotApplicable;
        }
        let shape = match Shape::of(&aggregate.input, &|s| self.name_of(s)) {
            Ok(shape) => shape,
            Err(reason) => {
                let facts = reads_fact(&aggregate.input, self);
                return if facts {
                    Outcome::NotUsed {
                        reasons: vec![format!("the aggregate's input has {reason}")],
                        facts,
                    }
                } else {
                    Outcome::NotApplicable
                };
            }
        };
        let facts = shape.tables.iter().any(|t| self.facts.contains(t));
        if self.candidates.is_empty() {
            return if facts {
                Outcome::NotUsed {
                    reasons: vec!["this warehouse version has no rollups".into()],
                    facts,
                }
            } else {
                Outcome::NotApplicable
            };
        }
        let mut reasons = Vec::new();
        for candidate in &self.candidates {
            let attempt = candidate
                .usable
                .as_ref()
                .map_err(Clone::clone)
                .and_then(|usable| answer(aggregate, &shape, usable, &self.facts));
            match attempt {
                Ok(Answer {
                    plan,
                    joined_back,
                    at_grain,
                }) => {
                    candidate.hits.fetch_add(1, Ordering::Relaxed);
                    return Outcome::Used {
                        rollup: candidate.name.clone(),
                        joined_back,
                        at_grain,
                        plan,
                    };
                }
                Err(reason) => reasons.push(format!("{}: {reason}", candidate.name)),
            }
        }
        Outcome::NotUsed { reasons, facts }
    }
}

fn reads_fact(plan: &LogicalPlan, set: &RollupSet) -> bool {
    let mut found = false;
    let _ = plan.apply(|node| {
        if let LogicalPlan::TableScan(scan) = node
            && set
                .name_of(&scan.source)
                .is_some_and(|n| set.facts.contains(&n))
        {
            found = true;
        }
        Ok(TreeNodeRecursion::Continue)
    });
    found
}
