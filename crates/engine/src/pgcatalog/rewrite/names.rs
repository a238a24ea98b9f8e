//! PostgreSQL's names for unnamed select items.

use super::*;
use datafusion::sql::sqlparser::ast::ObjectName;

/// Names unnamed select items the way PostgreSQL does, where the name is unique in its
/// select list (DataFusion requires unique names; PostgreSQL allows duplicates, and a
/// duplicate keeps DataFusion's name).
#[derive(Debug)]
pub struct PostgresColumnNames;

impl SqlStatementRewriteRule for PostgresColumnNames {
    fn rewrite(&self, mut s: Statement) -> Statement {
        let _ = s.visit(&mut NameVisitor);
        s
    }
}

struct NameVisitor;

impl VisitorMut for NameVisitor {
    type Break = ();

    fn pre_visit_query(&mut self, query: &mut Query) -> ControlFlow<Self::Break> {
        // The first branch of a UNION names the columns; every branch needs unique ones.
        for_each_select(query.body.as_mut(), &mut name_select);
        ControlFlow::Continue(())
    }
}

/// Marks a repeated column name: DataFusion needs unique names in a select list, clients
/// see PostgreSQL's (repeated) names, with the mark and what follows it removed.
pub const DUPLICATE_MARK: char = '\u{E000}';

/// The name a client sees for a column DataFusion knows as `name`.
pub fn client_name(name: &str) -> &str {
    name.split(DUPLICATE_MARK).next().unwrap_or(name)
}

/// `schema` with the names clients see.
pub fn client_schema(schema: &arrow::datatypes::Schema) -> arrow::datatypes::SchemaRef {
    if !schema
        .fields()
        .iter()
        .any(|f| f.name().contains(DUPLICATE_MARK))
    {
        return Arc::new(schema.clone());
    }
    let fields: Vec<_> = schema
        .fields()
        .iter()
        .map(|f| f.as_ref().clone().with_name(client_name(f.name())))
        .collect();
    Arc::new(arrow::datatypes::Schema::new_with_metadata(
        fields,
        schema.metadata().clone(),
    ))
}

fn name_select(select: &mut Select) {
    // `SELECT n.oid, n.*`: the explicit column repeats one of the wildcard's.
    let has_wildcard = select.projection.iter().any(|item| {
        matches!(
            item,
            SelectItem::Wildcard(_) | SelectItem::QualifiedWildcard(_, _)
        )
    });
    let names: Vec<Option<String>> = select
        .projection
        .iter()
        .map(|item| match item {
            SelectItem::ExprWithAlias { alias, .. } => Some(if alias.quote_style.is_some() {
                alias.value.clone()
            } else {
                alias.value.to_lowercase()
            }),
            SelectItem::UnnamedExpr(expr) => postgres_name(expr),
            _ => None,
        })
        .collect();
    let mut seen: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    for (item, name) in select.projection.iter_mut().zip(names) {
        let Some(name) = name else {
            continue;
        };
        let count = seen.entry(name.clone()).or_default();
        let index = *count;
        *count += 1;
        let target = if index == 0 && !has_wildcard {
            name
        } else {
            format!("{name}{DUPLICATE_MARK}{index}")
        };
        match item {
            SelectItem::UnnamedExpr(expr) if is_column(expr) && index == 0 && !has_wildcard => {}
            SelectItem::UnnamedExpr(expr) => {
                *item = SelectItem::ExprWithAlias {
                    expr: expr.clone(),
                    alias: Ident::with_quote('"', target),
                };
            }
            SelectItem::ExprWithAlias { alias, .. } if index > 0 => {
                *alias = Ident::with_quote('"', target);
            }
            _ => {}
        }
    }
}

fn is_column(expr: &Expr) -> bool {
    matches!(expr, Expr::Identifier(_) | Expr::CompoundIdentifier(_))
}

/// PostgreSQL's name for an unnamed select item (`FigureColname` in its parser).
pub(crate) fn postgres_name(expr: &Expr) -> Option<String> {
    Some(match expr {
        Expr::Identifier(id) => id.value.to_lowercase(),
        Expr::CompoundIdentifier(ids) => ids.last()?.value.to_lowercase(),
        Expr::Function(f) => {
            let last = f.name.0.last()?.as_ident()?;
            last.value.to_lowercase()
        }
        Expr::Cast {
            expr, data_type, ..
        } => match postgres_name(expr) {
            Some(n) if n != "?column?" => n,
            _ => type_name(data_type)?,
        },
        Expr::Nested(inner) => postgres_name(inner)?,
        Expr::CompoundFieldAccess { root, .. } => postgres_name(root)?,
        // PostgreSQL names a CASE after its ELSE result when that has a name of its own.
        Expr::Case { else_result, .. } => match else_result.as_deref().and_then(postgres_name) {
            Some(n)
                if n != "?column?"
                    && !matches!(else_result.as_deref(), Some(Expr::Case { .. })) =>
            {
                n
            }
            _ => "case".into(),
        },
        Expr::Exists { .. } => "exists".into(),
        Expr::Array(_) => "array".into(),
        Expr::Extract { .. } => "extract".into(),
        Expr::Substring { .. } => "substring".into(),
        Expr::Position { .. } => "position".into(),
        Expr::Trim { .. } => "btrim".into(),
        Expr::Ceil { .. } => "ceil".into(),
        Expr::Floor { .. } => "floor".into(),
        Expr::Subquery(_) => return None,
        _ => "?column?".into(),
    })
}

/// PostgreSQL's internal type names, which name a cast of a constant (`'1'::int` → `int4`).
fn type_name(data_type: &SqlType) -> Option<String> {
    let text = data_type.to_string().to_lowercase();
    let base = text.split('(').next().unwrap_or(&text).trim();
    Some(
        match base {
            "int" | "integer" | "int4" => "int4",
            "bigint" | "int8" => "int8",
            "smallint" | "int2" => "int2",
            "real" | "float4" => "float4",
            "double precision" | "double" | "float8" | "float" => "float8",
            "numeric" | "decimal" => "numeric",
            "boolean" | "bool" => "bool",
            "text" => "text",
            "varchar" | "character varying" => "varchar",
            "date" => "date",
            "timestamp" => "timestamp",
            "timestamptz" | "timestamp with time zone" => "timestamptz",
            "interval" => "interval",
            "bytea" => "bytea",
            "regclass" => "regclass",
            "regtype" => "regtype",
            "oid" => "oid",
            _ => return None,
        }
        .to_string(),
    )
}

/// Qualifies an unqualified reference to one of Lyceum's own `pg_catalog` relations
/// (`pg_stat_activity`, ...) that `datafusion-pg-catalog`'s list of catalog tables lacks:
/// PostgreSQL searches `pg_catalog` before any schema of `search_path`.
#[derive(Debug)]
pub struct OwnCatalogTables;

impl SqlStatementRewriteRule for OwnCatalogTables {
    fn rewrite(&self, mut s: Statement) -> Statement {
        let _ = s.visit(&mut OwnCatalogVisitor);
        s
    }
}

struct OwnCatalogVisitor;

impl VisitorMut for OwnCatalogVisitor {
    type Break = ();

    fn pre_visit_table_factor(&mut self, table: &mut TableFactor) -> ControlFlow<Self::Break> {
        if let TableFactor::Table {
            name, args: None, ..
        } = table
            && let [ObjectNamePart::Identifier(ident)] = name.0.as_slice()
            && ident.quote_style.is_none()
            && crate::pgcatalog::OWN_TABLES
                .iter()
                .any(|t| t.eq_ignore_ascii_case(&ident.value))
        {
            *name = ObjectName(vec![
                ObjectNamePart::Identifier(Ident::new("pg_catalog")),
                ObjectNamePart::Identifier(ident.clone()),
            ]);
        }
        ControlFlow::Continue(())
    }
}
