//! The link registry: one connection pool per linked component, built from the link's
//! configuration when the link arrives, or the reason the link was refused.

use std::collections::HashMap;
use std::sync::Arc;

use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod};
use tokio::sync::RwLock;
use tracing::{info, warn};

use crate::config::{self, ConfigError, ConnectionConfig};
use crate::statement::StatementError;

/// A linked component's pool, and the database it connects to.
#[derive(Clone)]
pub struct LinkPool {
    pub pool: Pool,
    pub database: Arc<str>,
}

enum LinkState {
    Ready(LinkPool),
    Refused(String),
}

/// The pools of the linked components, by component id.
#[derive(Default)]
pub struct Links(RwLock<HashMap<String, LinkState>>);

impl Links {
    /// Handles a new link from component `source_id`: validates its configuration, builds its
    /// pool and checks that the database accepts the credentials. On error the link is
    /// remembered as refused (with the reason) and the error is returned.
    pub async fn add(
        &self,
        source_id: &str,
        config: &HashMap<String, String>,
        secrets: &HashMap<String, String>,
    ) -> Result<(), ConfigError> {
        let result = match ConnectionConfig::from_link(config, secrets) {
            Ok(parsed) => self.connect(source_id, &parsed).await.map(|pool| LinkPool {
                pool,
                database: Arc::from(parsed.database.as_str()),
            }),
            Err(err) => Err(err),
        };
        let state = match &result {
            Ok(pool) => LinkState::Ready(pool.clone()),
            Err(err) => {
                warn!(component = source_id, error = %err, "link refused");
                LinkState::Refused(err.to_string())
            }
        };
        if let Some(LinkState::Ready(old)) =
            self.0.write().await.insert(source_id.to_string(), state)
        {
            old.pool.close();
        }
        result.map(|_| ())
    }

    async fn connect(
        &self,
        source_id: &str,
        config: &ConnectionConfig,
    ) -> Result<Pool, ConfigError> {
        let manager_config = ManagerConfig {
            // Fast: a connection whose socket closed is dropped and replaced on checkout.
            recycling_method: RecyclingMethod::Fast,
        };
        let manager = match &config.tls {
            Some(cas) => {
                let connector = cas.connector().map_err(|err| ConfigError::Invalid {
                    key: config::TLS_CA,
                    problem: err.to_string(),
                })?;
                Manager::from_config(config.pg_config(), connector, manager_config)
            }
            None => Manager::from_config(config.pg_config(), tokio_postgres::NoTls, manager_config),
        };
        let pool = Pool::builder(manager)
            .max_size(config.pool_size)
            .wait_timeout(Some(config.statement_timeout))
            .create_timeout(Some(config.statement_timeout))
            .runtime(deadpool_postgres::Runtime::Tokio1)
            .build()
            .map_err(|err| ConfigError::Invalid {
                key: config::POOL_SIZE,
                problem: err.to_string(),
            })?;
        // Wrong credentials, a missing database or a TLS mismatch are configuration errors:
        // refuse the link. An unreachable server is not: the pool connects once it is back.
        match pool.get().await {
            Ok(_) => info!(component = source_id, ?config, "link ready"),
            Err(deadpool_postgres::PoolError::Backend(err)) => {
                if let Some(refusal) = refusal(&err, config) {
                    return Err(refusal);
                }
                warn!(component = source_id, ?config, error = %err,
                    "database not reachable yet; the link is kept and connects on first use");
            }
            Err(err) => warn!(component = source_id, ?config, error = %err,
                "database not reachable yet; the link is kept and connects on first use"),
        }
        Ok(pool)
    }

    /// Closes and forgets a component's pool; the database it used, if it had one.
    pub async fn remove(&self, source_id: &str) -> Option<Arc<str>> {
        match self.0.write().await.remove(source_id) {
            Some(LinkState::Ready(link)) => {
                link.pool.close();
                Some(link.database)
            }
            _ => None,
        }
    }

    /// Closes every pool.
    pub async fn close_all(&self) {
        for (_, state) in self.0.write().await.drain() {
            if let LinkState::Ready(link) = state {
                link.pool.close();
            }
        }
    }

    /// The pool of `source_id`'s link; an error names why there is none.
    pub async fn pool(&self, source_id: &str) -> Result<LinkPool, StatementError> {
        match self.0.read().await.get(source_id) {
            Some(LinkState::Ready(link)) => Ok(link.clone()),
            Some(LinkState::Refused(why)) => Err(StatementError::Unexpected(format!(
                "the link from {source_id} was refused: {why}"
            ))),
            None => Err(StatementError::Unexpected(format!(
                "no link from component {source_id} to this provider"
            ))),
        }
    }
}

/// The configuration error a failed first connection means, naming the key to change; `None`
/// when the failure is not the configuration's (the server is down or unreachable).
fn refusal(err: &tokio_postgres::Error, config: &ConnectionConfig) -> Option<ConfigError> {
    if let Some(db) = err.as_db_error() {
        let code = db.code().code();
        let message = db.message();
        let key = match code {
            "3D000" => config::DATABASE,
            // pg_hba: a `hostssl` rule and no plain one for this role (Postgres says "no
            // encryption" for a plain connection it has no rule for).
            "28000" if config.tls.is_none() && message.contains("no encryption") => {
                return Some(ConfigError::Invalid {
                    key: config::TLS_REQUIRED,
                    problem: format!(
                        "the server refused a plain connection ({message}, SQLSTATE {code}); \
                         it accepts this role only over TLS: set {}=true and {}",
                        config::TLS_REQUIRED,
                        config::TLS_CA
                    ),
                });
            }
            "28P01" | "28000" => config::PASSWORD,
            _ => config::USERNAME,
        };
        return Some(ConfigError::Invalid {
            key,
            problem: format!("{message} (SQLSTATE {code})"),
        });
    }
    let reason = postgres_tls::tls_failure(err)?;
    let key = if reason.contains("does not support TLS") {
        config::TLS_REQUIRED
    } else {
        config::TLS_CA
    };
    Some(ConfigError::Invalid {
        key,
        problem: format!(
            "TLS with {}:{} failed: {reason} (the server's certificate must lead to a CA in {} \
             or {} and name the host connected to)",
            config.host,
            config.port,
            config::TLS_CA,
            config::TLS_CA_FILE
        ),
    })
}
