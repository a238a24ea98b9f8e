//! Rewrites of parsed statements so that SQL written for PostgreSQL plans in DataFusion
//! with PostgreSQL's meaning. Every rule works on the syntax tree (never on text) and
//! changes spelling, not results:
//!
//! - [`PostgresColumnNames`] (ours): an unnamed select item is named as PostgreSQL names
//!   it (`count(*)` → `count`, `x::int` → `x`, `1` → `?column?`), so clients that read
//!   columns by name (pandas, JDBC `getString("count")`) find them.
//! - From `datafusion-pg-catalog`: `pg_catalog.` prefixes on functions, unqualified
//!   catalog tables, `OPERATOR(pg_catalog.~)`, `COLLATE`, `'name'::regclass` lookups,
//!   `current_user`/`current_schema` without parentheses, `= ANY('{...}')`, duplicated
//!   projection names. Its rule that replaces correlated subqueries with NULL is not
//!   used: it changes answers.

use std::ops::ControlFlow;
use std::sync::{Arc, OnceLock};

use datafusion::sql::parser::Statement as DFStatement;
use datafusion::sql::sqlparser::ast::{
    DataType as SqlType, Expr, FunctionArguments, Ident, LimitClause, ObjectNamePart, OrderByKind,
    Query, Select, SelectItem, SetExpr, Statement, TableFactor, Value, VisitMut, VisitorMut,
};
use datafusion::sql::sqlparser::dialect::PostgreSqlDialect;
use datafusion::sql::sqlparser::parser::Parser;
use datafusion_pg_catalog::sql::rules::{
    CurrentUserVariableToSessionUserFunctionCall,
    FixArrayLiteral, PrependUnqualifiedPgTableName, ResolveUnqualifiedIdentifier,
    RewriteArrayAnyAllOperation, RewritePgCatalogOperator, RewriteRegCastToSubquery,
    SqlStatementRewriteRule, StripCallableQualifier, StripCollate,
};

fn rules() -> &'static [Arc<dyn SqlStatementRewriteRule>] {
    static RULES: OnceLock<Vec<Arc<dyn SqlStatementRewriteRule>>> = OnceLock::new();
    RULES.get_or_init(|| {
        vec![
            Arc::new(PostgresColumnNames),
            Arc::new(FromClauseFunctions),
            Arc::new(VectorSubscripts),
            Arc::new(SystemColumns),
            Arc::new(LikeEscapes),
            Arc::new(RegexSubstring),
            Arc::new(ByteaLiterals),
            Arc::new(SetReturningFunctions),
            Arc::new(FieldAccess),
            Arc::new(RegTypeOutput),
            Arc::new(EmptyCatalogScans),
            Arc::new(SubqueryForms),
            Arc::new(ResolveUnqualifiedIdentifier),
            Arc::new(RewriteArrayAnyAllOperation),
            Arc::new(PrependUnqualifiedPgTableName),
            Arc::new(StripCallableQualifier),
            Arc::new(FixArrayLiteral),
            Arc::new(CurrentUserVariableToSessionUserFunctionCall),
            Arc::new(StripCollate),
            Arc::new(RewritePgCatalogOperator),
            Arc::new(RewriteRegCastToSubquery::new()),
        ]
    })
}

/// Applies every rule to a statement DataFusion will plan.
pub fn rewrite(statement: DFStatement) -> DFStatement {
    match statement {
        DFStatement::Statement(s) => {
            let mut s = *s;
            for rule in rules() {
                s = rule.rewrite(s);
            }
            DFStatement::Statement(Box::new(s))
        }
        other => other,
    }
}

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
    fn rewrite(&self, mut s: Statement) -> Statement {
        use datafusion::sql::sqlparser::ast::{AccessExpr, Subscript};
        struct V;
        impl VisitorMut for V {
            type Break = ();
            fn post_visit_expr(&mut self, e: &mut Expr) -> ControlFlow<()> {
                match e {
                    Expr::CompoundFieldAccess { root, access_chain } if is_vector_column(root) => {
                        if let Some(AccessExpr::Subscript(Subscript::Index { index })) =
                            access_chain.first_mut()
                            && let Some(shifted) = parse_expr(&format!("({index}) + 1"))
                        {
                            *index = shifted;
                        }
                    }
                    Expr::Function(f) => {
                        let Some(name) = f.name.0.last().and_then(ObjectNamePart::as_ident) else {
                            return ControlFlow::Continue(());
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
                ControlFlow::Continue(())
            }
        }
        let _ = s.visit(&mut V);
        s
    }
}

/// PostgreSQL's system column `tableoid` (the OID of the table a row comes from), for the
/// catalog tables tools read it from: a constant per table.
#[derive(Debug)]
pub struct SystemColumns;

impl SqlStatementRewriteRule for SystemColumns {
    fn rewrite(&self, mut s: Statement) -> Statement {
        struct V;
        impl VisitorMut for V {
            type Break = ();
            fn pre_visit_query(&mut self, query: &mut Query) -> ControlFlow<()> {
                for_each_select(query.body.as_mut(), &mut |select| {
                    let mut tables: Vec<(String, i32)> = Vec::new();
                    let mut note = |factor: &TableFactor| {
                        if let TableFactor::Table {
                            name,
                            alias,
                            args: None,
                            ..
                        } = factor
                        {
                            let parts: Vec<String> = name
                                .0
                                .iter()
                                .filter_map(ObjectNamePart::as_ident)
                                .map(|i| i.value.to_lowercase())
                                .collect();
                            let table = match parts.as_slice() {
                                [schema, t] if schema == "pg_catalog" => t.clone(),
                                [t] if t.starts_with("pg_") => t.clone(),
                                _ => return,
                            };
                            let oid = super::oids::system_relation("pg_catalog", &table, 0);
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
                ControlFlow::Continue(())
            }
        }
        let _ = s.visit(&mut V);
        s
    }
}

/// `(composite).field` (PostgreSQL's field selection from a row value) as DataFusion's
/// `get_field(composite, 'field')`.
#[derive(Debug)]
pub struct FieldAccess;

impl SqlStatementRewriteRule for FieldAccess {
    fn rewrite(&self, mut s: Statement) -> Statement {
        use datafusion::sql::sqlparser::ast::AccessExpr;
        struct V;
        impl VisitorMut for V {
            type Break = ();
            fn post_visit_expr(&mut self, e: &mut Expr) -> ControlFlow<()> {
                let Expr::CompoundFieldAccess { root, access_chain } = e else {
                    return ControlFlow::Continue(());
                };
                if !access_chain
                    .iter()
                    .all(|a| matches!(a, AccessExpr::Dot(Expr::Identifier(_))))
                {
                    return ControlFlow::Continue(());
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
                ControlFlow::Continue(())
            }
        }
        let _ = s.visit(&mut V);
        s
    }
}

/// `'\x00ff'::bytea`: PostgreSQL reads a string cast to `bytea` in its hex format;
/// DataFusion would take the string's own bytes. Becomes `decode('00ff', 'hex')`.
#[derive(Debug)]
pub struct ByteaLiterals;

impl SqlStatementRewriteRule for ByteaLiterals {
    fn rewrite(&self, mut s: Statement) -> Statement {
        struct V;
        impl VisitorMut for V {
            type Break = ();
            fn post_visit_expr(&mut self, e: &mut Expr) -> ControlFlow<()> {
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
                ControlFlow::Continue(())
            }
        }
        let _ = s.visit(&mut V);
        s
    }
}

/// `substring(text FROM 'pattern')` with a text pattern is PostgreSQL's regular-expression
/// substring: the first parenthesized group of the first match (the whole match if the
/// pattern has no group). DataFusion reads `FROM` as a position; the regex form becomes
/// `regexp_match(text, pattern)[1]`.
#[derive(Debug)]
pub struct RegexSubstring;

impl SqlStatementRewriteRule for RegexSubstring {
    fn rewrite(&self, mut s: Statement) -> Statement {
        struct V;
        impl VisitorMut for V {
            type Break = ();
            fn post_visit_expr(&mut self, e: &mut Expr) -> ControlFlow<()> {
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
                    if let Some(new) = parse_expr(&format!("regexp_match({expr}, '{pattern}')[1]"))
                    {
                        *e = new;
                    }
                }
                ControlFlow::Continue(())
            }
        }
        let _ = s.visit(&mut V);
        s
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
                        if c == '\'' { "''".to_string() } else { c.to_string() }
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

/// Calls `f` on every `SELECT` of a query body (each branch of a set operation).
fn for_each_select(body: &mut SetExpr, f: &mut dyn FnMut(&mut Select)) {
    match body {
        SetExpr::Select(select) => f(select),
        SetExpr::SetOperation { left, right, .. } => {
            for_each_select(left, f);
            for_each_select(right, f);
        }
        _ => {}
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
    "pg_policy",
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
    let TableFactor::Table {
        name, args: None, ..
    } = factor
    else {
        return false;
    };
    let parts: Vec<String> = name
        .0
        .iter()
        .filter_map(ObjectNamePart::as_ident)
        .map(|i| i.value.to_ascii_lowercase())
        .collect();
    match parts.as_slice() {
        [schema, table] if schema == "pg_catalog" => ALWAYS_EMPTY.contains(&table.as_str()),
        [table] => ALWAYS_EMPTY.contains(&table.as_str()),
        _ => false,
    }
}

fn joins_to_nothing(select: &Select) -> bool {
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

fn parse_expr(sql: &str) -> Option<Expr> {
    Parser::new(&PostgreSqlDialect {})
        .try_with_sql(sql)
        .ok()?
        .parse_expr()
        .ok()
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
fn aggregated(q: &Query, aggregate: &str) -> Option<Query> {
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

fn is_catalog_relation(factor: &TableFactor) -> bool {
    let TableFactor::Table {
        name, args: None, ..
    } = factor
    else {
        return false;
    };
    let parts: Vec<String> = name
        .0
        .iter()
        .filter_map(ObjectNamePart::as_ident)
        .map(|i| i.value.to_ascii_lowercase())
        .collect();
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
fn relation_names(select: &Select) -> Vec<String> {
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
fn is_outer(expr: &Expr, inner: &[String]) -> bool {
    matches!(expr, Expr::CompoundIdentifier(ids)
        if ids.len() == 2 && !inner.contains(&ids[0].value.to_ascii_lowercase()))
}

fn is_inner(expr: &Expr, inner: &[String]) -> bool {
    matches!(expr, Expr::CompoundIdentifier(ids)
        if ids.len() == 2 && inner.contains(&ids[0].value.to_ascii_lowercase()))
}

fn conjuncts(expr: Expr, out: &mut Vec<Expr>) {
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
fn postgres_name(expr: &Expr) -> Option<String> {
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
            Some(n) if n != "?column?" && !matches!(else_result.as_deref(), Some(Expr::Case { .. })) => n,
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

#[cfg(test)]
mod tests {
    use datafusion::sql::parser::DFParserBuilder;
    use datafusion::sql::sqlparser::dialect::PostgreSqlDialect;

    use super::*;

    fn rewritten(sql: &str) -> String {
        let dialect = PostgreSqlDialect {};
        let statement = DFParserBuilder::new(sql)
            .with_dialect(&dialect)
            .build()
            .and_then(|mut p| p.parse_statement())
            .expect("parses");
        rewrite(statement).to_string()
    }

    #[test]
    fn unnamed_items_get_postgres_names() {
        assert_eq!(
            rewritten("select count(*), max(x) from t"),
            "SELECT count(*) AS \"count\", max(x) AS \"max\" FROM t"
        );
        assert_eq!(
            rewritten("select 1, x::int, '7'::integer as seven"),
            "SELECT 1 AS \"?column?\", x::INT AS \"x\", '7'::INTEGER AS seven"
        );
        // Repeated names are marked for DataFusion, which needs unique ones.
        assert_eq!(
            rewritten("select count(*), count(y), null, null from t"),
            "SELECT count(*) AS \"count\", count(y) AS \"count\u{E000}1\", \
             NULL AS \"?column?\", NULL AS \"?column?\u{E000}1\" FROM t"
        );
        assert_eq!(client_name("count\u{E000}1"), "count");
        assert!(rewritten("select version()").contains("AS \"version\""));
        assert!(rewritten("select a, b from t").ends_with("SELECT a, b FROM t"));
    }

    #[test]
    fn subquery_forms_become_aggregates() {
        let sql = rewritten(
            "SELECT ARRAY(SELECT b.rolname FROM pg_catalog.pg_roles b WHERE b.oid = r.oid \
             ORDER BY 1) AS memberof FROM pg_catalog.pg_roles r",
        );
        assert!(
            sql.contains(
                "coalesce((SELECT array_agg(b.rolname ORDER BY b.rolname) FROM pg_catalog.pg_roles b"
            ),
            "{sql}"
        );
        let sql = rewritten(
            "SELECT (SELECT t.typname FROM pg_catalog.pg_type t WHERE t.oid = a.atttypid) \
             FROM pg_catalog.pg_attribute a",
        );
        assert!(
            sql.contains("(SELECT first_value(t.typname) FROM"),
            "{sql}"
        );
        // Other conditions on a correlated column name the inner column it equals.
        let sql = rewritten(
            "SELECT (SELECT c.relname FROM pg_catalog.pg_class c, pg_catalog.pg_type t \
             WHERE c.oid = a.attrelid AND t.oid = a.atttypid \
             AND a.attrelid <> t.typrelid) FROM pg_catalog.pg_attribute a",
        );
        assert!(
            sql.contains("c.oid = a.attrelid AND t.oid = a.atttypid AND c.oid <> t.typrelid"),
            "{sql}"
        );
        // A condition on outer columns only guards the lookup.
        let sql = rewritten(
            "SELECT (SELECT d.description FROM pg_catalog.pg_description d \
             WHERE d.objoid = a.attrelid AND a.attnotnull) FROM pg_catalog.pg_attribute a",
        );
        assert!(
            sql.contains("CASE WHEN (a.attnotnull) THEN (SELECT first_value(d.description)"),
            "{sql}"
        );
        // Not over catalog relations, or already aggregated: left alone.
        let sql = rewritten("SELECT (SELECT x FROM t WHERE t.a = u.a) FROM u");
        assert!(!sql.contains("first_value"), "{sql}");
        let sql = rewritten("SELECT (SELECT max(x) FROM pg_class) FROM u");
        assert!(!sql.contains("first_value"), "{sql}");
    }

    #[test]
    fn scans_of_always_empty_catalog_tables_drop_their_subqueries() {
        let sql = rewritten(
            "SELECT pol.polname, array(select rolname from pg_catalog.pg_roles \
             where oid = any (pol.polroles)) FROM pg_catalog.pg_policy pol",
        );
        assert!(sql.starts_with("SELECT pol.polname, NULL"), "{sql}");
        // Not when the scanned table has rows.
        let sql = rewritten(
            "SELECT array(select rolname from pg_catalog.pg_roles where oid = c.relowner) \
             FROM pg_catalog.pg_class c",
        );
        assert!(sql.contains("array_agg"), "{sql}");
    }

    #[test]
    fn reg_casts_of_oids_print_names() {
        let sql = rewritten(
            "SELECT c.oid::pg_catalog.regclass, c.relname FROM pg_class c \
             WHERE c.oid = 'x'::regclass ORDER BY c.oid::regclass::text",
        );
        assert!(
            sql.starts_with("SELECT lyceum_regclass_out(lyceum_regclass(c.oid)) AS \"oid\""),
            "{sql}"
        );
        assert!(
            sql.ends_with("ORDER BY lyceum_regclass_out(lyceum_regclass(c.oid))"),
            "{sql}"
        );
        assert!(!sql.contains("WHERE c.oid = lyceum"), "{sql}");
        let sql = rewritten("SELECT t.typname FROM pg_type t WHERE t.oid = a::regtype");
        assert!(!sql.contains("format_type"), "{sql}");
    }

    #[test]
    fn from_clause_functions_system_columns_and_escapes() {
        let sql =
            rewritten("SELECT s[i] FROM generate_series(1, 2) AS i, string_to_array('a,b', ',') s");
        assert!(sql.contains("generate_series(1, 2) AS i (i)"), "{sql}");
        assert!(
            sql.contains("(SELECT string_to_array('a,b', ',') AS \"s\") s"),
            "{sql}"
        );
        let sql = rewritten("SELECT cls.tableoid FROM pg_catalog.pg_class cls");
        assert!(sql.starts_with("SELECT 1259 AS tableoid"), "{sql}");
        let sql = rewritten("SELECT 1 FROM t WHERE n NOT LIKE 'pg!_%' ESCAPE '!'");
        assert!(sql.ends_with("NOT LIKE 'pg\\_%'"), "{sql}");
        let sql = rewritten(
            "SELECT (SELECT count(1) FROM pg_catalog.pg_inherits WHERE inhrelid = c.oid LIMIT 1) FROM pg_catalog.pg_class c",
        );
        assert!(!sql.contains("LIMIT"), "{sql}");
    }

    #[test]
    fn catalog_spellings_are_normalised() {
        let sql = rewritten("select pg_catalog.format_type(1, 2) from pg_class");
        assert!(sql.contains("format_type(1, 2)"), "{sql}");
        assert!(sql.contains("pg_catalog.pg_class"), "{sql}");
    }
}
