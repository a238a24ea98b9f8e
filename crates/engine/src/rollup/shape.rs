//! The shape of what an aggregate reads: which warehouse tables, joined and filtered by
//! which predicates, with every column named by its base table (`public.dim_course.
//! department_key`) whatever alias the query gave it. Two aggregates over the same shape
//! read the same rows, however their SQL was spelled.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

use datafusion::common::tree_node::{Transformed, TreeNode};
use datafusion::common::{Column, TableReference};
use datafusion::logical_expr::utils::split_conjunction;
use datafusion::logical_expr::{BinaryExpr, Expr, JoinType, LogicalPlan, Operator, TableSource};

/// Names a scanned source's warehouse table (`schema.table`), if it is one.
pub type TableNamer<'a> = &'a dyn Fn(&Arc<dyn TableSource>) -> Option<String>;

/// The rows an aggregate reads, normalised.
#[derive(Debug, Clone)]
pub struct Shape {
    /// The warehouse tables read, each once.
    pub tables: BTreeSet<String>,
    /// Every conjunct of the joins' conditions and the filters, normalised, by its
    /// canonical text.
    pub predicates: BTreeMap<String, Expr>,
    /// Columns known equal by an equality predicate, as classes of canonical texts.
    classes: Vec<BTreeSet<String>>,
    /// The plan's qualifier of each scan → its base table.
    qualifiers: HashMap<TableReference, String>,
    /// Columns a projection or subquery under the aggregate computes → what they are in
    /// terms of the columns beneath it.
    renames: HashMap<Column, Expr>,
    /// What each base table was scanned from (to join a dimension back to a rollup).
    sources: BTreeMap<String, Source>,
}

/// A scanned table's source.
#[derive(Clone)]
pub struct Source(pub Arc<dyn TableSource>);

impl std::fmt::Debug for Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Source")
    }
}

/// Why a plan has no shape Lyceum can match (shown by `EXPLAIN`).
pub type Refusal = String;

impl Shape {
    /// The shape of `plan`, the input of an aggregate: inner joins and filters over
    /// warehouse table scans.
    pub fn of(plan: &LogicalPlan, name_of: TableNamer<'_>) -> Result<Shape, Refusal> {
        let mut shape = Shape {
            tables: BTreeSet::new(),
            predicates: BTreeMap::new(),
            classes: Vec::new(),
            qualifiers: HashMap::new(),
            renames: HashMap::new(),
            sources: BTreeMap::new(),
        };
        let mut raw = Vec::new();
        shape.walk(plan, name_of, &mut raw)?;
        for predicate in raw {
            if predicate.is_volatile() {
                return Err(format!("the filter {predicate} is volatile"));
            }
            let normal = shape.normalise(&predicate)?;
            if let Some((a, b)) = column_equality(&normal) {
                shape.join_classes(a, b);
            }
            shape.predicates.insert(canonical(&normal), normal);
        }
        Ok(shape)
    }

    fn walk(
        &mut self,
        plan: &LogicalPlan,
        name_of: TableNamer<'_>,
        predicates: &mut Vec<Expr>,
    ) -> Result<(), Refusal> {
        match plan {
            LogicalPlan::TableScan(scan) => {
                let base = self.scan(&scan.source, &scan.table_name, name_of)?;
                if scan.fetch.is_some() {
                    return Err(format!("a LIMIT on {base} under the aggregate"));
                }
                predicates.extend(scan.filters.iter().cloned());
                Ok(())
            }
            LogicalPlan::SubqueryAlias(alias) => match alias.input.as_ref() {
                LogicalPlan::TableScan(scan) => {
                    let base = self.scan(&scan.source, &alias.alias, name_of)?;
                    if scan.fetch.is_some() {
                        return Err(format!("a LIMIT on {base} under the aggregate"));
                    }
                    predicates.extend(scan.filters.iter().cloned());
                    Ok(())
                }
                input => {
                    // A subquery (a CTE) under the aggregate: its columns are renames of
                    // its input's.
                    self.walk(input, name_of, predicates)?;
                    for column in input.schema().columns() {
                        let outer = Column::new(Some(alias.alias.clone()), column.name.clone());
                        self.renames.insert(outer, Expr::Column(column));
                    }
                    Ok(())
                }
            },
            LogicalPlan::Projection(projection) => {
                self.walk(&projection.input, name_of, predicates)?;
                for (expr, column) in projection.expr.iter().zip(projection.schema.columns()) {
                    let inner = match expr {
                        Expr::Alias(a) => a.expr.as_ref().clone(),
                        other => other.clone(),
                    };
                    if inner.is_volatile() {
                        return Err(format!("{inner} is volatile"));
                    }
                    if inner != Expr::Column(column.clone()) {
                        self.renames.insert(column, inner);
                    }
                }
                Ok(())
            }
            LogicalPlan::Join(join) => {
                if join.join_type != JoinType::Inner {
                    return Err(format!("a {} join under the aggregate", join.join_type));
                }
                self.walk(&join.left, name_of, predicates)?;
                self.walk(&join.right, name_of, predicates)?;
                predicates.extend(join.on.iter().map(|(l, r)| l.clone().eq(r.clone())));
                if let Some(filter) = &join.filter {
                    predicates.extend(split_conjunction(filter).into_iter().cloned());
                }
                Ok(())
            }
            LogicalPlan::Filter(filter) => {
                if filter
                    .predicate
                    .exists(|e| Ok(is_subquery(e)))
                    .unwrap_or(true)
                {
                    return Err("a subquery in a filter under the aggregate".into());
                }
                predicates.extend(split_conjunction(&filter.predicate).into_iter().cloned());
                self.walk(&filter.input, name_of, predicates)
            }
            other => Err(format!(
                "{} under the aggregate",
                other
                    .display()
                    .to_string()
                    .split(':')
                    .next()
                    .unwrap_or("a node")
            )),
        }
    }

    fn scan(
        &mut self,
        source: &Arc<dyn TableSource>,
        qualifier: &TableReference,
        name_of: TableNamer<'_>,
    ) -> Result<String, Refusal> {
        let base = name_of(source)
            .ok_or_else(|| format!("{qualifier} is not a table of the warehouse version"))?;
        if !self.tables.insert(base.clone()) {
            return Err(format!("{base} is read twice"));
        }
        self.qualifiers.insert(qualifier.clone(), base.clone());
        self.sources.insert(base.clone(), Source(source.clone()));
        Ok(base)
    }

    /// The source `base` (a table of [`Shape::tables`]) was scanned from.
    pub fn source(&self, base: &str) -> Option<Arc<dyn TableSource>> {
        self.sources.get(base).map(|s| s.0.clone())
    }

    /// `expr` with every column named by its base table.
    pub fn normalise(&self, expr: &Expr) -> Result<Expr, Refusal> {
        let mut refusal = None;
        let normal = expr
            .clone()
            .transform(|e| match e {
                Expr::Column(c) if self.renames.contains_key(&c) => {
                    let inner = self.renames.get(&c).cloned().unwrap_or(Expr::Column(c));
                    match self.normalise(&inner) {
                        Ok(n) => Ok(Transformed::yes(n)),
                        Err(r) => {
                            refusal.get_or_insert(r);
                            Ok(Transformed::no(inner))
                        }
                    }
                }
                Expr::Column(c) => match self.base_of(&c) {
                    Some(base) => Ok(Transformed::yes(Expr::Column(Column::new(
                        Some(base_reference(&base)),
                        c.name,
                    )))),
                    None => {
                        refusal.get_or_insert_with(|| format!("the column {c} is not read here"));
                        Ok(Transformed::no(Expr::Column(c)))
                    }
                },
                Expr::OuterReferenceColumn(..) | Expr::ScalarSubquery(_) | Expr::Exists(_) => {
                    refusal.get_or_insert_with(|| "a correlated subquery".to_string());
                    Ok(Transformed::no(e))
                }
                Expr::Alias(alias) => Ok(Transformed::yes(*alias.expr)),
                other => Ok(Transformed::no(other)),
            })
            .map_err(|e| e.to_string())?
            .data;
        match refusal {
            Some(r) => Err(r),
            None => Ok(normal),
        }
    }

    fn base_of(&self, column: &Column) -> Option<String> {
        let relation = column.relation.as_ref()?;
        self.qualifiers.get(relation).cloned().or_else(|| {
            // A qualifier written more fully than the scan's (`public.t` for `t`).
            self.qualifiers
                .iter()
                .find(|(q, _)| q.resolved_eq(relation))
                .map(|(_, base)| base.clone())
        })
    }

    fn join_classes(&mut self, a: String, b: String) {
        let ia = self.classes.iter().position(|c| c.contains(&a));
        let ib = self.classes.iter().position(|c| c.contains(&b));
        match (ia, ib) {
            (Some(i), Some(j)) if i == j => {}
            (Some(i), Some(j)) => {
                let moved = self.classes.remove(i.max(j));
                self.classes[i.min(j)].extend(moved);
            }
            (Some(i), None) => {
                self.classes[i].insert(b);
            }
            (None, Some(j)) => {
                self.classes[j].insert(a);
            }
            (None, None) => self.classes.push(BTreeSet::from([a, b])),
        }
    }

    /// The columns known equal to `column` (canonical texts), itself included.
    pub fn equal_to(&self, column: &str) -> BTreeSet<String> {
        self.classes
            .iter()
            .find(|c| c.contains(column))
            .cloned()
            .unwrap_or_else(|| BTreeSet::from([column.to_string()]))
    }
}

/// The reference a base table's columns carry after normalising.
pub fn base_reference(base: &str) -> TableReference {
    match base.split_once('.') {
        Some((schema, table)) => TableReference::partial(schema, table),
        None => TableReference::bare(base),
    }
}

fn is_subquery(e: &Expr) -> bool {
    matches!(
        e,
        Expr::ScalarSubquery(_) | Expr::Exists(_) | Expr::InSubquery(_)
    )
}

/// `a = b` between two columns, as their canonical texts.
pub fn column_equality(expr: &Expr) -> Option<(String, String)> {
    match expr {
        Expr::BinaryExpr(BinaryExpr {
            left,
            op: Operator::Eq,
            right,
        }) => match (left.as_ref(), right.as_ref()) {
            (Expr::Column(a), Expr::Column(b)) => Some((a.flat_name(), b.flat_name())),
            _ => None,
        },
        _ => None,
    }
}

/// A normalised expression's text, the same for `a = b` and `b = a`.
pub fn canonical(expr: &Expr) -> String {
    if let Expr::BinaryExpr(BinaryExpr {
        left,
        op: Operator::Eq,
        right,
    }) = expr
    {
        let (l, r) = (left.to_string(), right.to_string());
        return if l <= r {
            format!("{l} = {r}")
        } else {
            format!("{r} = {l}")
        };
    }
    expr.to_string()
}
