//! PostgreSQL spellings DataFusion reads differently or not at all: functions in `FROM`,
//! 0-based vectors, system columns, field selection, `bytea` and regex forms, `ESCAPE`,
//! set-returning functions in select lists.

use super::*;

/// Functions in `FROM` as PostgreSQL reads them: a function that returns one value (not
/// a set) is a one-row table whose column is named after its alias
/// (`FROM string_to_array(x, ',') s`), and a set-returning function with an alias and no
/// column list names its one column after the alias (`FROM generate_series(1, 3) AS i`).
#[derive(Debug)]
pub struct FromClauseFunctions;

/// Table functions DataFusion has, whose one column PostgreSQL names after the alias.
const SET_FUNCTIONS: &[&str] = &["generate_series", "unnest", "range"];

impl SqlStatementRewriteRule for FromClauseFunctions {
    fn rewrite(&self, mut s: Statement) -> Statement {
        struct V;
        impl VisitorMut for V {
            type Break = ();
            fn pre_visit_table_factor(&mut self, factor: &mut TableFactor) -> ControlFlow<()> {
                let TableFactor::Table {
                    name,
                    alias,
                    args: Some(args),
                    ..
                } = factor
                else {
                    return ControlFlow::Continue(());
                };
                let Some(function) = name
                    .0
                    .last()
                    .and_then(ObjectNamePart::as_ident)
                    .map(|i| i.value.to_lowercase())
                else {
                    return ControlFlow::Continue(());
                };
                if SET_FUNCTIONS.contains(&function.as_str()) {
                    if let Some(alias) = alias
                        && alias.columns.is_empty()
                        && function != "generate_subscripts"
                    {
                        alias.columns = vec![
                            datafusion::sql::sqlparser::ast::TableAliasColumnDef::from_name(
                                alias.name.value.clone(),
                            ),
                        ];
                    }
                    return ControlFlow::Continue(());
                }
                if function == "pg_get_keywords" || function == "pg_show_all_settings" {
                    return ControlFlow::Continue(());
                }
                // A scalar function: `(SELECT f(args) AS alias) alias`.
                let Some(table_alias) = alias.clone() else {
                    return ControlFlow::Continue(());
                };
                let column = table_alias
                    .columns
                    .first()
                    .map(|c| c.name.value.clone())
                    .unwrap_or_else(|| table_alias.name.value.clone());
                let call = format!(
                    "{name}({})",
                    args.args
                        .iter()
                        .map(|a| a.to_string())
                        .collect::<Vec<_>>()
                        .join(", ")
                );
                let derived = format!("SELECT {call} AS \"{column}\"");
                if let Ok(mut statements) = Parser::parse_sql(&PostgreSqlDialect {}, &derived)
                    && let Some(Statement::Query(query)) = statements.pop()
                {
                    let mut alias = table_alias;
                    alias.columns.clear();
                    *factor = TableFactor::Derived {
                        lateral: false,
                        subquery: query,
                        alias: Some(alias),
                        sample: None,
                    };
                }
                ControlFlow::Continue(())
            }
        }
        let _ = s.visit(&mut V);
        s
    }
}

/// `int2vector` and `oidvector` columns (`pg_index.indkey`, ...) are subscripted from 0 in
/// PostgreSQL; Lyceum stores them as arrays, subscripted from 1. Subscripts and
/// `array_lower`/`array_upper` of these columns are shifted to match.
#[derive(Debug)]
pub struct VectorSubscripts;

/// Catalog columns of PostgreSQL's zero-based vector types.
const VECTOR_COLUMNS: &[&str] = &[
    "indkey",
    "indclass",
    "indcollation",
    "indoption",
    "tgattr",
    "proargtypes",
    "partattrs",
    "partclass",
    "partcollation",
    "stxkeys",
];

fn is_vector_column(e: &Expr) -> bool {
    let name = match e {
        Expr::Identifier(id) => &id.value,
        Expr::CompoundIdentifier(ids) => match ids.last() {
            Some(id) => &id.value,
            None => return false,
        },
        _ => return false,
    };
    VECTOR_COLUMNS.contains(&name.to_lowercase().as_str())
}

impl SqlStatementRewriteRule for VectorSubscripts {
    fn rewrite(&self, s: Statement) -> Statement {
        use datafusion::sql::sqlparser::ast::{AccessExpr, Subscript};
        map_exprs(s, |e| {
            match e {
                Expr::CompoundFieldAccess { root, access_chain } => {
                    // `indkey[i]`, `i.indkey[i]` (root `i`, then `.indkey`, then the
                    // subscript): the column is the last name before the subscript.
                    let first_subscript = access_chain
                        .iter()
                        .position(|a| matches!(a, AccessExpr::Subscript(_)));
                    let column = match first_subscript {
                        Some(0) => Some(root.as_ref()),
                        Some(k) => match &access_chain[k - 1] {
                            AccessExpr::Dot(name) => Some(name),
                            AccessExpr::Subscript(_) => None,
                        },
                        None => None,
                    };
                    if let (Some(column), Some(k)) = (column, first_subscript)
                        && is_vector_column(column)
                        && let AccessExpr::Subscript(Subscript::Index { index }) =
                            &mut access_chain[k]
                        && let Some(shifted) = parse_expr(&format!("({index}) + 1"))
                    {
                        *index = shifted;
                    }
                }
                Expr::Function(f) => {
                    let Some(name) = f.name.0.last().and_then(ObjectNamePart::as_ident) else {
                        return;
                    };
                    let lower = name.value.to_lowercase();
                    if (lower == "array_lower" || lower == "array_upper")
                        && let FunctionArguments::List(list) = &f.args
                        && let Some(first) = list.args.first()
                        && let datafusion::sql::sqlparser::ast::FunctionArg::Unnamed(
                            datafusion::sql::sqlparser::ast::FunctionArgExpr::Expr(arg),
                        ) = first
                        && is_vector_column(arg)
                        && let Some(shifted) = parse_expr(&format!("({f}) - 1"))
                    {
                        *e = shifted;
                    }
                }
                _ => {}
            }
        })
    }
}

/// PostgreSQL's system column `tableoid` (the OID of the table a row comes from), for the
/// catalog tables tools read it from: a constant per table.
#[derive(Debug)]
pub struct SystemColumns;

impl SqlStatementRewriteRule for SystemColumns {
    fn rewrite(&self, s: Statement) -> Statement {
        map_queries(s, |query| {
            for_each_select(query.body.as_mut(), &mut |select| {
                let mut tables: Vec<(String, i32)> = Vec::new();
                let mut note = |factor: &TableFactor| {
                    if let TableFactor::Table { alias, .. } = factor
                        && let Some(parts) = table_name_parts(factor)
                    {
                        let table = match parts.as_slice() {
                            [schema, t] if schema == "pg_catalog" => t.clone(),
                            [t] if t.starts_with("pg_") => t.clone(),
                            _ => return,
                        };
                        let oid = crate::pgcatalog::oids::system_relation("pg_catalog", &table, 0);
                        if oid < 16_000 {
                            let key = alias
                                .as_ref()
                                .map(|a| a.name.value.to_lowercase())
                                .unwrap_or(table);
                            tables.push((key, oid));
                        }
                    }
                };
                for t in &select.from {
                    note(&t.relation);
                    for j in &t.joins {
                        note(&j.relation);
                    }
                }
                if tables.is_empty() {
                    return;
                }
                struct Replace<'a>(&'a [(String, i32)]);
                impl VisitorMut for Replace<'_> {
                    type Break = ();
                    fn pre_visit_expr(&mut self, e: &mut Expr) -> ControlFlow<()> {
                        if let Expr::CompoundIdentifier(ids) = e
                            && ids.len() == 2
                            && ids[1].value.eq_ignore_ascii_case("tableoid")
                            && let Some((_, oid)) = self
                                .0
                                .iter()
                                .find(|(k, _)| *k == ids[0].value.to_lowercase())
                        {
                            *e = Expr::Value(
                                Value::Number(oid.to_string(), false).with_empty_span(),
                            );
                        }
                        ControlFlow::Continue(())
                    }
                }
                let mut replace = Replace(&tables);
                for item in &mut select.projection {
                    // A bare `t.tableoid` keeps its name.
                    if let SelectItem::UnnamedExpr(e @ Expr::CompoundIdentifier(_)) = item {
                        let before = e.clone();
                        let _ = e.visit(&mut replace);
                        if *e != before {
                            *item = SelectItem::ExprWithAlias {
                                expr: e.clone(),
                                alias: Ident::new("tableoid"),
                            };
                        }
                        continue;
                    }
                    let _ = item.visit(&mut replace);
                }
                if let Some(selection) = &mut select.selection {
                    let _ = selection.visit(&mut replace);
                }
                for t in &mut select.from {
                    for j in &mut t.joins {
                        let _ = j.join_operator.visit(&mut replace);
                    }
                }
            });
        })
    }
}

/// `(composite).field` (PostgreSQL's field selection from a row value) as DataFusion's
/// `get_field(composite, 'field')`.
#[derive(Debug)]
pub struct FieldAccess;

impl SqlStatementRewriteRule for FieldAccess {
    fn rewrite(&self, s: Statement) -> Statement {
        use datafusion::sql::sqlparser::ast::AccessExpr;
        map_exprs(s, |e| {
            let Expr::CompoundFieldAccess { root, access_chain } = e else {
                return;
            };
            if !access_chain
                .iter()
                .all(|a| matches!(a, AccessExpr::Dot(Expr::Identifier(_))))
            {
                return;
            }
            let mut text = root.to_string();
            for access in access_chain.iter() {
                if let AccessExpr::Dot(Expr::Identifier(field)) = access {
                    text = format!("get_field({text}, '{}')", field.value.to_lowercase());
                }
            }
            if let Some(new) = parse_expr(&text) {
                *e = new;
            }
        })
    }
}

/// `'\x00ff'::bytea`: PostgreSQL reads a string cast to `bytea` in its hex format;
/// DataFusion would take the string's own bytes. Becomes `decode('00ff', 'hex')`.
#[derive(Debug)]
pub struct ByteaLiterals;

impl SqlStatementRewriteRule for ByteaLiterals {
    fn rewrite(&self, s: Statement) -> Statement {
        map_exprs(s, |e| {
            if let Expr::Cast {
                expr, data_type, ..
            } = e
                && matches!(data_type, SqlType::Bytea)
                && let Expr::Value(v) = expr.as_ref()
                && let Value::SingleQuotedString(text) = &v.value
                && let Some(hex) = text.strip_prefix("\\x")
                && hex.chars().all(|c| c.is_ascii_hexdigit())
                && let Some(new) = parse_expr(&format!("decode('{hex}', 'hex')"))
            {
                *e = new;
            }
        })
    }
}

/// `substring(text FROM 'pattern')` with a text pattern is PostgreSQL's regular-expression
/// substring: the first parenthesized group of the first match (the whole match if the
/// pattern has no group). DataFusion reads `FROM` as a position; the regex form becomes
/// `regexp_match(text, pattern)[1]`.
#[derive(Debug)]
pub struct RegexSubstring;

impl SqlStatementRewriteRule for RegexSubstring {
    fn rewrite(&self, s: Statement) -> Statement {
        map_exprs(s, |e| {
            if let Expr::Substring {
                expr,
                substring_from: Some(from),
                substring_for: None,
                ..
            } = e
                && let Expr::Value(v) = from.as_ref()
                && let Value::SingleQuotedString(pattern) = &v.value
                && pattern.parse::<i64>().is_err()
            {
                let pattern = pattern.replace('\'', "''");
                if let Some(new) = parse_expr(&format!("regexp_match({expr}, '{pattern}')[1]")) {
                    *e = new;
                }
            }
        })
    }
}

/// `LIKE pattern ESCAPE 'c'` with an escape character other than backslash (DataFusion
/// knows only backslash): the pattern rewritten with backslash escapes.
#[derive(Debug)]
pub struct LikeEscapes;

pub fn backslash_escaped(pattern: &str, escape: char) -> String {
    let mut out = String::with_capacity(pattern.len());
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        if c == escape {
            match chars.next() {
                Some(next) => {
                    out.push('\\');
                    out.push(next);
                }
                None => out.push(c),
            }
        } else if c == '\\' {
            out.push_str("\\\\");
        } else {
            out.push(c);
        }
    }
    out
}

impl SqlStatementRewriteRule for LikeEscapes {
    fn rewrite(&self, mut s: Statement) -> Statement {
        struct V;
        impl VisitorMut for V {
            type Break = ();
            fn pre_visit_expr(&mut self, e: &mut Expr) -> ControlFlow<()> {
                if let Expr::Like {
                    pattern,
                    escape_char,
                    ..
                }
                | Expr::ILike {
                    pattern,
                    escape_char,
                    ..
                } = e
                    && let Some(escape) = escape_char
                    && let Value::SingleQuotedString(c) = &escape.value
                    && let (Some(c), 1) = (c.chars().next(), c.chars().count())
                    && c != '\\'
                {
                    if let Expr::Value(v) = pattern.as_mut()
                        && let Value::SingleQuotedString(p) = &v.value
                    {
                        v.value = Value::SingleQuotedString(backslash_escaped(p, c));
                        *escape_char = None;
                    } else if let Some(converted) = parse_expr(&format!(
                        "lyceum_like_escape({pattern}, '{}')",
                        if c == '\'' {
                            "''".to_string()
                        } else {
                            c.to_string()
                        }
                    )) {
                        // A pattern computed at run time (a parameter, a concatenation).
                        **pattern = converted;
                        *escape_char = None;
                    }
                }
                ControlFlow::Continue(())
            }
        }
        let _ = s.visit(&mut V);
        s
    }
}

/// Set-returning catalog functions in a select list: DataFusion's one set-returning form
/// there is `unnest(list)`, so `f(x)` becomes `unnest(lyceum_f(x))`, where `lyceum_f`
/// returns the set as a list.
#[derive(Debug)]
pub struct SetReturningFunctions;

/// `(PostgreSQL name, Lyceum's list-returning function)`.
const SET_RETURNING: &[(&str, &str)] = &[
    ("pg_partition_ancestors", "lyceum_partition_ancestors"),
    // DataFusion's scalar `generate_series` returns the series as a list.
    ("generate_series", "generate_series"),
    ("_pg_expandarray", "lyceum_expandarray"),
    ("generate_subscripts", "lyceum_subscripts"),
];

/// `unnest(list_fn(args))` for a call of a set-returning function.
fn set_returning_call(e: &Expr) -> Option<Expr> {
    let Expr::Function(f) = e else {
        return None;
    };
    let last = f.name.0.last().and_then(ObjectNamePart::as_ident)?;
    let (_, list_fn) = SET_RETURNING
        .iter()
        .find(|(name, _)| last.value.eq_ignore_ascii_case(name))?;
    let args = f.args.to_string();
    parse_expr(&format!("unnest({list_fn}{args})"))
}

impl SqlStatementRewriteRule for SetReturningFunctions {
    fn rewrite(&self, mut s: Statement) -> Statement {
        struct V;
        impl VisitorMut for V {
            type Break = ();
            fn pre_visit_query(&mut self, query: &mut Query) -> ControlFlow<()> {
                for_each_select(query.body.as_mut(), &mut |select| {
                    for item in &mut select.projection {
                        let (SelectItem::UnnamedExpr(e)
                        | SelectItem::ExprWithAlias { expr: e, .. }) = item
                        else {
                            continue;
                        };
                        if let Some(new) = set_returning_call(e) {
                            *e = new;
                        } else if let Expr::CompoundFieldAccess { root, .. } = e {
                            // `(f(x)).field`
                            let inner = match root.as_ref() {
                                Expr::Nested(inner) => inner.as_ref(),
                                other => other,
                            };
                            if let Some(new) = set_returning_call(inner) {
                                **root = Expr::Nested(Box::new(new));
                            }
                        }
                    }
                });
                ControlFlow::Continue(())
            }
        }
        let _ = s.visit(&mut V);
        s
    }
}
