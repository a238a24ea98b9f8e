//! TLS for the Postgres wire: a rustls acceptor from a PEM certificate chain and key.

use std::path::Path;
use std::sync::Arc;

use pgwire::tokio::TlsAcceptor;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use tokio_rustls::rustls::ServerConfig;
use tokio_rustls::rustls::crypto::aws_lc_rs;

use crate::error::CliError;

/// The acceptor for `cert` (a PEM chain, leaf first) and `key` (PEM, PKCS#8/PKCS#1/SEC1).
pub fn acceptor(cert: &Path, key: &Path) -> Result<TlsAcceptor, CliError> {
    let bad = |what: &str, path: &Path, e: &dyn std::fmt::Display| {
        CliError::Usage(format!(
            "cannot read the TLS {what} {}: {e}",
            path.display()
        ))
    };
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
