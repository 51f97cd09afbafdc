//! Alerting end to end: the rating database goes away (it refuses connections and its
//! sessions are ended, as when it is stopped), and Prometheus's `DatabaseDown` reaches the
//! alert inbox through Alertmanager within [`FIRING_BOUND`]; when it comes back, the alert is
//! resolved within [`RESOLVED_BOUND`].
//!
//! Bound: scrapes and rule evaluations every 5 s, `for: 10s`, Alertmanager's `group_wait` 5 s:
//! about 25 s expected, 90 s allowed. Resolving: the next scrape, evaluation and Alertmanager's
//! `group_interval` (15 s): 90 s allowed.
//!
//! Its own test binary: it takes a database away from everything else.

use std::time::{Duration, Instant};

use movie_e2e::telemetry::{fetch_all, postgres_provider_metrics, received_alerts};
use movie_e2e::{bash, eventually, run_script, TestApp};
use serde_json::Value;

const FIRING_BOUND: Duration = Duration::from_secs(90);
const RESOLVED_BOUND: Duration = Duration::from_secs(90);
const DATABASE: &str = "movie_rating";

/// Runs SQL on the cluster as its superuser.
fn admin_sql(sql: &str) {
    let status = bash()
        .arg("-c")
        .arg(r#"source scripts/env.sh && psql_admin -c "$1" >/dev/null"#)
        .arg("sql")
        .arg(sql)
        .status()
        .expect("psql");
    assert!(status.success(), "{sql}");
}

fn stop_database() {
    admin_sql(&format!(
        "ALTER DATABASE {DATABASE} WITH ALLOW_CONNECTIONS false"
    ));
    admin_sql(&format!(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{DATABASE}'"
    ));
}

fn start_database() {
    admin_sql(&format!(
        "ALTER DATABASE {DATABASE} WITH ALLOW_CONNECTIONS true"
    ));
}

/// Starts the database again however the test ends.
struct Restart;

impl Drop for Restart {
    fn drop(&mut self) {
        start_database();
    }
}

/// The inbox's alerts about this database with `status`, past the first `skip`.
fn alerts_for_database(status: &str, skip: usize) -> Vec<Value> {
    received_alerts("DatabaseDown")
        .unwrap_or_default()
        .into_iter()
        .skip(skip)
        .filter(|alert| alert["status"] == status && alert["labels"]["database"] == DATABASE)
        .collect()
}

#[test]
fn stopping_the_rating_database_fires_database_down_and_starting_it_resolves_it() {
    let app = TestApp::deployed();
    run_script("telemetry", &["wait"], &[]).expect("the telemetry stack answers");
    app.health().assert_status(200);
    let seen = received_alerts("DatabaseDown")
        .expect("the alert inbox")
        .len();

    let restart = Restart;
    stop_database();
    let stopped = Instant::now();
    // The API says so too, and the provider counts the failed statements.
    eventually("/healthz degraded", Duration::from_secs(30), || {
        Ok(app.health().status == 503)
    })
    .expect("degraded");

    eventually("DatabaseDown firing at the inbox", FIRING_BOUND, || {
        Ok(!alerts_for_database("firing", seen).is_empty())
    })
    .expect("the alert fired");
    let fired_after = stopped.elapsed();
    eprintln!("DatabaseDown reached the inbox {fired_after:.1?} after the database stopped");
    let alert = &alerts_for_database("firing", seen)[0];
    assert_eq!(alert["labels"]["severity"], "page");
    assert!(
        alert["annotations"]["summary"]
            .as_str()
            .is_some_and(|summary| summary.contains(DATABASE)),
        "{alert}"
    );

    let metrics = fetch_all(&postgres_provider_metrics()).expect("provider metrics");
    assert!(
        metrics.contains(&format!(
            "postgres_provider_statement_errors_total{{database=\"{DATABASE}\""
        )) || metrics.contains(&format!(
            "postgres_provider_pool_checkout_failures_total{{database=\"{DATABASE}\"}}"
        )),
        "the provider counted the failures:\n{metrics}"
    );

    drop(restart);
    let started = Instant::now();
    eventually("DatabaseDown resolved at the inbox", RESOLVED_BOUND, || {
        Ok(!alerts_for_database("resolved", seen).is_empty())
    })
    .expect("the alert resolved");
    eprintln!(
        "resolved {:.1?} after the database started",
        started.elapsed()
    );
    eventually("/healthz ok again", Duration::from_secs(30), || {
        Ok(app.health().status == 200)
    })
    .expect("healthy");
}
