//! `CREATE`, `DROP` and `REFRESH MATERIALIZED VIEW`: an administrator's rollups.
//!
//! A materialized view here is a rollup (see [`crate::rollup`]): its definition is kept in
//! the warehouse version and its rows are the definition's re-mergeable states, stored as a
//! Delta table in schema `public` beside the star schema it summarises. Each statement is
//! one warehouse transaction: the states are computed from the version the transaction
//! began on, written, and committed with the Delta versions they were computed from, so a
//! version whose tables moved on (a load committed meanwhile) does not use them until a
//! `REFRESH`. Selecting from the view reads its definition over the pinned version, so the
//! view itself is never stale either.

use datafusion::sql::sqlparser::ast::{ObjectType, Statement as SqlStatement};
use datafusion::sql::sqlparser::keywords::Keyword;
use datafusion::sql::sqlparser::parser::Parser;
use lyceum_catalog::{TableEntry, TableRole, star};
use tracing::info;

use super::control::Limits;
use super::sandbox::assign::assignment_plan;
use super::sandbox::{TableName, table_name};
use super::{Completion, NoticeKind, QueryOutput, Session, TransactionStatus};
use crate::error::{EngineError, Result};
use crate::rollup::build::{Built, build, rewrite};
use crate::warehouse::transaction::Transaction;

/// A statement about materialized views.
#[derive(Debug, Clone)]
pub enum RollupDdl {
    Create {
        view: TableName,
        /// The defining `SELECT`.
        query: String,
        if_not_exists: bool,
    },
    Drop {
        views: Vec<TableName>,
        if_exists: bool,
    },
    Refresh {
        view: TableName,
    },
}

impl RollupDdl {
    /// PostgreSQL's name for the statement.
    pub fn kind(&self) -> &'static str {
        match self {
            RollupDdl::Create { .. } => "CREATE MATERIALIZED VIEW",
            RollupDdl::Drop { .. } => "DROP MATERIALIZED VIEW",
            RollupDdl::Refresh { .. } => "REFRESH MATERIALIZED VIEW",
        }
    }
}

/// Reads `CREATE` / `DROP MATERIALIZED VIEW`; `None` for any other statement.
pub(super) fn classify(statement: &SqlStatement) -> Result<Option<RollupDdl>> {
    Ok(Some(match statement {
        SqlStatement::CreateView(create) if create.materialized => {
            if create.or_replace || create.or_alter {
                return Err(unsupported(
                    "CREATE OR REPLACE MATERIALIZED VIEW (drop it, then create it)",
                ));
            }
            if !create.columns.is_empty() {
                return Err(unsupported(
                    "a column list in CREATE MATERIALIZED VIEW (name the columns in the SELECT)",
                ));
            }
            if create.temporary || create.to.is_some() {
                return Err(unsupported("TEMPORARY or TO in CREATE MATERIALIZED VIEW"));
            }
            RollupDdl::Create {
                view: table_name(&create.name)?,
                query: create.query.to_string(),
                if_not_exists: create.if_not_exists,
            }
        }
        SqlStatement::Drop {
            object_type: ObjectType::MaterializedView,
            if_exists,
            names,
            cascade,
            ..
        } => {
            if *cascade {
                return Err(unsupported(
                    "DROP MATERIALIZED VIEW ... CASCADE (nothing depends on a materialized view)",
                ));
            }
            RollupDdl::Drop {
                views: names.iter().map(table_name).collect::<Result<_>>()?,
                if_exists: *if_exists,
            }
        }
        _ => return Ok(None),
    }))
}

/// Reads `REFRESH MATERIALIZED VIEW [CONCURRENTLY] name [WITH DATA]`.
pub(super) fn parse_refresh(parser: &mut Parser<'_>) -> Result<RollupDdl> {
    let syntax =
        |e: datafusion::sql::sqlparser::parser::ParserError| EngineError::Syntax(e.to_string());
    parser
        .expect_keywords(&[Keyword::REFRESH, Keyword::MATERIALIZED, Keyword::VIEW])
        .map_err(syntax)?;
    // Readers never wait for a refresh here: every refresh is concurrent.
    let _ = parser.parse_keyword(Keyword::CONCURRENTLY);
    let name = parser.parse_object_name(false).map_err(syntax)?;
    if parser.parse_keyword(Keyword::WITH) {
        if parser.parse_keyword(Keyword::NO) {
            return Err(unsupported(
                "REFRESH ... WITH NO DATA (a rollup always holds its states)",
            ));
        }
        parser.expect_keyword(Keyword::DATA).map_err(syntax)?;
    }
    Ok(RollupDdl::Refresh {
        view: table_name(&name)?,
    })
}

fn unsupported(what: &str) -> EngineError {
    EngineError::Unsupported { what: what.into() }
}

impl Session {
    /// Runs a materialized-view statement in a warehouse transaction of its own.
    pub(super) async fn run_rollup_ddl(
        &mut self,
        ddl: &RollupDdl,
        limits: &Limits,
    ) -> Result<QueryOutput> {
        if !self.info.superuser() {
            return Err(EngineError::PermissionDenied(format!(
                "must be a superuser to run {}",
                ddl.kind()
            )));
        }
        if self.tx.status() != TransactionStatus::Idle
            || self.implicit_transaction
            || self.has_pending_writes()
        {
            return Err(EngineError::InTransactionBlock { what: ddl.kind() });
        }
        let mut tx = Transaction::begin(self.engine.warehouse()).await?;
        // On an error `tx` is dropped: nothing commits, and the Delta versions it wrote
        // are rolled back by the table's next writer.
        let (done, notice) = limits
            .run(Box::pin(self.apply_rollup_ddl(&mut tx, ddl)))
            .await?;
        if let Some(n) = notice {
            self.raise(NoticeKind::Skipped, &n);
        }
        if tx.has_changes() {
            let summary = format!("{} by {}", ddl.kind(), self.info.user());
            let committed = tx.commit("sql", None, summary).await?;
            info!(
                version = committed.version,
                user = %self.info.user(),
                statement = ddl.kind(),
                "materialized view committed"
            );
            self.batch_version = Some(committed.version);
            self.pinned = None;
        }
        Ok(QueryOutput::Command(done))
    }

    async fn apply_rollup_ddl(
        &self,
        tx: &mut Transaction,
        ddl: &RollupDdl,
    ) -> Result<(Completion, Option<String>)> {
        match ddl {
            RollupDdl::Create {
                view,
                query,
                if_not_exists,
            } => {
                let qualified = rollup_name(view)?;
                if let Some(existing) = tx.entry(&qualified) {
                    if *if_not_exists {
                        return Ok((
                            Completion::new(ddl.kind()),
                            Some(format!(
                                "relation \"{}\" already exists, skipping",
                                existing.definition.name
                            )),
                        ));
                    }
                    return Err(EngineError::DuplicateObject {
                        kind: "relation",
                        name: view.name.clone(),
                    });
                }
                let built = self.build_rollup(tx, &view.name, query).await?;
                tx.create_table(built.table.clone()).await?;
                let plan = assignment_plan(built.plan, &built.table, &[])?;
                let rows = tx
                    .append_plan(&qualified, plan, &built.planner.state())
                    .await?;
                tx.set_rollup(&qualified, built.rollup)?;
                Ok((Completion::with_rows(ddl.kind(), rows), None))
            }
            RollupDdl::Refresh { view } => {
                let qualified = rollup_name(view)?;
                let entry = existing_rollup(tx, &qualified, view)?.clone();
                let Some(old) = entry.rollup.as_ref() else {
                    return Err(EngineError::Internal(format!(
                        "{qualified} has no rollup definition"
                    )));
                };
                let built = self.build_rollup(tx, &view.name, &old.query).await?;
                rewrite(tx, &qualified, built).await?;
                Ok((Completion::new(ddl.kind()), None))
            }
            RollupDdl::Drop { views, if_exists } => {
                let mut skipped = Vec::new();
                for view in views {
                    let qualified = rollup_name(view)?;
                    match existing_rollup(tx, &qualified, view) {
                        Ok(_) => tx.drop_table(&qualified)?,
                        Err(EngineError::UndefinedObject { .. }) if *if_exists => {
                            skipped.push(format!(
                                "materialized view \"{}\" does not exist, skipping",
                                view.name
                            ))
                        }
                        Err(e) => return Err(e),
                    }
                }
                Ok((
                    Completion::new(ddl.kind()),
                    (!skipped.is_empty()).then(|| skipped.join("; ")),
                ))
            }
        }
    }

    /// Plans `query` as rollup `name` against the version `tx` began on.
    async fn build_rollup(&self, tx: &Transaction, name: &str, query: &str) -> Result<Built> {
        let base = tx.base();
        let snapshot = self.engine.snapshot(base.version).await?;
        build(
            snapshot.catalog(),
            snapshot.rollups(),
            base,
            &self.engine.runtime,
            name,
            query,
        )
        .await
    }
}

/// The catalog name of a materialized view: schema `public` only.
fn rollup_name(view: &TableName) -> Result<String> {
    match view.schema.as_deref() {
        None | Some(star::PUBLIC) => Ok(format!("{}.{}", star::PUBLIC, view.name)),
        Some(other) => Err(EngineError::Unsupported {
            what: format!(
                "a materialized view in schema {other} (they live in schema {} beside the star schema)",
                star::PUBLIC
            ),
        }),
    }
}

/// The entry of an existing rollup.
fn existing_rollup<'a>(
    tx: &'a Transaction,
    qualified: &str,
    view: &TableName,
) -> Result<&'a TableEntry> {
    match tx.entry(qualified) {
        Some(entry) if entry.definition.role == TableRole::Rollup => Ok(entry),
        Some(_) => Err(EngineError::WrongObjectType {
            name: view.name.clone(),
            expected: "materialized view",
        }),
        None => Err(EngineError::UndefinedObject {
            kind: "materialized view",
            name: view.name.clone(),
        }),
    }
}
