//! [`PostgresProvider`]: the provider's state — the link registry and the statements
//! components prepared — and the operations the exported interfaces call. `serve` connects
//! these to the host's link lifecycle and to wRPC.

use std::collections::HashMap;
use std::sync::Arc;

use std::time::Instant;

use tokio::sync::RwLock;
use tracing::{info, Instrument as _};

use crate::bindings::wasmcloud::postgres::types::{PgValue, ResultRow};
use crate::config::ConfigError;
use crate::convert::decode_row;
use crate::links::Links;
use crate::metrics::PostgresMetrics;
use crate::statement::{
    checkout, classify, execute_with_retry, statement_ended, statement_span, to_params,
    StatementError, StatementResult, Wanted,
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
    metrics: PostgresMetrics,
    /// Stops the exports on shutdown before the pools close (see [`provider_support::Drain`]).
    drain: provider_support::Drain,
}

impl PostgresProvider {
    /// The switch that drains the provider's exports.
    pub fn drain(&self) -> &provider_support::Drain {
        &self.drain
    }

    /// A new link from component `source_id` (see [`Links::add`]).
    pub async fn add_link(
        &self,
        source_id: &str,
        config: &HashMap<String, String>,
        secrets: &HashMap<String, String>,
    ) -> Result<(), ConfigError> {
        self.links.add(source_id, config, secrets).await
    }

    /// The provider's metrics, for its Prometheus endpoint.
    pub fn metrics(&self) -> &PostgresMetrics {
        &self.metrics
    }

    pub async fn remove_link(&self, source_id: &str) {
        if let Some(database) = self.links.remove(source_id).await {
            self.metrics.forget_pool(&database);
        }
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
        let link = self.links.pool(source_id).await?;
        let rows =
            match execute_with_retry(&link, &self.metrics, source_id, sql, &params, Wanted::Rows)
                .await?
            {
                StatementResult::Rows(rows) => rows,
                StatementResult::Count(_) => Vec::new(),
            };
        rows.iter()
            .map(|row| decode_row(row).map_err(|err| StatementError::Unexpected(err.to_string())))
            .collect()
    }

    /// Runs `;`-separated statements without parameters.
    pub async fn query_batch(&self, source_id: &str, sql: &str) -> Result<(), StatementError> {
        let link = self.links.pool(source_id).await?;
        let client = checkout(&link, &self.metrics).await?;
        let span = statement_span(&link.database, sql);
        let started = Instant::now();
        let result = client.batch_execute(sql).instrument(span.clone()).await;
        statement_ended(
            &span,
            &self.metrics,
            &link.database,
            started,
            result.as_ref().map(|()| 0),
        );
        // A batch is how schemas change: statements prepared before it may be stale.
        link.pool.manager().statement_caches.clear();
        result.map_err(classify)
    }

    /// Checks that `sql` prepares, and returns a token to execute it by.
    pub async fn prepare(&self, source_id: &str, sql: &str) -> Result<String, StatementError> {
        let link = self.links.pool(source_id).await?;
        let client = checkout(&link, &self.metrics).await?;
        let span = statement_span(&link.database, sql);
        span.record("otel.name", format!("PREPARE {}", link.database));
        let started = Instant::now();
        let prepared = client.prepare_cached(sql).instrument(span.clone()).await;
        statement_ended(
            &span,
            &self.metrics,
            &link.database,
            started,
            prepared.as_ref().map(|_| 0),
        );
        prepared.map_err(classify)?;
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
        let link = self.links.pool(source_id).await?;
        match execute_with_retry(
            &link,
            &self.metrics,
            source_id,
            &sql,
            &params,
            Wanted::Count,
        )
        .await?
        {
            StatementResult::Count(count) => Ok(Some(count)),
            StatementResult::Rows(rows) => Ok(Some(rows.len() as u64)),
        }
    }
}
