//! Catalog views that change while a session reads one warehouse version: the users
//! (`pg_roles`, `pg_user`, `pg_authid`), the session's settings (`pg_settings`), and the
//! one database (`pg_database`, `pg_shdescription`).

use std::sync::Arc;

use datafusion::error::{DataFusionError, Result};
use futures::FutureExt;
use lyceum_catalog::{PrincipalStore, Principals};

use super::oids;
use super::table::{Col, Kind, LazyTable, Rows, V};
use crate::error::EngineError;
use crate::session::{CATALOG, SessionInfo};

pub const PG_ROLES: &[Col] = &[
    ("rolname", Kind::Name, false),
    ("rolsuper", Kind::Bool, false),
    ("rolinherit", Kind::Bool, false),
    ("rolcreaterole", Kind::Bool, false),
    ("rolcreatedb", Kind::Bool, false),
    ("rolcanlogin", Kind::Bool, false),
    ("rolreplication", Kind::Bool, false),
    ("rolconnlimit", Kind::I32, false),
    ("rolpassword", Kind::Text, true),
    ("rolvaliduntil", Kind::Text, true),
    ("rolbypassrls", Kind::Bool, false),
    ("rolconfig", Kind::TextList, true),
    ("oid", Kind::Oid, false),
];

pub const PG_USER: &[Col] = &[
    ("usename", Kind::Name, false),
    ("usesysid", Kind::Oid, false),
    ("usecreatedb", Kind::Bool, false),
    ("usesuper", Kind::Bool, false),
    ("userepl", Kind::Bool, false),
    ("usebypassrls", Kind::Bool, false),
    ("passwd", Kind::Text, true),
    ("valuntil", Kind::Text, true),
    ("useconfig", Kind::TextList, true),
];

pub const PG_AUTHID: &[Col] = &[
    ("oid", Kind::Oid, false),
    ("rolname", Kind::Name, false),
    ("rolsuper", Kind::Bool, false),
    ("rolinherit", Kind::Bool, false),
    ("rolcreaterole", Kind::Bool, false),
    ("rolcreatedb", Kind::Bool, false),
    ("rolcanlogin", Kind::Bool, false),
    ("rolreplication", Kind::Bool, false),
    ("rolbypassrls", Kind::Bool, false),
    ("rolconnlimit", Kind::I32, false),
    ("rolpassword", Kind::Text, true),
    ("rolvaliduntil", Kind::Text, true),
];

/// A role as the catalog shows it: the system owner, then the stored users.
struct Role {
    oid: i32,
    name: String,
    superuser: bool,
    can_login: bool,
    verifier: Option<String>,
}

fn roles(principals: &Principals) -> Vec<Role> {
    let mut all = vec![Role {
        oid: oids::OWNER_ROLE,
        name: oids::OWNER_NAME.to_string(),
        superuser: true,
        can_login: false,
        verifier: None,
    }];
    all.extend(principals.users.iter().map(|(name, u)| Role {
        oid: oids::pg(u.oid),
        name: name.clone(),
        superuser: u.superuser,
        can_login: true,
        verifier: Some(u.verifier.clone()),
    }));
    all
}

fn store_error(e: lyceum_catalog::CatalogError) -> DataFusionError {
    DataFusionError::External(Box::new(EngineError::from(e)))
}

fn pg_roles_rows(principals: &Principals) -> Rows {
    let mut rows = Rows::new(PG_ROLES);
    for r in roles(principals) {
        rows.push(vec![
            V::text(&r.name),
            V::bool(r.superuser),
            V::bool(true),
            V::bool(r.superuser),
            V::bool(false),
            V::bool(r.can_login),
            V::bool(false),
            V::i32(-1),
            V::text("********"),
            V::Text(None),
            V::bool(r.superuser),
            V::TextList(None),
            V::oid(r.oid),
        ]);
    }
    rows
}

fn pg_user_rows(principals: &Principals) -> Rows {
    let mut rows = Rows::new(PG_USER);
    for r in roles(principals).into_iter().filter(|r| r.can_login) {
        rows.push(vec![
            V::text(&r.name),
            V::oid(r.oid),
            V::bool(false),
            V::bool(r.superuser),
            V::bool(false),
            V::bool(r.superuser),
            V::text("********"),
            V::Text(None),
            V::TextList(None),
        ]);
    }
    rows
}

fn pg_authid_rows(principals: &Principals) -> Rows {
    let mut rows = Rows::new(PG_AUTHID);
    for r in roles(principals) {
        rows.push(vec![
            V::oid(r.oid),
            V::text(&r.name),
            V::bool(r.superuser),
            V::bool(true),
            V::bool(r.superuser),
            V::bool(false),
            V::bool(r.can_login),
            V::bool(false),
            V::bool(r.superuser),
            V::i32(-1),
            V::Text(r.verifier),
            V::Text(None),
        ]);
    }
    rows
}

/// `pg_roles`, `pg_user` and `pg_authid` (superusers only, as in PostgreSQL: it shows the
/// verifiers).
pub fn role_tables(
    store: &PrincipalStore,
    info: &Arc<SessionInfo>,
) -> Vec<(&'static str, Arc<dyn datafusion::datasource::TableProvider>)> {
    let make = |cols: &'static [Col], build: fn(&Principals) -> Rows, superuser_only: bool| {
        let store = store.clone();
        let info = info.clone();
        Arc::new(LazyTable::new(super::table::schema(cols), move || {
            let store = store.clone();
            // Rights as they are when the table is read, not when the catalog was built.
            let superuser = info.superuser();
            async move {
                if superuser_only && !superuser {
                    return Err(DataFusionError::External(Box::new(
                        EngineError::PermissionDenied(
                            "permission denied for table pg_authid".into(),
                        ),
                    )));
                }
                let principals = store.load().await.map_err(store_error)?;
                build(&principals).batch()
            }
            .boxed()
        })) as Arc<dyn datafusion::datasource::TableProvider>
    };
    vec![
        ("pg_roles", make(PG_ROLES, pg_roles_rows, false)),
        ("pg_user", make(PG_USER, pg_user_rows, false)),
        ("pg_authid", make(PG_AUTHID, pg_authid_rows, true)),
    ]
}

pub const PG_SETTINGS: &[Col] = &[
    ("name", Kind::Text, false),
    ("setting", Kind::Text, true),
    ("unit", Kind::Text, true),
    ("category", Kind::Text, true),
    ("short_desc", Kind::Text, true),
    ("extra_desc", Kind::Text, true),
    ("context", Kind::Text, true),
    ("vartype", Kind::Text, true),
    ("source", Kind::Text, true),
    ("min_val", Kind::Text, true),
    ("max_val", Kind::Text, true),
    ("enumvals", Kind::TextList, true),
    ("boot_val", Kind::Text, true),
    ("reset_val", Kind::Text, true),
    ("sourcefile", Kind::Text, true),
    ("sourceline", Kind::I32, true),
    ("pending_restart", Kind::Bool, false),
];

/// `pg_settings`: the session's parameters as they are now.
pub fn pg_settings(info: &Arc<SessionInfo>) -> Arc<dyn datafusion::datasource::TableProvider> {
    let info = info.clone();
    Arc::new(LazyTable::new(
        super::table::schema(PG_SETTINGS),
        move || {
            let entries = info.settings().all();
            async move {
                let mut rows = Rows::new(PG_SETTINGS);
                for (name, value, description) in entries {
                    rows.push(vec![
                        V::text(name),
                        V::text(value),
                        V::Text(None),
                        V::text("Lyceum"),
                        V::text(description),
                        V::Text(None),
                        V::text("user"),
                        V::text("string"),
                        V::text("session"),
                        V::Text(None),
                        V::Text(None),
                        V::TextList(None),
                        V::Text(None),
                        V::Text(None),
                        V::Text(None),
                        V::I32(None),
                        V::bool(false),
                    ]);
                }
                rows.batch()
            }
            .boxed()
        },
    ))
}

pub const PG_DATABASE: &[Col] = &[
    ("oid", Kind::Oid, false),
    ("datname", Kind::Name, false),
    ("datdba", Kind::Oid, false),
    ("encoding", Kind::I32, false),
    ("datlocprovider", Kind::Char, false),
    ("datistemplate", Kind::Bool, false),
    ("datallowconn", Kind::Bool, false),
    ("datconnlimit", Kind::I32, false),
    ("datfrozenxid", Kind::I32, false),
    ("datminmxid", Kind::I32, false),
    ("dattablespace", Kind::Oid, false),
    ("datcollate", Kind::Text, false),
    ("datctype", Kind::Text, false),
    ("daticulocale", Kind::Text, true),
    ("datcollversion", Kind::Text, true),
    ("datacl", Kind::TextList, true),
];

/// The one database, `lyceum` (encoding 6 is UTF8; tablespace 1663 is `pg_default`).
pub fn pg_database() -> Result<Rows> {
    let mut rows = Rows::new(PG_DATABASE);
    rows.push(vec![
        V::oid(oids::DATABASE_OID),
        V::text(CATALOG),
        V::oid(oids::OWNER_ROLE),
        V::i32(6),
        V::text("c"),
        V::bool(false),
        V::bool(true),
        V::i32(-1),
        V::i32(0),
        V::i32(0),
        V::oid(1663),
        V::text("C"),
        V::text("C"),
        V::Text(None),
        V::Text(None),
        V::TextList(None),
    ]);
    Ok(rows)
}

pub const PG_SHDESCRIPTION: &[Col] = &[
    ("objoid", Kind::Oid, false),
    ("classoid", Kind::Oid, false),
    ("description", Kind::Text, false),
];

/// The database's description (`\\l+`, `shobj_description`).
pub fn pg_shdescription_text() -> &'static str {
    "Lyceum: the university's education analytics warehouse"
}

pub fn pg_shdescription() -> Rows {
    let mut rows = Rows::new(PG_SHDESCRIPTION);
    rows.push(vec![
        V::oid(oids::DATABASE_OID),
        V::oid(oids::PG_DATABASE_OID),
        V::text(pg_shdescription_text()),
    ]);
    rows
}

pub const PG_STAT_ACTIVITY: &[Col] = &[
    ("datid", Kind::Oid, true),
    ("datname", Kind::Name, true),
    ("pid", Kind::I32, false),
    ("leader_pid", Kind::I32, true),
    ("usesysid", Kind::Oid, true),
    ("usename", Kind::Name, true),
    ("application_name", Kind::Text, true),
    ("client_addr", Kind::Text, true),
    ("client_hostname", Kind::Text, true),
    ("client_port", Kind::I32, true),
    ("backend_start", Kind::TimestampTz, true),
    ("xact_start", Kind::TimestampTz, true),
    ("query_start", Kind::TimestampTz, true),
    ("state_change", Kind::TimestampTz, true),
    ("wait_event_type", Kind::Text, true),
    ("wait_event", Kind::Text, true),
    ("state", Kind::Text, true),
    ("backend_xid", Kind::Text, true),
    ("backend_xmin", Kind::Text, true),
    ("query_id", Kind::I64, true),
    ("query", Kind::Text, true),
    ("backend_type", Kind::Text, true),
];

/// `pg_stat_activity`: one row per open session of this server. As in PostgreSQL, what
/// a session does (its query, state, client, times) is shown only to its own user and to
/// administrators; others see who and which pid, and `<insufficient privilege>`.
pub fn pg_stat_activity(
    registry: &Arc<crate::session::Registry>,
    viewer: &Arc<SessionInfo>,
) -> Arc<dyn datafusion::datasource::TableProvider> {
    let registry = registry.clone();
    let viewer = viewer.clone();
    Arc::new(LazyTable::new(
        super::table::schema(PG_STAT_ACTIVITY),
        move || {
            let sessions = registry.sessions();
            let admin = viewer.superuser();
            let me = viewer.user().to_string();
            async move {
                let mut rows = Rows::new(PG_STAT_ACTIVITY);
                for s in sessions {
                    let identity = s.identity();
                    if !admin && identity.name != me {
                        rows.push(hidden_activity(&s, &identity));
                        continue;
                    }
                    let activity = s.activity();
                    let client = s.client();
                    let (addr, port) = match client.as_deref().and_then(|c| c.rsplit_once(':')) {
                        Some((a, p)) => {
                            (Some(a.trim_matches(['[', ']']).to_string()), p.parse().ok())
                        }
                        None => (None, None),
                    };
                    let mut row = who(&s, &identity);
                    row.extend([
                        V::Text(addr),
                        V::Text(None),
                        V::I32(port),
                        V::Timestamp(Some(s.started_at)),
                        V::Timestamp(None),
                        V::Timestamp(activity.query_start),
                        V::Timestamp(activity.query_start),
                        V::Text(None),
                        V::Text(None),
                        V::text(activity.state),
                        V::Text(None),
                        V::Text(None),
                        V::I64(None),
                        V::text(activity.query),
                        V::text("client backend"),
                    ]);
                    rows.push(row);
                }
                rows.batch()
            }
            .boxed()
        },
    ))
}

/// The first columns of a session's `pg_stat_activity` row (`datid` .. `application_name`):
/// who it is, which everyone may see.
fn who(s: &SessionInfo, identity: &crate::auth::Identity) -> Vec<V> {
    let application = s.settings().get("application_name").unwrap_or_default();
    vec![
        V::oid(oids::DATABASE_OID),
        V::text(CATALOG),
        V::i32(s.pid),
        V::I32(None),
        V::oid(oids::pg(identity.oid)),
        V::text(&identity.name),
        V::text(application),
    ]
}

/// Another user's session as a non-administrator sees it in `pg_stat_activity`.
fn hidden_activity(s: &SessionInfo, identity: &crate::auth::Identity) -> Vec<V> {
    let mut row = who(s, identity);
    // client_addr .. backend_xmin, query_id: not the viewer's to see.
    row.extend([
        V::Text(None),
        V::Text(None),
        V::I32(None),
        V::Timestamp(None),
        V::Timestamp(None),
        V::Timestamp(None),
        V::Timestamp(None),
        V::Text(None),
        V::Text(None),
        V::Text(None),
        V::Text(None),
        V::Text(None),
        V::I64(None),
        V::text("<insufficient privilege>"),
        V::text("client backend"),
    ]);
    row
}

pub const PG_STAT_GSSAPI: &[Col] = &[
    ("pid", Kind::I32, false),
    ("gss_authenticated", Kind::Bool, false),
    ("principal", Kind::Text, true),
    ("encrypted", Kind::Bool, false),
];

/// `pg_stat_gssapi`: no session uses GSSAPI.
pub fn pg_stat_gssapi(
    registry: &Arc<crate::session::Registry>,
) -> Arc<dyn datafusion::datasource::TableProvider> {
    let registry = registry.clone();
    Arc::new(LazyTable::new(
        super::table::schema(PG_STAT_GSSAPI),
        move || {
            let sessions = registry.sessions();
            async move {
                let mut rows = Rows::new(PG_STAT_GSSAPI);
                for s in sessions {
                    rows.push(vec![
                        V::i32(s.pid),
                        V::bool(false),
                        V::Text(None),
                        V::bool(false),
                    ]);
                }
                rows.batch()
            }
            .boxed()
        },
    ))
}
