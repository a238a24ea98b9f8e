//! Signed values the Flight endpoint hands to clients and takes back: bearer tokens and
//! statement tickets.
//!
//! A signed value is `base64url(payload) "." base64url(HMAC-SHA256(key, payload))`. The key
//! is random per server process: tokens and tickets from a previous run are refused (the
//! client authenticates again), and nothing a client forges or alters verifies.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{KeyInit, Mac};
use rand::RngCore;
use serde_json::{Value, json};
use subtle::ConstantTimeEq;

type HmacSha256 = hmac::Hmac<sha2::Sha256>;

/// Why a token or ticket was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Refused {
    /// Not something this server signed, or altered since.
    Forged,
    /// Past its expiry.
    Expired,
}

/// Signs and verifies with one process-wide key.
pub(crate) struct Signer {
    key: [u8; 32],
}

impl Signer {
    pub(crate) fn random() -> Self {
        let mut key = [0u8; 32];
        rand::rng().fill_bytes(&mut key);
        Signer { key }
    }

    fn mac(&self, payload: &[u8]) -> Vec<u8> {
        // HMAC takes keys of any length: this cannot fail.
        let mut mac = <HmacSha256 as KeyInit>::new_from_slice(&self.key)
            .unwrap_or_else(|_| unreachable!("HMAC accepts a 32-byte key"));
        mac.update(payload);
        mac.finalize().into_bytes().to_vec()
    }

    /// `value` as a signed string.
    pub(crate) fn sign(&self, value: &Value) -> String {
        let payload = value.to_string();
        format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(payload.as_bytes()),
            URL_SAFE_NO_PAD.encode(self.mac(payload.as_bytes()))
        )
    }

    /// The value of a string [`Signer::sign`] made, if it verifies.
    pub(crate) fn verify(&self, signed: &str) -> Result<Value, Refused> {
        let (payload, mac) = signed.split_once('.').ok_or(Refused::Forged)?;
        let payload = URL_SAFE_NO_PAD
            .decode(payload)
            .map_err(|_| Refused::Forged)?;
        let mac = URL_SAFE_NO_PAD.decode(mac).map_err(|_| Refused::Forged)?;
        if !bool::from(self.mac(&payload).ct_eq(&mac)) {
            return Err(Refused::Forged);
        }
        serde_json::from_slice(&payload).map_err(|_| Refused::Forged)
    }
}

/// Seconds since the Unix epoch.
pub(crate) fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// What a bearer token stands for: a user and their Flight session, until `expires`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Bearer {
    pub user: String,
    pub session: u64,
    /// Seconds since the Unix epoch.
    pub expires: u64,
}

impl Bearer {
    pub(crate) fn new(user: &str, session: u64, ttl: Duration) -> Self {
        Bearer {
            user: user.to_string(),
            session,
            expires: now_secs().saturating_add(ttl.as_secs()),
        }
    }

    pub(crate) fn encode(&self, signer: &Signer) -> String {
        signer.sign(&json!({"k": "bearer", "u": self.user, "s": self.session, "e": self.expires}))
    }

    pub(crate) fn decode(signer: &Signer, token: &str) -> Result<Bearer, Refused> {
        let v = signer.verify(token)?;
        if v["k"] != "bearer" {
            return Err(Refused::Forged);
        }
        let bearer = Bearer {
            user: v["u"].as_str().ok_or(Refused::Forged)?.to_string(),
            session: v["s"].as_u64().ok_or(Refused::Forged)?,
            expires: v["e"].as_u64().ok_or(Refused::Forged)?,
        };
        if bearer.expires <= now_secs() {
            return Err(Refused::Expired);
        }
        Ok(bearer)
    }
}

/// A statement ticket: the SQL to run and the user it was planned for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct StatementTicket {
    pub user: String,
    pub sql: String,
}

impl StatementTicket {
    pub(crate) fn encode(&self, signer: &Signer) -> String {
        signer.sign(&json!({"k": "statement", "u": self.user, "q": self.sql}))
    }

    pub(crate) fn decode(signer: &Signer, ticket: &[u8]) -> Result<StatementTicket, Refused> {
        let text = std::str::from_utf8(ticket).map_err(|_| Refused::Forged)?;
        let v = signer.verify(text)?;
        if v["k"] != "statement" {
            return Err(Refused::Forged);
        }
        Ok(StatementTicket {
            user: v["u"].as_str().ok_or(Refused::Forged)?.to_string(),
            sql: v["q"].as_str().ok_or(Refused::Forged)?.to_string(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_verify_until_they_expire_and_never_when_altered() {
        let signer = Signer::random();
        let token = Bearer::new("alice", 7, Duration::from_secs(60)).encode(&signer);
        let back = Bearer::decode(&signer, &token).expect("verifies");
        assert_eq!((back.user.as_str(), back.session), ("alice", 7));

        let expired = Bearer {
            user: "alice".into(),
            session: 7,
            expires: now_secs() - 1,
        }
        .encode(&signer);
        assert_eq!(Bearer::decode(&signer, &expired), Err(Refused::Expired));

        // Another process's key, a changed payload, garbage: forged.
        assert_eq!(
            Bearer::decode(&Signer::random(), &token),
            Err(Refused::Forged)
        );
        let (payload, mac) = token.split_once('.').expect("two parts");
        let other = URL_SAFE_NO_PAD
            .encode(json!({"k": "bearer", "u": "admin", "s": 7, "e": u64::MAX}).to_string());
        assert_eq!(
            Bearer::decode(&signer, &format!("{other}.{mac}")),
            Err(Refused::Forged)
        );
        assert_eq!(Bearer::decode(&signer, payload), Err(Refused::Forged));
        assert_eq!(Bearer::decode(&signer, "x.y.z"), Err(Refused::Forged));
    }

    #[test]
    fn a_ticket_is_not_a_token() {
        let signer = Signer::random();
        let ticket = StatementTicket {
            user: "alice".into(),
            sql: "SELECT 1".into(),
        }
        .encode(&signer);
        assert_eq!(Bearer::decode(&signer, &ticket), Err(Refused::Forged));
        let back = StatementTicket::decode(&signer, ticket.as_bytes()).expect("verifies");
        assert_eq!(back.sql, "SELECT 1");
    }
}
