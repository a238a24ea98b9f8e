//! Connection startup: checks (TLS, connection limit, user), authentication
//! (SCRAM-SHA-256 by default, a cleartext password over TLS when configured), then the
//! session: startup parameters applied, `ParameterStatus` for every reported parameter,
//! the cancel key, `ReadyForQuery`.
//!
//! As in PostgreSQL, the database name is checked after the password: an unknown
//! database does not tell a stranger anything.

use std::fmt::Debug;

use async_trait::async_trait;
use futures::{Sink, SinkExt};
use lyceum_catalog::ScramError;
use lyceum_engine::EngineError;
use lyceum_engine::auth::{Auth, Identity, ScramPending};
use lyceum_engine::pgcatalog::SERVER_VERSION;
use lyceum_engine::session::CATALOG;
use pgwire::api::auth::{
    StartupHandler, protocol_negotiation, save_startup_parameters_to_metadata,
};
use pgwire::api::{ClientInfo, METADATA_DATABASE, METADATA_USER, PgWireConnectionState};
use pgwire::error::{PgWireError, PgWireResult};
use pgwire::messages::response::{ReadyForQuery, TransactionStatus};
use pgwire::messages::startup::{Authentication, BackendKeyData, ParameterStatus, SecretKey};
use pgwire::messages::{PgWireBackendMessage, PgWireFrontendMessage};
use tracing::info;

use super::handler::Connection;
use super::server::AuthMethod;
use crate::error as wire;

/// The SASL mechanism Lyceum offers (no channel binding: `-PLUS` is not offered).
const SCRAM_SHA_256: &str = "SCRAM-SHA-256";

/// Where a connection is in its startup.
pub(crate) enum AuthState {
    AwaitingStartup,
    /// `AuthenticationSASL` sent; waiting for `SASLInitialResponse`.
    AwaitingSaslInitial {
        user: String,
    },
    /// `AuthenticationSASLContinue` sent; waiting for the client's proof.
    AwaitingSaslFinal {
        user: String,
        pending: Box<ScramPending>,
    },
    /// `AuthenticationCleartextPassword` sent.
    AwaitingPassword {
        user: String,
    },
    Done,
}

/// Startup parameters that are protocol matters, not run-time settings.
const NOT_SETTINGS: &[&str] = &["user", "database", "options", "replication"];

/// The run-time settings a startup packet carries: plain parameters and the `-c name=value`
/// (or `--name=value`) pairs of `options`.
pub(crate) fn startup_settings(
    params: &[(String, String)],
) -> Result<Vec<(String, String)>, String> {
    let mut settings = Vec::new();
    for (name, value) in params {
        if name == "options" {
            let mut words = value.split_whitespace();
            while let Some(word) = words.next() {
                let pair = if word == "-c" {
                    words
                        .next()
                        .ok_or_else(|| "\"-c\" in options needs name=value".to_string())?
                } else if let Some(rest) = word.strip_prefix("-c") {
                    rest
                } else if let Some(rest) = word.strip_prefix("--") {
                    rest
                } else {
                    return Err(format!("unsupported startup option {word:?}"));
                };
                let (n, v) = pair
                    .split_once('=')
                    .ok_or_else(|| format!("startup option {pair:?} is not name=value"))?;
                settings.push((n.replace('-', "_"), v.to_string()));
            }
        } else if !NOT_SETTINGS.contains(&name.as_str()) {
            settings.push((name.clone(), value.clone()));
        }
    }
    Ok(settings)
}

#[async_trait]
impl StartupHandler for Connection {
    async fn on_startup<C>(
        &self,
        client: &mut C,
        message: PgWireFrontendMessage,
    ) -> PgWireResult<()>
    where
        C: ClientInfo + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        let mut auth = self.auth.lock().await;
        match (std::mem::replace(&mut *auth, AuthState::Done), message) {
            (AuthState::AwaitingStartup, PgWireFrontendMessage::Startup(startup)) => {
                protocol_negotiation(client, &startup).await?;
                save_startup_parameters_to_metadata(client, &startup);
                self.check_running()?;
                let options = self.state.options();
                if options.require_tls && !client.is_secure() {
                    info!(peer = %client.socket_addr(), "refused a connection without TLS");
                    return Err(wire::tls_required());
                }
                if startup.parameters.contains_key("replication") {
                    return Err(wire::fatal_unsupported("replication connections"));
                }
                let user = client
                    .metadata()
                    .get(METADATA_USER)
                    .cloned()
                    .filter(|u| !u.is_empty())
                    .ok_or_else(wire::no_user)?;
                client.set_state(PgWireConnectionState::AuthenticationInProgress);
                match options.auth {
                    AuthMethod::ScramSha256 => {
                        client
                            .send(PgWireBackendMessage::Authentication(Authentication::SASL(
                                vec![SCRAM_SHA_256.to_string()],
                            )))
                            .await?;
                        *auth = AuthState::AwaitingSaslInitial { user };
                    }
                    AuthMethod::Password => {
                        if !client.is_secure() {
                            return Err(wire::tls_required());
                        }
                        client
                            .send(PgWireBackendMessage::Authentication(
                                Authentication::CleartextPassword,
                            ))
                            .await?;
                        *auth = AuthState::AwaitingPassword { user };
                    }
                }
                Ok(())
            }
            (
                AuthState::AwaitingSaslInitial { user },
                PgWireFrontendMessage::PasswordMessageFamily(message),
            ) => {
                let initial = message.into_sasl_initial_response()?;
                if initial.auth_method != SCRAM_SHA_256 {
                    return Err(wire::bad_auth_message(&format!(
                        "SASL mechanism {:?} is not offered (use {SCRAM_SHA_256})",
                        initial.auth_method
                    )));
                }
                let data = initial.data.unwrap_or_default();
                let (server_first, pending) = self
                    .state
                    .engine()
                    .auth()
                    .scram_start(&user, &data)
                    .await
                    .map_err(|e| auth_error(&user, e))?;
                client
                    .send(PgWireBackendMessage::Authentication(
                        Authentication::SASLContinue(server_first.into_bytes().into()),
                    ))
                    .await?;
                *auth = AuthState::AwaitingSaslFinal {
                    user,
                    pending: Box::new(pending),
                };
                Ok(())
            }
            (
                AuthState::AwaitingSaslFinal { user, pending },
                PgWireFrontendMessage::PasswordMessageFamily(message),
            ) => {
                let response = message.into_sasl_response()?;
                let (server_final, identity) = Auth::scram_finish(*pending, &response.data)
                    .map_err(|e| auth_error(&user, e))?;
                client
                    .feed(PgWireBackendMessage::Authentication(
                        Authentication::SASLFinal(server_final.into_bytes().into()),
                    ))
                    .await?;
                self.finish(client, identity).await
            }
            (
                AuthState::AwaitingPassword { user },
                PgWireFrontendMessage::PasswordMessageFamily(message),
            ) => {
                let password = message.into_password()?;
                let identity = self
                    .state
                    .engine()
                    .auth()
                    .check_password(&user, &password.password)
                    .await
                    .map_err(|e| auth_error(&user, e))?
                    .ok_or_else(|| wire::wrong_password(&user))?;
                self.finish(client, identity).await
            }
            (_, other) => Err(wire::bad_auth_message(&format!(
                "unexpected message during startup: {other:?}"
            ))),
        }
    }
}

/// A failed exchange as the client sees it: a wrong password (or unknown user) is 28P01;
/// a broken message is a protocol violation; the server's own trouble is internal.
fn auth_error(user: &str, err: EngineError) -> PgWireError {
    match err {
        EngineError::Authentication(ScramError::WrongPassword) => {
            info!(user, "password authentication failed");
            wire::wrong_password(user)
        }
        EngineError::Authentication(e) => wire::bad_auth_message(&e.to_string()),
        other => wire::fatal(&other),
    }
}

impl Connection {
    /// Authenticated: checks the database, opens the session and tells the client.
    async fn finish<C>(&self, client: &mut C, identity: Identity) -> PgWireResult<()>
    where
        C: ClientInfo + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        // libpq sends the user name as the database when none is given; so do we.
        let database = client
            .metadata()
            .get(METADATA_DATABASE)
            .cloned()
            .unwrap_or_else(|| identity.name.clone());
        if database != CATALOG {
            info!(
                user = identity.name,
                database, "refusing a connection to an unknown database"
            );
            return Err(wire::unknown_database(&database));
        }
        let slot = self.state.admit().ok_or_else(wire::too_many_connections)?;
        let mut session = self
            .state
            .engine()
            .session(identity.clone())
            .map_err(|e| wire::fatal(&e))?;
        let params: Vec<(String, String)> = client
            .metadata()
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        let settings = startup_settings(&params).map_err(|m| wire::fatal_invalid_parameter(&m))?;
        session
            .apply_settings(settings.iter().map(|(n, v)| (n.as_str(), v.as_str())))
            .map_err(|e| wire::fatal(&e))?;

        session.info().set_client(client.socket_addr().to_string());
        let pid = session.info().pid;
        // The engine's registry answers a CancelRequest with this key.
        let secret = session.info().cancel_secret();
        client.set_pid_and_secret_key(pid, SecretKey::I32(secret));

        client
            .feed(PgWireBackendMessage::Authentication(Authentication::Ok))
            .await?;
        for report in session.reported_parameters() {
            let value = if report.name == "server_version" {
                format!("{SERVER_VERSION} (Lyceum {})", env!("CARGO_PKG_VERSION"))
            } else {
                report.value
            };
            client
                .feed(PgWireBackendMessage::ParameterStatus(ParameterStatus::new(
                    report.name,
                    value,
                )))
                .await?;
        }
        client
            .feed(PgWireBackendMessage::BackendKeyData(BackendKeyData::new(
                pid,
                SecretKey::I32(secret),
            )))
            .await?;
        client
            .send(PgWireBackendMessage::ReadyForQuery(ReadyForQuery::new(
                TransactionStatus::Idle,
            )))
            .await?;
        client.set_state(PgWireConnectionState::ReadyForQuery);
        let _ = self.info.set(session.info().clone());
        self.authenticated.notify_one();
        *self.session.lock().await = Some(session);
        if let Ok(mut s) = self.slot.lock() {
            *s = Some(slot);
        }
        info!(
            user = identity.name,
            pid,
            tls = client.is_secure(),
            "client connected"
        );
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(p: &[(&str, &str)]) -> Vec<(String, String)> {
        p.iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect()
    }

    #[test]
    fn startup_options_become_settings() {
        let got = startup_settings(&pairs(&[
            ("user", "admin"),
            ("database", "lyceum"),
            ("application_name", "psql"),
            (
                "options",
                "-c search_path=system -cstatement_timeout=5s --extra-float-digits=3",
            ),
        ]))
        .expect("parses");
        assert_eq!(
            got,
            pairs(&[
                ("application_name", "psql"),
                ("search_path", "system"),
                ("statement_timeout", "5s"),
                ("extra_float_digits", "3"),
            ])
        );
        assert!(startup_settings(&pairs(&[("options", "-x")])).is_err());
        assert!(startup_settings(&pairs(&[("options", "-c nope")])).is_err());
    }
}
