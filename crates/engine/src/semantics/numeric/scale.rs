//! The scale PostgreSQL shows a numeric expression at, worked out from the expression:
//! fixed when the query is planned (a `numeric(p,s)` column, an integer, `round(x, 2)`),
//! computed per row (a quotient, or anything built on one), or not known.

use arrow::datatypes::DataType;
use datafusion::common::{Column, DFSchema, Result, ScalarValue};
use datafusion::functions::expr_fn::greatest;
use datafusion::logical_expr::expr::{Case, Cast, ScalarFunction, TryCast};
use datafusion::logical_expr::{BinaryExpr, Expr, ExprSchemable, Operator, lit};

use super::display::HIDDEN_PREFIX;
use super::division;

/// The digits after the point of a numeric expression's values.
#[derive(Debug, Clone)]
pub enum Scale {
    /// The same for every row.
    Fixed(i32),
    /// Per row: this `Int32` expression (over the same input as the value).
    Row(Expr),
    /// Not known: a value shown there is refused.
    Unknown,
}

impl Scale {
    /// The scale as an `Int32` expression.
    pub fn expr(&self) -> Expr {
        match self {
            Scale::Fixed(s) => lit(*s),
            Scale::Row(e) => e.clone(),
            Scale::Unknown => lit(ScalarValue::Int32(None)),
        }
    }

    fn combine(a: Scale, b: Scale, op: fn(i32, i32) -> i32, row: fn(Expr, Expr) -> Expr) -> Scale {
        match (a, b) {
            (Scale::Unknown, _) | (_, Scale::Unknown) => Scale::Unknown,
            (Scale::Fixed(x), Scale::Fixed(y)) => Scale::Fixed(op(x, y)),
            (x, y) => Scale::Row(row(x.expr(), y.expr())),
        }
    }
}

/// Whether values of this type are PostgreSQL `numeric`s.
pub fn is_numeric(t: &DataType) -> bool {
    matches!(t, DataType::Decimal128(..))
}

/// The scale a value of this type is stored at (integers: 0).
pub fn stored(t: &DataType) -> Option<i32> {
    match t {
        DataType::Decimal128(_, s) => Some(*s as i32),
        t if t.is_integer() => Some(0),
        _ => None,
    }
}

/// The hidden scale column beside `column` in `schema`, if it has one.
pub fn hidden_of(column: &Column, schema: &DFSchema) -> Option<Column> {
    let name = format!("{HIDDEN_PREFIX}{}", column.name);
    let qualified = Column::new(column.relation.clone(), name.clone());
    if schema.has_column(&qualified) {
        return Some(qualified);
    }
    // An aggregate's scale columns are unqualified beside its qualified group keys.
    let unqualified = Column::new_unqualified(name);
    schema.has_column(&unqualified).then_some(unqualified)
}

/// The scale `e` (an expression over `schema`) is shown at. Only meaningful for numeric or
/// integer expressions; anything else is `Fixed(0)`.
pub fn scale_of(e: &Expr, schema: &DFSchema) -> Result<Scale> {
    let data_type = e.get_type(schema)?;
    let Some(own) = stored(&data_type) else {
        return Ok(Scale::Fixed(0));
    };
    if !is_numeric(&data_type) {
        return Ok(Scale::Fixed(0));
    }
    Ok(match e {
        Expr::Alias(a) => scale_of(&a.expr, schema)?,
        Expr::Column(c) => match hidden_of(c, schema) {
            Some(hidden) => Scale::Row(Expr::Column(hidden)),
            None => Scale::Fixed(own),
        },
        Expr::Cast(Cast { expr, .. }) | Expr::TryCast(TryCast { expr, .. }) => {
            cast_scale(expr, own, schema)?
        }
        Expr::ScalarFunction(f) => function_scale(f, own, schema)?,
        Expr::BinaryExpr(BinaryExpr { left, op, right }) => {
            let (l, r) = (scale_of(left, schema)?, scale_of(right, schema)?);
            match op {
                Operator::Plus | Operator::Minus | Operator::Modulo => {
                    Scale::combine(l, r, i32::max, |a, b| greatest(vec![a, b]))
                }
                Operator::Multiply => Scale::combine(l, r, |a, b| a + b, |a, b| a + b),
                _ => uniform(e, own, schema)?,
            }
        }
        Expr::Negative(inner) => scale_of(inner, schema)?,
        Expr::Case(case) => case_scale(case, schema)?,
        Expr::Literal(..) => Scale::Fixed(own),
        Expr::ScalarSubquery(sub) => {
            let dropped = sub
                .subquery
                .schema()
                .fields()
                .first()
                .is_some_and(|f| super::plan::scale_dropped(f));
            if dropped {
                Scale::Unknown
            } else {
                Scale::Fixed(own)
            }
        }
        _ => uniform(e, own, schema)?,
    })
}

/// The scale of an expression this module does not know: its own type's when none of its
/// numeric inputs is shown at another scale than stored, else not known.
fn uniform(e: &Expr, own: i32, schema: &DFSchema) -> Result<Scale> {
    let mut known = true;
    for child in direct_children(e) {
        let t = child.get_type(schema)?;
        if !is_numeric(&t) {
            continue;
        }
        match scale_of(child, schema)? {
            Scale::Fixed(s) if Some(s) == stored(&t) => {}
            _ => known = false,
        }
    }
    Ok(if known {
        Scale::Fixed(own)
    } else {
        Scale::Unknown
    })
}

fn direct_children(e: &Expr) -> Vec<&Expr> {
    use datafusion::common::tree_node::{TreeNode, TreeNodeRecursion};
    let mut children = Vec::new();
    let _ = e.apply_children(|c| {
        children.push(c);
        Ok(TreeNodeRecursion::Continue)
    });
    children
}

/// A cast to a decimal of scale `own`: one that widens keeps the value's own scale (an
/// integer's 0, `1::numeric`; the coercions of a `UNION` or `coalesce`); one that narrows
/// rounds to `own`.
fn cast_scale(source: &Expr, own: i32, schema: &DFSchema) -> Result<Scale> {
    let from = source.get_type(schema)?;
    Ok(match stored(&from) {
        Some(_) if from.is_integer() => Scale::Fixed(0),
        Some(s) if own >= s => scale_of(source, schema)?,
        Some(_) => Scale::Fixed(own),
        None if from.is_null() => Scale::Fixed(own),
        // `'12.50'::numeric`, `x::numeric` of a float: the digits are the value's own.
        None if own == 10 => Scale::Row(super::cast_scale::cast_scale(source.clone(), own)),
        None => Scale::Fixed(own),
    })
}

fn function_scale(f: &ScalarFunction, own: i32, schema: &DFSchema) -> Result<Scale> {
    let args = &f.args;
    Ok(match f.func.name() {
        division::DIV => Scale::Row(division::div_scale(args.clone())),
        // Its type already has the digits asked for (DataFusion narrows it).
        "round" => Scale::Fixed(own),
        // Whole numbers, at scale 0 whatever their type's.
        "ceil" | "floor" | "sign" | "div" => Scale::Fixed(0),
        // An explicit `numeric(p, s)`: shown at `s`.
        crate::semantics::typmods::NUMERIC_TYPMOD => Scale::Fixed(own),
        // DataFusion keeps the argument's type: the digits asked for, known when planned.
        "trunc" => match args.get(1).map(beneath_casts) {
            None => Scale::Fixed(0),
            Some(Expr::Literal(v, _)) => match v.clone().cast_to(&DataType::Int32) {
                Ok(ScalarValue::Int32(Some(n))) => Scale::Fixed(n.clamp(0, own)),
                _ => Scale::Unknown,
            },
            Some(_) => Scale::Unknown,
        },
        "abs" | "nullif" => match args.first() {
            Some(a) => scale_of(a, schema)?,
            None => Scale::Fixed(own),
        },
        "coalesce" => {
            let mut case = Case {
                expr: None,
                when_then_expr: Vec::new(),
                else_expr: None,
            };
            let mut fixed = Some(None::<i32>);
            for a in args {
                let s = scale_of(a, schema)?;
                fixed = match (&s, fixed) {
                    (Scale::Fixed(x), Some(None)) => Some(Some(*x)),
                    (Scale::Fixed(x), Some(Some(y))) if *x == y => Some(Some(y)),
                    _ => None,
                };
                if matches!(s, Scale::Unknown) {
                    return Ok(Scale::Unknown);
                }
                case.when_then_expr
                    .push((Box::new(a.clone().is_not_null()), Box::new(s.expr())));
            }
            match fixed {
                Some(Some(s)) => Scale::Fixed(s),
                _ => Scale::Row(Expr::Case(case)),
            }
        }
        _ => uniform(&Expr::ScalarFunction(f.clone()), own, schema)?,
    })
}

fn beneath_casts(mut e: &Expr) -> &Expr {
    while let Expr::Cast(Cast { expr, .. }) | Expr::TryCast(TryCast { expr, .. }) = e {
        e = expr;
    }
    e
}

fn case_scale(case: &Case, schema: &DFSchema) -> Result<Scale> {
    let mut scales = Vec::new();
    for (_, then) in &case.when_then_expr {
        scales.push(scale_of(then, schema)?);
    }
    let otherwise = match &case.else_expr {
        Some(e) => Some(scale_of(e, schema)?),
        None => None,
    };
    let all = scales.iter().chain(otherwise.iter());
    if all.clone().any(|s| matches!(s, Scale::Unknown)) {
        return Ok(Scale::Unknown);
    }
    let fixed: Vec<i32> = all
        .filter_map(|s| match s {
            Scale::Fixed(x) => Some(*x),
            _ => None,
        })
        .collect();
    if fixed.len() == scales.len() + otherwise.iter().count()
        && fixed.windows(2).all(|w| w[0] == w[1])
        && let Some(s) = fixed.first()
    {
        return Ok(Scale::Fixed(*s));
    }
    Ok(Scale::Row(Expr::Case(Case {
        expr: case.expr.clone(),
        when_then_expr: case
            .when_then_expr
            .iter()
            .zip(&scales)
            .map(|((when, _), s)| (when.clone(), Box::new(s.expr())))
            .collect(),
        else_expr: otherwise.map(|s| Box::new(s.expr())),
    })))
}
