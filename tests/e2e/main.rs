//! End-to-end tests of the `lyceum` binary: the one integration-test binary of
//! `lyceum-server` (run with `cargo test -p lyceum-server`).
//!
//! Tests that need data share one warehouse, generated and loaded once per run by
//! [`common::loaded_warehouse`]; when the generator or the load fails, those tests fail
//! with the command's output.

mod catalog;
mod cli;
mod common;
mod flight;
mod limits;
mod pg;
mod pg_protocol;
mod pg_reference;
mod rollups;
mod sandbox;
mod sessions;
mod slt;
