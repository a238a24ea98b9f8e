//! Who is calling and which engine session their call runs in.
//!
//! Flight SQL calls are independent gRPC requests; a Handshake with HTTP Basic
//! credentials opens an engine [`Session`] and returns a bearer token naming it, so every
//! later call with that token (on any connection, until it expires) runs in the same
//! session: its settings, `lyceum.as_of` and prepared statements carry over. A call that
//! sends Basic credentials instead runs in a session of its own that ends with the call
//! (JDBC-style clients send only a user and a password), and is told a bearer token for
//! later calls.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use base64::Engine as _;
use base64::alphabet;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use lyceum_engine::auth::Identity;
use lyceum_engine::session::{Engine, Session};

use crate::lifecycle::{Admission, Slot};
use tokio::sync::Mutex;
use tonic::Status;
use tonic::metadata::MetadataMap;
use tracing::{debug, info};

use super::status;
use super::token::{Bearer, Refused, Signer, now_secs};

/// One engine session, shared by the calls of one bearer token.
pub(crate) type SharedSession = Arc<Mutex<Session>>;

/// The caller of one request, authenticated.
pub(crate) struct Caller {
    pub identity: Identity,
    pub session: SharedSession,
    /// A bearer token to send back when the caller authenticated with Basic credentials.
    pub issued: Option<String>,
}

struct Entry {
    session: SharedSession,
    /// The session's place under `--max-connections`, freed with it.
    _slot: Slot,
    user: String,
    expires: u64,
}

/// The Flight endpoint's sessions, by the id their tokens carry.
pub(crate) struct Sessions {
    engine: Arc<Engine>,
    /// Places under `--max-connections`, shared with the Postgres wire.
    admission: Arc<Admission>,
    signer: Signer,
    ttl: Duration,
    next: AtomicU64,
    open: std::sync::Mutex<HashMap<u64, Entry>>,
    /// Sessions opened by Basic credentials, by (user, client address): the calls of one
    /// connection that each send user and password (JDBC-based tools) share one session,
    /// as a Postgres connection does, instead of opening one per call.
    basic: std::sync::Mutex<HashMap<(String, SocketAddr), (u64, String)>>,
}

impl Sessions {
    pub(crate) fn new(engine: Arc<Engine>, admission: Arc<Admission>, ttl: Duration) -> Self {
        Sessions {
            engine,
            admission,
            signer: Signer::random(),
            ttl,
            next: AtomicU64::new(1),
            open: std::sync::Mutex::new(HashMap::new()),
            basic: std::sync::Mutex::new(HashMap::new()),
        }
    }

    pub(crate) fn signer(&self) -> &Signer {
        &self.signer
    }

    /// Checks `user`/`password`, opens a session for them and returns its bearer token.
    pub(crate) async fn log_in(&self, user: &str, password: &str) -> Result<String, Status> {
        let identity = self.check_password(user, password).await?;
        let (_, token) = self.open_session(identity)?;
        Ok(token)
    }

    /// The caller of a request, from its `authorization` header: a bearer token from a
    /// Handshake, or Basic credentials (sent from `peer`, when known).
    pub(crate) async fn caller(
        &self,
        metadata: &MetadataMap,
        peer: Option<SocketAddr>,
    ) -> Result<Caller, Status> {
        self.expire();
        let header = metadata
            .get("authorization")
            .ok_or_else(|| {
                Status::unauthenticated(
                    "no credentials: send a bearer token from Handshake, or Basic credentials",
                )
            })?
            .to_str()
            .map_err(|_| Status::unauthenticated("the authorization header is not text"))?;
        if let Some(token) = strip_scheme(header, "Bearer") {
            return self.bearer(token).await;
        }
        if let Some(encoded) = strip_scheme(header, "Basic") {
            let (user, password) = basic_credentials(encoded)?;
            let identity = self.check_password(&user, &password).await?;
            if let Some(peer) = peer
                && let Some((session, token)) = self.basic_session(&user, peer)
            {
                return Ok(Caller {
                    identity,
                    session,
                    issued: Some(token),
                });
            }
            let (session, token) = self.open_session(identity.clone())?;
            if let Some(peer) = peer
                && let Ok(bearer) = Bearer::decode(&self.signer, &token)
                && let Ok(mut basic) = self.basic.lock()
            {
                basic.insert((user, peer), (bearer.session, token.clone()));
            }
            return Ok(Caller {
                identity,
                session,
                issued: Some(token),
            });
        }
        Err(Status::unauthenticated(
            "unsupported authorization scheme: use Bearer or Basic",
        ))
    }

    async fn bearer(&self, token: &str) -> Result<Caller, Status> {
        let bearer = Bearer::decode(&self.signer, token).map_err(|e| match e {
            Refused::Expired => {
                Status::unauthenticated("the bearer token has expired: authenticate again")
            }
            Refused::Forged => Status::unauthenticated("the bearer token is not valid"),
        })?;
        // A user dropped since the token was issued is refused.
        let identity = self
            .engine
            .auth()
            .identity(&bearer.user)
            .await
            .map_err(|e| status::engine(&e))?
            .ok_or_else(|| {
                Status::unauthenticated(format!("role \"{}\" does not exist", bearer.user))
            })?;
        let existing = self.with_open(|open| {
            open.get(&bearer.session)
                .filter(|e| e.user == bearer.user)
                .map(|e| e.session.clone())
        });
        let session = match existing {
            Some(found) => found,
            // The token is valid but its session is gone (closed, or expired with the
            // clock at the edge): continue in a new one under the same id.
            None => self.register(identity.clone(), &bearer)?,
        };
        Ok(Caller {
            identity,
            session,
            issued: None,
        })
    }

    async fn check_password(&self, user: &str, password: &str) -> Result<Identity, Status> {
        match self.engine.auth().check_password(user, password).await {
            Ok(Some(identity)) => Ok(identity),
            Ok(None) => {
                info!(user, "flight authentication failed");
                Err(Status::unauthenticated(format!(
                    "password authentication failed for user \"{user}\""
                )))
            }
            Err(e) => Err(status::engine(&e)),
        }
    }

    fn open_session(&self, identity: Identity) -> Result<(SharedSession, String), Status> {
        let id = self.next.fetch_add(1, Ordering::Relaxed);
        let bearer = Bearer::new(&identity.name, id, self.ttl);
        let session = self.register(identity, &bearer)?;
        debug!(user = %bearer.user, session = id, "flight session opened");
        Ok((session, bearer.encode(&self.signer)))
    }

    /// A new engine session for `identity`, kept under the id `bearer` names.
    fn register(&self, identity: Identity, bearer: &Bearer) -> Result<SharedSession, Status> {
        self.expire();
        let slot = self.admission.admit().ok_or_else(|| {
            status::with_sqlstate(
                tonic::Code::ResourceExhausted,
                "53300",
                "sorry, too many clients already".into(),
            )
        })?;
        let session = self
            .engine
            .session(identity)
            .map_err(|e| status::engine(&e))?;
        let session = Arc::new(Mutex::new(session));
        self.with_open(|open| {
            open.insert(
                bearer.session,
                Entry {
                    session: session.clone(),
                    _slot: slot,
                    user: bearer.user.clone(),
                    expires: bearer.expires,
                },
            )
        });
        Ok(session)
    }

    /// The session Basic credentials of `user` from `peer` opened before, if it is open.
    fn basic_session(&self, user: &str, peer: SocketAddr) -> Option<(SharedSession, String)> {
        let (id, token) = self
            .basic
            .lock()
            .ok()?
            .get(&(user.to_string(), peer))
            .cloned()?;
        let session = self.with_open(|open| {
            open.get(&id)
                .filter(|e| e.user == user)
                .map(|e| e.session.clone())
        })?;
        Some((session, token))
    }

    /// Ends the sessions whose tokens have expired.
    fn expire(&self) {
        let now = now_secs();
        let live: std::collections::HashSet<u64> = self.with_open(|open| {
            open.retain(|_, e| e.expires > now);
            open.keys().copied().collect()
        });
        if let Ok(mut basic) = self.basic.lock() {
            basic.retain(|_, (id, _)| live.contains(id));
        }
    }

    fn with_open<T>(&self, f: impl FnOnce(&mut HashMap<u64, Entry>) -> T) -> T {
        let mut open = self
            .open
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        f(&mut open)
    }
}

/// The rest of `header` after `scheme` and a space (the scheme case-insensitively).
fn strip_scheme<'a>(header: &'a str, scheme: &str) -> Option<&'a str> {
    let (given, rest) = header.split_once(' ')?;
    given.eq_ignore_ascii_case(scheme).then_some(rest.trim())
}

/// Base64 with or without padding: Go's Flight client (under ADBC) sends none.
const BASIC: GeneralPurpose = GeneralPurpose::new(
    &alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// `user:password` from the base64 of HTTP Basic.
pub(crate) fn basic_credentials(encoded: &str) -> Result<(String, String), Status> {
    let bytes = BASIC
        .decode(encoded.trim())
        .map_err(|_| Status::unauthenticated("Basic credentials are not base64"))?;
    let text = String::from_utf8(bytes)
        .map_err(|_| Status::unauthenticated("Basic credentials are not UTF-8"))?;
    let (user, password) = text
        .split_once(':')
        .ok_or_else(|| Status::unauthenticated("Basic credentials lack a ':'"))?;
    Ok((user.to_string(), password.to_string()))
}

/// The `authorization` header value clients send with a bearer token.
pub(crate) fn bearer_header(token: &str) -> String {
    format!("Bearer {token}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basic_credentials_split_at_the_first_colon() {
        let encoded = BASIC.encode("alice:pa:ss");
        assert!(encoded.ends_with('='), "padded: {encoded}");
        assert_eq!(
            basic_credentials(encoded.trim_end_matches('=')).expect("decodes unpadded"),
            ("alice".to_string(), "pa:ss".to_string())
        );
        assert_eq!(
            basic_credentials(&encoded).expect("decodes"),
            ("alice".to_string(), "pa:ss".to_string())
        );
        assert!(basic_credentials("!!!").is_err());
        assert!(basic_credentials(&BASIC.encode("nocolon")).is_err());
        assert_eq!(strip_scheme("bearer abc", "Bearer"), Some("abc"));
        assert_eq!(strip_scheme("Basic", "Basic"), None);
    }
}
