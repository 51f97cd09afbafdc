//! Running one statement on a link's pool: parameters bound by the statement's declared
//! types, one retry when the pooled connection or the cached plan had gone stale, and errors
//! classified as the contract's `query-error`.

use std::time::Instant;

use tracing::{debug_span, field, info_span, warn, Instrument as _, Span};

use crate::bindings::wasmcloud::postgres::types::{
    PgValue, PreparedStatementExecError, QueryError, StatementPrepareError,
};
use crate::convert::{param_error_of, Param};
use crate::links::LinkPool;
use crate::metrics::{Outcome, PostgresMetrics};

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

/// Whether a SQLSTATE says the server, not the statement, is at fault for now: a connection
/// exception (08), too few resources (53), an operator's intervention such as a shutdown or a
/// server still starting (57), a system error (58), or a transaction that lost a race
/// (40001 serialization failure, 40P01 deadlock). The statement may succeed when run again.
fn server_unavailable(code: &str) -> bool {
    ["08", "53", "57", "58"]
        .iter()
        .any(|class| code.starts_with(class))
        || matches!(code, "40001" | "40P01")
}

/// Classifies a tokio-postgres error: Postgres' own errors carry their SQLSTATE. Errors of a
/// server that is unavailable for now are `unexpected` (the contract's "not the caller's
/// fault"), like a connection that could not be made.
pub fn classify(err: tokio_postgres::Error) -> StatementError {
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
        if server_unavailable(db.code().code()) {
            return StatementError::Unexpected(message);
        }
        return StatementError::InvalidQuery(message);
    }
    if let Some(param) = param_error_of(&err) {
        return StatementError::InvalidParams(param);
    }
    StatementError::Unexpected(err.to_string())
}

/// Converts a statement's parameters, naming the first that cannot be bound.
pub fn to_params(values: Vec<PgValue>) -> Result<Vec<Param>, StatementError> {
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

/// A connection from the link's pool; the wait is timed and traced.
pub async fn checkout(
    link: &LinkPool,
    metrics: &PostgresMetrics,
) -> Result<deadpool_postgres::Object, StatementError> {
    let started = Instant::now();
    // Debug level: the wait is in the metrics (`postgres_provider_pool_wait_seconds`); a span
    // per call for it would cost the trace store more than it tells.
    let span = debug_span!("pool checkout", db.name = %link.database);
    let result = link.pool.get().instrument(span).await;
    metrics.checkout_done(&link.database, started.elapsed(), result.is_ok());
    metrics.pool_state(&link.database, &link.pool);
    result.map_err(|err| StatementError::Unexpected(format!("no database connection: {err}")))
}

/// The span of one statement on the database: OpenTelemetry's database attributes, with the
/// statement's text as the component sent it (parameters are never in it: they are bound).
pub fn statement_span(database: &str, sql: &str) -> Span {
    let operation = sql
        .split_whitespace()
        .next()
        .unwrap_or("statement")
        .to_ascii_uppercase();
    info_span!(
        "db statement",
        otel.name = %format!("{operation} {database}"),
        otel.kind = "client",
        otel.status_code = field::Empty,
        db.system = "postgresql",
        db.name = %database,
        db.operation = %operation,
        db.statement = %sql,
        db.response.status_code = field::Empty,
        db.rows = field::Empty,
    )
}

/// Records how a statement ended on its span and in the metrics.
pub fn statement_ended(
    span: &Span,
    metrics: &PostgresMetrics,
    database: &str,
    started: Instant,
    result: Result<u64, &tokio_postgres::Error>,
) {
    let outcome = match result {
        Ok(rows) => {
            span.record("db.rows", rows);
            Outcome::Ok
        }
        Err(err) => {
            span.record("otel.status_code", "ERROR");
            match err.as_db_error() {
                Some(db) => {
                    span.record("db.response.status_code", db.code().code());
                    Outcome::Sqlstate(db.code().code())
                }
                None => Outcome::NoSqlstate,
            }
        }
    };
    metrics.statement_done(database, started.elapsed(), outcome);
}

/// What the caller wants of a statement: its rows, or how many rows it affected.
#[derive(Clone, Copy)]
pub enum Wanted {
    Rows,
    Count,
}

/// A statement's result, as [`Wanted`].
pub enum StatementResult {
    Rows(Vec<tokio_postgres::Row>),
    Count(u64),
}

/// How one try at a statement failed: refused before reaching Postgres, or by Postgres.
enum TryFailure {
    Refused(StatementError),
    Postgres(tokio_postgres::Error),
}

impl From<tokio_postgres::Error> for TryFailure {
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
/// and a fresh prepare, when `worth_retrying` says so.
pub async fn execute_with_retry(
    link: &LinkPool,
    metrics: &PostgresMetrics,
    source_id: &str,
    sql: &str,
    params: &[Param],
    wanted: Wanted,
) -> Result<StatementResult, StatementError> {
    let mut retried = false;
    loop {
        let client = checkout(link, metrics).await?;
        let span = statement_span(&link.database, sql);
        let started = Instant::now();
        let result = async {
            let statement = client.prepare_cached(sql).await?;
            check_param_count(statement.params().len(), params.len())
                .map_err(TryFailure::Refused)?;
            let outcome = match wanted {
                Wanted::Rows => {
                    StatementResult::Rows(client.query(&statement, &as_sql_refs(params)).await?)
                }
                Wanted::Count => {
                    StatementResult::Count(client.execute(&statement, &as_sql_refs(params)).await?)
                }
            };
            Ok::<_, TryFailure>(outcome)
        }
        .instrument(span.clone())
        .await;
        let ended = match &result {
            Ok(StatementResult::Rows(rows)) => Ok(rows.len() as u64),
            Ok(StatementResult::Count(count)) => Ok(*count),
            Err(TryFailure::Postgres(err)) => Err(err),
            Err(TryFailure::Refused(_)) => Ok(0),
        };
        statement_ended(&span, metrics, &link.database, started, ended);
        match result {
            Ok(outcome) => {
                if changes_schema(sql) {
                    link.pool.manager().statement_caches.clear();
                }
                return Ok(outcome);
            }
            Err(TryFailure::Refused(statement_error)) => return Err(statement_error),
            Err(TryFailure::Postgres(err)) if !retried && worth_retrying(&err) => {
                warn!(component = source_id, error = %err, "statement failed; retrying on a fresh connection");
                client.statement_cache.remove(sql, &[]);
                if err.is_closed() {
                    // Let the pool drop the dead connection instead of recycling it.
                    let _ = deadpool_postgres::Object::take(client);
                }
                retried = true;
            }
            Err(TryFailure::Postgres(err)) => return Err(classify(err)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_server_that_is_down_for_now_is_unavailable() {
        for code in [
            "08006", "57P01", "57P03", "53300", "58030", "40001", "40P01",
        ] {
            assert!(server_unavailable(code), "{code}");
        }
        // Syntax error, unique violation, check violation, cached plan changed.
        for code in ["42601", "23505", "23514", "0A000"] {
            assert!(!server_unavailable(code), "{code}");
        }
    }
}
