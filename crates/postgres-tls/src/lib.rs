//! TLS for Postgres clients: which certificate authorities a client trusts, and the
//! tokio-postgres connector that verifies the server against them (`sslmode=verify-full`:
//! the chain must lead to a trusted CA, and the certificate must name the host connected to,
//! an IP address included).
//!
//! The same code serves the Postgres provider, the native baseline and the tests, so that all
//! three speak to the database the same way.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::CertificateDer;
use rustls::{ClientConfig, RootCertStore};
pub use tokio_postgres_rustls::MakeRustlsConnect;

/// Why a set of CAs could not be built.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("it holds no PEM certificate (-----BEGIN CERTIFICATE-----)")]
    NoCertificate,
    #[error("it is not valid PEM: {0}")]
    Pem(String),
    #[error("certificate {index} in it is not a usable CA certificate: {problem}")]
    BadCertificate { index: usize, problem: String },
    #[error("cannot read {}: {source}", path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("no TLS configuration: {0}")]
    Config(String),
}

/// The CAs a client trusts: certificates it was given (at least one), or the public web's
/// (Mozilla's list, for managed databases with publicly signed certificates).
#[derive(Clone)]
pub struct TrustedCas(Trust);

#[derive(Clone)]
enum Trust {
    Given(Arc<[CertificateDer<'static>]>),
    PublicWeb,
}

impl TrustedCas {
    /// The certificates of a PEM bundle; each must parse as a CA certificate.
    pub fn from_pem(pem: &[u8]) -> Result<Self, TlsError> {
        let certs = CertificateDer::pem_slice_iter(pem)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|err| TlsError::Pem(err.to_string()))?;
        if certs.is_empty() {
            return Err(TlsError::NoCertificate);
        }
        // Building the store checks every certificate now, not at the first connection.
        let mut store = RootCertStore::empty();
        for (index, cert) in certs.iter().enumerate() {
            store
                .add(cert.clone())
                .map_err(|err| TlsError::BadCertificate {
                    index: index + 1,
                    problem: err.to_string(),
                })?;
        }
        Ok(Self(Trust::Given(certs.into())))
    }

    /// The certificates of a PEM file.
    pub fn from_file(path: impl AsRef<Path>) -> Result<Self, TlsError> {
        let path = path.as_ref();
        let pem = std::fs::read(path).map_err(|source| TlsError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        Self::from_pem(&pem)
    }

    /// The public web's CAs.
    pub fn public_web() -> Self {
        Self(Trust::PublicWeb)
    }

    /// How many CAs are trusted.
    pub fn len(&self) -> usize {
        match &self.0 {
            Trust::Given(certs) => certs.len(),
            Trust::PublicWeb => webpki_roots::TLS_SERVER_ROOTS.len(),
        }
    }

    /// Never true: a set holds at least one CA.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn roots(&self) -> RootCertStore {
        match &self.0 {
            Trust::Given(certs) => {
                let mut store = RootCertStore::empty();
                // Every certificate was checked when the set was built.
                let (_added, _ignored) = store.add_parsable_certificates(certs.iter().cloned());
                store
            }
            Trust::PublicWeb => RootCertStore {
                roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
            },
        }
    }

    /// The rustls client configuration: TLS 1.2 or 1.3 with ring's safe defaults, the server
    /// verified against these CAs, no client certificate.
    pub fn client_config(&self) -> Result<ClientConfig, TlsError> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        Ok(ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|err| TlsError::Config(err.to_string()))?
            .with_root_certificates(self.roots())
            .with_no_client_auth())
    }

    /// The tokio-postgres connector: every connection made with it is TLS, verified against
    /// these CAs and the host name (or IP address) of the connection.
    pub fn connector(&self) -> Result<MakeRustlsConnect, TlsError> {
        Ok(MakeRustlsConnect::new(self.client_config()?))
    }
}

impl PartialEq for TrustedCas {
    fn eq(&self, other: &Self) -> bool {
        match (&self.0, &other.0) {
            (Trust::Given(a), Trust::Given(b)) => a == b,
            (Trust::PublicWeb, Trust::PublicWeb) => true,
            _ => false,
        }
    }
}

impl Eq for TrustedCas {}

impl std::fmt::Debug for TrustedCas {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.0 {
            Trust::Given(certs) => write!(f, "TrustedCas({} given)", certs.len()),
            Trust::PublicWeb => f.write_str("TrustedCas(public web)"),
        }
    }
}

/// When a tokio-postgres error is a failed TLS handshake (or a server that refuses TLS), the
/// reason in words; `None` for every other error.
pub fn tls_failure(err: &(dyn std::error::Error + 'static)) -> Option<String> {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(err);
    let mut handshake = false;
    while let Some(current) = source {
        if let Some(tls) = current.downcast_ref::<rustls::Error>() {
            return Some(tls.to_string());
        }
        if let Some(io) = current.downcast_ref::<std::io::Error>() {
            if let Some(tls) = io
                .get_ref()
                .and_then(|inner| inner.downcast_ref::<rustls::Error>())
            {
                return Some(tls.to_string());
            }
        }
        let text = current.to_string();
        if text.contains("server does not support TLS") {
            return Some(text);
        }
        handshake |= text.starts_with("error performing TLS handshake");
        source = current.source();
    }
    handshake.then(|| err.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_without_a_certificate_is_refused() {
        assert!(matches!(
            TrustedCas::from_pem(b"not a certificate"),
            Err(TlsError::NoCertificate)
        ));
    }

    #[test]
    fn a_certificate_that_is_not_der_is_refused() {
        let pem = b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n";
        let err = TrustedCas::from_pem(pem).expect_err("garbage DER");
        assert!(
            matches!(err, TlsError::BadCertificate { index: 1, .. }),
            "{err}"
        );
    }

    #[test]
    fn a_missing_file_names_its_path() {
        let err = TrustedCas::from_file("/nonexistent/ca.pem").expect_err("no file");
        assert!(err.to_string().contains("/nonexistent/ca.pem"), "{err}");
    }

    #[test]
    fn the_public_web_set_builds_a_connector() {
        let cas = TrustedCas::public_web();
        assert!(!cas.is_empty());
        assert!(cas.connector().is_ok());
        assert_eq!(cas, TrustedCas::public_web());
    }

    #[test]
    fn errors_other_than_tls_are_not_tls_failures() {
        let io = std::io::Error::new(std::io::ErrorKind::ConnectionRefused, "refused");
        assert_eq!(tls_failure(&io), None);
        let tls = std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            rustls::Error::InvalidCertificate(rustls::CertificateError::UnknownIssuer),
        );
        let reason = tls_failure(&tls).expect("a TLS failure");
        assert!(reason.contains("UnknownIssuer"), "{reason}");
    }
}
