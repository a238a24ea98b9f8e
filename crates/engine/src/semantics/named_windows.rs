//! Windows defined on another window, as SQL defines them. In `WINDOW w AS (PARTITION BY
//! t ORDER BY k), r AS (w ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)` the window
//! `r` copies `w`'s partitioning and ordering and adds its frame; DataFusion 55 took only
//! `r`'s own clauses, so a running sum over `r` ran over every row of the result instead
//! of each partition. Before planning, each window naming another (in `WINDOW` or in an
//! `OVER (w ...)`) is written out whole: the other's `PARTITION BY`, its `ORDER BY` unless
//! the window has its own, and the window's frame (else the other's).

use std::collections::HashMap;
use std::ops::ControlFlow;

use datafusion::sql::parser::Statement as DFStatement;
use datafusion::sql::sqlparser::ast::{
    Expr, NamedWindowDefinition, NamedWindowExpr, Query, Select, SetExpr, VisitMut, VisitorMut,
    WindowSpec, WindowType,
};

/// `statement` with every window that names another written out whole.
pub fn resolve(mut statement: DFStatement) -> DFStatement {
    if let DFStatement::Statement(s) = &mut statement {
        let _ = s.visit(&mut Resolver);
    }
    statement
}

struct Resolver;

impl VisitorMut for Resolver {
    type Break = ();

    fn pre_visit_query(&mut self, query: &mut Query) -> ControlFlow<()> {
        resolve_set(&mut query.body);
        ControlFlow::Continue(())
    }
}

fn resolve_set(body: &mut SetExpr) {
    match body {
        SetExpr::Select(select) => resolve_select(select),
        SetExpr::SetOperation { left, right, .. } => {
            resolve_set(left);
            resolve_set(right);
        }
        _ => {}
    }
}

fn resolve_select(select: &mut Select) {
    if select.named_window.is_empty() {
        return;
    }
    // The definitions in order: each may name one before it.
    let mut named: HashMap<String, WindowSpec> = HashMap::new();
    for NamedWindowDefinition(name, expr) in &mut select.named_window {
        let resolved = match expr {
            NamedWindowExpr::WindowSpec(spec) => {
                whole(spec, &named);
                spec.clone()
            }
            NamedWindowExpr::NamedWindow(other) => match named.get(&other.value) {
                Some(spec) => spec.clone(),
                None => continue,
            },
        };
        named.insert(name.value.clone(), resolved);
    }
    // `OVER (w ROWS ...)` in the select list and elsewhere in this select.
    let mut inline = InlineWindows { named: &named };
    let _ = select.projection.visit(&mut inline);
    let _ = select.having.visit(&mut inline);
    let _ = select.qualify.visit(&mut inline);
}

/// `spec` with the window it names (if any) written in.
fn whole(spec: &mut WindowSpec, named: &HashMap<String, WindowSpec>) {
    let Some(base) = spec
        .window_name
        .as_ref()
        .and_then(|name| named.get(&name.value))
    else {
        return;
    };
    spec.partition_by = base.partition_by.clone();
    if spec.order_by.is_empty() {
        spec.order_by = base.order_by.clone();
    }
    if spec.window_frame.is_none() {
        spec.window_frame = base.window_frame.clone();
    }
    spec.window_name = None;
}

struct InlineWindows<'a> {
    named: &'a HashMap<String, WindowSpec>,
}

impl VisitorMut for InlineWindows<'_> {
    type Break = ();

    fn pre_visit_expr(&mut self, expr: &mut Expr) -> ControlFlow<()> {
        if let Expr::Function(f) = expr
            && let Some(WindowType::WindowSpec(spec)) = &mut f.over
        {
            whole(spec, self.named);
        }
        ControlFlow::Continue(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::sql::parser::DFParser;

    fn resolved(sql: &str) -> String {
        let mut statements = DFParser::parse_sql(sql).expect("the test's SQL parses");
        resolve(statements.pop_front().expect("one statement")).to_string()
    }

    #[test]
    fn a_window_on_another_copies_its_partition_and_order() {
        let sql = "SELECT sum(x) OVER r, sum(x) OVER (w ROWS 2 PRECEDING) FROM t \
                   WINDOW w AS (PARTITION BY a ORDER BY b), \
                   r AS (w ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)";
        let out = resolved(sql);
        assert!(
            out.contains(
                "r AS (PARTITION BY a ORDER BY b ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)"
            ),
            "{out}"
        );
        assert!(
            out.contains("OVER (PARTITION BY a ORDER BY b ROWS 2 PRECEDING)"),
            "{out}"
        );
    }
}
