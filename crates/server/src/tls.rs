//! TLS for both endpoints from one PEM certificate chain and key (`--tls-cert`,
//! `--tls-key`): a rustls acceptor for the Postgres wire, a tonic identity for Flight SQL
//! (gRPC over TLS, ALPN `h2`). Both use rustls with the aws-lc-rs provider.

use std::path::Path;
use std::sync::Arc;

use pgwire::tokio::TlsAcceptor;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use tokio_rustls::rustls::ServerConfig;
use tokio_rustls::rustls::crypto::CryptoProvider;
use tokio_rustls::rustls::crypto::aws_lc_rs;

use crate::error::CliError;

fn bad(what: &str, path: &Path, e: &dyn std::fmt::Display) -> CliError {
    CliError::Usage(format!(
        "cannot read the TLS {what} {}: {e}",
        path.display()
    ))
}

/// The Postgres wire's acceptor for `cert` (a PEM chain, leaf first) and `key` (PEM,
/// PKCS#8/PKCS#1/SEC1).
pub fn pg_acceptor(cert: &Path, key: &Path) -> Result<TlsAcceptor, CliError> {
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(cert)
        .map_err(|e| bad("certificate", cert, &e))?
        .collect::<Result<_, _>>()
        .map_err(|e| bad("certificate", cert, &e))?;
    if certs.is_empty() {
        return Err(bad("certificate", cert, &"no certificate in the file"));
    }
    let key = PrivateKeyDer::from_pem_file(key).map_err(|e| bad("key", key, &e))?;
    // Both rustls providers are compiled in (other crates ask for ring); name ours.
    let mut config = ServerConfig::builder_with_provider(Arc::new(aws_lc_rs::default_provider()))
        .with_safe_default_protocol_versions()
        .map_err(|e| CliError::Usage(format!("TLS setup: {e}")))?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(|e| CliError::Usage(format!("the TLS certificate and key do not match: {e}")))?;
    // PostgreSQL 17 clients may start TLS directly, and then must name the protocol.
    config.alpn_protocols = vec![b"postgresql".to_vec()];
    Ok(TlsAcceptor::from(Arc::new(config)))
}

/// Flight SQL's TLS configuration for the same `cert` and `key` (checked as the Postgres
/// wire's are, so a bad file fails at start, not at the first handshake).
pub fn flight_config(
    cert: &Path,
    key: &Path,
) -> Result<tonic::transport::ServerTlsConfig, CliError> {
    pg_acceptor(cert, key)?;
    // tonic builds its rustls configuration with the process's default provider; two are
    // compiled in (other crates ask for ring), so name ours. Already installed is fine.
    let _ = CryptoProvider::install_default(aws_lc_rs::default_provider());
    let cert_pem = std::fs::read(cert).map_err(|e| bad("certificate", cert, &e))?;
    let key_pem = std::fs::read(key).map_err(|e| bad("key", key, &e))?;
    Ok(tonic::transport::ServerTlsConfig::new()
        .identity(tonic::transport::Identity::from_pem(cert_pem, key_pem)))
}
