//! The provider on the lattice: link lifecycle from the host, and the exported functions
//! served over wRPC.

use std::collections::HashMap;
use std::time::Duration;

use anyhow::Context as _;
use tracing::{info_span, Instrument as _, Span};
use wasmcloud_provider_sdk::{Context, LinkConfig, LinkDeleteInfo, Provider};

use crate::bindings::exports::wasmcloud::postgres::{prepared, query};
use crate::bindings::wasmcloud::postgres::types::{
    PgValue, PreparedStatementExecError, QueryError, ResultRow, StatementPrepareError,
};
use crate::{PostgresProvider, StatementError};

/// The name the provider reports to the host.
pub const PROVIDER_NAME: &str = "sqldb-postgres-provider";

/// On shutdown, how long the statements in flight may take to finish before the pools close
/// (a statement is cut at its link's statement timeout anyway).
const DRAIN_TIMEOUT: Duration = Duration::from_secs(5);

/// Serves the provider until the host stops it.
pub async fn serve() -> anyhow::Result<()> {
    let provider = PostgresProvider::default();
    let registry = provider.metrics().registry.clone();
    let drain = provider.drain().clone();
    provider_support::serve_with_telemetry(
        PROVIDER_NAME,
        &[],
        registry,
        provider_support::serve_provider!(provider, PROVIDER_NAME, crate::bindings::serve, drain),
    )
    .await
}

/// The span of one call a component made, continuing the component's trace.
fn call_span(function: &'static str, context: &Option<Context>) -> Span {
    let component = context
        .as_ref()
        .and_then(|context| context.component.as_deref())
        .unwrap_or("<unknown>");
    let span = info_span!(
        "postgres call",
        otel.name = function,
        otel.kind = "server",
        component = %component,
    );
    provider_support::continue_call(&span, context.as_ref());
    span
}

impl Provider for PostgresProvider {
    async fn receive_link_config_as_target(&self, link: LinkConfig<'_>) -> anyhow::Result<()> {
        let secrets: HashMap<String, String> = link
            .secrets
            .iter()
            .filter_map(|(key, value)| Some((key.clone(), value.as_string()?.to_string())))
            .collect();
        self.add_link(link.source_id, link.config, &secrets)
            .await
            .with_context(|| format!("link from {} refused", link.source_id))
    }

    async fn delete_link_as_target(&self, info: impl LinkDeleteInfo) -> anyhow::Result<()> {
        self.remove_link(info.get_source_id()).await;
        Ok(())
    }

    /// Takes no more statements, lets those in flight finish, then closes the pools.
    async fn shutdown(&self) -> anyhow::Result<()> {
        self.drain().finish(DRAIN_TIMEOUT).await;
        self.close_all().await;
        tracing::info!("provider stopped; all pools closed");
        Ok(())
    }
}

/// The calling component's id, which selects its link (and so its database).
fn caller(context: Option<Context>) -> Result<String, StatementError> {
    context
        .and_then(|context| context.component)
        .ok_or_else(|| StatementError::Unexpected("the call carries no source component id".into()))
}

impl query::Handler<Option<Context>> for PostgresProvider {
    async fn query(
        &self,
        context: Option<Context>,
        query: String,
        params: Vec<PgValue>,
    ) -> anyhow::Result<Result<Vec<ResultRow>, QueryError>> {
        let span = call_span("wasmcloud:postgres/query.query", &context);
        let result = match caller(context) {
            Ok(source) => {
                PostgresProvider::query(self, &source, &query, params)
                    .instrument(span)
                    .await
            }
            Err(err) => Err(err),
        };
        Ok(result.map_err(QueryError::from))
    }

    async fn query_batch(
        &self,
        context: Option<Context>,
        query: String,
    ) -> anyhow::Result<Result<(), QueryError>> {
        let span = call_span("wasmcloud:postgres/query.query-batch", &context);
        let result = match caller(context) {
            Ok(source) => {
                PostgresProvider::query_batch(self, &source, &query)
                    .instrument(span)
                    .await
            }
            Err(err) => Err(err),
        };
        Ok(result.map_err(QueryError::from))
    }
}

impl prepared::Handler<Option<Context>> for PostgresProvider {
    async fn prepare(
        &self,
        context: Option<Context>,
        statement: String,
    ) -> anyhow::Result<Result<String, StatementPrepareError>> {
        let span = call_span("wasmcloud:postgres/prepared.prepare", &context);
        let result = match caller(context) {
            Ok(source) => {
                PostgresProvider::prepare(self, &source, &statement)
                    .instrument(span)
                    .await
            }
            Err(err) => Err(err),
        };
        Ok(result.map_err(StatementPrepareError::from))
    }

    async fn exec(
        &self,
        context: Option<Context>,
        stmt_token: String,
        params: Vec<PgValue>,
    ) -> anyhow::Result<Result<u64, PreparedStatementExecError>> {
        let span = call_span("wasmcloud:postgres/prepared.exec", &context);
        let result = match caller(context) {
            Ok(source) => {
                PostgresProvider::exec(self, &source, &stmt_token, params)
                    .instrument(span)
                    .await
            }
            Err(err) => Err(err),
        };
        Ok(match result {
            Ok(Some(rows)) => Ok(rows),
            Ok(None) => Err(PreparedStatementExecError::UnknownPreparedQuery),
            Err(err) => Err(err.into()),
        })
    }
}
