//! What the passes over parsed statements share: building a function call, running a
//! visitor over a statement, and naming the select items a pass rewrites as PostgreSQL
//! names them (its names come from the SQL as written; a rewritten item would otherwise be
//! named after its rewrite).

use datafusion::sql::parser::Statement as DFStatement;
use datafusion::sql::sqlparser::ast::{
    Expr, Function, FunctionArg, FunctionArgExpr, FunctionArgumentList, FunctionArguments, Ident,
    ObjectName, ObjectNamePart, Query, SelectItem, SetExpr, VisitMut, VisitorMut,
};

/// `name(args...)`.
pub(super) fn call(name: &str, args: Vec<Expr>) -> Expr {
    Expr::Function(Function {
        name: ObjectName(vec![ObjectNamePart::Identifier(Ident::new(name))]),
        uses_odbc_syntax: false,
        parameters: FunctionArguments::None,
        args: FunctionArguments::List(FunctionArgumentList {
            duplicate_treatment: None,
            args: args
                .into_iter()
                .map(|e| FunctionArg::Unnamed(FunctionArgExpr::Expr(e)))
                .collect(),
            clauses: vec![],
        }),
        filter: None,
        null_treatment: None,
        over: None,
        within_group: vec![],
    })
}

/// `statement` after `visitor` has rewritten it (a DataFusion-only statement stays).
pub(super) fn visited<V: VisitorMut>(mut statement: DFStatement, visitor: &mut V) -> DFStatement {
    if let DFStatement::Statement(s) = &mut statement {
        let _ = s.visit(visitor);
    }
    statement
}

/// Gives each unnamed item of `query`'s select list (and of its set operations' branches)
/// the name `name_of` returns for it, if any.
pub(super) fn name_items(body: &mut SetExpr, name_of: &dyn Fn(&Expr) -> Option<String>) {
    match body {
        SetExpr::Select(select) => {
            for item in &mut select.projection {
                if let SelectItem::UnnamedExpr(e) = item
                    && let Some(name) = name_of(e)
                {
                    *item = SelectItem::ExprWithAlias {
                        expr: e.clone(),
                        alias: Ident::with_quote('"', name),
                    };
                }
            }
        }
        SetExpr::SetOperation { left, right, .. } => {
            name_items(left, name_of);
            name_items(right, name_of);
        }
        SetExpr::Query(q) => name_items(&mut q.body, name_of),
        _ => {}
    }
}

/// [`name_items`] for a query.
pub(super) fn name_query_items(query: &mut Query, name_of: &dyn Fn(&Expr) -> Option<String>) {
    name_items(&mut query.body, name_of);
}
