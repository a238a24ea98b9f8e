//! The Postgres wire endpoint.
//!
//! - `server` is the server loop ([`start`]): accept, one task per connection,
//!   graceful shutdown.
//! - `handler` holds one connection's state (its engine [`Session`], created at startup)
//!   and implements pgwire's handler traits for it.
//! - `encoding` turns the engine's record-batch streams into pgwire row streams with
//!   arrow-pg, batch by batch.
//!
//! Today: the simple query protocol, any user, database `lyceum` only. Extended protocol,
//! authentication and `pg_catalog` plug in as more handler traits on the per-connection
//! handler (see `PgWireServerHandlers` on `ConnectionHandlers`).
//!
//! [`Session`]: lyceum_engine::session::Session

mod encoding;
mod handler;
mod server;

pub use server::{Running, start};
