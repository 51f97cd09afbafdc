//! What an operator of this provider watches, per database: the pool (size, idle, waiting
//! callers, how long a checkout waits), statement durations, and errors by SQLSTATE.

use std::time::Duration;

use deadpool_postgres::Pool;
use metrics_endpoint::prometheus::{
    exponential_buckets, HistogramOpts, HistogramVec, IntCounterVec, IntGaugeVec, Opts, Registry,
};
use metrics_endpoint::register;

/// The provider's metrics, registered on one registry.
#[derive(Clone)]
pub struct PostgresMetrics {
    pub registry: Registry,
    statement_seconds: HistogramVec,
    statement_errors: IntCounterVec,
    pool_wait_seconds: HistogramVec,
    pool_timeouts: IntCounterVec,
    pool_connections: IntGaugeVec,
    pool_max: IntGaugeVec,
    pool_waiting: IntGaugeVec,
}

/// How a statement ended, for [`PostgresMetrics::statement_done`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome<'a> {
    Ok,
    /// Refused by Postgres with this SQLSTATE.
    Sqlstate(&'a str),
    /// Failed without a SQLSTATE: a closed connection, a bad parameter.
    NoSqlstate,
}

impl Default for PostgresMetrics {
    fn default() -> Self {
        Self::new()
    }
}

impl PostgresMetrics {
    pub fn new() -> Self {
        let registry = Registry::new();
        let seconds = exponential_buckets(0.000_25, 2.0, 16).unwrap_or_default();
        let statement_seconds = HistogramVec::new(
            HistogramOpts::new(
                "postgres_provider_statement_duration_seconds",
                "Time a statement took on the database (prepare, execute, read rows)",
            )
            .buckets(seconds.clone()),
            &["database", "outcome"],
        );
        let statement_errors = IntCounterVec::new(
            Opts::new(
                "postgres_provider_statement_errors_total",
                "Statements that failed, by SQLSTATE (`none`: no SQLSTATE, e.g. a lost connection)",
            ),
            &["database", "sqlstate"],
        );
        let pool_wait_seconds = HistogramVec::new(
            HistogramOpts::new(
                "postgres_provider_pool_wait_seconds",
                "Time a call waited for a pooled connection",
            )
            .buckets(seconds),
            &["database"],
        );
        let pool_timeouts = IntCounterVec::new(
            Opts::new(
                "postgres_provider_pool_checkout_failures_total",
                "Calls that got no connection (pool exhausted past its timeout, or database unreachable)",
            ),
            &["database"],
        );
        let pool_connections = IntGaugeVec::new(
            Opts::new(
                "postgres_provider_pool_connections",
                "Open connections of the pool, by state (idle or in_use)",
            ),
            &["database", "state"],
        );
        let pool_max = IntGaugeVec::new(
            Opts::new(
                "postgres_provider_pool_max_connections",
                "The pool's size limit",
            ),
            &["database"],
        );
        let pool_waiting = IntGaugeVec::new(
            Opts::new(
                "postgres_provider_pool_waiting",
                "Calls waiting for a connection right now",
            ),
            &["database"],
        );
        Self {
            statement_seconds: register(&registry, statement_seconds),
            statement_errors: register(&registry, statement_errors),
            pool_wait_seconds: register(&registry, pool_wait_seconds),
            pool_timeouts: register(&registry, pool_timeouts),
            pool_connections: register(&registry, pool_connections),
            pool_max: register(&registry, pool_max),
            pool_waiting: register(&registry, pool_waiting),
            registry,
        }
    }

    /// Records a statement that took `took` and ended as `outcome`.
    pub fn statement_done(&self, database: &str, took: Duration, outcome: Outcome<'_>) {
        let label = if outcome == Outcome::Ok {
            "ok"
        } else {
            "error"
        };
        self.statement_seconds
            .with_label_values(&[database, label])
            .observe(took.as_secs_f64());
        let sqlstate = match outcome {
            Outcome::Ok => return,
            Outcome::Sqlstate(code) => code,
            Outcome::NoSqlstate => "none",
        };
        self.statement_errors
            .with_label_values(&[database, sqlstate])
            .inc();
    }

    pub fn checkout_done(&self, database: &str, waited: Duration, succeeded: bool) {
        self.pool_wait_seconds
            .with_label_values(&[database])
            .observe(waited.as_secs_f64());
        if !succeeded {
            self.pool_timeouts.with_label_values(&[database]).inc();
        }
    }

    /// Records the pool's state now.
    pub fn pool_state(&self, database: &str, pool: &Pool) {
        let status = pool.status();
        let idle = status.available as i64;
        let open = status.size as i64;
        self.pool_connections
            .with_label_values(&[database, "idle"])
            .set(idle);
        self.pool_connections
            .with_label_values(&[database, "in_use"])
            .set((open - idle).max(0));
        self.pool_max
            .with_label_values(&[database])
            .set(status.max_size as i64);
        self.pool_waiting
            .with_label_values(&[database])
            .set(status.waiting as i64);
    }

    /// Forgets a database's pool series when its link goes.
    pub fn forget_pool(&self, database: &str) {
        for state in ["idle", "in_use"] {
            let _ = self
                .pool_connections
                .remove_label_values(&[database, state]);
        }
        let _ = self.pool_max.remove_label_values(&[database]);
        let _ = self.pool_waiting.remove_label_values(&[database]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn exposition(metrics: &PostgresMetrics) -> String {
        metrics_endpoint::render(&metrics.registry).expect("text exposition")
    }

    #[test]
    fn errors_are_counted_by_sqlstate_and_every_statement_is_timed() {
        let metrics = PostgresMetrics::new();
        let ms = Duration::from_millis(1);
        metrics.statement_done("movie_rating", ms, Outcome::Ok);
        metrics.statement_done("movie_rating", ms, Outcome::Sqlstate("23505"));
        metrics.statement_done("movie_rating", ms, Outcome::Sqlstate("23505"));
        metrics.statement_done("movie_metadata", ms, Outcome::NoSqlstate);
        let text = exposition(&metrics);
        assert!(text.contains(
            "postgres_provider_statement_errors_total{database=\"movie_rating\",sqlstate=\"23505\"} 2"
        ), "{text}");
        assert!(text.contains(
            "postgres_provider_statement_errors_total{database=\"movie_metadata\",sqlstate=\"none\"} 1"
        ), "{text}");
        assert!(text.contains(
            "postgres_provider_statement_duration_seconds_count{database=\"movie_rating\",outcome=\"error\"} 2"
        ), "{text}");
        assert!(text.contains(
            "postgres_provider_statement_duration_seconds_count{database=\"movie_rating\",outcome=\"ok\"} 1"
        ), "{text}");
    }

    #[test]
    fn failed_checkouts_are_counted_apart_from_waits() {
        let metrics = PostgresMetrics::new();
        metrics.checkout_done("movie_rating", Duration::from_millis(2), true);
        metrics.checkout_done("movie_rating", Duration::from_secs(5), false);
        let text = exposition(&metrics);
        assert!(
            text.contains("postgres_provider_pool_wait_seconds_count{database=\"movie_rating\"} 2"),
            "{text}"
        );
        assert!(
            text.contains(
                "postgres_provider_pool_checkout_failures_total{database=\"movie_rating\"} 1"
            ),
            "{text}"
        );
    }
}
