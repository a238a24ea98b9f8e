//! `reg*` casts: printed as names where shown, OIDs elsewhere.

use super::*;

/// `oid_column::regclass` is PostgreSQL's way to print a relation's name: where such a
/// cast is what a select list or `ORDER BY` shows (or is cast on to text), it becomes the
/// name (`lyceum_regclass_out`, and the same for `regtype`, `regnamespace`, `regrole`).
/// Elsewhere (`WHERE c.oid = x::regclass`) the OID stays a number; casts of name literals
/// (`'t'::regclass`) are looked up by `RewriteRegCastToSubquery`.
#[derive(Debug)]
pub struct RegTypeOutput;

impl SqlStatementRewriteRule for RegTypeOutput {
    fn rewrite(&self, mut s: Statement) -> Statement {
        let _ = s.visit(&mut RegOutputVisitor);
        s
    }
}

struct RegOutputVisitor;

fn reg_kind(data_type: &SqlType) -> Option<&'static str> {
    let text = data_type.to_string().to_lowercase();
    match text.strip_prefix("pg_catalog.").unwrap_or(&text) {
        "regclass" => Some("regclass"),
        "regtype" => Some("regtype"),
        "regnamespace" => Some("regnamespace"),
        "regrole" => Some("regrole"),
        _ => None,
    }
}

fn is_text_type(data_type: &SqlType) -> bool {
    let text = data_type.to_string().to_lowercase();
    matches!(
        text.strip_prefix("pg_catalog.").unwrap_or(&text),
        "text" | "varchar" | "name" | "character varying"
    )
}

/// The name expression for `operand::kind`, unless the operand is a literal (a name to
/// look up, not an OID to print).
fn reg_output(operand: &Expr, kind: &str) -> Option<Expr> {
    if matches!(operand, Expr::Value(_)) {
        return None;
    }
    match kind {
        "regtype" => parse_expr(&format!("format_type({operand}, NULL)")),
        "regclass" => parse_expr(&format!("lyceum_regclass_out(lyceum_regclass({operand}))")),
        other => parse_expr(&format!("lyceum_{other}_out({operand})")),
    }
}

fn shown_reg_cast(expr: &Expr) -> Option<Expr> {
    match expr {
        Expr::Cast {
            expr: operand,
            data_type,
            ..
        } => reg_output(operand, reg_kind(data_type)?),
        Expr::Nested(inner) => shown_reg_cast(inner),
        _ => None,
    }
}

impl VisitorMut for RegOutputVisitor {
    type Break = ();

    fn pre_visit_query(&mut self, query: &mut Query) -> ControlFlow<Self::Break> {
        for_each_select(query.body.as_mut(), &mut |select| {
            for item in &mut select.projection {
                match item {
                    SelectItem::UnnamedExpr(e) | SelectItem::ExprWithAlias { expr: e, .. } => {
                        if let Some(name) = shown_reg_cast(e) {
                            *e = name;
                        }
                    }
                    _ => {}
                }
            }
        });
        if let Some(order) = &mut query.order_by
            && let OrderByKind::Expressions(exprs) = &mut order.kind
        {
            for o in exprs {
                if let Some(name) = shown_reg_cast(&o.expr) {
                    o.expr = name;
                }
            }
        }
        ControlFlow::Continue(())
    }

    fn pre_visit_expr(&mut self, expr: &mut Expr) -> ControlFlow<Self::Break> {
        // `x::regclass::text` anywhere is the name (seen before the inner cast becomes
        // an OID below).
        if let Expr::Cast {
            expr: inner,
            data_type,
            ..
        } = expr
            && is_text_type(data_type)
            && let Some(name) = shown_reg_cast(inner)
        {
            *expr = name;
        }
        ControlFlow::Continue(())
    }

    fn post_visit_expr(&mut self, expr: &mut Expr) -> ControlFlow<Self::Break> {
        // `x::regclass` of a computed value (a name built as text, or an OID) anywhere
        // else is the relation's OID.
        if let Expr::Cast {
            expr: inner,
            data_type,
            ..
        } = expr
            && reg_kind(data_type) == Some("regclass")
            && !matches!(inner.as_ref(), Expr::Value(_))
            && let Some(oid) = parse_expr(&format!("lyceum_regclass({inner})"))
        {
            *expr = oid;
        }
        ControlFlow::Continue(())
    }
}
