//! What a family of clients adds to the neutral session core: the SQL spellings it
//! rewrites before planning, the column names its clients see, the functions and system
//! schemas it browses with.
//!
//! The core (this module's parent) parses, plans, executes and streams; keeps settings,
//! transactions, prepared statements, cursors, cancellation and time limits; and pins
//! warehouse versions. It names no client family. A [`Profile`] is chosen when the
//! [`Engine`](super::Engine) is opened: Lyceum's SQL is PostgreSQL's, so the Postgres
//! profile (`crate::pgcatalog::PostgresProfile`, with `pg_catalog`, `information_schema`
//! and the PostgreSQL rewrites) serves both the Postgres wire and Flight SQL, which then
//! give the same answers to the same SQL. [`Plain`] is DataFusion as it is, for embedding
//! and for tests of the core.

use std::sync::Arc;

use arrow::datatypes::{Schema, SchemaRef};
use async_trait::async_trait;
use datafusion::catalog::CatalogProvider;
use datafusion::prelude::SessionContext;
use datafusion::sql::parser::Statement as DFStatement;

use super::{Param, Registry, SessionInfo, Snapshot};
use crate::error::Result;

/// A family of clients' face on the core, shared by every session of an engine.
pub trait Profile: Send + Sync {
    /// The profile's part of one new session (state its functions read, such as the model
    /// of the version the session pinned).
    fn attach(&self, info: &Arc<SessionInfo>) -> Arc<dyn SessionProfile>;

    /// The run-time parameters the profile's clients expect beside the core's
    /// ([`CORE_PARAMS`](super::CORE_PARAMS)).
    fn parameters(&self) -> &'static [Param] {
        &[]
    }

    /// The SQL dialect statements are parsed in.
    fn dialect(&self) -> datafusion::config::Dialect {
        datafusion::config::Dialect::Generic
    }

    /// The read-only schemas the profile adds to every catalog (its system tables). The
    /// first is searched whatever the search path says, as PostgreSQL searches
    /// `pg_catalog`; names resolve there when the path names no other schema.
    fn system_schemas(&self) -> &'static [&'static str] {
        &[]
    }
}

/// A profile's part of one session.
#[async_trait]
pub trait SessionProfile: Send + Sync {
    /// Registers the profile's functions and type names on a new session context (at
    /// connect and after `RESET ALL`).
    fn register(&self, ctx: &SessionContext, registry: &Arc<Registry>);

    /// The statement DataFusion plans for a statement as the client wrote it.
    fn rewrite(&self, statement: DFStatement) -> DFStatement {
        statement
    }

    /// `schema` with the column names clients see.
    fn client_schema(&self, schema: &Schema) -> SchemaRef {
        Arc::new(schema.clone())
    }

    /// The result columns of `plan` as clients see them: their names, and the types the
    /// profile reports where the Arrow type alone does not say them.
    fn result_schema(&self, plan: &datafusion::logical_expr::LogicalPlan) -> SchemaRef {
        self.client_schema(plan.schema().as_arrow())
    }

    /// The catalog a session reading `snapshot` sees: the snapshot's schemas and the
    /// profile's system schemas.
    async fn catalog(
        &self,
        snapshot: &Snapshot,
        registry: &Arc<Registry>,
        principals: &lyceum_catalog::PrincipalStore,
    ) -> Result<Arc<dyn CatalogProvider>>;

    /// Users or their rights changed: names the profile shows must be read again.
    async fn principals_changed(&self, principals: &lyceum_catalog::Principals) {
        let _ = principals;
    }
}

/// DataFusion's SQL as it is: no rewrites, no system schemas.
#[derive(Debug, Default, Clone, Copy)]
pub struct Plain;

impl Profile for Plain {
    fn attach(&self, _info: &Arc<SessionInfo>) -> Arc<dyn SessionProfile> {
        Arc::new(Plain)
    }
}

#[async_trait]
impl SessionProfile for Plain {
    fn register(&self, _ctx: &SessionContext, _registry: &Arc<Registry>) {}

    async fn catalog(
        &self,
        snapshot: &Snapshot,
        _registry: &Arc<Registry>,
        _principals: &lyceum_catalog::PrincipalStore,
    ) -> Result<Arc<dyn CatalogProvider>> {
        Ok(snapshot.catalog())
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    /// What only the Postgres profile may name: its module, `pg_*` objects, PostgreSQL
    /// itself, SQLSTATE codes.
    fn postgres_concept(code: &str) -> bool {
        let lower = code.to_ascii_lowercase();
        lower.contains(concat!("pg", "catalog"))
            || lower.contains(concat!("pg", "_"))
            || lower.contains(concat!("post", "gres"))
            || lower
                .replace("sqlstatement", "")
                .contains(concat!("sql", "state"))
    }

    /// The core names no Postgres concept in its code (comments may explain what
    /// PostgreSQL does); every dependency between the core and the Postgres profile points
    /// from `pgcatalog` to `session`.
    #[test]
    fn the_session_core_names_no_postgres_concept() {
        fn visit(dir: &Path, offenders: &mut Vec<String>) {
            let Ok(entries) = std::fs::read_dir(dir) else {
                panic!("cannot read {}", dir.display());
            };
            for entry in entries.flatten() {
                let path = entry.path();
                let name = path
                    .file_name()
                    .and_then(|n| n.to_str())
                    .unwrap_or_default();
                if path.is_dir() {
                    visit(&path, offenders);
                } else if name.ends_with(".rs") && !name.starts_with("tests") {
                    let text = std::fs::read_to_string(&path).unwrap_or_default();
                    for (n, line) in text.lines().enumerate() {
                        // The core's own tests run it with the Postgres profile.
                        if line.trim_start().starts_with("#[cfg(test)]") {
                            break;
                        }
                        let code = line.split("//").next().unwrap_or_default();
                        if postgres_concept(code) {
                            offenders.push(format!("{}:{}: {line}", path.display(), n + 1));
                        }
                    }
                }
            }
        }
        let session = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/session");
        let mut offenders = Vec::new();
        visit(&session, &mut offenders);
        assert!(offenders.is_empty(), "{offenders:#?}");
        assert!(postgres_concept("let x = \"pg_class\";"));
        assert!(!postgres_concept("SqlStatement::Query(q)"));
    }
}
