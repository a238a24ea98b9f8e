//! How a session runs a [`Write`]: names resolved through `search_path`, privileges
//! checked, the change made in a warehouse transaction that commits at once, or, inside
//! `BEGIN` (or a multi-statement query string), at `COMMIT`. Until then the session reads
//! the warehouse as its own uncommitted writes left it, and nobody else sees them.

use std::sync::Arc;

use datafusion::catalog::CatalogProvider;
use datafusion::catalog::streaming::StreamingTable;
use datafusion::datasource::provider_as_source;
use datafusion::logical_expr::{LogicalPlan, LogicalPlanBuilder};
use datafusion::scalar::ScalarValue;
use lyceum_catalog::{ColumnDef, TableDef, TableRole, star};
use tracing::info;

use super::assign::{assignment_plan, column_of, target_columns};
use super::copy::{CopyFormat, SpooledCopy};
use super::{ColumnSpec, SANDBOX, TableName, Write};
use crate::error::{EngineError, Result};
use crate::session::control::Limits;
use crate::session::{Completion, NoticeKind, QueryOutput, Session, Snapshot, TransactionStatus};
use crate::warehouse::transaction::Transaction;

/// Writes made but not yet committed (inside a transaction block).
pub(crate) struct PendingWrite {
    pub(super) tx: Transaction,
    /// What the writes were, for the committed version's summary.
    statements: Vec<String>,
    /// The catalog of the warehouse as these writes left it, built when a statement
    /// reads it and dropped by the next write.
    catalog: Option<Arc<dyn CatalogProvider>>,
}

impl PendingWrite {
    /// Records one more write (for the committed version's summary); the catalog built
    /// for reads before it is stale now.
    pub(super) fn push_statement(&mut self, kind: &str) {
        self.statements.push(kind.to_string());
        self.catalog = None;
    }
}

/// A `COPY ... FROM STDIN` waiting for its data.
pub(crate) struct CopyIn {
    table: TableName,
    columns: Vec<String>,
    format: CopyFormat,
    spool: Option<(std::fs::File, Arc<tempfile::TempPath>)>,
    /// The first error while spooling, reported when the client finishes.
    error: Option<EngineError>,
    sql: String,
}

impl Session {
    /// Runs a write; `params` are the values of an `INSERT`'s `$n` parameters.
    pub(crate) async fn run_write(
        &mut self,
        write: &Write,
        params: Option<Vec<ScalarValue>>,
        limits: &Limits,
        sql: &str,
    ) -> Result<QueryOutput> {
        if let Write::CopyFrom {
            table,
            columns,
            format,
        } = write
        {
            return self.start_copy(table, columns, format, sql).await;
        }
        self.pin().await?;
        let mut pending = self.take_pending().await?;
        // On an error `pending` is dropped: nothing commits, and the Delta versions the
        // write left are rolled back by the table's next writer.
        let (done, notice) = limits
            .run(self.apply_write(&mut pending.tx, write, params))
            .await?;
        if let Some(n) = notice {
            self.raise(NoticeKind::Skipped, &n);
        }
        pending.statements.push(write.kind().to_string());
        pending.catalog = None;
        self.keep_or_commit(pending).await?;
        Ok(QueryOutput::Command(done))
    }

    /// The open warehouse transaction of this session's transaction block, or a new one.
    pub(super) async fn take_pending(&mut self) -> Result<PendingWrite> {
        match self.pending.take() {
            Some(p) => Ok(p),
            None => Ok(PendingWrite {
                tx: Transaction::begin(self.engine.warehouse()).await?,
                statements: Vec::new(),
                catalog: None,
            }),
        }
    }

    /// Inside a transaction block (or a multi-statement string) writes wait for its end;
    /// otherwise they commit now.
    pub(super) async fn keep_or_commit(&mut self, pending: PendingWrite) -> Result<()> {
        if self.tx.status() != TransactionStatus::Idle || self.implicit_transaction {
            self.pending = Some(pending);
            return Ok(());
        }
        self.commit_pending(pending).await
    }

    /// Commits the writes of a transaction block; later statements read the new version.
    pub(crate) async fn commit_pending(&mut self, pending: PendingWrite) -> Result<()> {
        if !pending.tx.has_changes() {
            return Ok(());
        }
        let summary = format!("{} by {}", pending.statements.join(", "), self.info.user());
        let committed = pending.tx.commit("sql", None, summary).await?;
        info!(
            version = committed.version,
            user = %self.info.user(),
            "sandbox write committed"
        );
        self.batch_version = Some(committed.version);
        self.pinned = None;
        Ok(())
    }

    /// Ends the writes of a transaction block: commits them, or drops them (`ROLLBACK`,
    /// a failed transaction, an error in a multi-statement string).
    pub(crate) async fn end_pending(&mut self, commit: bool) -> Result<()> {
        let Some(pending) = self.pending.take() else {
            return Ok(());
        };
        if commit {
            self.commit_pending(pending).await
        } else {
            info!(
                writes = pending.statements.len(),
                "sandbox writes rolled back"
            );
            self.pinned = None;
            Ok(())
        }
    }

    /// Whether this session has uncommitted writes.
    pub(crate) fn has_pending_writes(&self) -> bool {
        self.pending.is_some()
    }

    /// The catalog of the warehouse with this session's uncommitted writes, if any.
    pub(crate) async fn pending_catalog(&mut self) -> Result<Option<Arc<dyn CatalogProvider>>> {
        let Some(pending) = self.pending.as_ref() else {
            return Ok(None);
        };
        if let Some(c) = &pending.catalog {
            return Ok(Some(c.clone()));
        }
        let snapshot = Snapshot::open_uncommitted(
            self.engine.warehouse(),
            pending.tx.pending().clone(),
            &self.engine.runtime,
        )
        .await?;
        self.engine.add_engine_tables(&snapshot)?;
        let catalog = self.catalog_of(&snapshot).await?;
        if let Some(pending) = self.pending.as_mut() {
            pending.catalog = Some(catalog.clone());
        }
        Ok(Some(catalog))
    }

    /// Makes one change in `tx`; returns how it ended and a notice, if any.
    async fn apply_write(
        &self,
        tx: &mut Transaction,
        write: &Write,
        params: Option<Vec<ScalarValue>>,
    ) -> Result<(Completion, Option<String>)> {
        match write {
            Write::CreateTable {
                table,
                columns,
                if_not_exists,
            } => {
                let qualified = self.creatable(tx, table)?;
                if let Some(skipped) = skip_existing(tx, &qualified, table, *if_not_exists, write) {
                    return Ok(skipped);
                }
                check_unique(columns.iter().map(|c| c.name.as_str()))?;
                ensure_sandbox(tx)?;
                tx.create_table(table_def(&table.name, columns)).await?;
                Ok((Completion::new(write.kind()), None))
            }
            Write::CreateTableAs {
                table,
                columns,
                query,
                if_not_exists,
            } => {
                let qualified = self.creatable(tx, table)?;
                if let Some(skipped) = skip_existing(tx, &qualified, table, *if_not_exists, write) {
                    return Ok(skipped);
                }
                let source = self.plan(query).await?;
                // Named as clients see the columns (a repeated name stays repeated).
                let client = self.face.client_schema(source.schema().as_arrow());
                let fields = client.fields().clone();
                if columns.len() > fields.len() {
                    return Err(EngineError::Syntax(
                        "CREATE TABLE AS specifies too many column names".into(),
                    ));
                }
                let specs = fields
                    .iter()
                    .enumerate()
                    .map(|(i, f)| {
                        let name = columns.get(i).cloned().unwrap_or_else(|| f.name().clone());
                        column_of(f, &name)
                    })
                    .collect::<Result<Vec<_>>>()?;
                check_unique(specs.iter().map(|c| c.name.as_str()))?;
                ensure_sandbox(tx)?;
                let def = table_def(&table.name, &specs);
                tx.create_table(def.clone()).await?;
                let plan = assignment_plan(source, &def, &[])?;
                let rows = tx.append_plan(&qualified, plan, &self.ctx.state()).await?;
                Ok((Completion::with_rows(write.kind(), rows), None))
            }
            Write::Insert {
                table,
                columns,
                source,
            } => {
                let qualified = self.writable(tx, table, "INSERT")?;
                let def = self.definition(tx, &qualified)?;
                let mut source = self.plan(source).await?;
                if let Some(values) = params {
                    source = source.with_param_values(values)?;
                }
                let plan = assignment_plan(source, &def, columns)?;
                let rows = tx.append_plan(&qualified, plan, &self.ctx.state()).await?;
                Ok((Completion::with_rows(write.kind(), rows), None))
            }
            Write::DropTable { tables, if_exists } => {
                let mut skipped = Vec::new();
                for table in tables {
                    match self.writable(tx, table, "DROP TABLE") {
                        Ok(qualified) => tx.drop_table(&qualified)?,
                        Err(EngineError::UndefinedObject { .. }) if *if_exists => skipped
                            .push(format!("table \"{}\" does not exist, skipping", table.name)),
                        Err(e) => return Err(e),
                    }
                }
                Ok((
                    Completion::new(write.kind()),
                    (!skipped.is_empty()).then(|| skipped.join("; ")),
                ))
            }
            Write::AddColumn {
                table,
                column,
                if_not_exists,
            } => {
                let qualified = self.writable(tx, table, "ALTER TABLE")?;
                let def = self.definition(tx, &qualified)?;
                if def.column(&column.name).is_some() {
                    if *if_not_exists {
                        return Ok((
                            Completion::new(write.kind()),
                            Some(format!(
                                "column \"{}\" of relation \"{}\" already exists, skipping",
                                column.name, table.name
                            )),
                        ));
                    }
                    return Err(EngineError::DuplicateObject {
                        kind: "column",
                        name: column.name.clone(),
                    });
                }
                tx.add_column(&qualified, column_def(column)).await?;
                Ok((Completion::new(write.kind()), None))
            }
            Write::CopyFrom { .. } => {
                Err(EngineError::Internal("COPY runs through start_copy".into()))
            }
        }
    }

    /// The schemas of `search_path` in order (without `$user` and system schemas).
    fn search_schemas(&self) -> Vec<String> {
        let path = self.info.settings().get("search_path").unwrap_or_default();
        let implicit = self.engine.profile.system_schemas().first().copied();
        crate::session::search_path_schemas(&path, |s| Some(s) != implicit)
    }

    /// The qualified name a new table gets; 42501 outside `sandbox`.
    pub(super) fn creatable(&self, tx: &Transaction, table: &TableName) -> Result<String> {
        let schemas = &tx.pending().schemas;
        let schema = match &table.schema {
            Some(s) => s.clone(),
            None => self
                .search_schemas()
                .into_iter()
                .find(|s| schemas.contains_key(s) || s == SANDBOX)
                .ok_or_else(|| EngineError::UndefinedObject {
                    kind: "schema",
                    name: "no schema has been selected to create in".into(),
                })?,
        };
        if schema != SANDBOX {
            return Err(
                if schemas.contains_key(&schema)
                    || self
                        .engine
                        .profile
                        .system_schemas()
                        .contains(&schema.as_str())
                    || is_star_schema(&schema)
                {
                    EngineError::PermissionDenied(format!(
                        "cannot create tables in schema {schema}; analysts' tables go in schema {SANDBOX}"
                    ))
                } else {
                    EngineError::UndefinedObject {
                        kind: "schema",
                        name: schema,
                    }
                },
            );
        }
        Ok(format!("{schema}.{}", table.name))
    }

    /// The qualified name of an existing table this session may change; 42501 outside
    /// `sandbox`, 42P01 if there is none.
    fn writable(&self, tx: &Transaction, table: &TableName, action: &str) -> Result<String> {
        let version = tx.pending();
        let qualified = match &table.schema {
            Some(s) => format!("{s}.{}", table.name),
            None => self
                .search_schemas()
                .into_iter()
                .map(|s| format!("{s}.{}", table.name))
                .find(|q| version.tables.contains_key(q))
                .unwrap_or_else(|| table.name.clone()),
        };
        if !version.tables.contains_key(&qualified) {
            return Err(EngineError::UndefinedObject {
                kind: "table",
                name: table.to_string(),
            });
        }
        if !qualified.starts_with(&format!("{SANDBOX}.")) {
            return Err(EngineError::PermissionDenied(format!(
                "{action} on table {qualified}: the star schema and system tables change only through `lyceum load`"
            )));
        }
        Ok(qualified)
    }

    pub(super) fn definition(&self, tx: &Transaction, qualified: &str) -> Result<TableDef> {
        tx.entry(qualified)
            .map(|e| e.definition.clone())
            .ok_or_else(|| EngineError::UndefinedObject {
                kind: "table",
                name: qualified.to_string(),
            })
    }

    /// `COPY ... FROM STDIN`: checks the target now, then waits for the data.
    async fn start_copy(
        &mut self,
        table: &TableName,
        columns: &[String],
        format: &CopyFormat,
        sql: &str,
    ) -> Result<QueryOutput> {
        self.pin().await?;
        let pending = self.take_pending().await?;
        let checked = self
            .writable(&pending.tx, table, "COPY")
            .and_then(|q| target_columns(&self.definition(&pending.tx, &q)?, columns));
        // A new warehouse transaction is begun again when the data is in.
        if self.tx.status() != TransactionStatus::Idle || self.implicit_transaction {
            self.pending = Some(pending);
        }
        let names = checked?;
        let file = tempfile::NamedTempFile::new()
            .map_err(|e| EngineError::io("creating a spool file for COPY", e))?;
        let (file, path) = file.into_parts();
        let width = names.len();
        self.copy = Some(CopyIn {
            table: table.clone(),
            columns: names,
            format: format.clone(),
            spool: Some((file, Arc::new(path))),
            error: None,
            sql: sql.to_string(),
        });
        Ok(QueryOutput::CopyIn { columns: width })
    }

    /// Data of the running `COPY ... FROM STDIN` (any chunking).
    pub fn copy_data(&mut self, data: &[u8]) {
        use std::io::Write as _;
        let Some(copy) = self.copy.as_mut() else {
            return;
        };
        if copy.error.is_some() {
            return;
        }
        if let Some((file, _)) = copy.spool.as_mut()
            && let Err(e) = file.write_all(data)
        {
            copy.error = Some(EngineError::io("spooling COPY data", e));
        }
    }

    /// Whether a `COPY ... FROM STDIN` waits for data.
    pub fn copy_in_progress(&self) -> bool {
        self.copy.is_some()
    }

    /// The client sent all data: writes the rows (the `COPY n` tag).
    pub async fn copy_done(&mut self) -> Result<QueryOutput> {
        let Some(copy) = self.copy.take() else {
            return Err(EngineError::Internal("no COPY is in progress".into()));
        };
        self.info.set_activity("active", Some(&copy.sql));
        let limits = self.begin_write().await?;
        let result = self.finish_copy(copy, &limits).await;
        self.end_statement(&result, &limits);
        self.note_idle();
        result
    }

    /// The client gave up (`CopyFail`): nothing is written.
    pub fn copy_fail(&mut self, message: &str) -> EngineError {
        self.copy = None;
        let error = EngineError::CopyFailed {
            message: message.to_string(),
        };
        self.tx.fail();
        self.note_idle();
        error
    }

    async fn finish_copy(&mut self, mut copy: CopyIn, limits: &Limits) -> Result<QueryOutput> {
        if let Some(e) = copy.error.take() {
            return Err(e);
        }
        let Some((file, path)) = copy.spool.take() else {
            return Err(EngineError::Internal("COPY has no spool file".into()));
        };
        file.sync_all()
            .map_err(|e| EngineError::io("spooling COPY data", e))?;
        drop(file);
        self.pin().await?;
        let mut pending = self.take_pending().await?;
        let result = limits
            .run(async {
                let qualified = self.writable(&pending.tx, &copy.table, "COPY")?;
                let def = self.definition(&pending.tx, &qualified)?;
                let source = SpooledCopy::new(&copy.columns, path, copy.format.clone());
                let table = StreamingTable::try_new(
                    datafusion::physical_plan::streaming::PartitionStream::schema(&source).clone(),
                    vec![Arc::new(source)],
                )?;
                let scan: LogicalPlan = LogicalPlanBuilder::scan(
                    "copy_data",
                    provider_as_source(Arc::new(table)),
                    None,
                )?
                .build()?;
                let plan = assignment_plan(scan, &def, &copy.columns)?;
                pending
                    .tx
                    .append_plan(&qualified, plan, &self.ctx.state())
                    .await
            })
            .await;
        let rows = result?;
        pending.statements.push("COPY".into());
        pending.catalog = None;
        self.keep_or_commit(pending).await?;
        Ok(QueryOutput::Command(Completion::with_rows("COPY", rows)))
    }
}

/// The star schema's own schemas.
fn is_star_schema(name: &str) -> bool {
    matches!(name, star::PUBLIC | star::SYSTEM)
}

/// `CREATE TABLE IF NOT EXISTS` of a table that exists: how it ended and its notice.
fn skip_existing(
    tx: &Transaction,
    qualified: &str,
    table: &TableName,
    if_not_exists: bool,
    write: &Write,
) -> Option<(Completion, Option<String>)> {
    (if_not_exists && tx.entry(qualified).is_some()).then(|| {
        (
            Completion::new(write.kind()),
            Some(format!(
                "relation \"{}\" already exists, skipping",
                table.name
            )),
        )
    })
}

pub(super) fn ensure_sandbox(tx: &mut Transaction) -> Result<()> {
    if !tx.pending().schemas.contains_key(SANDBOX) {
        tx.create_schema(SANDBOX)?;
    }
    Ok(())
}

fn check_unique<'a>(names: impl Iterator<Item = &'a str>) -> Result<()> {
    let mut seen = std::collections::BTreeSet::new();
    for name in names {
        if !seen.insert(name) {
            return Err(EngineError::DuplicateColumn {
                column: name.to_string(),
            });
        }
    }
    Ok(())
}

pub(crate) fn column_def(spec: &ColumnSpec) -> ColumnDef {
    ColumnDef {
        name: spec.name.clone(),
        ty: spec.ty,
        nullable: spec.nullable,
        sensitivity: Default::default(),
    }
}

pub(super) fn table_def(name: &str, columns: &[ColumnSpec]) -> TableDef {
    TableDef {
        schema: SANDBOX.to_string(),
        name: name.to_string(),
        role: TableRole::Sandbox,
        columns: columns.iter().map(column_def).collect(),
        primary_key: vec![],
        foreign_keys: vec![],
        unit_column: None,
    }
}
