//! A wasmCloud capability provider serving `wasmcloud:postgres@0.1.1-draft` (`query`,
//! `query-batch`, `prepared`) to linked components.
//!
//! Each component linked to the provider gets its own connection pool, built from the link's
//! `POSTGRES_*` configuration when the link arrives. A link whose configuration is incomplete
//! or wrong is refused with a message naming the key; the component's calls then fail with
//! that message instead of a vague connection error.

pub mod config;
pub mod convert;
pub mod serve;

pub mod bindings {
    wit_bindgen_wrpc::generate!({
        path: "../../wit",
        world: "sqldb-postgres-provider",
        generate_all,
    });
}

use std::collections::HashMap;
use std::sync::Arc;

use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod};
use tokio::sync::RwLock;
use tracing::{info, warn};

use crate::bindings::wasmcloud::postgres::types::{
    PgValue, PreparedStatementExecError, QueryError, ResultRow, StatementPrepareError,
};
use crate::config::{ConfigError, ConnectionConfig};
use crate::convert::{decode_row, param_error_of, Param};

/// A linked component's pool, or why its link was refused.
enum LinkState {
    Ready(Pool),
    Refused(String),
}

/// A statement prepared by a component, executed later by token.
struct PreparedStatement {
    owner: String,
    sql: String,
}

/// The provider's state; cheap to clone (every clone shares it).
#[derive(Clone, Default)]
pub struct PostgresProvider {
    links: Arc<RwLock<HashMap<String, LinkState>>>,
    prepared: Arc<RwLock<HashMap<String, PreparedStatement>>>,
}

/// Errors of a statement before it reached Postgres or while running it.
#[derive(Debug, thiserror::Error)]
pub enum StatementError {
    #[error("{0}")]
    InvalidParams(String),
    #[error("{0}")]
    InvalidQuery(String),
    #[error("{0}")]
    Unexpected(String),
}

impl From<StatementError> for QueryError {
    fn from(err: StatementError) -> Self {
        match err {
            StatementError::InvalidParams(msg) => QueryError::InvalidParams(msg),
            StatementError::InvalidQuery(msg) => QueryError::InvalidQuery(msg),
            StatementError::Unexpected(msg) => QueryError::Unexpected(msg),
        }
    }
}

/// Classifies a tokio-postgres error: Postgres' own errors carry their SQLSTATE.
fn classify(err: tokio_postgres::Error) -> StatementError {
    if let Some(db) = err.as_db_error() {
        let mut message = format!(
            "{}: {} (SQLSTATE {})",
            db.severity(),
            db.message(),
            db.code().code()
        );
        if let Some(detail) = db.detail() {
            message.push_str(&format!("; detail: {detail}"));
        }
        return StatementError::InvalidQuery(message);
    }
    if let Some(param) = param_error_of(&err) {
        return StatementError::InvalidParams(param);
    }
    StatementError::Unexpected(err.to_string())
}

impl PostgresProvider {
    /// Handles a new link from component `source_id`: validates its configuration, builds its
    /// pool and checks that the database accepts the credentials. On error the link is
    /// remembered as refused (with the reason) and the error is returned.
    pub async fn add_link(
        &self,
        source_id: &str,
        config: &HashMap<String, String>,
        secrets: &HashMap<String, String>,
    ) -> Result<(), ConfigError> {
        let result = match ConnectionConfig::from_link(config, secrets) {
            Ok(parsed) => self.connect(source_id, &parsed).await,
            Err(err) => Err(err),
        };
        let state = match &result {
            Ok(pool) => LinkState::Ready(pool.clone()),
            Err(err) => {
                warn!(component = source_id, error = %err, "link refused");
                LinkState::Refused(err.to_string())
            }
        };
        if let Some(LinkState::Ready(old)) = self
            .links
            .write()
            .await
            .insert(source_id.to_string(), state)
        {
            old.close();
        }
        result.map(|_| ())
    }

    async fn connect(
        &self,
        source_id: &str,
        config: &ConnectionConfig,
    ) -> Result<Pool, ConfigError> {
        let manager = Manager::from_config(
            config.pg_config(),
            tokio_postgres::NoTls,
            ManagerConfig {
                // Fast: a connection whose socket closed is dropped and replaced on checkout.
                recycling_method: RecyclingMethod::Fast,
            },
        );
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
        // Wrong credentials or a missing database are configuration errors: refuse the link.
        // An unreachable server is not: the pool connects once it is back.
        match pool.get().await {
            Ok(_) => info!(component = source_id, ?config, "link ready"),
            Err(deadpool_postgres::PoolError::Backend(err)) if err.as_db_error().is_some() => {
                let db = err
                    .as_db_error()
                    .map(|db| (db.code().code().to_string(), db.message().to_string()));
                let (code, message) = db.unwrap_or_default();
                let key = match code.as_str() {
                    "3D000" => config::DATABASE,
                    "28P01" | "28000" => config::PASSWORD,
                    _ => config::USERNAME,
                };
                return Err(ConfigError::Invalid {
                    key,
                    problem: format!("{message} (SQLSTATE {code})"),
                });
            }
            Err(err) => warn!(component = source_id, ?config, error = %err,
                "database not reachable yet; the link is kept and connects on first use"),
        }
        Ok(pool)
    }

    /// Forgets a component's link and closes its pool.
    pub async fn remove_link(&self, source_id: &str) {
        if let Some(LinkState::Ready(pool)) = self.links.write().await.remove(source_id) {
            pool.close();
        }
        self.prepared
            .write()
            .await
            .retain(|_, statement| statement.owner != source_id);
        info!(component = source_id, "link removed");
    }

    /// Closes every pool.
    pub async fn close_all(&self) {
        for (_, state) in self.links.write().await.drain() {
            if let LinkState::Ready(pool) = state {
                pool.close();
            }
        }
        self.prepared.write().await.clear();
    }

    async fn pool(&self, source_id: &str) -> Result<Pool, StatementError> {
        match self.links.read().await.get(source_id) {
            Some(LinkState::Ready(pool)) => Ok(pool.clone()),
            Some(LinkState::Refused(why)) => Err(StatementError::Unexpected(format!(
                "the link from {source_id} was refused: {why}"
            ))),
            None => Err(StatementError::Unexpected(format!(
                "no link from component {source_id} to this provider"
            ))),
        }
    }

    /// Runs one parameterised statement for `source_id` and returns its rows.
    pub async fn query(
        &self,
        source_id: &str,
        sql: &str,
        params: Vec<PgValue>,
    ) -> Result<Vec<ResultRow>, StatementError> {
        let params = to_params(params)?;
        let pool = self.pool(source_id).await?;
        let rows = match run(&pool, source_id, sql, &params, Op::Query).await? {
            Outcome::Rows(rows) => rows,
            Outcome::Count(_) => Vec::new(),
        };
        rows.iter()
            .map(|row| decode_row(row).map_err(|err| StatementError::Unexpected(err.to_string())))
            .collect()
    }

    /// Runs `;`-separated statements without parameters.
    pub async fn query_batch(&self, source_id: &str, sql: &str) -> Result<(), StatementError> {
        let pool = self.pool(source_id).await?;
        let client = checkout(&pool).await?;
        let result = client.batch_execute(sql).await.map_err(classify);
        // A batch is how schemas change: statements prepared before it may be stale.
        pool.manager().statement_caches.clear();
        result
    }

    /// Checks that `sql` prepares, and returns a token to execute it by.
    pub async fn prepare(&self, source_id: &str, sql: &str) -> Result<String, StatementError> {
        let client = checkout(&self.pool(source_id).await?).await?;
        client.prepare_cached(sql).await.map_err(classify)?;
        let token = uuid::Uuid::new_v4().to_string();
        self.prepared.write().await.insert(
            token.clone(),
            PreparedStatement {
                owner: source_id.to_string(),
                sql: sql.to_string(),
            },
        );
        Ok(token)
    }

    /// Executes a prepared statement; `Ok(None)` when the token is unknown to this component.
    pub async fn exec(
        &self,
        source_id: &str,
        token: &str,
        params: Vec<PgValue>,
    ) -> Result<Option<u64>, StatementError> {
        let sql = match self.prepared.read().await.get(token) {
            Some(statement) if statement.owner == source_id => statement.sql.clone(),
            _ => return Ok(None),
        };
        let params = to_params(params)?;
        let pool = self.pool(source_id).await?;
        match run(&pool, source_id, &sql, &params, Op::Execute).await? {
            Outcome::Count(count) => Ok(Some(count)),
            Outcome::Rows(rows) => Ok(Some(rows.len() as u64)),
        }
    }
}

/// Converts a statement's parameters, naming the first that cannot be bound.
fn to_params(values: Vec<PgValue>) -> Result<Vec<Param>, StatementError> {
    values
        .into_iter()
        .enumerate()
        .map(|(i, value)| {
            Param::new(value).map_err(|err| {
                StatementError::InvalidParams(format!("parameter ${}: {err}", i + 1))
            })
        })
        .collect()
}

fn as_sql_refs(params: &[Param]) -> Vec<&(dyn tokio_postgres::types::ToSql + Sync)> {
    params
        .iter()
        .map(|p| p as &(dyn tokio_postgres::types::ToSql + Sync))
        .collect()
}

fn check_param_count(expected: usize, got: usize) -> Result<(), StatementError> {
    if expected == got {
        Ok(())
    } else {
        Err(StatementError::InvalidParams(format!(
            "the statement takes {expected} parameter(s) but {got} were given"
        )))
    }
}

async fn checkout(pool: &Pool) -> Result<deadpool_postgres::Object, StatementError> {
    pool.get()
        .await
        .map_err(|err| StatementError::Unexpected(format!("no database connection: {err}")))
}

/// What to do with a statement's result.
#[derive(Clone, Copy)]
enum Op {
    Query,
    Execute,
}

enum Outcome {
    Rows(Vec<tokio_postgres::Row>),
    Count(u64),
}

/// How one try at a statement failed: refused before reaching Postgres, or by Postgres.
enum Failure {
    Refused(StatementError),
    Postgres(tokio_postgres::Error),
}

impl From<tokio_postgres::Error> for Failure {
    fn from(err: tokio_postgres::Error) -> Self {
        Self::Postgres(err)
    }
}

/// Whether a failure may go away on a second try: the pooled connection had died, or the
/// cached prepared statement no longer matches the schema (SQLSTATE 0A000 "cached plan must
/// not change result type", or parameter types that changed under it).
fn worth_retrying(err: &tokio_postgres::Error) -> bool {
    err.is_closed()
        || err
            .as_db_error()
            .is_some_and(|db| matches!(db.code().code(), "0A000" | "26000"))
        || param_error_of(err).is_some()
}

/// Schema-changing statements invalidate every prepared statement of the pool.
fn changes_schema(sql: &str) -> bool {
    let head: String = sql
        .trim_start()
        .chars()
        .take(8)
        .collect::<String>()
        .to_ascii_uppercase();
    ["CREATE", "DROP", "ALTER"]
        .iter()
        .any(|verb| head.starts_with(verb))
}

/// Runs a statement through the pool's statement cache; retried once, on a fresh connection
/// and a fresh prepare, when [`worth_retrying`] says so.
async fn run(
    pool: &Pool,
    source_id: &str,
    sql: &str,
    params: &[Param],
    op: Op,
) -> Result<Outcome, StatementError> {
    let mut retried = false;
    loop {
        let client = checkout(pool).await?;
        let result = async {
            let statement = client.prepare_cached(sql).await?;
            check_param_count(statement.params().len(), params.len()).map_err(Failure::Refused)?;
            let outcome = match op {
                Op::Query => Outcome::Rows(client.query(&statement, &as_sql_refs(params)).await?),
                Op::Execute => {
                    Outcome::Count(client.execute(&statement, &as_sql_refs(params)).await?)
                }
            };
            Ok::<_, Failure>(outcome)
        }
        .await;
        match result {
            Ok(outcome) => {
                if changes_schema(sql) {
                    pool.manager().statement_caches.clear();
                }
                return Ok(outcome);
            }
            Err(Failure::Refused(statement_error)) => return Err(statement_error),
            Err(Failure::Postgres(err)) if !retried && worth_retrying(&err) => {
                warn!(component = source_id, error = %err, "statement failed; retrying on a fresh connection");
                client.statement_cache.remove(sql, &[]);
                if err.is_closed() {
                    // Let the pool drop the dead connection instead of recycling it.
                    let _ = deadpool_postgres::Object::take(client);
                }
                retried = true;
            }
            Err(Failure::Postgres(err)) => return Err(classify(err)),
        }
    }
}

impl From<StatementError> for PreparedStatementExecError {
    fn from(err: StatementError) -> Self {
        PreparedStatementExecError::QueryError(err.into())
    }
}

impl From<StatementError> for StatementPrepareError {
    fn from(err: StatementError) -> Self {
        StatementPrepareError::Unexpected(err.to_string())
    }
}
