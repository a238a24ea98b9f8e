//! The Postgres wire endpoint.
//!
//! - `server` is the server loop ([`start`]): accept, one task per connection, graceful
//!   shutdown, the connection limit and the cancel-key registry.
//! - `startup` authenticates a client (SCRAM-SHA-256, or a password over TLS), applies
//!   its startup parameters and opens its engine [`Session`].
//! - `simple` and `extended` are the two query protocols over that session; `extended`
//!   streams portals itself (row limits, `PortalSuspended`), never collecting a result.
//! - `copy` takes the rows of `COPY ... FROM STDIN` into the engine's session.
//! - `handler` holds one connection's state, notices and `ParameterStatus` messages, and
//!   the cancel handler.
//! - `encoding` turns record-batch streams into rows with arrow-pg, batch by batch, and
//!   decodes parameters.
//! - `tls` builds the rustls acceptor.
//!
//! [`Session`]: lyceum_engine::session::Session

mod copy;
mod encoding;
mod extended;
mod handler;
mod server;
mod simple;
mod startup;
mod text_form;

pub use encoding::text_rows;
pub use server::{AuthMethod, PgOptions, Running, start};
