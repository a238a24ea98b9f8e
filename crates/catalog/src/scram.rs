//! SCRAM-SHA-256 password verifiers and the server side of the SASL exchange
//! (RFC 5802, RFC 7677), compatible with PostgreSQL and its clients.
//!
//! We store only what PostgreSQL stores in `pg_authid.rolpassword`:
//! `SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>` (all base64). That is enough
//! to check a client's proof but, unlike the SaltedPassword, not enough to log in as the
//! user. Passwords go through SASLprep first; a password SASLprep rejects is used as it is,
//! as PostgreSQL does, so verifiers made by either side agree.
//!
//! An exchange: [`ScramServer::start`] takes the client-first-message and returns the
//! server-first-message; [`ScramServerAwaitingFinal::finish`] takes the
//! client-final-message and returns the server-final-message. For a user that does not
//! exist, [`ScramServer::start_mock`] runs the same exchange and fails at the end exactly
//! like a wrong password would.

use std::borrow::Cow;
use std::fmt;
use std::str::FromStr;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use hmac::{Hmac, KeyInit, Mac};
use rand::{Rng as _, RngCore as _};
use sha2::{Digest as _, Sha256};
use subtle::ConstantTimeEq as _;

use crate::error::CatalogError;

type HmacSha256 = Hmac<Sha256>;

/// The verifier's mechanism prefix, as PostgreSQL writes it.
const PREFIX: &str = "SCRAM-SHA-256";
/// Bytes of random salt in a new verifier (PostgreSQL's `SCRAM_DEFAULT_SALT_LEN`).
const SALT_LEN: usize = 16;
/// Random bytes in the server's part of the nonce (PostgreSQL's `SCRAM_RAW_NONCE_LEN`).
const SERVER_NONCE_LEN: usize = 18;

/// Why a SCRAM exchange failed.
#[derive(Debug, thiserror::Error)]
pub enum ScramError {
    /// The proof does not match: a wrong password, or a user that does not exist.
    #[error("password authentication failed")]
    WrongPassword,
    /// A message that does not follow RFC 5802.
    #[error("malformed SCRAM message: {0}")]
    Malformed(String),
    /// A well-formed request for something this server does not do (channel binding,
    /// an authorization identity, a mandatory extension).
    #[error("unsupported SCRAM request: {0}")]
    Unsupported(String),
}

/// A SCRAM-SHA-256 verifier in PostgreSQL's format. It never holds the password.
#[derive(Clone)]
pub struct ScramVerifier {
    iterations: u32,
    salt: Vec<u8>,
    stored_key: [u8; 32],
    server_key: [u8; 32],
}

impl ScramVerifier {
    /// PostgreSQL's default `scram_iterations`.
    pub const DEFAULT_ITERATIONS: u32 = 4096;

    /// A verifier for `password` with a fresh random salt and the default iterations.
    pub fn from_password(password: &str) -> Self {
        let mut salt = vec![0u8; SALT_LEN];
        rand::rng().fill_bytes(&mut salt);
        Self::derive(password, salt, Self::DEFAULT_ITERATIONS)
    }

    fn derive(password: &str, salt: Vec<u8>, iterations: u32) -> Self {
        let salted = salted_password(password, &salt, iterations);
        let client_key = hmac(&salted, b"Client Key");
        ScramVerifier {
            iterations,
            stored_key: sha256(&client_key),
            server_key: hmac(&salted, b"Server Key"),
            salt,
        }
    }

    /// Whether `password` is the one this verifier was made from (for cleartext
    /// password authentication). Compares in constant time.
    pub fn verify_password(&self, password: &str) -> bool {
        let salted = salted_password(password, &self.salt, self.iterations);
        let stored_key = sha256(&hmac(&salted, b"Client Key"));
        stored_key.ct_eq(&self.stored_key).into()
    }

    pub fn iterations(&self) -> u32 {
        self.iterations
    }
}

/// Shows the iterations only: the keys let anyone who has them guess passwords offline.
impl fmt::Debug for ScramVerifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ScramVerifier")
            .field("iterations", &self.iterations)
            .finish_non_exhaustive()
    }
}

impl fmt::Display for ScramVerifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{PREFIX}${}:{}${}:{}",
            self.iterations,
            BASE64.encode(&self.salt),
            BASE64.encode(self.stored_key),
            BASE64.encode(self.server_key)
        )
    }
}

impl FromStr for ScramVerifier {
    type Err = CatalogError;

    fn from_str(s: &str) -> Result<Self, CatalogError> {
        let invalid = |reason: &str| CatalogError::InvalidVerifier {
            reason: reason.to_string(),
        };
        let rest = s
            .strip_prefix(PREFIX)
            .and_then(|r| r.strip_prefix('$'))
            .ok_or_else(|| invalid("it does not start with \"SCRAM-SHA-256$\""))?;
        let (params, keys) = rest
            .split_once('$')
            .ok_or_else(|| invalid("expected <iterations>:<salt>$<StoredKey>:<ServerKey>"))?;
        let (iterations, salt) = params
            .split_once(':')
            .ok_or_else(|| invalid("expected <iterations>:<salt> before the second '$'"))?;
        let (stored_key, server_key) = keys
            .split_once(':')
            .ok_or_else(|| invalid("expected <StoredKey>:<ServerKey> after the second '$'"))?;
        let iterations: u32 = iterations
            .parse()
            .ok()
            .filter(|&i| i > 0)
            .ok_or_else(|| invalid("the iteration count is not a positive integer"))?;
        let salt = BASE64
            .decode(salt)
            .ok()
            .filter(|s| !s.is_empty())
            .ok_or_else(|| invalid("the salt is not non-empty base64"))?;
        let key = |b64: &str, what: &str| -> Result<[u8; 32], CatalogError> {
            BASE64
                .decode(b64)
                .ok()
                .and_then(|k| <[u8; 32]>::try_from(k).ok())
                .ok_or_else(|| invalid(&format!("the {what} is not 32 bytes of base64")))
        };
        Ok(ScramVerifier {
            iterations,
            salt,
            stored_key: key(stored_key, "StoredKey")?,
            server_key: key(server_key, "ServerKey")?,
        })
    }
}

/// A server secret that makes the salt sent for an unknown user the same on every
/// attempt, so that asking twice does not reveal that the user does not exist
/// (PostgreSQL derives it from the cluster's `mock_authentication_nonce` the same way).
/// Create one when the server starts and keep it.
#[derive(Clone)]
pub struct MockAuthKey([u8; 32]);

impl MockAuthKey {
    pub fn random() -> Self {
        let mut key = [0u8; 32];
        rand::rng().fill_bytes(&mut key);
        MockAuthKey(key)
    }

    pub fn from_bytes(key: [u8; 32]) -> Self {
        MockAuthKey(key)
    }

    fn secrets_for(&self, username: &str) -> Secrets {
        let derive = |label: &[u8]| {
            let mut mac = new_hmac(&self.0);
            mac.update(label);
            mac.update(username.as_bytes());
            <[u8; 32]>::from(mac.finalize().into_bytes())
        };
        Secrets {
            iterations: ScramVerifier::DEFAULT_ITERATIONS,
            salt: derive(b"salt")[..SALT_LEN].to_vec(),
            stored_key: derive(b"stored key"),
            server_key: derive(b"server key"),
            doomed: true,
        }
    }
}

impl fmt::Debug for MockAuthKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("MockAuthKey(..)")
    }
}

/// Starts server-side SCRAM-SHA-256 exchanges (the mechanism without channel binding;
/// do not advertise SCRAM-SHA-256-PLUS).
pub enum ScramServer {}

impl ScramServer {
    /// Reads the client-first-message and returns the server-first-message.
    pub fn start(
        verifier: &ScramVerifier,
        client_first: &[u8],
    ) -> Result<(String, ScramServerAwaitingFinal), ScramError> {
        let secrets = Secrets {
            iterations: verifier.iterations,
            salt: verifier.salt.clone(),
            stored_key: verifier.stored_key,
            server_key: verifier.server_key,
            doomed: false,
        };
        start_with_nonce(secrets, client_first, random_nonce())
    }

    /// Like [`start`](Self::start) for a user that does not exist: the server-first-message
    /// looks like a real one (a salt that is stable per user name, the default
    /// iterations), and [`finish`](ScramServerAwaitingFinal::finish) always returns
    /// [`ScramError::WrongPassword`] for a well-formed client-final-message.
    pub fn start_mock(
        key: &MockAuthKey,
        username: &str,
        client_first: &[u8],
    ) -> Result<(String, ScramServerAwaitingFinal), ScramError> {
        start_with_nonce(key.secrets_for(username), client_first, random_nonce())
    }
}

/// What the server needs from a verifier during an exchange.
struct Secrets {
    iterations: u32,
    salt: Vec<u8>,
    stored_key: [u8; 32],
    server_key: [u8; 32],
    /// A mock exchange: fail at the end whatever the proof.
    doomed: bool,
}

/// An exchange that sent its server-first-message and waits for the client's proof.
pub struct ScramServerAwaitingFinal {
    gs2_header: String,
    client_first_bare: String,
    server_first: String,
    nonce: String,
    secrets: Secrets,
}

impl fmt::Debug for ScramServerAwaitingFinal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ScramServerAwaitingFinal")
            .field("server_first", &self.server_first)
            .finish_non_exhaustive()
    }
}

impl ScramServerAwaitingFinal {
    /// Checks the client-final-message and, if its proof is right, returns the
    /// server-final-message (`v=<ServerSignature>`) that proves the server knew the
    /// verifier.
    pub fn finish(self, client_final: &[u8]) -> Result<String, ScramError> {
        let message = std::str::from_utf8(client_final)
            .map_err(|_| malformed("client-final-message is not UTF-8"))?;
        let (without_proof, proof) = message
            .rsplit_once(",p=")
            .ok_or_else(|| malformed("client-final-message has no proof (p=)"))?;
        let proof: [u8; 32] = BASE64
            .decode(proof)
            .ok()
            .and_then(|p| p.try_into().ok())
            .ok_or_else(|| malformed("the proof is not 32 bytes of base64"))?;

        let mut attrs = without_proof.split(',');
        let binding = attr(attrs.next(), 'c')?;
        let binding = BASE64
            .decode(binding)
            .map_err(|_| malformed("the channel binding (c=) is not base64"))?;
        if binding != self.gs2_header.as_bytes() {
            return Err(malformed(
                "the channel binding (c=) does not match the GS2 header of client-first-message",
            ));
        }
        if attr(attrs.next(), 'r')? != self.nonce {
            return Err(malformed(
                "the nonce (r=) does not match the server's nonce",
            ));
        }
        for extension in attrs {
            extension_attr(extension)?;
        }

        let auth_message = format!(
            "{},{},{}",
            self.client_first_bare, self.server_first, without_proof
        );
        let client_signature = hmac(&self.secrets.stored_key, auth_message.as_bytes());
        let mut client_key = proof;
        for (k, s) in client_key.iter_mut().zip(client_signature) {
            *k ^= s;
        }
        let matches = sha256(&client_key).ct_eq(&self.secrets.stored_key);
        if !bool::from(matches & !subtle::Choice::from(u8::from(self.secrets.doomed))) {
            return Err(ScramError::WrongPassword);
        }
        let server_signature = hmac(&self.secrets.server_key, auth_message.as_bytes());
        Ok(format!("v={}", BASE64.encode(server_signature)))
    }
}

/// Parses the client-first-message and builds the server-first-message.
fn start_with_nonce(
    secrets: Secrets,
    client_first: &[u8],
    server_nonce: String,
) -> Result<(String, ScramServerAwaitingFinal), ScramError> {
    let message = std::str::from_utf8(client_first)
        .map_err(|_| malformed("client-first-message is not UTF-8"))?;

    // gs2-header = gs2-cbind-flag "," [ authzid ] ","
    let (flag, rest) = message
        .split_once(',')
        .ok_or_else(|| malformed("client-first-message has no GS2 header"))?;
    match flag {
        "n" | "y" => {}
        f if f.starts_with("p=") => {
            return Err(ScramError::Unsupported(
                "channel binding (the server offers SCRAM-SHA-256 without it)".into(),
            ));
        }
        _ => {
            return Err(malformed(
                "the channel binding flag is not 'n', 'y' or 'p='",
            ));
        }
    }
    let (authzid, bare) = rest
        .split_once(',')
        .ok_or_else(|| malformed("the GS2 header is not terminated"))?;
    if authzid.starts_with("a=") {
        return Err(ScramError::Unsupported(
            "an authorization identity (a=)".into(),
        ));
    } else if !authzid.is_empty() {
        return Err(malformed("unexpected data in the GS2 header"));
    }
    let gs2_header = &message[..message.len() - bare.len()];

    // client-first-message-bare = [reserved-mext ","] username "," nonce ["," extensions]
    let mut attrs = bare.split(',');
    let first = attrs.next();
    if first.is_some_and(|a| a.starts_with("m=")) {
        return Err(ScramError::Unsupported("a mandatory extension (m=)".into()));
    }
    // The user name comes from the startup packet, as in PostgreSQL (libpq sends `n=`).
    attr(first, 'n')?;
    let client_nonce = attr(attrs.next(), 'r')?;
    if client_nonce.is_empty() || !client_nonce.bytes().all(is_printable) {
        return Err(malformed("the client nonce is empty or not printable"));
    }
    for extension in attrs {
        extension_attr(extension)?;
    }

    let nonce = format!("{client_nonce}{server_nonce}");
    let server_first = format!(
        "r={nonce},s={},i={}",
        BASE64.encode(&secrets.salt),
        secrets.iterations
    );
    let awaiting = ScramServerAwaitingFinal {
        gs2_header: gs2_header.to_string(),
        client_first_bare: bare.to_string(),
        server_first: server_first.clone(),
        nonce,
        secrets,
    };
    Ok((server_first, awaiting))
}

/// The value of attribute `name` (`name=value`), which must be there.
fn attr(part: Option<&str>, name: char) -> Result<&str, ScramError> {
    part.and_then(|p| p.strip_prefix(name))
        .and_then(|p| p.strip_prefix('='))
        .ok_or_else(|| malformed(&format!("expected attribute {name}=")))
}

/// An optional extension attribute (`x=value`, x a letter not used by the protocol).
fn extension_attr(part: &str) -> Result<(), ScramError> {
    let mut chars = part.chars();
    match (chars.next(), chars.next()) {
        (Some(c), Some('=')) if c.is_ascii_alphabetic() && !"cnprsv".contains(c) => Ok(()),
        _ => Err(malformed(&format!("unexpected attribute {part:?}"))),
    }
}

/// RFC 5802 `printable`: %x21-2B / %x2D-7E (visible ASCII except ',').
fn is_printable(b: u8) -> bool {
    (0x21..=0x7e).contains(&b) && b != b','
}

fn malformed(what: &str) -> ScramError {
    ScramError::Malformed(what.to_string())
}

/// The server's part of the nonce: random bytes, base64 (printable and comma-free).
fn random_nonce() -> String {
    let mut raw = [0u8; SERVER_NONCE_LEN];
    rand::rng().fill_bytes(&mut raw);
    BASE64.encode(raw)
}

/// A random password of `len` characters from the URL-safe base64 alphabet.
pub fn random_password(len: usize) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut rng = rand::rng();
    (0..len)
        .map(|_| char::from(ALPHABET[rng.random_range(0..ALPHABET.len())]))
        .collect()
}

/// SASLprep as PostgreSQL applies it: ASCII passes unchanged, and a password SASLprep
/// rejects (or maps to nothing) is used as it is.
fn prepare_password(password: &str) -> Cow<'_, str> {
    if password.is_ascii() {
        return Cow::Borrowed(password);
    }
    match stringprep::saslprep(password) {
        Ok(prepared) if !prepared.is_empty() => prepared,
        _ => Cow::Borrowed(password),
    }
}

/// `Hi(Normalize(password), salt, i)`: PBKDF2-HMAC-SHA-256 with one output block.
fn salted_password(password: &str, salt: &[u8], iterations: u32) -> [u8; 32] {
    let prf = new_hmac(prepare_password(password).as_bytes());
    let mut u: [u8; 32] = prf
        .clone()
        .chain_update(salt)
        .chain_update(1u32.to_be_bytes())
        .finalize()
        .into_bytes()
        .into();
    let mut out = u;
    for _ in 1..iterations {
        u = prf.clone().chain_update(u).finalize().into_bytes().into();
        for (o, x) in out.iter_mut().zip(u) {
            *o ^= x;
        }
    }
    out
}

fn new_hmac(key: &[u8]) -> HmacSha256 {
    <HmacSha256 as KeyInit>::new_from_slice(key).expect("HMAC takes keys of any length")
}

fn hmac(key: &[u8], message: &[u8]) -> [u8; 32] {
    new_hmac(key)
        .chain_update(message)
        .finalize()
        .into_bytes()
        .into()
}

fn sha256(data: &[u8]) -> [u8; 32] {
    Sha256::digest(data).into()
}

#[cfg(test)]
mod tests;
