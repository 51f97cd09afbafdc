//! The link configuration: the same `POSTGRES_*` keys as wasmCloud's own Postgres provider,
//! read from the link's secrets first, then from its (target) config.

use std::collections::HashMap;
use std::time::Duration;

pub const HOST: &str = "POSTGRES_HOST";
pub const PORT: &str = "POSTGRES_PORT";
pub const USERNAME: &str = "POSTGRES_USERNAME";
pub const PASSWORD: &str = "POSTGRES_PASSWORD";
pub const DATABASE: &str = "POSTGRES_DATABASE";
pub const TLS_REQUIRED: &str = "POSTGRES_TLS_REQUIRED";
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
    pub tls_required: bool,
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
            .field("tls_required", &self.tls_required)
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
            .ok_or(ConfigError::Missing(PASSWORD))?
            .to_string();
        let database = values.required(DATABASE)?.to_string();
        let tls_required = match values.get(TLS_REQUIRED) {
            None => false,
            Some(raw) => parse_bool(raw).ok_or_else(|| ConfigError::Invalid {
                key: TLS_REQUIRED,
                problem: format!("{raw:?} is not true or false"),
            })?,
        };
        let pool_size = values.number_or(POOL_SIZE, DEFAULT_POOL_SIZE, 1..=MAX_POOL_SIZE)?;
        let statement_timeout = Duration::from_millis(values.number_or(
            STATEMENT_TIMEOUT_MS,
            DEFAULT_STATEMENT_TIMEOUT_MS,
            1..=MAX_STATEMENT_TIMEOUT_MS,
        )?);
        if tls_required {
            return Err(ConfigError::Invalid {
                key: TLS_REQUIRED,
                problem: "TLS connections are not supported by this provider yet".into(),
            });
        }
        Ok(Self {
            host,
            port,
            username,
            password,
            database,
            tls_required,
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
            .keepalives(true);
        pg
    }
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
        assert!(!config.tls_required);
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
}
