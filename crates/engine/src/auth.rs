//! Authentication, shared by every endpoint (Postgres wire, Flight SQL, HTTP).
//!
//! Users live in the warehouse ([`lyceum_catalog::principals`]) with SCRAM-SHA-256
//! verifiers. An endpoint proves a client's identity either with a SCRAM exchange
//! ([`Auth::scram_start`]) or, where the protocol carries a password (cleartext over TLS,
//! Flight's basic auth), with [`Auth::check_password`]. Both end in an [`Identity`], which
//! a [`Session`](crate::session::Session) is opened for. An unknown user and a wrong
//! password fail the same way, so that a client cannot tell which it was.

use lyceum_catalog::scram::ScramServerAwaitingFinal;
use lyceum_catalog::scram::random_password;
use lyceum_catalog::{
    MockAuthKey, PrincipalStore, Principals, ScramError, ScramServer, ScramVerifier,
};
use std::sync::atomic::{AtomicU64, Ordering};
use tracing::{info, warn};

use crate::error::{EngineError, Result};

/// Who a session runs as.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    pub name: String,
    /// May manage users.
    pub superuser: bool,
    /// The user's OID in the catalog (`pg_roles.oid`).
    pub oid: lyceum_catalog::Oid,
}

impl Identity {
    /// The operator on the command line (`lyceum sql`): whoever can read the warehouse's
    /// files directly is not checked again.
    pub fn local() -> Identity {
        Identity {
            name: "lyceum".into(),
            superuser: true,
            oid: 10,
        }
    }

    /// Whether this is [`Identity::local`], who is no stored user.
    pub fn is_local(&self) -> bool {
        *self == Identity::local()
    }
}

/// What [`Auth::bootstrap`] did.
#[derive(Debug, PartialEq, Eq)]
pub enum Bootstrap {
    /// Users existed already; nothing changed.
    Existing,
    /// The first admin was created with the password it was given.
    Created,
    /// The first admin was created with this random password (show it once).
    Generated(String),
}

/// A SCRAM exchange between its two messages.
pub struct ScramPending {
    identity: Option<Identity>,
    exchange: ScramServerAwaitingFinal,
}

/// Checks credentials against the warehouse's users.
pub struct Auth {
    store: PrincipalStore,
    mock: MockAuthKey,
    /// Bumped by every change of users through this process: sessions compare it at each
    /// statement and re-read their user's rights when it moved.
    generation: AtomicU64,
}

impl Auth {
    pub fn new(store: PrincipalStore) -> Self {
        Auth {
            store,
            mock: MockAuthKey::random(),
            generation: AtomicU64::new(0),
        }
    }

    /// Every user, as stored now.
    pub async fn principals(&self) -> Result<Principals> {
        Ok(self.store.load().await?)
    }

    /// Makes sure a superuser exists: when the warehouse has no users, creates `admin`
    /// with `password`, or with a random one that is returned to be shown once.
    pub async fn bootstrap(&self, admin: &str, password: Option<&str>) -> Result<Bootstrap> {
        if !self.store.load().await?.users.is_empty() {
            if password.is_some() {
                info!("users exist already: the admin password given at startup is not used");
            }
            return Ok(Bootstrap::Existing);
        }
        let generated = match password {
            Some(_) => None,
            None => Some(random_password(24)),
        };
        let chosen = password.or(generated.as_deref()).unwrap_or_default();
        let result = self
            .store
            .update(|p| {
                if p.users.is_empty() {
                    p.create_user(admin, chosen, true)
                } else {
                    Ok(())
                }
            })
            .await;
        match result {
            Ok(_) => {
                info!(user = admin, "created the first admin");
                Ok(generated.map_or(Bootstrap::Created, Bootstrap::Generated))
            }
            Err(e) => Err(e.into()),
        }
    }

    /// The identity of stored user `user` now (for a bearer token issued earlier), or
    /// `None` when the user no longer exists.
    pub async fn identity(&self, user: &str) -> Result<Option<Identity>> {
        Ok(self.lookup(user).await?.map(|(identity, _)| identity))
    }

    async fn lookup(&self, user: &str) -> Result<Option<(Identity, ScramVerifier)>> {
        let principals = self.store.load().await?;
        let Some(record) = principals.user(user) else {
            return Ok(None);
        };
        let verifier = match record.verifier() {
            Ok(v) => v,
            Err(e) => {
                // A corrupt verifier locks the user out; say why in the log, not to the client.
                warn!(user, error = %e, "stored verifier is unreadable");
                return Ok(None);
            }
        };
        let identity = Identity {
            name: user.to_string(),
            superuser: record.superuser,
            oid: record.oid,
        };
        Ok(Some((identity, verifier)))
    }

    /// Checks a cleartext password; `None` for a wrong password or an unknown user.
    pub async fn check_password(&self, user: &str, password: &str) -> Result<Option<Identity>> {
        Ok(match self.lookup(user).await? {
            Some((identity, verifier)) if verifier.verify_password(password) => Some(identity),
            _ => None,
        })
    }

    /// Reads a SCRAM client-first-message for `user`; returns the server-first-message.
    /// An unknown user gets a convincing exchange that fails at the end.
    pub async fn scram_start(
        &self,
        user: &str,
        client_first: &[u8],
    ) -> Result<(String, ScramPending)> {
        let found = self.lookup(user).await?;
        let started = match &found {
            Some((_, verifier)) => ScramServer::start(verifier, client_first),
            None => ScramServer::start_mock(&self.mock, user, client_first),
        };
        let (server_first, exchange) = started.map_err(EngineError::Authentication)?;
        Ok((
            server_first,
            ScramPending {
                identity: found.map(|(identity, _)| identity),
                exchange,
            },
        ))
    }

    /// Checks the client-final-message; returns the server-final-message and who logged in.
    pub fn scram_finish(pending: ScramPending, client_final: &[u8]) -> Result<(String, Identity)> {
        let server_final = pending
            .exchange
            .finish(client_final)
            .map_err(EngineError::Authentication)?;
        let identity = pending
            .identity
            .ok_or(EngineError::Authentication(ScramError::WrongPassword))?;
        Ok((server_final, identity))
    }

    /// `CREATE USER`, `ALTER USER`, `DROP USER`: only a superuser may.
    pub(crate) async fn change_users<F>(&self, by: &Identity, what: &str, change: F) -> Result<()>
    where
        F: FnMut(&mut Principals) -> lyceum_catalog::Result<()>,
    {
        if !by.superuser {
            return Err(EngineError::PermissionDenied(format!(
                "only a superuser may {what}"
            )));
        }
        let result = self.store.update(change).await;
        self.generation.fetch_add(1, Ordering::SeqCst);
        result?;
        Ok(())
    }

    /// How many times users changed through this process.
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::SeqCst)
    }

    /// `name`'s administrator rights as stored now; `None` once the user is dropped.
    pub async fn superuser(&self, name: &str) -> Result<Option<bool>> {
        Ok(self.store.load().await?.user(name).map(|u| u.superuser))
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use object_store::memory::InMemory;
    use object_store::path::Path;
    use postgres_protocol::authentication::sasl::{ChannelBinding, ScramSha256};

    use super::*;

    fn auth() -> Auth {
        Auth::new(PrincipalStore::new(
            Arc::new(InMemory::new()),
            &Path::from("wh"),
        ))
    }

    async fn scram_login(auth: &Auth, user: &str, password: &str) -> Result<Identity> {
        let mut client = ScramSha256::new(password.as_bytes(), ChannelBinding::unsupported());
        let (first, pending) = auth.scram_start(user, client.message()).await?;
        client
            .update(first.as_bytes())
            .map_err(|e| EngineError::Internal(e.to_string()))?;
        let (last, identity) = Auth::scram_finish(pending, client.message())?;
        client
            .finish(last.as_bytes())
            .map_err(|e| EngineError::Internal(e.to_string()))?;
        Ok(identity)
    }

    #[tokio::test]
    async fn bootstrap_creates_one_admin_once() -> Result<()> {
        let auth = auth();
        let Bootstrap::Generated(password) = auth.bootstrap("admin", None).await? else {
            panic!("expected a generated password");
        };
        assert!(password.len() >= 20);
        assert_eq!(
            auth.bootstrap("admin", Some("other")).await?,
            Bootstrap::Existing
        );
        let admin = auth.check_password("admin", &password).await?;
        let admin = admin.expect("admin logs in");
        assert_eq!((admin.name.as_str(), admin.superuser), ("admin", true));
        assert!(admin.oid >= lyceum_catalog::principals::FIRST_ROLE_OID);
        assert_eq!(auth.check_password("admin", "other").await?, None);
        Ok(())
    }

    #[tokio::test]
    async fn scram_logs_in_known_users_only() -> Result<()> {
        let auth = auth();
        auth.bootstrap("admin", Some("pw")).await?;
        let admin = scram_login(&auth, "admin", "pw").await?;
        assert!(admin.superuser);
        assert!(matches!(
            scram_login(&auth, "admin", "nope").await,
            Err(EngineError::Authentication(ScramError::WrongPassword))
        ));
        assert!(matches!(
            scram_login(&auth, "ghost", "pw").await,
            Err(EngineError::Authentication(ScramError::WrongPassword))
        ));
        Ok(())
    }

    #[tokio::test]
    async fn only_superusers_change_users() -> Result<()> {
        let auth = auth();
        auth.bootstrap("admin", Some("pw")).await?;
        let admin = Identity {
            name: "admin".into(),
            superuser: true,
            oid: lyceum_catalog::principals::FIRST_ROLE_OID,
        };
        auth.change_users(&admin, "create users", |p| {
            p.create_user("analyst", "a", false)
        })
        .await?;
        let analyst = auth
            .check_password("analyst", "a")
            .await?
            .expect("analyst logs in");
        let denied = auth
            .change_users(&analyst, "create users", |p| p.create_user("x", "x", false))
            .await;
        assert!(matches!(denied, Err(EngineError::PermissionDenied(_))));
        Ok(())
    }
}
