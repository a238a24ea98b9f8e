//! PostgreSQL's catalog functions over Lyceum's catalog: definitions of keys and indexes,
//! descriptions (`describe`), visibility and privileges (`access`), the OID alias types
//! (`regtypes`), sizes (`sizes`) and the SQL functions catalog queries need (`builtins`).
//! They answer from the model of the warehouse version the session reads
//! ([`CatalogState`]), never from fixed text.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use datafusion::prelude::SessionContext;

use super::oids;
use super::relations::Model;
use crate::session::SessionInfo;

mod access;
mod builtins;
mod describe;
mod names;
mod regtypes;
mod sizes;

/// What a session's catalog functions read: the model of the version it pinned and the
/// names of the roles.
#[derive(Default)]
pub struct CatalogState {
    model: RwLock<Arc<Model>>,
    roles: RwLock<HashMap<i32, String>>,
}

impl CatalogState {
    pub fn set_model(&self, model: Arc<Model>) {
        if let Ok(mut m) = self.model.write() {
            *m = model;
        }
    }

    /// The users a catalog function may name: `(oid, name)`.
    pub fn set_roles(&self, users: impl IntoIterator<Item = (i32, String)>) {
        let mut map: HashMap<i32, String> = users.into_iter().collect();
        map.insert(oids::OWNER_ROLE, oids::OWNER_NAME.to_string());
        if let Ok(mut r) = self.roles.write() {
            *r = map;
        }
    }

    pub fn model(&self) -> Arc<Model> {
        self.model.read().map(|m| m.clone()).unwrap_or_default()
    }

    fn role_name(&self, oid: i32) -> Option<String> {
        self.roles.read().ok()?.get(&oid).cloned()
    }
}

/// `pg_show_all_settings()`, the function behind `pg_settings`.
struct ShowAllSettings(Arc<SessionInfo>);

impl std::fmt::Debug for ShowAllSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ShowAllSettings")
    }
}

impl datafusion::catalog::TableFunctionImpl for ShowAllSettings {
    fn call(
        &self,
        _args: &[datafusion::prelude::Expr],
    ) -> datafusion::error::Result<Arc<dyn datafusion::datasource::TableProvider>> {
        Ok(super::dynamic::pg_settings(&self.0))
    }
}

/// Registers the catalog functions on a session's context.
pub fn register(
    ctx: &SessionContext,
    state: &Arc<CatalogState>,
    info: &Arc<SessionInfo>,
    static_descriptions: &Arc<HashMap<(i32, i32, i32), String>>,
    type_oids: &Arc<HashMap<String, i32>>,
) {
    ctx.register_udtf(
        "pg_show_all_settings",
        Arc::new(ShowAllSettings(info.clone())),
    );
    describe::register(ctx, state, static_descriptions);
    access::register(ctx, state, info);
    regtypes::register(ctx, state, info, type_oids);
    sizes::register(ctx, state);
    builtins::register(ctx);
}
