//! Who may connect: users and their SCRAM-SHA-256 verifiers, persisted in the warehouse.
//!
//! One JSON document per revision at `_lyceum/principals/{revision:020}.json`, a
//! [`VersionedLog`] like warehouse versions, so two servers changing users at once cannot
//! lose each other's change: the loser re-reads and re-applies its change.
//!
//! ```json
//! { "format_version": 2, "revision": 2, "changed_at": "2026-12-01T10:00:00Z",
//!   "change": "create user analyst", "next_oid": 1100000002,
//!   "users": { "admin":   { "verifier": "SCRAM-SHA-256$4096:<salt>$<StoredKey>:<ServerKey>",
//!                           "superuser": true,  "created_at": "...", "oid": 1100000000 },
//!              "analyst": { "verifier": "SCRAM-SHA-256$...", "superuser": false,
//!                           "created_at": "...", "oid": 1100000001 } } }
//! ```
//!
//! Only verifiers are stored, never passwords (see [`crate::scram`]). Old revisions are
//! kept: they are the history of who could log in when.
//!
//! Every user gets an OID once (`next_oid` only grows, so a dropped user's OID is never
//! reused). Format 1 had no OIDs: its users keep the OID that release derived from their
//! name, stored with the next revision.

use std::collections::BTreeMap;
use std::sync::Arc;

use object_store::ObjectStore;
use object_store::path::Path;
use serde::{Deserialize, Serialize};

use crate::error::{CatalogError, Result};
use crate::log::VersionedLog;
use crate::scram::ScramVerifier;
use crate::version::{Oid, stable_hash};

/// The principals format this build writes and the newest it reads.
pub const PRINCIPALS_FORMAT_VERSION: u32 = 2;

/// Where users' OIDs start: above the range format 1 derived from names.
pub const FIRST_ROLE_OID: Oid = 1_100_000_000;

/// How often an update is retried when another writer changed the users first.
const UPDATE_ATTEMPTS: u32 = 8;

/// Longest user name PostgreSQL accepts (`NAMEDATALEN - 1`).
const MAX_NAME_LEN: usize = 63;

/// One user as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UserRecord {
    /// `SCRAM-SHA-256$...`, PostgreSQL's `rolpassword` format.
    pub verifier: String,
    /// May manage users (and, later, grants).
    pub superuser: bool,
    /// RFC 3339, UTC.
    pub created_at: String,
    /// Given once; 0 only in format 1 documents, until [`Principals::from_stored`] fills it.
    #[serde(default)]
    pub oid: Oid,
}

impl UserRecord {
    pub fn verifier(&self) -> Result<ScramVerifier> {
        self.verifier.parse()
    }
}

/// Every user at one revision.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Principals {
    pub format_version: u32,
    /// 0 for a warehouse that has no users yet (nothing is stored for it).
    pub revision: u64,
    pub changed_at: String,
    /// What the revision changed, for the history (`create user x`).
    pub change: String,
    pub users: BTreeMap<String, UserRecord>,
    /// The next user OID to hand out.
    #[serde(default)]
    pub next_oid: Oid,
}

impl Principals {
    fn empty() -> Self {
        Principals {
            format_version: PRINCIPALS_FORMAT_VERSION,
            revision: 0,
            changed_at: String::new(),
            change: String::new(),
            users: BTreeMap::new(),
            next_oid: FIRST_ROLE_OID,
        }
    }

    /// Decodes a stored revision, upgrading format 1 (users without OIDs) in memory.
    fn from_stored(value: serde_json::Value, path: &str) -> Result<Self> {
        let mut p: Principals =
            serde_json::from_value(value).map_err(|e| CatalogError::Corrupt {
                path: path.to_string(),
                message: e.to_string(),
            })?;
        for (name, user) in p.users.iter_mut() {
            if user.oid == 0 {
                user.oid = legacy_role_oid(name);
            }
        }
        p.next_oid = p.next_oid.max(FIRST_ROLE_OID);
        p.format_version = PRINCIPALS_FORMAT_VERSION;
        Ok(p)
    }

    pub fn user(&self, name: &str) -> Option<&UserRecord> {
        self.users.get(name)
    }

    /// Adds a user; an error if the name is taken or not a valid role name.
    pub fn create_user(&mut self, name: &str, password: &str, superuser: bool) -> Result<()> {
        check_name(name)?;
        check_password(password)?;
        if self.users.contains_key(name) {
            return Err(CatalogError::UserExists { name: name.into() });
        }
        let oid = self.next_oid;
        self.next_oid += 1;
        self.users.insert(
            name.to_string(),
            UserRecord {
                verifier: ScramVerifier::from_password(password).to_string(),
                superuser,
                created_at: now(),
                oid,
            },
        );
        self.change = format!("create user {name}");
        Ok(())
    }

    /// Replaces a user's password and/or superuser flag.
    pub fn alter_user(
        &mut self,
        name: &str,
        password: Option<&str>,
        superuser: Option<bool>,
    ) -> Result<()> {
        let user = self
            .users
            .get_mut(name)
            .ok_or_else(|| CatalogError::NoSuchUser { name: name.into() })?;
        if let Some(password) = password {
            check_password(password)?;
            user.verifier = ScramVerifier::from_password(password).to_string();
        }
        if let Some(superuser) = superuser {
            user.superuser = superuser;
        }
        self.change = format!("alter user {name}");
        Ok(())
    }

    /// Removes a user. The last superuser cannot be dropped: nobody could manage users.
    pub fn drop_user(&mut self, name: &str) -> Result<()> {
        let record = self
            .users
            .get(name)
            .ok_or_else(|| CatalogError::NoSuchUser { name: name.into() })?;
        if record.superuser && self.users.values().filter(|u| u.superuser).count() == 1 {
            return Err(CatalogError::InvalidUser {
                message: format!("cannot drop \"{name}\": it is the last superuser"),
            });
        }
        self.users.remove(name);
        self.change = format!("drop user {name}");
        Ok(())
    }
}

/// Role names as PostgreSQL allows them: 1 to 63 bytes, no NUL. Names starting with
/// `pg_` are reserved for system roles, as in PostgreSQL.
fn check_name(name: &str) -> Result<()> {
    let invalid = |message: String| Err(CatalogError::InvalidUser { message });
    if name.is_empty() {
        return invalid("a role name must not be empty".into());
    }
    if name.len() > MAX_NAME_LEN {
        return invalid(format!(
            "role name \"{name}\" is longer than {MAX_NAME_LEN} bytes"
        ));
    }
    if name.contains('\0') {
        return invalid("a role name must not contain NUL".into());
    }
    if name.starts_with("pg_") {
        return invalid(format!(
            "role name \"{name}\" is reserved: names starting with \"pg_\" are for system roles"
        ));
    }
    Ok(())
}

fn check_password(password: &str) -> Result<()> {
    if password.is_empty() {
        return Err(CatalogError::InvalidUser {
            message: "a password must not be empty".into(),
        });
    }
    Ok(())
}

fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// The OID format 1's release showed for a user: a hash of the name, above 20000.
pub fn legacy_role_oid(name: &str) -> Oid {
    20_000 + stable_hash(name) % 1_000_000_000
}

/// Reads and commits [`Principals`] revisions.
#[derive(Debug, Clone)]
pub struct PrincipalStore {
    log: VersionedLog,
}

impl PrincipalStore {
    /// `root` is the warehouse's path inside `store` (empty for the store's root).
    pub fn new(store: Arc<dyn ObjectStore>, root: &Path) -> Self {
        let dir = root.clone().join("_lyceum").join("principals");
        PrincipalStore {
            log: VersionedLog::new(store, dir, PRINCIPALS_FORMAT_VERSION),
        }
    }

    /// The newest revision (an empty one, revision 0, if no user was ever created).
    pub async fn load(&self) -> Result<Principals> {
        match self.log.latest().await? {
            Some(revision) => self.get(revision).await,
            None => Ok(Principals::empty()),
        }
    }

    async fn get(&self, revision: u64) -> Result<Principals> {
        let path = self.log.entry_path(revision).to_string();
        let (_, value) =
            self.log
                .get_value(revision)
                .await?
                .ok_or_else(|| CatalogError::Corrupt {
                    path: path.clone(),
                    message: "the revision disappeared".into(),
                })?;
        let principals = Principals::from_stored(value, &path)?;
        if principals.revision != revision {
            return Err(CatalogError::Corrupt {
                path,
                message: format!(
                    "it says revision {} but is stored as {revision}",
                    principals.revision
                ),
            });
        }
        Ok(principals)
    }

    /// Applies `change` to the newest revision and commits the result as the next one;
    /// when another writer commits first, re-reads and applies `change` again.
    pub async fn update<F>(&self, mut change: F) -> Result<Principals>
    where
        F: FnMut(&mut Principals) -> Result<()>,
    {
        for _ in 0..UPDATE_ATTEMPTS {
            let current = self.load().await?;
            let mut next = current.clone();
            change(&mut next)?;
            if next.users == current.users {
                return Ok(current);
            }
            next.revision += 1;
            next.format_version = PRINCIPALS_FORMAT_VERSION;
            next.changed_at = now();
            if self.log.create(next.revision, &next).await? {
                tracing::info!(revision = next.revision, change = %next.change, "users changed");
                return Ok(next);
            }
            tracing::debug!(
                revision = next.revision,
                "another writer changed the users first; retrying"
            );
        }
        Err(CatalogError::PrincipalsContended {
            attempts: UPDATE_ATTEMPTS,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use object_store::memory::InMemory;

    fn store() -> PrincipalStore {
        PrincipalStore::new(Arc::new(InMemory::new()), &Path::from("wh"))
    }

    #[tokio::test]
    async fn users_are_created_altered_and_dropped() -> Result<()> {
        let store = store();
        assert_eq!(store.load().await?.revision, 0);
        store
            .update(|p| p.create_user("admin", "s3cret", true))
            .await?;
        let p = store
            .update(|p| p.create_user("analyst", "pw1", false))
            .await?;
        assert_eq!(p.revision, 2);
        let loaded = store.load().await?;
        assert_eq!(loaded, p);
        let analyst = loaded.user("analyst").expect("analyst exists");
        assert!(!analyst.superuser);
        assert!(analyst.verifier()?.verify_password("pw1"));
        assert!(!analyst.verifier()?.verify_password("pw2"));
        // The document holds verifiers, never the passwords.
        let raw = serde_json::to_string(&loaded).expect("json");
        assert!(!raw.contains("pw1") && !raw.contains("s3cret"));

        store
            .update(|p| p.alter_user("analyst", Some("pw2"), None))
            .await?;
        let analyst = store.load().await?.users["analyst"].verifier()?;
        assert!(analyst.verify_password("pw2"));

        let taken = store.update(|p| p.create_user("analyst", "x", false)).await;
        assert!(matches!(taken, Err(CatalogError::UserExists { .. })));
        let last = store.update(|p| p.drop_user("admin")).await;
        assert!(matches!(last, Err(CatalogError::InvalidUser { .. })));
        store.update(|p| p.drop_user("analyst")).await?;
        let missing = store.update(|p| p.drop_user("analyst")).await;
        assert!(matches!(missing, Err(CatalogError::NoSuchUser { .. })));
        assert_eq!(
            store.load().await?.users.keys().collect::<Vec<_>>(),
            ["admin"]
        );
        Ok(())
    }

    #[tokio::test]
    async fn bad_names_and_passwords_are_refused() {
        let mut p = Principals::empty();
        assert!(p.create_user("", "x", false).is_err());
        assert!(p.create_user("pg_monitor", "x", false).is_err());
        assert!(p.create_user(&"a".repeat(64), "x", false).is_err());
        assert!(p.create_user("ok", "", false).is_err());
        assert!(p.create_user("ok", "x", false).is_ok());
    }

    #[tokio::test]
    async fn concurrent_updates_lose_nothing() -> Result<()> {
        let store = store();
        store.update(|p| p.create_user("admin", "pw", true)).await?;
        let mut tasks = Vec::new();
        for i in 0..6 {
            let store = store.clone();
            tasks.push(tokio::spawn(async move {
                store
                    .update(|p| p.create_user(&format!("u{i}"), "pw", false))
                    .await
            }));
        }
        for task in tasks {
            task.await.expect("task")?;
        }
        let p = store.load().await?;
        assert_eq!(p.users.len(), 7);
        assert_eq!(p.revision, 7);
        Ok(())
    }
}
