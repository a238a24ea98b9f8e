//! Prepared statements: parsed (and, for queries, planned) once, executed many times with
//! parameters. The extended protocol's `Parse` and SQL's `PREPARE` both make one.
//!
//! A plan is tied to the warehouse version it was planned against; executing it when the
//! session reads another version plans the statement again, so a prepared statement never
//! answers from a stale snapshot.

use std::sync::Arc;

use arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use datafusion::logical_expr::LogicalPlan;
use datafusion::scalar::ScalarValue;

use super::statement::Action;
use crate::error::{EngineError, Result};

/// A statement ready to execute.
#[derive(Debug, Clone)]
pub struct Prepared {
    pub(crate) sql: String,
    pub(crate) action: Action,
    /// The type of every parameter: declared, else inferred from the plan, else unknown.
    pub(crate) param_types: Vec<Option<DataType>>,
    /// The types the plan expects (values are cast to these before execution).
    pub(crate) inferred: Vec<Option<DataType>>,
    /// `None` for a statement that returns no rows.
    pub(crate) schema: Option<SchemaRef>,
    /// The plan and the warehouse version it reads.
    pub(crate) plan: Option<(u64, LogicalPlan)>,
}

impl Prepared {
    /// The statement's text.
    pub fn sql(&self) -> &str {
        &self.sql
    }

    /// One entry per parameter (`$1` first); `None` means the type is unknown (text).
    pub fn param_types(&self) -> &[Option<DataType>] {
        &self.param_types
    }

    /// The rows' schema, or `None` for a statement without rows (`SET`, `BEGIN`, ...).
    pub fn schema(&self) -> Option<&SchemaRef> {
        self.schema.as_ref()
    }

    /// Checks and converts client values to the types the plan expects.
    pub(crate) fn bind(&self, values: Vec<ScalarValue>) -> Result<Vec<ScalarValue>> {
        if values.len() != self.param_types.len() {
            return Err(EngineError::ParameterCount {
                given: values.len(),
                expected: self.param_types.len(),
            });
        }
        values
            .into_iter()
            .enumerate()
            .map(|(i, value)| match self.inferred.get(i).cloned().flatten() {
                Some(target) if value.data_type() != target => {
                    value
                        .cast_to(&target)
                        .map_err(|e| EngineError::InvalidParameter {
                            index: i + 1,
                            message: format!(
                                "cannot convert {value} to {target}: {}",
                                e.strip_backtrace()
                            ),
                        })
                }
                _ => Ok(value),
            })
            .collect()
    }
}

/// The types of parameters the plan only casts (`$1::integer`): PostgreSQL gives such a
/// parameter the cast's type; DataFusion leaves it untyped.
fn cast_parameter_types(plan: &LogicalPlan) -> std::collections::HashMap<String, DataType> {
    use datafusion::common::tree_node::{TreeNode, TreeNodeRecursion};
    use datafusion::logical_expr::Expr;
    let mut found = std::collections::HashMap::new();
    let _ = plan.apply_with_subqueries(|node| {
        node.apply_expressions(|e| {
            e.apply(|e| {
                let cast = match e {
                    Expr::Cast(c) => Some((c.expr.as_ref(), c.field.data_type())),
                    Expr::TryCast(c) => Some((c.expr.as_ref(), c.field.data_type())),
                    _ => None,
                };
                if let Some((Expr::Placeholder(p), target)) = cast {
                    found.entry(p.id.clone()).or_insert_with(|| target.clone());
                }
                Ok(TreeNodeRecursion::Continue)
            })
        })
    });
    found
}

/// The parameter types of `plan`, `$1` first, `len` entries at least.
pub(crate) fn plan_parameter_types(
    plan: &LogicalPlan,
    len: usize,
) -> Result<Vec<Option<DataType>>> {
    let mut found = plan.get_parameter_types()?;
    for (id, data_type) in cast_parameter_types(plan) {
        let entry = found.entry(id).or_insert(None);
        if entry.is_none() {
            *entry = Some(data_type);
        }
    }
    let mut max = len;
    for name in found.keys() {
        if let Some(i) = placeholder_index(name) {
            max = max.max(i);
        } else {
            return Err(EngineError::Unsupported {
                what: format!("the parameter {name} (use $1, $2, ...)"),
            });
        }
    }
    Ok((1..=max)
        .map(|i| found.get(&format!("${i}")).cloned().flatten())
        .collect())
}

fn placeholder_index(name: &str) -> Option<usize> {
    name.strip_prefix('$')?.parse().ok().filter(|&i| i > 0)
}

/// The schema of one text column (`SHOW name`).
pub(crate) fn one_text_column(name: &str) -> SchemaRef {
    Arc::new(Schema::new(vec![Field::new(name, DataType::Utf8, true)]))
}

/// The schema of `SHOW ALL`.
pub(crate) fn show_all_schema() -> SchemaRef {
    Arc::new(Schema::new(vec![
        Field::new("name", DataType::Utf8, false),
        Field::new("setting", DataType::Utf8, true),
        Field::new("description", DataType::Utf8, true),
    ]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_numbered_from_one() {
        assert_eq!(placeholder_index("$1"), Some(1));
        assert_eq!(placeholder_index("$12"), Some(12));
        assert_eq!(placeholder_index("$0"), None);
        assert_eq!(placeholder_index(":x"), None);
    }

    #[test]
    fn bind_casts_to_the_planned_types_and_checks_the_count() {
        let prepared = Prepared {
            sql: "select $1 + 1, $2".into(),
            action: Action::Begin { start: false },
            param_types: vec![Some(DataType::Int64), None],
            inferred: vec![Some(DataType::Int64), None],
            schema: None,
            plan: None,
        };
        let bound = prepared
            .bind(vec![
                ScalarValue::Int32(Some(5)),
                ScalarValue::Utf8(Some("x".into())),
            ])
            .expect("binds");
        assert_eq!(bound[0], ScalarValue::Int64(Some(5)));
        assert_eq!(bound[1], ScalarValue::Utf8(Some("x".into())));
        assert!(matches!(
            prepared.bind(vec![ScalarValue::Int64(Some(1))]),
            Err(EngineError::ParameterCount {
                given: 1,
                expected: 2
            })
        ));
        assert!(matches!(
            prepared.bind(vec![
                ScalarValue::Utf8(Some("seven".into())),
                ScalarValue::Utf8(None)
            ]),
            Err(EngineError::InvalidParameter { index: 1, .. })
        ));
    }
}
