//! The rewrite: an analyzer rule, last of the analyzer's, that answers each aggregate of a
//! query it can from a rollup of the session's pinned version.
//!
//! It is an analyzer rule rather than an optimizer rule because the analyzer runs once per
//! plan, after type coercion and before every optimizer rule: the aggregate it sees is
//! the one the query wrote (nothing has yet turned a DISTINCT aggregate into nested
//! aggregates or moved filters into scans), so it matches the rollup's definition, which
//! is read the same way; and its verdicts are reported once, not once per optimizer pass.

use std::sync::{Arc, Mutex, RwLock};

use datafusion::common::config::ConfigOptions;
use datafusion::common::tree_node::Transformed;
use datafusion::error::{DataFusionError, Result};
use datafusion::logical_expr::LogicalPlan;
use datafusion::optimizer::AnalyzerRule;
use tracing::debug;

use super::set::{Outcome, RollupSet};
use crate::session::LyceumOptions;

/// `SET lyceum.rollups`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RollupMode {
    On,
    Off,
    /// An aggregate over a fact table that no rollup answers is an error.
    Strict,
}

impl RollupMode {
    /// The mode a setting's value names (`on`/`true`, `off`/`false`, `strict`).
    pub fn parse(value: &str) -> Option<RollupMode> {
        match value.trim().to_ascii_lowercase().as_str() {
            "on" | "true" => Some(RollupMode::On),
            "off" | "false" => Some(RollupMode::Off),
            "strict" => Some(RollupMode::Strict),
            _ => None,
        }
    }
}

/// What a session's rule reads: the rollups of the version it pinned, and what the rule
/// decided for the last plan (for `EXPLAIN`).
#[derive(Debug, Default)]
pub struct RollupSlot {
    set: RwLock<Option<Arc<RollupSet>>>,
    reports: Mutex<Vec<String>>,
}

impl RollupSlot {
    /// The session now reads the version of `set` (`None`: a version without usable
    /// rollups, such as a transaction's own uncommitted writes).
    pub fn pin(&self, set: Option<Arc<RollupSet>>) {
        if let Ok(mut current) = self.set.write() {
            *current = set;
        }
    }

    pub fn current(&self) -> Option<Arc<RollupSet>> {
        self.set.read().ok().and_then(|s| s.clone())
    }

    /// What the rule decided since the last call, one line per aggregate.
    pub fn take_reports(&self) -> Vec<String> {
        self.reports
            .lock()
            .map(|mut r| std::mem::take(&mut *r))
            .unwrap_or_default()
    }

    fn report(&self, lines: Vec<String>) {
        if let Ok(mut r) = self.reports.lock() {
            *r = lines;
        }
    }
}

#[derive(Debug)]
pub struct RollupRule {
    slot: Arc<RollupSlot>,
}

impl RollupRule {
    pub fn new(slot: Arc<RollupSlot>) -> RollupRule {
        RollupRule { slot }
    }
}

impl AnalyzerRule for RollupRule {
    fn name(&self) -> &str {
        "lyceum_rollups"
    }

    fn analyze(&self, plan: LogicalPlan, config: &ConfigOptions) -> Result<LogicalPlan> {
        let setting = config
            .extensions
            .get::<LyceumOptions>()
            .map(|o| o.rollups.clone())
            .unwrap_or_default();
        let mode = RollupMode::parse(&setting).ok_or_else(|| {
            DataFusionError::Plan(format!(
                "invalid value for lyceum.rollups: \"{setting}\" (on, off or strict)"
            ))
        })?;
        if mode == RollupMode::Off {
            self.slot
                .report(vec!["not used: lyceum.rollups is off".into()]);
            return Ok(plan);
        }
        let Some(set) = self.slot.current() else {
            self.slot.report(vec![
                "not used: the session reads its own uncommitted writes".into(),
            ]);
            return Ok(plan);
        };
        let mut lines = Vec::new();
        let mut strict_failure = None;
        let rewritten = plan.transform_up_with_subqueries(|node| {
            let LogicalPlan::Aggregate(aggregate) = &node else {
                return Ok(Transformed::no(node));
            };
            match set.answer(aggregate) {
                Outcome::Used {
                    rollup,
                    joined_back,
                    at_grain,
                    plan,
                } => {
                    debug!(%rollup, at_grain, "aggregate answered from a rollup");
                    lines.push(if at_grain {
                        format!("used {rollup} at its grain")
                    } else if joined_back.is_empty() {
                        format!("used {rollup}")
                    } else {
                        format!("used {rollup} joined back to {}", joined_back.join(", "))
                    });
                    Ok(Transformed::yes(plan))
                }
                Outcome::NotUsed { reasons, facts } => {
                    let line = format!("not used: {}", reasons.join("; "));
                    if facts && mode == RollupMode::Strict && strict_failure.is_none() {
                        strict_failure = Some(line.clone());
                    }
                    lines.push(line);
                    Ok(Transformed::no(node))
                }
                Outcome::NotApplicable => Ok(Transformed::no(node)),
            }
        })?;
        self.slot.report(lines);
        if let Some(why) = strict_failure {
            // 0A000: what strict asks for (a rollup's answer) is not available.
            return Err(DataFusionError::NotImplemented(format!(
                "lyceum.rollups is strict and no rollup answers this query: {why}"
            )));
        }
        Ok(rewritten.data)
    }
}
