//! How a result says the scale each of its numeric values is shown at. A PostgreSQL
//! `numeric` carries its display scale in every value (`avg` gives `3.0000000000000000`
//! in one row and `0.97849462365591397849` in the next); an Arrow decimal column has one
//! scale. Where the scale a value is shown at differs from its column's, the result has a
//! hidden `Int32` column beside it, named [`HIDDEN_PREFIX`] + the column's name, holding
//! the scale per row (NULL: not known, and a value there is refused rather than shown at
//! another scale). Hidden columns come last. Endpoints read them with [`Layout`]: the
//! Postgres wire prints each value at its scale; Flight SQL sends the decimals as stored.

use std::sync::Arc;

use arrow::datatypes::Schema;
use datafusion::physical_expr::expressions::Column as PhysicalColumn;
use datafusion::physical_plan::ExecutionPlan;
use datafusion::physical_plan::projection::{ProjectionExec, ProjectionExpr};

/// The name of a hidden scale column starts with this, followed by its value column's name.
pub const HIDDEN_PREFIX: &str = "__lyceum_scale:";

/// Whether a column of this name is a hidden scale column.
pub fn is_hidden(name: &str) -> bool {
    name.starts_with(HIDDEN_PREFIX)
}

/// Which columns of a result clients see, and where each one's display scales are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Layout {
    /// How many columns clients see: the first ones of the result.
    pub visible: usize,
    /// For each visible column, the index of its hidden scale column, if it has one.
    pub scales: Vec<Option<usize>>,
}

impl Layout {
    /// The layout of a result with this schema.
    pub fn of(schema: &Schema) -> Layout {
        let fields = schema.fields();
        let visible = fields
            .iter()
            .position(|f| is_hidden(f.name()))
            .unwrap_or(fields.len());
        let scales = fields[..visible]
            .iter()
            .map(|f| {
                let hidden = format!("{HIDDEN_PREFIX}{}", f.name());
                fields[visible..]
                    .iter()
                    .position(|h| *h.name() == hidden)
                    .map(|i| visible + i)
            })
            .collect();
        Layout { visible, scales }
    }

    /// Whether any column has hidden parts.
    pub fn has_hidden(&self, schema: &Schema) -> bool {
        self.visible < schema.fields().len()
    }
}

/// `plan` without its hidden columns, for a consumer of its rows rather than of their
/// text (a sandbox write, a rollup refresh).
pub fn without_hidden(
    plan: Arc<dyn ExecutionPlan>,
) -> datafusion::common::Result<Arc<dyn ExecutionPlan>> {
    let schema = plan.schema();
    let layout = Layout::of(&schema);
    if !layout.has_hidden(&schema) {
        return Ok(plan);
    }
    let columns: Vec<ProjectionExpr> = schema.fields()[..layout.visible]
        .iter()
        .enumerate()
        .map(|(i, f)| ProjectionExpr::new(Arc::new(PhysicalColumn::new(f.name(), i)), f.name()))
        .collect();
    Ok(Arc::new(ProjectionExec::try_new(columns, plan)?))
}

/// A decimal stored as `unscaled` × 10^-`stored` written with `shown` digits after the
/// point, as PostgreSQL writes a `numeric`. `None` when the value has non-zero digits past
/// `shown` (it would be cut, so it is not written).
pub fn text(unscaled: i128, stored: i8, shown: i32) -> Option<String> {
    let stored = stored as i32;
    let mut digits = unscaled.unsigned_abs();
    if shown < stored {
        let cut = 10u128.checked_pow((stored - shown) as u32)?;
        if !digits.is_multiple_of(cut) {
            return None;
        }
        digits /= cut;
    }
    let mut text = digits.to_string();
    if shown > stored {
        text.push_str(&"0".repeat((shown - stored) as usize));
    }
    let shown = shown.max(0) as usize;
    if shown > 0 {
        if text.len() <= shown {
            text = format!("{}{text}", "0".repeat(shown + 1 - text.len()));
        }
        text.insert(text.len() - shown, '.');
    }
    if unscaled < 0 {
        text.insert(0, '-');
    }
    Some(text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::datatypes::{DataType, Field};

    #[test]
    fn writes_at_the_shown_scale() {
        assert_eq!(text(125, 2, 2).as_deref(), Some("1.25"));
        assert_eq!(text(1250, 3, 2).as_deref(), Some("1.25"));
        assert_eq!(text(125, 2, 4).as_deref(), Some("1.2500"));
        assert_eq!(text(-5, 3, 3).as_deref(), Some("-0.005"));
        assert_eq!(text(1000, 3, 0).as_deref(), Some("1"));
        assert_eq!(text(0, 24, 20).as_deref(), Some("0.00000000000000000000"));
        assert_eq!(text(1251, 3, 2), None);
    }

    #[test]
    fn layout_finds_hidden_columns() {
        let schema = Schema::new(vec![
            Field::new("a", DataType::Int64, true),
            Field::new("avg", DataType::Decimal128(38, 24), true),
            Field::new(format!("{HIDDEN_PREFIX}avg"), DataType::Int32, true),
        ]);
        let layout = Layout::of(&schema);
        assert_eq!(layout.visible, 2);
        assert_eq!(layout.scales, vec![None, Some(2)]);
    }
}
