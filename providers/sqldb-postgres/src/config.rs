//! The link configuration: the same `POSTGRES_*` keys as wasmCloud's own Postgres provider,
//! read from the link's secrets first, then from its (target) config.

use std::collections::HashMap;
use std::time::Duration;

pub const HOST: &str = "POSTGRES_HOST";
pub const PORT: &str = "POSTGRES_PORT";
pub const USERNAME: &str = "POSTGRES_USERNAME";
pub const PASSWORD: &str = "POSTGRES_PASSWORD";
/// Our addition: the role's password as a link secret, under a name of its own (the manifest
/// then names no password at all). `POSTGRES_PASSWORD` wins when both are given.
pub const ROLE_SECRET: &str = "POSTGRES_ROLE_SECRET";
pub const DATABASE: &str = "POSTGRES_DATABASE";
pub const TLS_REQUIRED: &str = "POSTGRES_TLS_REQUIRED";
/// Our additions: the CAs the server's certificate must lead to, as PEM text (a config or a
/// secret) or as a PEM file on the provider's machine. With TLS required and neither given,
/// the public web's CAs are trusted.
pub const TLS_CA: &str = "POSTGRES_TLS_CA";
pub const TLS_CA_FILE: &str = "POSTGRES_TLS_CA_FILE";
pub const POOL_SIZE: &str = "POSTGRES_POOL_SIZE";
/// Our addition: the longest a statement may run, and a caller may wait for a connection.
pub const STATEMENT_TIMEOUT_MS: &str = "POSTGRES_STATEMENT_TIMEOUT_MS";

const DEFAULT_PORT: u16 = 5432;
/// Connections per link unless POSTGRES_POOL_SIZE says otherwise.
pub const DEFAULT_POOL_SIZE: usize = 8;
const MAX_POOL_SIZE: usize = 256;
/// Bound on every statement (and on waiting for a free connection) unless
/// POSTGRES_STATEMENT_TIMEOUT_MS says otherwise: a stuck database turns into an error the
/// component can report, not a call that never returns.
pub const DEFAULT_STATEMENT_TIMEOUT_MS: u64 = 5_000;
const MAX_STATEMENT_TIMEOUT_MS: u64 = 10 * 60 * 1000;

use postgres_tls::TrustedCas;
pub use provider_support::ConfigError;
use provider_support::LinkValues;

/// A valid connection configuration for one link.
#[derive(Clone, PartialEq, Eq)]
pub struct ConnectionConfig {
    pub host: String,
    pub port: u16,
    pub username: String,
    pub password: String,
    pub database: String,
    /// `Some`: every connection is TLS, verified against these CAs and the host's name or
    /// address (`sslmode=verify-full`); `None`: plain connections.
    pub tls: Option<TrustedCas>,
    pub pool_size: usize,
    pub statement_timeout: Duration,
}

impl std::fmt::Debug for ConnectionConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never log the password.
        f.debug_struct("ConnectionConfig")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("username", &self.username)
            .field("database", &self.database)
            .field("tls", &self.tls)
            .field("pool_size", &self.pool_size)
            .field("statement_timeout", &self.statement_timeout)
            .finish_non_exhaustive()
    }
}

impl ConnectionConfig {
    /// Reads the configuration; `secrets` win over `config` for the same key. Keys are
    /// matched exactly, then case-insensitively.
    pub fn from_link(
        config: &HashMap<String, String>,
        secrets: &HashMap<String, String>,
    ) -> Result<Self, ConfigError> {
        let values = LinkValues::new([secrets, config]);
        let host = values.required(HOST)?.to_string();
        let port = values.number_or(PORT, DEFAULT_PORT, 1..=u16::MAX)?;
        let username = values.required(USERNAME)?.to_string();
        // An empty password is legitimate (trust authentication), but the key must be there.
        let password = values
            .get(PASSWORD)
            .or_else(|| values.get(ROLE_SECRET))
            .ok_or(ConfigError::Missing(PASSWORD))?
            .to_string();
        let database = values.required(DATABASE)?.to_string();
        let tls = tls_trust(&values)?;
        let pool_size = values.number_or(POOL_SIZE, DEFAULT_POOL_SIZE, 1..=MAX_POOL_SIZE)?;
        let statement_timeout = Duration::from_millis(values.number_or(
            STATEMENT_TIMEOUT_MS,
            DEFAULT_STATEMENT_TIMEOUT_MS,
            1..=MAX_STATEMENT_TIMEOUT_MS,
        )?);
        Ok(Self {
            host,
            port,
            username,
            password,
            database,
            tls,
            pool_size,
            statement_timeout,
        })
    }

    /// The tokio-postgres configuration of one connection.
    pub fn pg_config(&self) -> tokio_postgres::Config {
        let mut pg = tokio_postgres::Config::new();
        pg.host(&self.host)
            .port(self.port)
            .user(&self.username)
            .password(&self.password)
            .dbname(&self.database)
            .application_name("movie-lattice sqldb-postgres")
            .connect_timeout(Duration::from_secs(5))
            .options(format!(
                "-c statement_timeout={}",
                self.statement_timeout.as_millis()
            ))
            .keepalives(true)
            // With TLS, a server that offers none is refused (never a silent plain fallback);
            // the connector verifies the certificate.
            .ssl_mode(match self.tls {
                Some(_) => tokio_postgres::config::SslMode::Require,
                None => tokio_postgres::config::SslMode::Disable,
            });
        pg
    }
}

/// The TLS settings: none, or the CAs to verify the server against.
fn tls_trust(values: &LinkValues<'_>) -> Result<Option<TrustedCas>, ConfigError> {
    let required = match values.get(TLS_REQUIRED) {
        None => false,
        Some(raw) => parse_bool(raw).ok_or_else(|| ConfigError::Invalid {
            key: TLS_REQUIRED,
            problem: format!("{raw:?} is not true or false"),
        })?,
    };
    let given = |key| values.get(key).map(str::trim).filter(|raw| !raw.is_empty());
    let (pem, file) = (given(TLS_CA), given(TLS_CA_FILE));
    if !required {
        return match (pem, file) {
            (None, None) => Ok(None),
            (Some(_), _) | (_, Some(_)) => Err(ConfigError::Invalid {
                key: TLS_REQUIRED,
                problem: format!(
                    "a CA is given ({TLS_CA} or {TLS_CA_FILE}) but TLS is not required; \
                     set {TLS_REQUIRED}=true to connect with TLS"
                ),
            }),
        };
    }
    let invalid = |key, err: postgres_tls::TlsError| ConfigError::Invalid {
        key,
        problem: err.to_string(),
    };
    let cas = match (pem, file) {
        (Some(_), Some(_)) => {
            return Err(ConfigError::Invalid {
                key: TLS_CA,
                problem: format!("give {TLS_CA} or {TLS_CA_FILE}, not both"),
            })
        }
        (Some(pem), None) => {
            TrustedCas::from_pem(pem.as_bytes()).map_err(|e| invalid(TLS_CA, e))?
        }
        (None, Some(path)) => TrustedCas::from_file(path).map_err(|e| invalid(TLS_CA_FILE, e))?,
        (None, None) => TrustedCas::public_web(),
    };
    Ok(Some(cas))
}

fn parse_bool(raw: &str) -> Option<bool> {
    match raw.trim().to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" | "on" => Some(true),
        "false" | "0" | "no" | "off" | "" => Some(false),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use provider_support::link_config as map;

    fn full() -> HashMap<String, String> {
        map(&[
            (HOST, "127.0.0.1"),
            (PORT, "5432"),
            (USERNAME, "movie"),
            (PASSWORD, "secret"),
            (DATABASE, "movie_metadata"),
        ])
    }

    #[test]
    fn a_complete_config_parses_with_defaults() {
        let config = ConnectionConfig::from_link(&full(), &HashMap::new()).expect("valid");
        assert_eq!(config.port, 5432);
        assert_eq!(config.pool_size, DEFAULT_POOL_SIZE);
        assert_eq!(config.tls, None);
        assert_eq!(
            config.statement_timeout,
            Duration::from_millis(DEFAULT_STATEMENT_TIMEOUT_MS)
        );
        assert!(!format!("{config:?}").contains("secret"));
    }

    #[test]
    fn the_statement_timeout_is_milliseconds_within_bounds() {
        let mut raw = full();
        raw.insert(STATEMENT_TIMEOUT_MS.into(), "250".into());
        let config = ConnectionConfig::from_link(&raw, &HashMap::new()).expect("valid");
        assert_eq!(config.statement_timeout, Duration::from_millis(250));
        for bad in ["0", "-1", "soon", "600001"] {
            raw.insert(STATEMENT_TIMEOUT_MS.into(), bad.into());
            let err = ConnectionConfig::from_link(&raw, &HashMap::new()).expect_err(bad);
            assert!(
                matches!(err, ConfigError::Invalid { key, .. } if key == STATEMENT_TIMEOUT_MS),
                "{bad}: {err}"
            );
        }
    }

    #[test]
    fn each_missing_key_is_named() {
        for key in [HOST, USERNAME, PASSWORD, DATABASE] {
            let mut config = full();
            config.remove(key);
            let err = ConnectionConfig::from_link(&config, &HashMap::new()).expect_err(key);
            assert_eq!(err, ConfigError::Missing(key));
            assert!(err.to_string().contains(key));
        }
    }

    #[test]
    fn invalid_values_are_named() {
        for (key, value) in [
            (PORT, "http"),
            (PORT, "0"),
            (POOL_SIZE, "0"),
            (POOL_SIZE, "many"),
            (TLS_REQUIRED, "maybe"),
        ] {
            let mut config = full();
            config.insert(key.to_string(), value.to_string());
            let err = ConnectionConfig::from_link(&config, &HashMap::new()).expect_err(value);
            assert!(err.to_string().contains(key), "{err}");
        }
    }

    #[test]
    fn secrets_win_and_keys_are_case_insensitive() {
        let config = map(&[
            ("postgres_host", "db"),
            (USERNAME, "u"),
            (PASSWORD, "from-config"),
            (DATABASE, "d"),
        ]);
        let secrets = map(&[(PASSWORD, "from-secret")]);
        let parsed = ConnectionConfig::from_link(&config, &secrets).expect("valid");
        assert_eq!(parsed.host, "db");
        assert_eq!(parsed.password, "from-secret");
    }

    #[test]
    fn the_role_secret_is_the_password() {
        let mut config = full();
        config.remove(PASSWORD);
        let secrets = map(&[(ROLE_SECRET, "from-the-backend")]);
        let parsed = ConnectionConfig::from_link(&config, &secrets).expect("valid");
        assert_eq!(parsed.password, "from-the-backend");
        assert!(!format!("{parsed:?}").contains("from-the-backend"));
        // Without either, the error names the usual key.
        let err = ConnectionConfig::from_link(&config, &HashMap::new()).expect_err("no password");
        assert_eq!(err, ConfigError::Missing(PASSWORD));
    }

    fn tls_error(pairs: &[(&'static str, &str)]) -> ConfigError {
        let mut raw = full();
        for (key, value) in pairs {
            raw.insert(key.to_string(), value.to_string());
        }
        ConnectionConfig::from_link(&raw, &HashMap::new()).expect_err("invalid TLS settings")
    }

    fn key_of(err: &ConfigError) -> &'static str {
        match err {
            ConfigError::Invalid { key, .. } | ConfigError::Missing(key) => key,
        }
    }

    #[test]
    fn tls_required_without_a_ca_trusts_the_public_web() {
        let mut raw = full();
        raw.insert(TLS_REQUIRED.into(), "true".into());
        let config = ConnectionConfig::from_link(&raw, &HashMap::new()).expect("valid");
        assert_eq!(config.tls, Some(TrustedCas::public_web()));
    }

    #[test]
    fn bad_tls_settings_name_their_key() {
        let not_pem = tls_error(&[(TLS_REQUIRED, "true"), (TLS_CA, "hello")]);
        assert_eq!(key_of(&not_pem), TLS_CA, "{not_pem}");
        assert!(
            not_pem.to_string().contains("no PEM certificate"),
            "{not_pem}"
        );

        let no_file = tls_error(&[(TLS_REQUIRED, "true"), (TLS_CA_FILE, "/nonexistent/ca.pem")]);
        assert_eq!(key_of(&no_file), TLS_CA_FILE);
        assert!(
            no_file.to_string().contains("/nonexistent/ca.pem"),
            "{no_file}"
        );

        let both = tls_error(&[(TLS_REQUIRED, "true"), (TLS_CA, "x"), (TLS_CA_FILE, "y")]);
        assert_eq!(key_of(&both), TLS_CA);

        let ca_without_tls = tls_error(&[(TLS_CA_FILE, "/some/ca.pem")]);
        assert_eq!(key_of(&ca_without_tls), TLS_REQUIRED, "{ca_without_tls}");
    }
}
