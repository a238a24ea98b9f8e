//! Tables only administrators may read, until roles and grants arrive: the raw values of
//! `system.quarantine` (rejected source rows, which can hold names, e-mails and birth
//! dates).
//!
//! The check runs when a table is scanned, with the session's rights as they are then, so
//! a user who loses administrator rights loses access at their next statement.

use std::sync::Arc;

use async_trait::async_trait;
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::catalog::{SchemaProvider, Session, TableProvider};
use datafusion::datasource::TableType;
use datafusion::error::{DataFusionError, Result};
use datafusion::logical_expr::{Expr, TableProviderFilterPushDown};
use datafusion::physical_plan::ExecutionPlan;

use crate::error::EngineError;
use crate::session::SessionInfo;

/// `(schema, table)` pairs only administrators may read.
const ADMIN_ONLY: &[(&str, &str)] = &[("system", "quarantine")];

/// `schema` as `viewer` may read it: its administrator-only tables refuse a scan by anyone
/// else with 42501.
pub(crate) fn guard_schema(
    name: &str,
    schema: Arc<dyn SchemaProvider>,
    viewer: &Arc<SessionInfo>,
) -> Arc<dyn SchemaProvider> {
    if ADMIN_ONLY.iter().any(|(s, _)| *s == name) {
        Arc::new(GuardedSchema {
            name: name.to_string(),
            inner: schema,
            viewer: viewer.clone(),
        })
    } else {
        schema
    }
}

#[derive(Debug)]
struct GuardedSchema {
    name: String,
    inner: Arc<dyn SchemaProvider>,
    viewer: Arc<SessionInfo>,
}

#[async_trait]
impl SchemaProvider for GuardedSchema {
    fn table_names(&self) -> Vec<String> {
        self.inner.table_names()
    }

    async fn table(&self, name: &str) -> Result<Option<Arc<dyn TableProvider>>> {
        let Some(table) = self.inner.table(name).await? else {
            return Ok(None);
        };
        let guarded = ADMIN_ONLY
            .iter()
            .any(|(s, t)| *s == self.name && t.eq_ignore_ascii_case(name));
        Ok(Some(if guarded {
            Arc::new(AdminOnlyTable {
                name: format!("{}.{}", self.name, name),
                inner: table,
                viewer: self.viewer.clone(),
            })
        } else {
            table
        }))
    }

    fn table_exist(&self, name: &str) -> bool {
        self.inner.table_exist(name)
    }
}

#[derive(Debug)]
struct AdminOnlyTable {
    name: String,
    inner: Arc<dyn TableProvider>,
    viewer: Arc<SessionInfo>,
}

#[async_trait]
impl TableProvider for AdminOnlyTable {
    fn schema(&self) -> SchemaRef {
        self.inner.schema()
    }

    fn table_type(&self) -> TableType {
        self.inner.table_type()
    }

    async fn scan(
        &self,
        state: &dyn Session,
        projection: Option<&Vec<usize>>,
        filters: &[Expr],
        limit: Option<usize>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        if !self.viewer.superuser() {
            return Err(DataFusionError::External(Box::new(
                EngineError::PermissionDenied(format!(
                    "table {} holds raw source values: only administrators may read it",
                    self.name
                )),
            )));
        }
        self.inner.scan(state, projection, filters, limit).await
    }

    fn supports_filters_pushdown(
        &self,
        filters: &[&Expr],
    ) -> Result<Vec<TableProviderFilterPushDown>> {
        self.inner.supports_filters_pushdown(filters)
    }
}
