//! Query shapes DataFusion cannot plan, restated as equivalent shapes it can:
//!
//! - [`InSubqueryValues`]: `x IN (SELECT ...)` and `EXISTS (SELECT ...)` in a select list
//!   or `ORDER BY` (DataFusion plans them only in filters) over catalog relations or
//!   functions become a membership test in the subquery's values gathered as an array,
//!   and a count of the subquery's rows; a correlated `outer = ANY(inner_array)` there
//!   is an equality with the array's elements, unnested (DataFusion decorrelates
//!   equalities only).
//! - [`DistinctOnSubqueries`]: `SELECT DISTINCT ON (...)` whose select list has
//!   subqueries (DataFusion's `DISTINCT ON` cannot hold them) computes the select list
//!   in a derived table and picks the rows outside it.
//! - [`TrivialCtes`]: a recursive CTE whose recursive term joins an always-empty catalog
//!   table is its first term; a query that only reads columns of its one CTE reads them
//!   from the CTE's own `FROM` (pgAdmin's role-membership lookup, correlated, which
//!   DataFusion cannot plan inside a CTE).

use datafusion::sql::sqlparser::ast::{
    Distinct, ExcludeSelectItem, GroupByExpr, ObjectName, OrderByExpr, SetOperator, Visitor,
    WildcardAdditionalOptions,
};

use super::subqueries::{
    aggregated, conjuncts, is_catalog_relation, is_inner, is_outer, joins_to_nothing,
    relation_names,
};
use super::*;

/// See the [module](self) docs.
#[derive(Debug)]
pub struct InSubqueryValues;

impl SqlStatementRewriteRule for InSubqueryValues {
    fn rewrite(&self, s: Statement) -> Statement {
        map_queries(s, |q| {
            for_each_select(q.body.as_mut(), &mut |select| {
                for item in &mut select.projection {
                    if let SelectItem::UnnamedExpr(e) | SelectItem::ExprWithAlias { expr: e, .. } =
                        item
                    {
                        in_subqueries_as_values(e);
                    }
                }
            });
            if let Some(order) = &mut q.order_by
                && let OrderByKind::Expressions(exprs) = &mut order.kind
            {
                for o in exprs {
                    in_subqueries_as_values(&mut o.expr);
                }
            }
        })
    }
}

/// Rewrites the `IN` subqueries of `expr` itself, not those in the clauses of its own
/// subqueries (a filter there is planned by DataFusion).
fn in_subqueries_as_values(expr: &mut Expr) {
    struct Top {
        depth: usize,
    }
    impl VisitorMut for Top {
        type Break = ();
        fn pre_visit_query(&mut self, _q: &mut Query) -> ControlFlow<()> {
            self.depth += 1;
            ControlFlow::Continue(())
        }
        fn post_visit_query(&mut self, _q: &mut Query) -> ControlFlow<()> {
            self.depth -= 1;
            ControlFlow::Continue(())
        }
        fn post_visit_expr(&mut self, e: &mut Expr) -> ControlFlow<()> {
            if self.depth == 0
                && let Expr::InSubquery {
                    expr,
                    subquery,
                    negated,
                } = e
                && reads_catalog_only(subquery)
                && let Some(values) = aggregated(subquery, "array_agg")
            {
                // An empty subquery aggregates to NULL: nothing is in it.
                let test = format!("coalesce(array_has(({values}), {expr}), false)");
                let test = if *negated {
                    format!("NOT {test}")
                } else {
                    test
                };
                if let Some(new) = parse_expr(&test) {
                    *e = new;
                }
            } else if self.depth == 0
                && let Expr::Exists { subquery, negated } = e
                && reads_catalog_only(subquery)
                && let Some(count) = counted(subquery)
            {
                let test = format!("({count}) {} 0", if *negated { "=" } else { ">" });
                if let Some(new) = parse_expr(&test) {
                    *e = new;
                }
            }
            ControlFlow::Continue(())
        }
    }
    let _ = expr.visit(&mut Top { depth: 0 });
}

/// `SELECT count(*)` of the rows of a plain `SELECT` (one relation, no grouping or limit).
fn counted(q: &Query) -> Option<Query> {
    if q.with.is_some() || q.limit_clause.is_some() || q.fetch.is_some() {
        return None;
    }
    let SetExpr::Select(select) = q.body.as_ref() else {
        return None;
    };
    if select.distinct.is_some() || is_grouped(select) || select.having.is_some() {
        return None;
    }
    let mut select = select.as_ref().clone();
    select.projection = vec![SelectItem::UnnamedExpr(parse_expr("count(*)")?)];
    any_as_unnest(&mut select)?;
    let mut q = q.clone();
    q.order_by = None;
    q.body = Box::new(SetExpr::Select(Box::new(select)));
    Some(q)
}

/// In a select from one relation `t`, each condition `outer = ANY(t.array)` becomes
/// `__lyceum_anyN = outer` over `(SELECT *, unnest(array) AS __lyceum_anyN FROM t) AS t`:
/// a row of `t` is found once per matching element instead of once, which counts the same
/// for `EXISTS`. Nothing to do is `Some`; a shape this cannot restate is `None`.
fn any_as_unnest(select: &mut Select) -> Option<()> {
    use datafusion::sql::sqlparser::ast::BinaryOperator;
    let Some(selection) = select.selection.take() else {
        return Some(());
    };
    let inner = relation_names(select);
    let mut parts = Vec::new();
    conjuncts(selection, &mut parts);
    let mut elements = Vec::new();
    for part in &mut parts {
        if let Expr::AnyOp {
            left,
            compare_op: BinaryOperator::Eq,
            right,
            ..
        } = part
            && is_outer(left, &inner)
            && (matches!(right.as_ref(), Expr::Identifier(_)) || is_inner(right, &inner))
        {
            let name = format!("__lyceum_any{}", elements.len());
            elements.push(format!("unnest({}) AS {name}", inner_column(right)));
            *part = parse_expr(&format!("{name} = {left}"))?;
        }
    }
    select.selection = parts.into_iter().reduce(|a, b| Expr::BinaryOp {
        left: Box::new(a),
        op: BinaryOperator::And,
        right: Box::new(b),
    });
    if elements.is_empty() {
        return Some(());
    }
    let [from] = select.from.as_mut_slice() else {
        return None;
    };
    if !from.joins.is_empty() {
        return None;
    }
    let TableFactor::Table {
        name,
        alias,
        args: None,
        ..
    } = &from.relation
    else {
        return None;
    };
    let alias = match alias {
        Some(a) => a.name.clone(),
        None => name.0.last()?.as_ident()?.clone(),
    };
    let unnested = parse_query(&format!("SELECT *, {} FROM {name}", elements.join(", ")))?;
    from.relation = TableFactor::Derived {
        lateral: false,
        subquery: Box::new(unnested),
        alias: Some(datafusion::sql::sqlparser::ast::TableAlias {
            explicit: true,
            name: alias,
            columns: vec![],
            at: None,
        }),
        sample: None,
    };
    Some(())
}

/// The column an inner reference names, unqualified (inside the derived table).
fn inner_column(e: &Expr) -> String {
    match e {
        Expr::CompoundIdentifier(ids) => ids.last().map(ToString::to_string).unwrap_or_default(),
        other => other.to_string(),
    }
}

/// Whether a query reads only catalog relations and functions (`FROM generate_series(...)`).
fn reads_catalog_only(q: &Query) -> bool {
    let SetExpr::Select(select) = q.body.as_ref() else {
        return false;
    };
    let allowed = |factor: &TableFactor| match factor {
        TableFactor::Table { args: Some(_), .. }
        | TableFactor::Function { .. }
        | TableFactor::UNNEST { .. } => true,
        other => is_catalog_relation(other),
    };
    select
        .from
        .iter()
        .all(|t| allowed(&t.relation) && t.joins.iter().all(|j| allowed(&j.relation)))
}

/// See the [module](self) docs.
#[derive(Debug)]
pub struct DistinctOnSubqueries;

impl SqlStatementRewriteRule for DistinctOnSubqueries {
    fn rewrite(&self, s: Statement) -> Statement {
        map_queries(s, |q| {
            if let Some(lifted) = distinct_on_lifted(q) {
                *q = lifted;
            }
        })
    }
}

/// Whether a select item holds a subquery.
fn has_subquery(item: &SelectItem) -> bool {
    struct Find;
    impl Visitor for Find {
        type Break = ();
        fn pre_visit_query(&mut self, _q: &Query) -> ControlFlow<()> {
            ControlFlow::Break(())
        }
    }
    datafusion::sql::sqlparser::ast::Visit::visit(item, &mut Find).is_break()
}

fn is_grouped(select: &Select) -> bool {
    match &select.group_by {
        GroupByExpr::Expressions(e, m) => !e.is_empty() || !m.is_empty(),
        GroupByExpr::All(_) => true,
    }
}

/// `SELECT DISTINCT ON (k) items FROM f WHERE w ORDER BY o` as
/// `SELECT DISTINCT ON (__lyceum_k0) * EXCLUDE (hidden) FROM (SELECT items, k AS
/// __lyceum_k0, o AS __lyceum_o0 FROM f WHERE w) AS __lyceum_distinct ORDER BY ...`.
fn distinct_on_lifted(q: &Query) -> Option<Query> {
    let SetExpr::Select(select) = q.body.as_ref() else {
        return None;
    };
    let Some(Distinct::On(keys)) = &select.distinct else {
        return None;
    };
    if is_grouped(select) || select.having.is_some() || !select.projection.iter().any(has_subquery)
    {
        return None;
    }
    let aliases: Vec<String> = select
        .projection
        .iter()
        .filter_map(|item| match item {
            SelectItem::ExprWithAlias { alias, .. } => Some(alias.value.to_ascii_lowercase()),
            _ => None,
        })
        .collect();
    let mut inner = select.as_ref().clone();
    inner.distinct = None;
    let mut hidden = Vec::new();
    let mut hide = |inner: &mut Select, expr: &Expr, name: String| {
        inner.projection.push(SelectItem::ExprWithAlias {
            expr: expr.clone(),
            alias: Ident::new(&name),
        });
        hidden.push(name.clone());
        Expr::Identifier(Ident::new(name))
    };
    let key_names: Vec<Expr> = keys
        .iter()
        .enumerate()
        .map(|(i, k)| hide(&mut inner, k, format!("__lyceum_k{i}")))
        .collect();
    let mut order: Vec<OrderByExpr> = Vec::new();
    if let Some(o) = &q.order_by {
        let OrderByKind::Expressions(exprs) = &o.kind else {
            return None;
        };
        for (i, e) in exprs.iter().enumerate() {
            let mut e = e.clone();
            let keep = match &e.expr {
                Expr::Value(_) => true,
                Expr::Identifier(id) => aliases.contains(&id.value.to_ascii_lowercase()),
                _ => false,
            };
            if !keep {
                let text = e.expr.to_string();
                e.expr = match keys.iter().position(|k| k.to_string() == text) {
                    Some(k) => key_names[k].clone(),
                    None => hide(&mut inner, &e.expr, format!("__lyceum_o{i}")),
                };
            }
            order.push(e);
        }
    }
    let keys_text: Vec<String> = key_names.iter().map(ToString::to_string).collect();
    let mut outer = parse_query(&format!(
        "SELECT DISTINCT ON ({}) * FROM (SELECT 1) AS __lyceum_distinct",
        keys_text.join(", ")
    ))?;
    let SetExpr::Select(outer_select) = outer.body.as_mut() else {
        return None;
    };
    outer_select.projection = vec![SelectItem::Wildcard(WildcardAdditionalOptions {
        opt_exclude: Some(ExcludeSelectItem::Multiple(
            hidden
                .into_iter()
                .map(|n| ObjectName::from(vec![Ident::new(n)]))
                .collect(),
        )),
        ..Default::default()
    })];
    let mut inner_query = q.clone();
    inner_query.with = None;
    inner_query.order_by = None;
    inner_query.limit_clause = None;
    inner_query.fetch = None;
    inner_query.body = Box::new(SetExpr::Select(Box::new(inner)));
    match &mut outer_select.from.first_mut()?.relation {
        TableFactor::Derived { subquery, .. } => **subquery = inner_query,
        _ => return None,
    }
    let mut lifted = q.clone();
    lifted.body = outer.body;
    if let Some(o) = &mut lifted.order_by {
        o.kind = OrderByKind::Expressions(order);
    }
    Some(lifted)
}

fn parse_query(sql: &str) -> Option<Query> {
    Parser::new(&PostgreSqlDialect {})
        .try_with_sql(sql)
        .ok()?
        .parse_query()
        .ok()
        .map(|q| *q)
}

/// See the [module](self) docs.
#[derive(Debug)]
pub struct TrivialCtes;

impl SqlStatementRewriteRule for TrivialCtes {
    fn rewrite(&self, s: Statement) -> Statement {
        map_queries(s, |q| {
            end_empty_recursion(q);
            if let Some(inlined) = cte_inlined(q) {
                *q = inlined;
            }
        })
    }
}

/// `WITH RECURSIVE c AS (base UNION [ALL] step)` where `step` joins an always-empty
/// table: `step` adds no rows, so `c` is `base`.
fn end_empty_recursion(q: &mut Query) {
    let Some(with) = &mut q.with else {
        return;
    };
    if !with.recursive {
        return;
    }
    let mut still_recursive = false;
    for cte in &mut with.cte_tables {
        let SetExpr::SetOperation {
            op: SetOperator::Union,
            left,
            right,
            ..
        } = cte.query.body.as_ref()
        else {
            continue;
        };
        match right.as_ref() {
            SetExpr::Select(step) if joins_to_nothing(step) => {
                let base = left.as_ref().clone();
                *cte.query.body = base;
            }
            _ => still_recursive = true,
        }
    }
    with.recursive = still_recursive;
}

/// `WITH c AS (SELECT items FROM f WHERE w) SELECT cols FROM c` as
/// `SELECT <the items named cols> FROM f WHERE w`.
fn cte_inlined(q: &Query) -> Option<Query> {
    let with = q.with.as_ref()?;
    let [cte] = with.cte_tables.as_slice() else {
        return None;
    };
    if with.recursive
        || !cte.alias.columns.is_empty()
        || q.order_by.is_some()
        || q.limit_clause.is_some()
        || q.fetch.is_some()
    {
        return None;
    }
    let SetExpr::Select(outer) = q.body.as_ref() else {
        return None;
    };
    let [from] = outer.from.as_slice() else {
        return None;
    };
    let TableFactor::Table {
        name, args: None, ..
    } = &from.relation
    else {
        return None;
    };
    let reads_cte = name.0.len() == 1
        && name.0[0]
            .as_ident()
            .is_some_and(|i| i.value.eq_ignore_ascii_case(&cte.alias.name.value));
    if !reads_cte
        || !from.joins.is_empty()
        || outer.selection.is_some()
        || outer.distinct.is_some()
        || is_grouped(outer)
        || outer.having.is_some()
    {
        return None;
    }
    let body = &cte.query;
    if body.with.is_some()
        || body.order_by.is_some()
        || body.limit_clause.is_some()
        || body.fetch.is_some()
    {
        return None;
    }
    let SetExpr::Select(inner) = body.body.as_ref() else {
        return None;
    };
    if inner.distinct.is_some() || is_grouped(inner) || inner.having.is_some() {
        return None;
    }
    // The CTE's columns by name.
    let mut columns: Vec<(String, Expr)> = Vec::new();
    for item in &inner.projection {
        match item {
            SelectItem::ExprWithAlias { expr, alias } => {
                columns.push((alias.value.to_ascii_lowercase(), expr.clone()))
            }
            SelectItem::UnnamedExpr(e @ Expr::Identifier(id)) => {
                columns.push((id.value.to_ascii_lowercase(), e.clone()))
            }
            SelectItem::UnnamedExpr(e @ Expr::CompoundIdentifier(ids)) => {
                columns.push((ids.last()?.value.to_ascii_lowercase(), e.clone()))
            }
            _ => return None,
        }
    }
    let mut projection = Vec::new();
    for item in &outer.projection {
        let (column, alias) = match item {
            SelectItem::UnnamedExpr(e) => (e, None),
            SelectItem::ExprWithAlias { expr, alias } => (expr, Some(alias.clone())),
            _ => return None,
        };
        let name = match column {
            Expr::Identifier(id) => id.clone(),
            Expr::CompoundIdentifier(ids) if ids.len() == 2 => ids[1].clone(),
            _ => return None,
        };
        let (_, expr) = columns
            .iter()
            .find(|(n, _)| *n == name.value.to_ascii_lowercase())?;
        projection.push(SelectItem::ExprWithAlias {
            expr: expr.clone(),
            alias: alias.unwrap_or(name),
        });
    }
    let mut inlined = q.clone();
    inlined.with = None;
    let mut select = inner.as_ref().clone();
    select.projection = projection;
    inlined.body = Box::new(SetExpr::Select(Box::new(select)));
    Some(inlined)
}
