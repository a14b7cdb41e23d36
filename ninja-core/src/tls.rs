//! TLS (feature `tls`): rustls with the `ring` provider, no OpenSSL. The certificate chain and
//! key are read from PEM files when the server is built; ALPN offers `h2` and `http/1.1`, and
//! the connection is then served by the protocol the client chose, with every protection of
//! a plain connection (header timeout, idle timeout, connection cap) still in force.

use std::fmt;
use std::path::PathBuf;

/// Where the certificate chain and the private key are, as PEM files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct TlsFiles {
    pub(crate) cert: PathBuf,
    pub(crate) key: PathBuf,
}

/// A server's TLS configuration, loaded once (nothing can make one without the feature).
#[cfg(feature = "tls")]
#[derive(Clone)]
pub(crate) struct Tls(pub(crate) tokio_rustls::TlsAcceptor);
#[cfg(not(feature = "tls"))]
#[derive(Clone)]
pub(crate) enum Tls {}

impl fmt::Debug for Tls {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Tls")
    }
}

/// Without the feature no setter gives files, so this is never called.
#[cfg(not(feature = "tls"))]
pub(crate) fn load(_: &TlsFiles) -> Result<Tls, String> {
    Err("TLS needs ninja-core's `tls` feature".to_owned())
}

/// Reads the files and builds the acceptor; the error names the file and what is wrong.
#[cfg(feature = "tls")]
pub(crate) fn load(files: &TlsFiles) -> Result<Tls, String> {
    use rustls::pki_types::pem::PemObject as _;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    use std::path::Path;
    use std::sync::Arc;

    let named = |path: &Path, e: &dyn std::fmt::Display| format!("TLS: `{}`: {e}", path.display());
    let certs = CertificateDer::pem_file_iter(&files.cert)
        .map_err(|e| named(&files.cert, &e))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| named(&files.cert, &e))?;
    if certs.is_empty() {
        return Err(named(&files.cert, &"no certificate in the file"));
    }
    let key = PrivateKeyDer::from_pem_file(&files.key).map_err(|e| named(&files.key, &e))?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("TLS: {e}"))?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(|e| format!("TLS: the certificate and key do not make a configuration: {e}"))?;
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(Tls(tokio_rustls::TlsAcceptor::from(Arc::new(config))))
}
