//! SQL text → what a session does with it.
//!
//! A query string is tokenized once (PostgreSQL dialect), split into statements at
//! top-level semicolons, and each statement is parsed and classified as an [`Action`]:
//! session commands (`SET`, `SHOW`, `RESET`, `DISCARD`), transaction control, user
//! management and SQL-level prepared statements are the session's own; everything else is
//! a [`Action::Query`] for DataFusion to plan. Nothing runs until the whole string parsed,
//! as in PostgreSQL.

use datafusion::sql::parser::{DFParserBuilder, ResetStatement, Statement as DFStatement};
use datafusion::sql::sqlparser::ast::{
    self, AlterRoleOperation, DiscardObject, Expr, ObjectName, ObjectType, Password, RoleOption,
    Set, Statement as SqlStatement, Value,
};
use datafusion::sql::sqlparser::dialect::Dialect;
use datafusion::sql::sqlparser::keywords::Keyword;
use datafusion::sql::sqlparser::tokenizer::{Token, TokenWithSpan, Tokenizer, Word};

use super::rollups::{self, RollupDdl};
use super::sandbox::{self, Write};
use crate::error::{EngineError, Result};

/// One parsed statement and its text.
#[derive(Debug, Clone)]
pub struct Parsed {
    /// The statement's own text (for logs and `pg_stat_activity`).
    pub sql: String,
    pub action: Action,
}

/// What the value of a `SET` is.
#[derive(Debug, Clone, PartialEq)]
pub enum SetValue {
    Default,
    Value(String),
}

/// What a statement asks the session to do.
#[derive(Debug, Clone)]
pub enum Action {
    /// Planned and run by DataFusion (`SELECT`, `VALUES`, `EXPLAIN`, `SET datafusion.*`, ...).
    Query(Box<DFStatement>),
    Set {
        name: String,
        value: SetValue,
        /// `SET LOCAL`: until the end of the transaction.
        local: bool,
    },
    Show {
        name: String,
    },
    ShowAll,
    Reset {
        name: String,
    },
    ResetAll,
    /// `BEGIN` / `START TRANSACTION` (`start`: its tag is `START TRANSACTION`).
    Begin {
        start: bool,
    },
    /// `COMMIT` / `END`.
    Commit,
    /// `ROLLBACK` / `ABORT`.
    Rollback,
    /// `DECLARE name [NO SCROLL] CURSOR [WITH HOLD] FOR query`.
    DeclareCursor {
        name: String,
        query: Box<DFStatement>,
        hold: bool,
    },
    /// `FETCH [FORWARD] [count | ALL] FROM name`; `None` is all remaining rows.
    Fetch {
        name: String,
        count: Option<u64>,
    },
    /// `CLOSE name | ALL`.
    CloseCursor {
        name: Option<String>,
    },
    /// `SAVEPOINT name`.
    Savepoint {
        name: String,
    },
    /// `ROLLBACK TO [SAVEPOINT] name`.
    RollbackTo {
        name: String,
    },
    /// `RELEASE [SAVEPOINT] name`.
    Release {
        name: String,
    },
    /// `SET [SESSION CHARACTERISTICS AS] TRANSACTION ...` with modes Lyceum has already.
    SetTransaction,
    /// `DISCARD ALL` (and `DISCARD PLANS`/`SEQUENCES`/`TEMP`, which have nothing to drop).
    Discard {
        all: bool,
    },
    CreateUser(UserSpec),
    AlterUser(UserSpec),
    DropUser {
        names: Vec<String>,
        if_exists: bool,
    },
    /// SQL-level `PREPARE name [(types)] AS statement`.
    Prepare {
        name: String,
        types: Vec<ast::DataType>,
        statement: Box<DFStatement>,
    },
    /// SQL-level `EXECUTE name [(params)]`.
    Execute {
        name: String,
        params: Vec<Expr>,
    },
    /// `DEALLOCATE [PREPARE] name | ALL`.
    Deallocate {
        name: Option<String>,
    },
    /// A change to a table (schema `sandbox`; see [`super::sandbox`]).
    Write(Box<Write>),
    /// `CREATE` / `DROP` / `REFRESH MATERIALIZED VIEW` (see [`super::rollups`]).
    Rollup(Box<RollupDdl>),
}

/// `CREATE USER` / `ALTER USER` options Lyceum keeps.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct UserSpec {
    pub name: String,
    pub password: Option<String>,
    pub superuser: Option<bool>,
    pub if_not_exists: bool,
}

impl Action {
    /// Whether this statement may run in a failed transaction (it ends it).
    pub fn ends_transaction(&self) -> bool {
        matches!(
            self,
            Action::Commit | Action::Rollback | Action::RollbackTo { .. }
        )
    }
}

/// Parses every statement of `sql` in `dialect`; an empty string gives no statements.
pub fn parse(sql: &str, dialect: &dyn Dialect) -> Result<Vec<Parsed>> {
    let tokens = Tokenizer::new(dialect, sql)
        .tokenize_with_location()
        .map_err(|e| EngineError::Syntax(e.to_string()))?;
    split(tokens)
        .into_iter()
        .map(|tokens| parse_one(sql, tokens, dialect))
        .collect()
}

/// Splits a token stream at top-level `;`, dropping empty statements.
fn split(tokens: Vec<TokenWithSpan>) -> Vec<Vec<TokenWithSpan>> {
    let mut statements = Vec::new();
    let mut current = Vec::new();
    for token in tokens {
        match token.token {
            Token::SemiColon => {
                if has_content(&current) {
                    statements.push(std::mem::take(&mut current));
                } else {
                    current.clear();
                }
            }
            Token::EOF => {}
            _ => current.push(token),
        }
    }
    if has_content(&current) {
        statements.push(current);
    }
    statements
}

fn has_content(tokens: &[TokenWithSpan]) -> bool {
    tokens
        .iter()
        .any(|t| !matches!(t.token, Token::Whitespace(_)))
}

/// The words of a statement, without whitespace and comments.
fn words(tokens: &[TokenWithSpan]) -> impl Iterator<Item = &Token> {
    tokens
        .iter()
        .map(|t| &t.token)
        .filter(|t| !matches!(t, Token::Whitespace(_)))
}

fn is_keyword(token: Option<&Token>, keyword: Keyword) -> bool {
    matches!(token, Some(Token::Word(Word { keyword: k, .. })) if *k == keyword)
}

fn parse_one(sql: &str, mut tokens: Vec<TokenWithSpan>, dialect: &dyn Dialect) -> Result<Parsed> {
    let text = statement_text(sql, &tokens);
    // PostgreSQL's `CREATE USER` / `ALTER USER` are `CREATE ROLE ... LOGIN` / `ALTER ROLE`;
    // sqlparser reads `USER` in Snowflake's syntax, so parse them as `ROLE`.
    let mut user_keyword = false;
    {
        let mut seen = words(&tokens);
        let first = seen.next();
        let second = seen.next();
        if (is_keyword(first, Keyword::CREATE) || is_keyword(first, Keyword::ALTER))
            && is_keyword(second, Keyword::USER)
        {
            user_keyword = true;
        }
    }
    if user_keyword
        && let Some(t) = tokens
            .iter_mut()
            .filter(|t| !matches!(t.token, Token::Whitespace(_)))
            .nth(1)
    {
        t.token = Token::make_keyword("ROLE");
    }
    // `ABORT` is PostgreSQL's `ROLLBACK`.
    if is_keyword(words(&tokens).next(), Keyword::ABORT)
        && let Some(t) = tokens
            .iter_mut()
            .find(|t| !matches!(t.token, Token::Whitespace(_)))
    {
        t.token = Token::make_keyword("ROLLBACK");
    }
    // sqlparser has no `REFRESH MATERIALIZED VIEW`.
    if is_keyword(words(&tokens).next(), Keyword::REFRESH) {
        let mut parser = datafusion::sql::sqlparser::parser::Parser::new(dialect)
            .with_tokens_with_locations(tokens);
        let ddl = rollups::parse_refresh(&mut parser)?;
        at_end(&mut parser)?;
        return Ok(Parsed {
            sql: text,
            action: Action::Rollup(Box::new(ddl)),
        });
    }
    // DataFusion's parser reads `COPY` as its own `COPY ... TO 'file'`; PostgreSQL's
    // `COPY ... FROM STDIN` is sqlparser's.
    let statement = if is_keyword(words(&tokens).next(), Keyword::COPY) {
        let mut parser = datafusion::sql::sqlparser::parser::Parser::new(dialect)
            .with_tokens_with_locations(tokens);
        let statement = parser
            .parse_statement()
            .map_err(|e| EngineError::Syntax(e.to_string()))?;
        at_end(&mut parser)?;
        DFStatement::Statement(Box::new(statement))
    } else {
        let mut parser = DFParserBuilder::new(tokens).with_dialect(dialect).build()?;
        let statement = parser.parse_statement()?;
        at_end(&mut parser.parser)?;
        statement
    };
    let action = classify(statement, user_keyword)?;
    Ok(Parsed { sql: text, action })
}

/// An error unless `parser` has read every token of its statement: what follows a
/// complete statement (`SELECT 1 2`, `ALTER USER u PASSWORD 'p' junk`) is a syntax error
/// in PostgreSQL, never silently ignored.
fn at_end(parser: &mut datafusion::sql::sqlparser::parser::Parser<'_>) -> Result<()> {
    let next = parser.peek_token();
    match next.token {
        Token::EOF => Ok(()),
        other => Err(EngineError::Syntax(format!(
            "syntax error at or near \"{other}\""
        ))),
    }
}

/// The original text between a statement's first and last token.
fn statement_text(sql: &str, tokens: &[TokenWithSpan]) -> String {
    let significant: Vec<_> = tokens
        .iter()
        .filter(|t| !matches!(t.token, Token::Whitespace(_)))
        .collect();
    let (Some(first), Some(last)) = (significant.first(), significant.last()) else {
        return String::new();
    };
    let start = offset(sql, first.span.start.line, first.span.start.column);
    let end = offset(sql, last.span.end.line, last.span.end.column);
    match (start, end) {
        (Some(s), Some(e)) if s <= e => sql[s..e].to_string(),
        _ => tokens.iter().map(|t| t.token.to_string()).collect(),
    }
}

/// The byte offset of a 1-based line and column (columns count characters).
fn offset(sql: &str, line: u64, column: u64) -> Option<usize> {
    let mut current_line = 1;
    let mut line_start = 0;
    if line > 1 {
        for (i, c) in sql.char_indices() {
            if c == '\n' {
                current_line += 1;
                if current_line == line {
                    line_start = i + 1;
                    break;
                }
            }
        }
        if current_line != line {
            return None;
        }
    }
    let rest = &sql[line_start..];
    let skip = usize::try_from(column.saturating_sub(1)).ok()?;
    match rest.char_indices().nth(skip) {
        Some((i, _)) => Some(line_start + i),
        None => Some(sql.len()),
    }
}

fn classify(statement: DFStatement, from_user_keyword: bool) -> Result<Action> {
    let sql = match statement {
        DFStatement::Statement(s) => *s,
        DFStatement::Reset(ResetStatement::Variable(name)) => {
            let name = object_name(&name);
            return Ok(if name == "all" {
                Action::ResetAll
            } else {
                Action::Reset { name }
            });
        }
        other => return Ok(Action::Query(Box::new(other))),
    };
    if let Some(ddl) = rollups::classify(&sql)? {
        return Ok(Action::Rollup(Box::new(ddl)));
    }
    if let Some(action) = sandbox::classify(&sql)? {
        return Ok(action);
    }
    Ok(match sql {
        SqlStatement::Set(set) => classify_set(set)?,
        SqlStatement::ShowVariable { variable } => {
            let name = variable
                .iter()
                .map(|i| i.value.as_str())
                .collect::<Vec<_>>()
                .join(" ");
            match name.to_ascii_lowercase().as_str() {
                "all" => Action::ShowAll,
                "transaction isolation level" => Action::Show {
                    name: "transaction_isolation".into(),
                },
                "time zone" => Action::Show {
                    name: "TimeZone".into(),
                },
                _ => Action::Show {
                    name: variable
                        .iter()
                        .map(|i| i.value.as_str())
                        .collect::<Vec<_>>()
                        .join("."),
                },
            }
        }
        SqlStatement::StartTransaction { begin, .. } => Action::Begin { start: !begin },
        SqlStatement::Commit { chain: false, .. } => Action::Commit,
        SqlStatement::Rollback {
            chain: false,
            savepoint: None,
        } => Action::Rollback,
        SqlStatement::Rollback {
            chain: false,
            savepoint: Some(name),
        } => Action::RollbackTo { name: ident(&name) },
        SqlStatement::Commit { .. } | SqlStatement::Rollback { .. } => {
            return Err(unsupported("COMMIT AND CHAIN and ROLLBACK AND CHAIN"));
        }
        SqlStatement::Savepoint { name } => Action::Savepoint { name: ident(&name) },
        SqlStatement::ReleaseSavepoint { name } => Action::Release { name: ident(&name) },
        SqlStatement::Discard { object_type } => Action::Discard {
            all: matches!(object_type, DiscardObject::ALL),
        },
        SqlStatement::CreateRole(create) => {
            let [name] = create.names.as_slice() else {
                return Err(unsupported("creating several roles in one statement"));
            };
            if !from_user_keyword && create.login != Some(true) {
                return Err(unsupported(
                    "roles that cannot log in (use CREATE USER, or CREATE ROLE ... LOGIN)",
                ));
            }
            if create.login == Some(false) {
                return Err(unsupported("NOLOGIN roles"));
            }
            Action::CreateUser(UserSpec {
                name: object_name(name),
                password: match create.password {
                    Some(p) => Some(password(p)?),
                    None => None,
                },
                superuser: create.superuser,
                if_not_exists: create.if_not_exists,
            })
        }
        SqlStatement::AlterRole { name, operation } => match operation {
            AlterRoleOperation::WithOptions { options } => {
                let mut spec = UserSpec {
                    name: ident(&name),
                    ..UserSpec::default()
                };
                for option in options {
                    match option {
                        RoleOption::Password(p) => spec.password = Some(password(p)?),
                        RoleOption::SuperUser(s) => spec.superuser = Some(s),
                        RoleOption::Login(true) => {}
                        other => {
                            return Err(unsupported(&format!("ALTER USER ... {other}")));
                        }
                    }
                }
                Action::AlterUser(spec)
            }
            other => return Err(unsupported(&format!("ALTER USER ... {other}"))),
        },
        SqlStatement::Drop {
            object_type: ObjectType::Role | ObjectType::User,
            if_exists,
            names,
            ..
        } => Action::DropUser {
            names: names.iter().map(object_name).collect(),
            if_exists,
        },
        SqlStatement::Prepare {
            name,
            data_types,
            statement,
        } => Action::Prepare {
            name: ident(&name),
            types: data_types,
            statement: Box::new(DFStatement::Statement(statement)),
        },
        SqlStatement::Execute {
            name: Some(name),
            parameters,
            using,
            into,
            ..
        } if using.is_empty() && into.is_empty() => Action::Execute {
            name: object_name(&name),
            params: parameters,
        },
        SqlStatement::Deallocate { name, .. } => Action::Deallocate {
            name: (!name.value.eq_ignore_ascii_case("all") || name.quote_style.is_some())
                .then(|| ident(&name)),
        },
        SqlStatement::CreateTable(_)
        | SqlStatement::CreateView(_)
        | SqlStatement::CreateIndex(_)
        | SqlStatement::CreateSchema { .. }
        | SqlStatement::CreateDatabase { .. }
        | SqlStatement::CreateFunction(_)
        | SqlStatement::CreateSequence { .. }
        | SqlStatement::CreateType { .. }
        | SqlStatement::AlterTable(_)
        | SqlStatement::AlterIndex { .. }
        | SqlStatement::AlterView { .. }
        | SqlStatement::Insert(_)
        | SqlStatement::Update(_)
        | SqlStatement::Delete(_)
        | SqlStatement::Merge(_)
        | SqlStatement::Truncate(_)
        | SqlStatement::Copy { .. }
        | SqlStatement::Comment { .. }
        | SqlStatement::Grant(_)
        | SqlStatement::Revoke(_)
        | SqlStatement::Drop { .. } => {
            return Err(EngineError::ReadOnly {
                statement: statement_kind(&sql),
            });
        }
        SqlStatement::Declare { stmts } => {
            let [declare] = stmts.as_slice() else {
                return Err(unsupported("several cursors in one DECLARE"));
            };
            let (Some(query), [name]) = (&declare.for_query, declare.names.as_slice()) else {
                return Err(unsupported("DECLARE of anything but a cursor for a query"));
            };
            if declare.scroll == Some(true) {
                return Err(unsupported(
                    "SCROLL cursors (cursors here only move forward)",
                ));
            }
            Action::DeclareCursor {
                name: ident(name),
                query: Box::new(DFStatement::Statement(Box::new(SqlStatement::Query(
                    query.clone(),
                )))),
                hold: declare.hold == Some(true),
            }
        }
        SqlStatement::Fetch {
            name,
            direction,
            into: None,
            ..
        } => {
            use ast::FetchDirection as D;
            let number = |v: &ast::ValueWithSpan| match &v.value {
                Value::Number(n, _) => n
                    .parse::<u64>()
                    .map_err(|_| EngineError::Syntax(format!("FETCH count {n} is not a count"))),
                other => Err(EngineError::Syntax(format!("FETCH count {other}"))),
            };
            let count = match direction {
                D::Next | D::Forward { limit: None } => Some(1),
                D::Count { limit } | D::Forward { limit: Some(limit) } => Some(number(&limit)?),
                D::All | D::ForwardAll => None,
                other => {
                    return Err(unsupported(&format!(
                        "FETCH {other} (cursors here only move forward)"
                    )));
                }
            };
            Action::Fetch {
                name: ident(&name),
                count,
            }
        }
        SqlStatement::Close { cursor } => Action::CloseCursor {
            name: match cursor {
                ast::CloseCursor::All => None,
                ast::CloseCursor::Specific { name } => Some(ident(&name)),
            },
        },
        other => Action::Query(Box::new(DFStatement::Statement(Box::new(other)))),
    })
}

/// PostgreSQL's name for a statement that changes data or schema (`CREATE TABLE`).
fn statement_kind(statement: &SqlStatement) -> String {
    let text = statement.to_string();
    let words: Vec<&str> = text.split_whitespace().collect();
    let take = match words.first().map(|w| w.to_ascii_uppercase()).as_deref() {
        Some("CREATE") | Some("ALTER") | Some("DROP") => {
            // `CREATE [TEMPORARY|UNIQUE|OR REPLACE] TABLE`
            let mut n = 1;
            while let Some(w) = words.get(n) {
                let upper = w.to_ascii_uppercase();
                n += 1;
                if !matches!(
                    upper.as_str(),
                    "TEMPORARY"
                        | "TEMP"
                        | "LOCAL"
                        | "GLOBAL"
                        | "UNIQUE"
                        | "OR"
                        | "REPLACE"
                        | "UNLOGGED"
                ) {
                    break;
                }
            }
            return format!(
                "{} {}",
                words[0].to_ascii_uppercase(),
                words
                    .get(n - 1)
                    .map(|w| w.to_ascii_uppercase())
                    .unwrap_or_default()
            );
        }
        _ => 1,
    };
    words
        .iter()
        .take(take)
        .map(|w| w.to_ascii_uppercase())
        .collect::<Vec<_>>()
        .join(" ")
}

fn classify_set(set: Set) -> Result<Action> {
    Ok(match set {
        Set::SingleAssignment {
            scope,
            variable,
            values,
            ..
        } => {
            let name = object_name(&variable);
            let local = matches!(scope, Some(ast::ContextModifier::Local));
            let value = set_value(&values)?;
            // Options of DataFusion itself go to DataFusion.
            if is_engine_option(&name) {
                if local {
                    return Err(unsupported(
                        "SET LOCAL for lyceum.* and datafusion.* options",
                    ));
                }
                return Ok(Action::Query(Box::new(DFStatement::Statement(Box::new(
                    SqlStatement::Set(Set::SingleAssignment {
                        scope,
                        hivevar: false,
                        variable,
                        values,
                    }),
                )))));
            }
            Action::Set { name, value, local }
        }
        Set::SetTimeZone { local, value } => Action::Set {
            name: "TimeZone".into(),
            value: set_value(std::slice::from_ref(&value))?,
            local,
        },
        Set::SetNames { charset_name, .. } => Action::Set {
            name: "client_encoding".into(),
            value: SetValue::Value(charset_name.value),
            local: false,
        },
        Set::SetTransaction { modes, .. } => {
            // Lyceum transactions read one snapshot (REPEATABLE READ or stricter is what they
            // are already); READ WRITE only matters for sandbox tables, always writable.
            let _ = modes;
            Action::SetTransaction
        }
        other => return Err(unsupported(&format!("{other}"))),
    })
}

/// Whether `name` is a DataFusion option (`datafusion.*`) or Lyceum's (`lyceum.*`).
pub fn is_engine_option(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    lower.starts_with("datafusion.") || lower.starts_with("lyceum.")
}

/// Engine options any user may set: they change only how this session's own queries are
/// planned, read and shown. Everything else under `datafusion.` (`datafusion.runtime.*`:
/// the memory pool, the spill directory and the caches every session shares; the catalog
/// options Lyceum's schemas rely on; spill and memory tuning) is for administrators.
const USER_OPTIONS: &[&str] = &[
    "lyceum.",
    "datafusion.optimizer.",
    "datafusion.explain.",
    "datafusion.sql_parser.",
    "datafusion.format.",
    "datafusion.execution.batch_size",
    "datafusion.execution.target_partitions",
    "datafusion.execution.collect_statistics",
    "datafusion.execution.time_zone",
    "datafusion.execution.enable_recursive_ctes",
    "datafusion.execution.parquet.pushdown_filters",
    "datafusion.execution.parquet.reorder_filters",
    "datafusion.execution.parquet.enable_page_index",
    "datafusion.execution.parquet.bloom_filter_on_read",
];

/// Whether a user who is not an administrator may set or reset engine option `name`.
pub fn user_may_set(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    USER_OPTIONS.iter().any(|allowed| {
        if allowed.ends_with('.') {
            lower.starts_with(allowed)
        } else {
            lower == *allowed
        }
    })
}

fn set_value(values: &[Expr]) -> Result<SetValue> {
    if let [Expr::Identifier(id)] = values
        && id.quote_style.is_none()
        && id.value.eq_ignore_ascii_case("default")
    {
        return Ok(SetValue::Default);
    }
    let parts: Result<Vec<String>> = values.iter().map(value_text).collect();
    Ok(SetValue::Value(parts?.join(", ")))
}

/// A `SET` value as PostgreSQL reads it: strings, numbers, words and booleans.
fn value_text(expr: &Expr) -> Result<String> {
    match expr {
        Expr::Value(v) => match &v.value {
            Value::SingleQuotedString(s)
            | Value::DoubleQuotedString(s)
            | Value::EscapedStringLiteral(s) => Ok(s.clone()),
            Value::Number(n, _) => Ok(n.to_string()),
            Value::Boolean(b) => Ok(if *b { "on".into() } else { "off".into() }),
            other => Err(EngineError::Syntax(format!("unexpected SET value {other}"))),
        },
        Expr::Identifier(id) => Ok(id.value.clone()),
        Expr::UnaryOp {
            op: ast::UnaryOperator::Minus,
            expr,
        } => Ok(format!("-{}", value_text(expr)?)),
        other => Err(EngineError::Syntax(format!("unexpected SET value {other}"))),
    }
}

fn password(p: Password) -> Result<String> {
    match p {
        Password::Password(Expr::Value(v)) => match v.value {
            Value::SingleQuotedString(s) | Value::EscapedStringLiteral(s) => Ok(s),
            other => Err(EngineError::Syntax(format!(
                "a password must be a string literal, not {other}"
            ))),
        },
        Password::Password(other) => Err(EngineError::Syntax(format!(
            "a password must be a string literal, not {other}"
        ))),
        Password::NullPassword => Err(unsupported(
            "PASSWORD NULL (every Lyceum user logs in with a password)",
        )),
    }
}

/// An identifier as PostgreSQL folds it: unquoted names are lower-cased.
pub(crate) fn ident(id: &ast::Ident) -> String {
    if id.quote_style.is_some() {
        id.value.clone()
    } else {
        id.value.to_lowercase()
    }
}

fn object_name(name: &ObjectName) -> String {
    name.0
        .iter()
        .filter_map(|p| p.as_ident())
        .map(ident)
        .collect::<Vec<_>>()
        .join(".")
}

fn unsupported(what: &str) -> EngineError {
    EngineError::Unsupported { what: what.into() }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Lyceum's SQL, as the Postgres profile parses it.
    fn parse(sql: &str) -> Result<Vec<Parsed>> {
        super::parse(
            sql,
            &datafusion::sql::sqlparser::dialect::PostgreSqlDialect {},
        )
    }

    fn actions(sql: &str) -> Vec<Action> {
        parse(sql)
            .unwrap_or_else(|e| panic!("{sql}: {e}"))
            .into_iter()
            .map(|p| p.action)
            .collect()
    }

    fn one(sql: &str) -> Action {
        let mut all = actions(sql);
        assert_eq!(all.len(), 1, "{sql}");
        all.remove(0)
    }

    #[test]
    fn statements_are_split_with_their_text() {
        let parsed = parse("select 1;  ;\n select 'a;b' ; -- done\n").expect("parses");
        let texts: Vec<_> = parsed.iter().map(|p| p.sql.as_str()).collect();
        assert_eq!(texts, ["select 1", "select 'a;b'"]);
        assert!(parse("   ").expect("empty").is_empty());
        assert!(parse(";;").expect("empty").is_empty());
        assert!(parse("select 1; selec 2").is_err());
    }

    #[test]
    fn session_commands_are_recognised() {
        assert!(matches!(
            one("SET application_name = 'metabase'"),
            Action::Set { name, value: SetValue::Value(v), local: false }
                if name == "application_name" && v == "metabase"
        ));
        assert!(matches!(
            one("set search_path to public, system"),
            Action::Set { value: SetValue::Value(v), .. } if v == "public, system"
        ));
        assert!(matches!(
            one("SET LOCAL statement_timeout = 5"),
            Action::Set { local: true, .. }
        ));
        assert!(matches!(
            one("SET TIME ZONE 'UTC'"),
            Action::Set { name, .. } if name == "TimeZone"
        ));
        assert!(matches!(
            one("set myapp.flag to default"),
            Action::Set {
                value: SetValue::Default,
                ..
            }
        ));
        assert!(matches!(one("SET lyceum.as_of = 1"), Action::Query(_)));
        assert!(matches!(one("SHOW ALL"), Action::ShowAll));
        assert!(matches!(
            one("show transaction isolation level"),
            Action::Show { name } if name == "transaction_isolation"
        ));
        assert!(matches!(one("RESET ALL"), Action::ResetAll));
        assert!(
            matches!(one("reset search_path"), Action::Reset { name } if name == "search_path")
        );
        assert!(matches!(one("DISCARD ALL"), Action::Discard { all: true }));
    }

    #[test]
    fn transactions_users_and_prepared_statements() {
        assert!(matches!(one("BEGIN"), Action::Begin { start: false }));
        assert!(matches!(
            one("start transaction read only"),
            Action::Begin { start: true }
        ));
        assert!(matches!(one("END"), Action::Commit));
        assert!(matches!(one("abort"), Action::Rollback));
        assert!(matches!(one("savepoint a"), Action::Savepoint { name } if name == "a"));
        assert!(
            matches!(one("rollback to savepoint a"), Action::RollbackTo { name } if name == "a")
        );
        assert!(matches!(one("release a"), Action::Release { name } if name == "a"));
        assert!(matches!(
            one("SET SESSION CHARACTERISTICS AS TRANSACTION ISOLATION LEVEL READ COMMITTED"),
            Action::SetTransaction
        ));
        assert!(matches!(
            one("set transaction read write"),
            Action::SetTransaction
        ));
        assert!(matches!(
            one("CREATE USER Analyst PASSWORD 'pw'"),
            Action::CreateUser(UserSpec { name, password: Some(p), .. })
                if name == "analyst" && p == "pw"
        ));
        assert!(matches!(
            one("create role \"Ops\" with login superuser password 'x'"),
            Action::CreateUser(UserSpec { name, superuser: Some(true), .. }) if name == "Ops"
        ));
        assert!(parse("create role readers").is_err());
        assert!(matches!(
            one("ALTER USER analyst PASSWORD 'new'"),
            Action::AlterUser(UserSpec { password: Some(p), .. }) if p == "new"
        ));
        assert!(matches!(
            one("drop user if exists a, b"),
            Action::DropUser { names, if_exists: true } if names == ["a", "b"]
        ));
        assert!(matches!(
            one("PREPARE q(int) AS SELECT $1"),
            Action::Prepare { name, types, .. } if name == "q" && types.len() == 1
        ));
        assert!(matches!(
            one("EXECUTE q(1)"),
            Action::Execute { name, params } if name == "q" && params.len() == 1
        ));
        assert!(matches!(
            one("DEALLOCATE ALL"),
            Action::Deallocate { name: None }
        ));
        assert!(matches!(
            one("deallocate prepare q"),
            Action::Deallocate { name: Some(n) } if n == "q"
        ));
        assert!(matches!(one("select * from t"), Action::Query(_)));
        assert!(matches!(
            one("declare c no scroll cursor with hold for select 1"),
            Action::DeclareCursor { name, hold: true, .. } if name == "c"
        ));
        assert!(matches!(
            one("fetch 2048 in c"),
            Action::Fetch {
                count: Some(2048),
                ..
            }
        ));
        assert!(matches!(
            one("fetch all from c"),
            Action::Fetch { count: None, .. }
        ));
        assert!(matches!(
            one("close all"),
            Action::CloseCursor { name: None }
        ));
        assert!(parse("fetch backward 1 from c").is_err());
        for (sql, kind) in [
            ("update t set a = 1", "UPDATE"),
            ("delete from t", "DELETE"),
            ("create or replace view v as select 1", "CREATE VIEW"),
        ] {
            match parse(sql) {
                Err(EngineError::ReadOnly { statement }) => assert_eq!(statement, kind, "{sql}"),
                other => panic!("{sql}: {other:?}"),
            }
        }
    }

    #[test]
    fn text_survives_multiline_statements() {
        let parsed = parse("select\n  'é' as x;\nselect 2").expect("parses");
        assert_eq!(parsed[0].sql, "select\n  'é' as x");
        assert_eq!(parsed[1].sql, "select 2");
    }
}
