//! Subquery forms DataFusion cannot decorrelate, and scans of always-empty catalog tables.

use super::*;

/// Catalog tables that Lyceum always shows empty (it has no policies, triggers,
/// inheritance, publications, sequences, foreign tables, extended statistics, defaults).
const ALWAYS_EMPTY: &[&str] = &[
    "pg_policy",
    "pg_trigger",
    "pg_inherits",
    "pg_publication",
    "pg_publication_rel",
    "pg_publication_namespace",
    "pg_statistic_ext",
    "pg_statistic_ext_data",
    "pg_partitioned_table",
    "pg_sequence",
    "pg_foreign_table",
    "pg_foreign_server",
    "pg_foreign_data_wrapper",
    "pg_event_trigger",
    "pg_subscription",
    "pg_subscription_rel",
    "pg_attrdef",
    "pg_largeobject",
    "pg_user_mapping",
    // Lyceum's users are members of no roles (revisit when roles and grants land).
    "pg_auth_members",
];

/// A `SELECT` without aggregation over a join that must be empty (an always-empty catalog
/// table in an inner join, or as the left side of a left join) returns no rows whatever
/// its select list computes; subqueries there that DataFusion cannot plan (correlated on
/// non-equality conditions, as psql's `\d` policy query is) are replaced by NULL. The
/// answer, no rows, is PostgreSQL's.
#[derive(Debug)]
pub struct EmptyCatalogScans;

impl SqlStatementRewriteRule for EmptyCatalogScans {
    fn rewrite(&self, mut s: Statement) -> Statement {
        let _ = s.visit(&mut EmptyScanVisitor);
        s
    }
}

struct EmptyScanVisitor;

fn is_always_empty(factor: &TableFactor) -> bool {
    let Some(parts) = table_name_parts(factor) else {
        return false;
    };
    match parts.as_slice() {
        [schema, table] if schema == "pg_catalog" => ALWAYS_EMPTY.contains(&table.as_str()),
        [table] => ALWAYS_EMPTY.contains(&table.as_str()),
        _ => false,
    }
}

pub(super) fn joins_to_nothing(select: &Select) -> bool {
    use datafusion::sql::sqlparser::ast::JoinOperator;
    select.from.iter().any(|t| {
        if is_always_empty(&t.relation)
            && t.joins.iter().all(|j| {
                matches!(
                    j.join_operator,
                    JoinOperator::Join(_)
                        | JoinOperator::Inner(_)
                        | JoinOperator::Left(_)
                        | JoinOperator::LeftOuter(_)
                        | JoinOperator::CrossJoin(_)
                )
            })
        {
            return true;
        }
        t.joins.iter().any(|j| {
            is_always_empty(&j.relation)
                && matches!(
                    j.join_operator,
                    JoinOperator::Join(_) | JoinOperator::Inner(_) | JoinOperator::CrossJoin(_)
                )
        })
    })
}

impl VisitorMut for EmptyScanVisitor {
    type Break = ();

    fn pre_visit_query(&mut self, query: &mut Query) -> ControlFlow<Self::Break> {
        for_each_select(query.body.as_mut(), &mut empty_scans_in);
        ControlFlow::Continue(())
    }
}

/// Applies [`EmptyCatalogScans`] to one `SELECT`.
fn empty_scans_in(select: &mut Select) {
    let aggregated = select.projection.iter().any(|item| match item {
        SelectItem::UnnamedExpr(e) | SelectItem::ExprWithAlias { expr: e, .. } => is_aggregate(e),
        _ => false,
    });
    let grouped = !matches!(&select.group_by,
        datafusion::sql::sqlparser::ast::GroupByExpr::Expressions(e, _) if e.is_empty());
    if aggregated || grouped || !joins_to_nothing(select) {
        return;
    }
    struct NullSubqueries;
    impl VisitorMut for NullSubqueries {
        type Break = ();
        fn pre_visit_expr(&mut self, e: &mut Expr) -> ControlFlow<()> {
            let is_subquery = match e {
                Expr::Subquery(_) | Expr::Exists { .. } | Expr::InSubquery { .. } => true,
                Expr::Function(f) => matches!(f.args, FunctionArguments::Subquery(_)),
                _ => false,
            };
            if is_subquery {
                *e = Expr::Value(Value::Null.with_empty_span());
            }
            ControlFlow::Continue(())
        }
    }
    for item in &mut select.projection {
        let _ = item.visit(&mut NullSubqueries);
    }
}

/// PostgreSQL subquery forms DataFusion cannot plan, in forms it can that give the same
/// answers:
///
/// - `ARRAY(SELECT x FROM ... [ORDER BY ...])` becomes
///   `coalesce((SELECT array_agg(x [ORDER BY ...]) FROM ...), make_array())` (an empty
///   array, not NULL, when no row matches, as in PostgreSQL);
/// - a scalar subquery over catalog relations only (`pg_catalog.*`,
///   `information_schema.*`) that selects one value without aggregating, the way tools
///   look up one catalog row by key, becomes `first_value(x [ORDER BY ...])` of the same
///   rows: DataFusion decorrelates only aggregated subqueries. With `LIMIT 1` this is
///   exactly PostgreSQL's answer; without, the lookup is by key and finds at most one row.
///
/// Anything else is left for DataFusion to plan or to refuse with an error.
#[derive(Debug)]
pub struct SubqueryForms;

impl SqlStatementRewriteRule for SubqueryForms {
    fn rewrite(&self, mut s: Statement) -> Statement {
        let _ = s.visit(&mut SubqueryVisitor);
        s
    }
}

struct SubqueryVisitor;

impl VisitorMut for SubqueryVisitor {
    type Break = ();

    fn post_visit_expr(&mut self, expr: &mut Expr) -> ControlFlow<Self::Break> {
        let replacement = match expr {
            Expr::Function(f)
                if f.name.0.len() == 1
                    && f.name.0[0]
                        .as_ident()
                        .is_some_and(|i| i.value.eq_ignore_ascii_case("array")) =>
            {
                match &f.args {
                    FunctionArguments::Subquery(q) => array_subquery(q),
                    _ => None,
                }
            }
            Expr::Exists { subquery, negated } => over_nothing(subquery)
                .then(|| Expr::Value(Value::Boolean(*negated).with_empty_span())),
            Expr::InSubquery {
                subquery, negated, ..
            } => over_nothing(subquery)
                .then(|| Expr::Value(Value::Boolean(*negated).with_empty_span())),
            Expr::Subquery(q) => bare_select(q)
                .or_else(|| empty_lookup(q))
                .or_else(|| catalog_lookup(q))
                .or_else(|| aggregate_without_limit(q)),
            _ => None,
        };
        if let Some(new) = replacement {
            *expr = new;
        }
        ControlFlow::Continue(())
    }
}

/// The one select item and the parts of a query that is one plain `SELECT` (no grouping,
/// `DISTINCT`, set operation or `WITH`).
fn single_value_select(q: &Query) -> Option<(&Select, &Expr)> {
    if q.with.is_some() || q.fetch.is_some() {
        return None;
    }
    let SetExpr::Select(select) = q.body.as_ref() else {
        return None;
    };
    let grouped = match &select.group_by {
        datafusion::sql::sqlparser::ast::GroupByExpr::Expressions(e, m) => {
            !e.is_empty() || !m.is_empty()
        }
        datafusion::sql::sqlparser::ast::GroupByExpr::All(_) => true,
    };
    if grouped || select.having.is_some() || select.distinct.is_some() {
        return None;
    }
    let [item] = select.projection.as_slice() else {
        return None;
    };
    let value = match item {
        SelectItem::UnnamedExpr(e) | SelectItem::ExprWithAlias { expr: e, .. } => e,
        _ => return None,
    };
    Some((select, value))
}

/// ` ORDER BY a, b DESC` of a query whose one select item is `value`, or nothing; a
/// positional `ORDER BY 1` names that item.
fn order_by_text(q: &Query, value: &Expr) -> Option<String> {
    match &q.order_by {
        None => Some(String::new()),
        Some(o) => match &o.kind {
            OrderByKind::Expressions(exprs) if !exprs.is_empty() => {
                let mut parts = Vec::new();
                for e in exprs {
                    let mut e = e.clone();
                    if let Expr::Value(v) = &e.expr
                        && let Value::Number(n, _) = &v.value
                    {
                        if n != "1" {
                            return None;
                        }
                        e.expr = value.clone();
                    }
                    parts.push(e.to_string());
                }
                Some(format!(" ORDER BY {}", parts.join(", ")))
            }
            _ => None,
        },
    }
}

/// Rebuilds `q` with `aggregate(value ORDER BY ...)` as its one item, and without its
/// `ORDER BY` and `LIMIT`.
pub(super) fn aggregated(q: &Query, aggregate: &str) -> Option<Query> {
    let (_, value) = single_value_select(q)?;
    let order = order_by_text(q, value)?;
    let agg = parse_expr(&format!("{aggregate}({value}{order})"))?;
    let mut q = q.clone();
    q.order_by = None;
    q.limit_clause = None;
    if let SetExpr::Select(select) = q.body.as_mut() {
        select.projection = vec![SelectItem::UnnamedExpr(agg)];
    }
    Some(q)
}

fn array_subquery(q: &Query) -> Option<Expr> {
    if let Some((select, value)) = single_value_select(q)
        && !is_aggregate(value)
        && joins_to_nothing(select)
    {
        // No rows: the empty array.
        return parse_expr("make_array()");
    }
    if q.limit_clause.is_some() {
        return None;
    }
    let q = aggregated(q, "array_agg")?;
    parse_expr(&format!("coalesce(({q}), make_array())"))
}

const AGGREGATES: &[&str] = &[
    "count",
    "sum",
    "min",
    "max",
    "avg",
    "array_agg",
    "string_agg",
    "bool_and",
    "bool_or",
    "every",
    "first_value",
    "last_value",
    "json_agg",
    "jsonb_agg",
    "any_value",
    "bit_and",
    "bit_or",
    "bit_xor",
    "stddev",
    "stddev_pop",
    "stddev_samp",
    "variance",
    "var_pop",
    "var_samp",
    "median",
    "mode",
    "percentile_cont",
    "percentile_disc",
    "approx_distinct",
    "approx_median",
    "corr",
    "covar_pop",
    "covar_samp",
    "regr_slope",
    "nth_value",
];

/// Whether `expr` calls an aggregate (outside any subquery of its own).
fn is_aggregate(expr: &Expr) -> bool {
    use datafusion::sql::sqlparser::ast::{Visit, Visitor};
    struct Find(bool);
    impl Visitor for Find {
        type Break = ();
        fn pre_visit_query(&mut self, _q: &Query) -> ControlFlow<()> {
            // An aggregate inside a nested subquery aggregates that subquery.
            ControlFlow::Break(())
        }
        fn pre_visit_expr(&mut self, e: &Expr) -> ControlFlow<()> {
            if let Expr::Function(f) = e
                && f.over.is_none()
                && f.name
                    .0
                    .last()
                    .and_then(|p| p.as_ident())
                    .is_some_and(|i| AGGREGATES.contains(&i.value.to_ascii_lowercase().as_str()))
            {
                self.0 = true;
                return ControlFlow::Break(());
            }
            ControlFlow::Continue(())
        }
    }
    let mut find = Find(false);
    let _ = expr.visit(&mut find);
    find.0
}

pub(super) fn is_catalog_relation(factor: &TableFactor) -> bool {
    let Some(parts) = table_name_parts(factor) else {
        return false;
    };
    match parts.as_slice() {
        [schema, _] => schema == "pg_catalog" || schema == "information_schema",
        [table] => table.starts_with("pg_"),
        _ => false,
    }
}

/// Whether a subquery's rows come from a join that must be empty (then `EXISTS` is
/// false and `IN` finds nothing).
fn over_nothing(q: &Query) -> bool {
    let SetExpr::Select(select) = q.body.as_ref() else {
        return false;
    };
    let grouped = !matches!(&select.group_by,
        datafusion::sql::sqlparser::ast::GroupByExpr::Expressions(e, _) if e.is_empty());
    let aggregated = select.projection.iter().any(|item| match item {
        SelectItem::UnnamedExpr(e) | SelectItem::ExprWithAlias { expr: e, .. } => is_aggregate(e),
        _ => false,
    });
    // `SELECT count(*) FROM nothing` is one row.
    !grouped && !aggregated && select.having.is_none() && joins_to_nothing(select)
}

/// `(SELECT expr)` with no `FROM` is `expr` (without the extra level of nesting that keeps
/// DataFusion from resolving outer columns two levels up).
fn bare_select(q: &Query) -> Option<Expr> {
    let (select, value) = single_value_select(q)?;
    if !select.from.is_empty()
        || select.selection.is_some()
        || q.limit_clause.is_some()
        || q.order_by.is_some()
        || is_aggregate(value)
    {
        return None;
    }
    Some(Expr::Nested(Box::new(value.clone())))
}

/// A scalar subquery without aggregation over a join that must be empty returns no row:
/// its value is NULL.
fn empty_lookup(q: &Query) -> Option<Expr> {
    let (select, value) = single_value_select(q)?;
    if is_aggregate(value) || !joins_to_nothing(select) {
        return None;
    }
    Some(Expr::Value(Value::Null.with_empty_span()))
}

/// `(SELECT count(*) FROM ... LIMIT 1)`: an aggregate without `GROUP BY` is one row, so
/// the `LIMIT 1` (which keeps DataFusion from decorrelating) changes nothing.
fn aggregate_without_limit(q: &Query) -> Option<Expr> {
    let (_, value) = single_value_select(q)?;
    if !is_aggregate(value) || q.order_by.is_some() {
        return None;
    }
    match &q.limit_clause {
        Some(LimitClause::LimitOffset {
            limit: Some(Expr::Value(v)),
            offset: None,
            limit_by,
        }) if limit_by.is_empty() && matches!(&v.value, Value::Number(n, _) if n == "1") => {
            let mut q = q.clone();
            q.limit_clause = None;
            Some(Expr::Subquery(Box::new(q)))
        }
        _ => None,
    }
}

fn catalog_lookup(q: &Query) -> Option<Expr> {
    let (select, value) = single_value_select(q)?;
    if is_aggregate(value) || select.from.is_empty() {
        return None;
    }
    let only_catalog = select.from.iter().all(|t| {
        is_catalog_relation(&t.relation) && t.joins.iter().all(|j| is_catalog_relation(&j.relation))
    });
    if !only_catalog {
        return None;
    }
    match &q.limit_clause {
        None => {}
        Some(LimitClause::LimitOffset {
            limit: Some(Expr::Value(v)),
            offset: None,
            limit_by,
        }) if limit_by.is_empty() && matches!(&v.value, Value::Number(n, _) if n == "1") => {}
        Some(_) => return None,
    }
    let mut q = aggregated(q, "first_value")?;
    let mut guard = None;
    if let SetExpr::Select(select) = q.body.as_mut() {
        substitute_correlated(select);
        guard = take_outer_only(select);
    }
    let lookup = Expr::Subquery(Box::new(q));
    Some(match guard {
        // `(SELECT .. WHERE inner AND outer_only)` is NULL unless `outer_only` holds.
        Some(condition) => parse_expr(&format!("CASE WHEN {condition} THEN {lookup} END"))?,
        None => lookup,
    })
}

/// Removes the conditions that read only outer columns from the subquery's `WHERE` and
/// returns them (DataFusion cannot decorrelate them).
fn take_outer_only(select: &mut Select) -> Option<Expr> {
    use datafusion::sql::sqlparser::ast::{BinaryOperator, Visit, Visitor};
    let selection = select.selection.take()?;
    let inner = relation_names(select);
    struct Columns<'a> {
        inner: &'a [String],
        outer: usize,
        other: usize,
    }
    impl Visitor for Columns<'_> {
        type Break = ();
        fn pre_visit_expr(&mut self, e: &Expr) -> ControlFlow<()> {
            match e {
                Expr::CompoundIdentifier(_) if is_outer(e, self.inner) => self.outer += 1,
                Expr::CompoundIdentifier(_) | Expr::Identifier(_) | Expr::Subquery(_) => {
                    self.other += 1
                }
                _ => {}
            }
            ControlFlow::Continue(())
        }
    }
    let mut parts = Vec::new();
    conjuncts(selection, &mut parts);
    let (outer_only, rest): (Vec<Expr>, Vec<Expr>) = parts.into_iter().partition(|p| {
        let mut c = Columns {
            inner: &inner,
            outer: 0,
            other: 0,
        };
        let _ = p.visit(&mut c);
        c.outer > 0 && c.other == 0
    });
    let and = |a: Expr, b: Expr| Expr::BinaryOp {
        left: Box::new(a),
        op: BinaryOperator::And,
        right: Box::new(b),
    };
    select.selection = rest.into_iter().reduce(and);
    outer_only
        .into_iter()
        .reduce(and)
        .map(|e| Expr::Nested(Box::new(e)))
}

/// The aliases (or names) the relations of a `FROM` clause are known by.
pub(super) fn relation_names(select: &Select) -> Vec<String> {
    let mut names = Vec::new();
    let mut add = |factor: &TableFactor| {
        if let TableFactor::Table { name, alias, .. } = factor {
            match alias {
                Some(a) => names.push(a.name.value.to_ascii_lowercase()),
                None => {
                    if let Some(last) = name.0.last().and_then(ObjectNamePart::as_ident) {
                        names.push(last.value.to_ascii_lowercase());
                    }
                }
            }
        }
    };
    for t in &select.from {
        add(&t.relation);
        for j in &t.joins {
            add(&j.relation);
        }
    }
    names
}

/// `q.c` names a column of an outer query when `q` is none of this `FROM`'s relations.
pub(super) fn is_outer(expr: &Expr, inner: &[String]) -> bool {
    matches!(expr, Expr::CompoundIdentifier(ids)
        if ids.len() == 2 && !inner.contains(&ids[0].value.to_ascii_lowercase()))
}

pub(super) fn is_inner(expr: &Expr, inner: &[String]) -> bool {
    matches!(expr, Expr::CompoundIdentifier(ids)
        if ids.len() == 2 && inner.contains(&ids[0].value.to_ascii_lowercase()))
}

pub(super) fn conjuncts(expr: Expr, out: &mut Vec<Expr>) {
    match expr {
        Expr::BinaryOp {
            left,
            op: datafusion::sql::sqlparser::ast::BinaryOperator::And,
            right,
        } => {
            conjuncts(*left, out);
            conjuncts(*right, out);
        }
        Expr::Nested(inner) if matches!(*inner, Expr::BinaryOp { .. }) => conjuncts(*inner, out),
        other => out.push(other),
    }
}

/// DataFusion decorrelates equalities between an outer and an inner column, not other
/// predicates on outer columns. Where the `WHERE` clause equates an outer column with an
/// inner one, the other conditions can name the inner column instead: within the
/// conjunction both are the same non-null value.
fn substitute_correlated(select: &mut Select) {
    use datafusion::sql::sqlparser::ast::BinaryOperator;
    let Some(selection) = select.selection.take() else {
        return;
    };
    let inner = relation_names(select);
    let mut parts = Vec::new();
    conjuncts(selection, &mut parts);
    let mut pairs: Vec<(Expr, Expr)> = Vec::new();
    for p in &parts {
        if let Expr::BinaryOp {
            left,
            op: BinaryOperator::Eq,
            right,
        } = p
        {
            if is_outer(left, &inner) && is_inner(right, &inner) {
                pairs.push((left.as_ref().clone(), right.as_ref().clone()));
            } else if is_outer(right, &inner) && is_inner(left, &inner) {
                pairs.push((right.as_ref().clone(), left.as_ref().clone()));
            }
        }
    }
    let is_pair = |p: &Expr| {
        pairs.iter().any(|(outer, inner)| {
            matches!(p, Expr::BinaryOp { left, op: BinaryOperator::Eq, right }
                if (left.as_ref() == outer && right.as_ref() == inner)
                    || (left.as_ref() == inner && right.as_ref() == outer))
        })
    };
    struct Replace<'a>(&'a [(Expr, Expr)]);
    impl VisitorMut for Replace<'_> {
        type Break = ();
        fn pre_visit_expr(&mut self, e: &mut Expr) -> ControlFlow<()> {
            if let Some((_, inner)) = self.0.iter().find(|(outer, _)| outer == e) {
                *e = inner.clone();
            }
            ControlFlow::Continue(())
        }
    }
    let rebuilt = parts
        .into_iter()
        .map(|mut p| {
            if !is_pair(&p) {
                let _ = p.visit(&mut Replace(&pairs));
            }
            p
        })
        .reduce(|a, b| Expr::BinaryOp {
            left: Box::new(a),
            op: BinaryOperator::And,
            right: Box::new(b),
        });
    select.selection = rebuilt;
}
