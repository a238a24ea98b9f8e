//! The Postgres profile of the session core: PostgreSQL's spellings rewritten for
//! DataFusion, the column names PostgreSQL clients see, `pg_catalog` and
//! `information_schema` over the pinned version, and the catalog and session functions
//! (`pg_get_constraintdef`, `current_setting`, `pg_backend_pid`, ...).
//!
//! It depends on the core (`crate::session`), never the other way: the core sees it as a
//! [`Profile`].

use std::sync::Arc;

use arrow::datatypes::{Schema, SchemaRef};
use async_trait::async_trait;
use datafusion::catalog::CatalogProvider;
use datafusion::prelude::SessionContext;
use datafusion::sql::parser::Statement as DFStatement;
use lyceum_catalog::{PrincipalStore, Principals};

use super::{CatalogState, StaticTables};
use crate::error::Result;
use crate::session::{Param, Profile, Registry, SessionInfo, SessionProfile, Snapshot};

/// PostgreSQL's face: built-in catalog content loaded once per engine.
pub struct PostgresProfile {
    statics: Arc<StaticTables>,
}

impl PostgresProfile {
    /// Loads PostgreSQL's built-in catalog content.
    pub fn new() -> Result<Arc<PostgresProfile>> {
        Ok(Arc::new(PostgresProfile {
            statics: Arc::new(StaticTables::load()?),
        }))
    }
}

impl Profile for PostgresProfile {
    fn parameters(&self) -> &'static [Param] {
        super::settings::POSTGRES_PARAMS
    }

    fn dialect(&self) -> datafusion::config::Dialect {
        datafusion::config::Dialect::PostgreSQL
    }

    fn system_schemas(&self) -> &'static [&'static str] {
        &["pg_catalog", "information_schema"]
    }

    fn attach(&self, info: &Arc<SessionInfo>) -> Arc<dyn SessionProfile> {
        {
            let mut settings = info.settings();
            settings.force("is_superuser", if info.superuser() { "on" } else { "off" });
            settings.force("session_authorization", info.user());
        }
        Arc::new(PostgresSession {
            statics: self.statics.clone(),
            state: Arc::new(CatalogState::default()),
            info: info.clone(),
        })
    }
}

/// One session's Postgres face: the model of the version it pinned, read by its catalog
/// functions.
struct PostgresSession {
    statics: Arc<StaticTables>,
    state: Arc<CatalogState>,
    info: Arc<SessionInfo>,
}

#[async_trait]
impl SessionProfile for PostgresSession {
    fn register(&self, ctx: &SessionContext, registry: &Arc<Registry>) {
        super::register_functions(ctx, &self.statics, &self.state, &self.info);
        super::session_functions::register(ctx, &self.info, registry);
    }

    fn rewrite(&self, statement: DFStatement) -> DFStatement {
        super::rewrite(statement)
    }

    fn client_schema(&self, schema: &Schema) -> SchemaRef {
        super::rewrite::client_schema(schema)
    }

    fn result_schema(&self, plan: &datafusion::logical_expr::LogicalPlan) -> SchemaRef {
        super::result_types::annotate(
            plan,
            super::rewrite::client_schema(plan.schema().as_arrow()),
            &self.state.model(),
        )
    }

    async fn catalog(
        &self,
        snapshot: &Snapshot,
        registry: &Arc<Registry>,
        principals: &PrincipalStore,
    ) -> Result<Arc<dyn CatalogProvider>> {
        super::session_catalog(
            snapshot,
            &self.info,
            registry,
            &self.statics,
            principals,
            &self.state,
        )
        .await
    }

    async fn principals_changed(&self, principals: &Principals) {
        self.state.set_roles(super::users_of(principals));
    }
}
