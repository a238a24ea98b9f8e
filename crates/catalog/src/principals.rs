//! Who may connect: users and their SCRAM-SHA-256 verifiers, persisted in the warehouse.
//!
//! One JSON document per revision at `_lyceum/principals/{revision:020}.json`, written with
//! a create-if-absent put like warehouse versions, so two servers changing users at once
//! cannot lose each other's change: the loser re-reads and re-applies its change.
//!
//! ```json
//! { "format_version": 1, "revision": 2, "changed_at": "2026-12-01T10:00:00Z",
//!   "change": "create user analyst",
//!   "users": { "admin":   { "verifier": "SCRAM-SHA-256$4096:<salt>$<StoredKey>:<ServerKey>",
//!                           "superuser": true,  "created_at": "..." },
//!              "analyst": { "verifier": "SCRAM-SHA-256$...", "superuser": false, "created_at": "..." } } }
//! ```
//!
//! Only verifiers are stored, never passwords (see [`crate::scram`]). Old revisions are
//! kept: they are the history of who could log in when.

use std::collections::BTreeMap;
use std::sync::Arc;

use futures::TryStreamExt;
use object_store::path::Path;
use object_store::{ObjectStore, ObjectStoreExt, PutMode, PutOptions, PutPayload};
use serde::{Deserialize, Serialize};

use crate::error::{CatalogError, Result};
use crate::scram::ScramVerifier;

/// The principals format this build writes and the newest it reads.
pub const PRINCIPALS_FORMAT_VERSION: u32 = 1;

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
}

impl Principals {
    fn empty() -> Self {
        Principals {
            format_version: PRINCIPALS_FORMAT_VERSION,
            revision: 0,
            changed_at: String::new(),
            change: String::new(),
            users: BTreeMap::new(),
        }
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
        self.users.insert(
            name.to_string(),
            UserRecord {
                verifier: ScramVerifier::from_password(password).to_string(),
                superuser,
                created_at: now(),
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

/// Reads and commits [`Principals`] revisions.
#[derive(Debug, Clone)]
pub struct PrincipalStore {
    store: Arc<dyn ObjectStore>,
    dir: Path,
}

impl PrincipalStore {
    /// `root` is the warehouse's path inside `store` (empty for the store's root).
    pub fn new(store: Arc<dyn ObjectStore>, root: &Path) -> Self {
        let dir = root.clone().join("_lyceum").join("principals");
        PrincipalStore { store, dir }
    }

    fn path_of(&self, revision: u64) -> Path {
        self.dir.clone().join(format!("{revision:020}.json"))
    }

    fn store_error(&self, path: &Path, source: object_store::Error) -> CatalogError {
        CatalogError::Store {
            path: path.to_string(),
            source,
        }
    }

    /// The newest revision (an empty one, revision 0, if no user was ever created).
    pub async fn load(&self) -> Result<Principals> {
        let metas: Vec<_> = self
            .store
            .list(Some(&self.dir))
            .try_collect()
            .await
            .map_err(|e| self.store_error(&self.dir, e))?;
        let latest = metas
            .iter()
            .filter_map(|m| m.location.filename()?.strip_suffix(".json")?.parse().ok())
            .max();
        match latest {
            Some(revision) => self.get(revision).await,
            None => Ok(Principals::empty()),
        }
    }

    async fn get(&self, revision: u64) -> Result<Principals> {
        let path = self.path_of(revision);
        let bytes = match self.store.get(&path).await {
            Ok(r) => r.bytes().await,
            Err(e) => Err(e),
        }
        .map_err(|e| self.store_error(&path, e))?;
        let corrupt = |message: String| CatalogError::Corrupt {
            path: path.to_string(),
            message,
        };
        let value: serde_json::Value =
            serde_json::from_slice(&bytes).map_err(|e| corrupt(e.to_string()))?;
        let found = value
            .get("format_version")
            .and_then(|v| v.as_u64())
            .unwrap_or(0) as u32;
        if found == 0 || found > PRINCIPALS_FORMAT_VERSION {
            return Err(CatalogError::UnsupportedFormat {
                path: path.to_string(),
                found,
                supported: PRINCIPALS_FORMAT_VERSION,
            });
        }
        let principals: Principals =
            serde_json::from_value(value).map_err(|e| corrupt(e.to_string()))?;
        if principals.revision != revision {
            return Err(corrupt(format!(
                "it says revision {} but is stored as {revision}",
                principals.revision
            )));
        }
        Ok(principals)
    }

    /// Writes `next` as revision `next.revision` unless that revision exists already.
    /// Returns `false` when another writer took the revision first.
    async fn commit(&self, next: &Principals) -> Result<bool> {
        let path = self.path_of(next.revision);
        let json = serde_json::to_vec_pretty(next).map_err(|e| CatalogError::Corrupt {
            path: path.to_string(),
            message: e.to_string(),
        })?;
        let opts = PutOptions {
            mode: PutMode::Create,
            ..Default::default()
        };
        match self
            .store
            .put_opts(&path, PutPayload::from(json), opts)
            .await
        {
            Ok(_) => Ok(true),
            Err(object_store::Error::AlreadyExists { .. })
            | Err(object_store::Error::Precondition { .. }) => Ok(false),
            Err(e) => Err(self.store_error(&path, e)),
        }
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
            if self.commit(&next).await? {
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
