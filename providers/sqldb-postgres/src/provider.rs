//! [`PostgresProvider`]: the provider's state — the link registry and the statements
//! components prepared — and the operations the exported interfaces call. `serve` connects
//! these to the host's link lifecycle and to wRPC.

use std::collections::HashMap;
use std::sync::Arc;

use tokio::sync::RwLock;
use tracing::info;

use crate::bindings::wasmcloud::postgres::types::{PgValue, ResultRow};
use crate::config::ConfigError;
use crate::convert::decode_row;
use crate::links::Links;
use crate::statement::{
    checkout, classify, execute_with_retry, to_params, StatementError, StatementResult, Wanted,
};

/// A statement prepared by a component, executed later by token.
struct PreparedStatement {
    owner: String,
    sql: String,
}

/// The provider's state; cheap to clone (every clone shares it).
#[derive(Clone, Default)]
pub struct PostgresProvider {
    links: Arc<Links>,
    prepared: Arc<RwLock<HashMap<String, PreparedStatement>>>,
}

impl PostgresProvider {
    /// A new link from component `source_id` (see [`Links::add`]).
    pub async fn add_link(
        &self,
        source_id: &str,
        config: &HashMap<String, String>,
        secrets: &HashMap<String, String>,
    ) -> Result<(), ConfigError> {
        self.links.add(source_id, config, secrets).await
    }

    /// Forgets a component's link, its pool and its prepared statements.
    pub async fn remove_link(&self, source_id: &str) {
        self.links.remove(source_id).await;
        self.prepared
            .write()
            .await
            .retain(|_, statement| statement.owner != source_id);
        info!(component = source_id, "link removed");
    }

    /// Closes every pool.
    pub async fn close_all(&self) {
        self.links.close_all().await;
        self.prepared.write().await.clear();
    }

    /// Runs one parameterised statement for `source_id` and returns its rows.
    pub async fn query(
        &self,
        source_id: &str,
        sql: &str,
        params: Vec<PgValue>,
    ) -> Result<Vec<ResultRow>, StatementError> {
        let params = to_params(params)?;
        let pool = self.links.pool(source_id).await?;
        let rows = match execute_with_retry(&pool, source_id, sql, &params, Wanted::Rows).await? {
            StatementResult::Rows(rows) => rows,
            StatementResult::Count(_) => Vec::new(),
        };
        rows.iter()
            .map(|row| decode_row(row).map_err(|err| StatementError::Unexpected(err.to_string())))
            .collect()
    }

    /// Runs `;`-separated statements without parameters.
    pub async fn query_batch(&self, source_id: &str, sql: &str) -> Result<(), StatementError> {
        let pool = self.links.pool(source_id).await?;
        let client = checkout(&pool).await?;
        let result = client.batch_execute(sql).await.map_err(classify);
        // A batch is how schemas change: statements prepared before it may be stale.
        pool.manager().statement_caches.clear();
        result
    }

    /// Checks that `sql` prepares, and returns a token to execute it by.
    pub async fn prepare(&self, source_id: &str, sql: &str) -> Result<String, StatementError> {
        let client = checkout(&self.links.pool(source_id).await?).await?;
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
        let pool = self.links.pool(source_id).await?;
        match execute_with_retry(&pool, source_id, &sql, &params, Wanted::Count).await? {
            StatementResult::Count(count) => Ok(Some(count)),
            StatementResult::Rows(rows) => Ok(Some(rows.len() as u64)),
        }
    }
}
