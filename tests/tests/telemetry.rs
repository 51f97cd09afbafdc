//! Observability end to end, on the real stack: one trace per request and per event across
//! the lattice, read back from the trace store's own database; a request's log lines found by
//! its trace id; every metrics endpoint and Prometheus target up.

use std::time::Duration;

use movie_e2e::kafka::{event, ingest_traced, write_events};
use movie_e2e::telemetry::{
    descends_from, fetch_all, fetch_each, fetch_json, host_metrics, kafka_provider_metrics,
    postgres_provider_metrics, telemetry_sql, wait_for_trace, ClientTrace, StoredSpan, PROMETHEUS,
};
use movie_e2e::{eventually, request_with_headers, run_script, shape, unique, TestApp};
use serde_json::json;

/// Spans reach the store in batches from four processes; this is the most a test waits.
const TRACE_WAIT: Duration = Duration::from_secs(60);

fn telemetry_ready() -> TestApp {
    let app = TestApp::deployed();
    run_script("telemetry", &["wait"], &[]).expect("the telemetry stack answers");
    app
}

fn invocation<'a>(spans: &'a [StoredSpan], component: &str) -> Option<&'a StoredSpan> {
    spans.iter().find(|span| {
        span.name == "component_invocation" && span.attribute_str("id") == Some(component)
    })
}

fn statements<'a>(spans: &'a [StoredSpan], database: &str) -> Vec<&'a StoredSpan> {
    spans
        .iter()
        .filter(|span| {
            span.attribute_str("db.name") == Some(database)
                && span.attribute("db.statement").is_some()
        })
        .collect()
}

#[test]
fn one_get_movie_is_one_trace_from_the_ingress_to_both_databases() {
    let app = telemetry_ready();
    let id = unique("traced-movie");
    let stored =
        app.put_metadata(&json!({"id": id, "title": "Traced", "director": "D", "description": ""}));
    assert!(stored.status < 300, "PUT /metadata: {}", stored.status);
    let rated = app.rate(&id, "watcher", 4);
    assert!(rated.status < 300, "PUT /rating: {}", rated.status);

    let client = ClientTrace::new();
    let response = request_with_headers(
        "GET",
        &format!("/movie?id={id}"),
        &[("traceparent", &client.traceparent())],
        None,
    )
    .expect("GET /movie");
    response.assert_status(200);

    let spans = wait_for_trace(&client.trace_id, TRACE_WAIT, |spans| {
        spans
            .iter()
            .any(|span| span.name == "call_http_incoming_handle")
            && invocation(spans, "metadata-service").is_some()
            && invocation(spans, "rating-service").is_some()
            && !statements(spans, "movie_metadata").is_empty()
            && !statements(spans, "movie_rating").is_empty()
    })
    .expect("the request's trace");

    // The ingress continues the client's trace: its span's parent is the client's span.
    let ingress = spans
        .iter()
        .find(|span| span.name == "GET /movie" && span.attribute_str("url.path") == Some("/movie"))
        .expect("the ingress span");
    assert_eq!(ingress.parent_id.as_deref(), Some(client.span_id.as_str()));
    assert_eq!(
        ingress.attribute("http.response.status_code"),
        Some(&json!(200))
    );

    // The gateway's invocation, as the host names it for `wasi:http/incoming-handler`.
    let gateway = spans
        .iter()
        .find(|span| span.name == "call_http_incoming_handle")
        .expect("gateway");
    let metadata = invocation(&spans, "metadata-service").expect("metadata");
    let rating = invocation(&spans, "rating-service").expect("rating");
    assert!(
        descends_from(&spans, gateway, ingress),
        "gateway under the ingress"
    );
    assert!(
        descends_from(&spans, metadata, gateway),
        "metadata under the gateway"
    );
    assert!(
        descends_from(&spans, rating, gateway),
        "rating under the gateway"
    );

    for (database, service) in [("movie_metadata", metadata), ("movie_rating", rating)] {
        for statement in statements(&spans, database) {
            assert!(
                descends_from(&spans, statement, service),
                "{database} statement {} under its service",
                statement.name
            );
            assert_eq!(statement.attribute_str("db.system"), Some("postgresql"));
            let sql = statement.attribute_str("db.statement").unwrap_or_default();
            assert!(
                !sql.contains(&id),
                "parameters stay out of the statement text: {sql}"
            );
            // The provider's span for the call sits between the service and the statement.
            let call = statement
                .parent_id
                .as_deref()
                .and_then(|parent| spans.iter().find(|span| span.span_id == parent))
                .expect("the statement's parent");
            assert!(
                call.name.starts_with("wasmcloud:postgres/"),
                "parent is {}",
                call.name
            );
        }
    }
}

#[test]
fn an_ingested_event_is_one_trace_through_the_kafka_provider_into_the_rating_statements() {
    let app = telemetry_ready();
    let record = unique("traced-event");
    let file = write_events(
        "events.jsonl",
        &format!("{}\n", event("traced-user", &record, 5, "put")),
    );
    let traces = ingest_traced(&file).expect("ingest");
    assert_eq!(traces.len(), 1, "one trace per event: {traces:?}");

    let spans = wait_for_trace(&traces[0], TRACE_WAIT, |spans| {
        spans.iter().any(|span| span.name == "ratings process")
            && invocation(spans, "rating-service").is_some()
            && !statements(spans, "movie_rating").is_empty()
    })
    .expect("the event's trace");
    let produced = spans
        .iter()
        .find(|span| span.name == "ratings publish")
        .expect("the producer's span");
    let delivery = spans
        .iter()
        .find(|span| span.name == "ratings process")
        .expect("the delivery span");
    assert!(
        descends_from(&spans, delivery, produced),
        "delivery under the producer"
    );
    assert_eq!(
        delivery.attribute("messaging.delivery.attempts"),
        Some(&json!(1))
    );
    assert!(delivery
        .attribute("messaging.kafka.message.offset")
        .is_some());
    assert!(delivery
        .attribute("messaging.kafka.destination.partition")
        .is_some());
    let rating = invocation(&spans, "rating-service").expect("rating");
    assert!(
        descends_from(&spans, rating, delivery),
        "the rating write under the delivery"
    );
    for statement in statements(&spans, "movie_rating") {
        assert!(descends_from(&spans, statement, rating));
    }
    // And the event was applied.
    eventually("the event's rating", Duration::from_secs(30), || {
        Ok(app.rating(&record).status == 200)
    })
    .expect("rating applied");
}

#[test]
fn a_malformed_events_trace_shows_it_dead_lettered() {
    telemetry_ready();
    let record = unique("traced-malformed");
    let file = write_events(
        "events.jsonl",
        &format!("{{\"recordId\": \"{record}\", this is not json\n"),
    );
    let traces = ingest_traced(&file).expect("ingest");
    assert_eq!(traces.len(), 1);
    let spans = wait_for_trace(&traces[0], TRACE_WAIT, |spans| {
        spans.iter().any(|span| {
            span.name == "ratings process"
                && span
                    .event_names()
                    .iter()
                    .any(|name| name.contains("dead-lettered"))
        })
    })
    .expect("the malformed event's trace");
    let delivery = spans
        .iter()
        .find(|span| span.name == "ratings process")
        .expect("delivery");
    assert_eq!(
        delivery.status_code, "ERROR",
        "a dead-lettered delivery is an error"
    );
    assert_eq!(
        delivery.attribute("messaging.delivery.attempts"),
        Some(&json!(1))
    );
}

#[test]
fn a_requests_log_lines_are_found_by_its_trace_id_in_the_telemetry_database() {
    telemetry_ready();
    let missing = unique("no-such-movie");
    let client = ClientTrace::new();
    let response = request_with_headers(
        "GET",
        &format!("/movie?id={missing}"),
        &[("traceparent", &client.traceparent())],
        None,
    )
    .expect("GET /movie");
    response.assert_status(404);

    // The gateway's access line, logged through wasi:logging, is an event of the trace.
    let query = format!(
        "SELECT coalesce(json_agg(e->>'name'), '[]') FROM spans s
           JOIN traces t ON t.id = s.trace_rowid, jsonb_array_elements(s.events) e
          WHERE t.trace_id = '{}'",
        client.trace_id
    );
    let mut lines = Vec::new();
    eventually("the request's log lines in the store", TRACE_WAIT, || {
        let found: Vec<String> = serde_json::from_str(&telemetry_sql(&query)?)?;
        lines = found;
        Ok(lines
            .iter()
            .any(|line| line.contains("request handled") && line.contains("path=/movie")))
    })
    .expect("log lines by trace id");
    assert!(
        lines.iter().any(|line| line.contains("status=404")),
        "the access line names the status: {lines:?}"
    );

    // The log file of the host that served it has the same line, as JSON with the trace id.
    let logs: String = shape::host_logs()
        .iter()
        .map(|path| std::fs::read_to_string(path).expect("host log"))
        .collect();
    let line = logs
        .lines()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .find(|line| {
            line["trace_id"] == json!(client.trace_id)
                && line["message"]
                    .as_str()
                    .is_some_and(|m| m.contains("request handled"))
        })
        .expect("a JSON host log line with the request's trace id");
    assert!(
        line["span_id"].as_str().is_some_and(|id| id.len() == 16),
        "{line}"
    );
}

#[test]
fn every_metrics_endpoint_serves_its_series_and_prometheus_has_every_target_up() {
    let app = telemetry_ready();
    app.health();
    let record = unique("metrics-event");
    // One event applied, one malformed (dead-lettered).
    let file = write_events(
        "events.jsonl",
        &format!(
            "{}\n{{\"recordId\": \"{record}\", not json\n",
            event("m", &record, 3, "put")
        ),
    );
    ingest_traced(&file).expect("ingest");
    eventually("the event applied", Duration::from_secs(30), || {
        Ok(app.rating(&record).status == 200)
    })
    .expect("event");

    // Every host serves its metrics; the series show on those that did the work.
    let hosts = fetch_each(&host_metrics()).expect("host metrics");
    assert_eq!(
        hosts.len(),
        shape::hosts(),
        "every host serves metrics: {hosts:?}"
    );
    let host = fetch_all(&host_metrics()).expect("host metrics");
    for series in [
        "wasmcloud_host_component_invocations_total",
        "wasmcloud_host_handle_rpc_message_duration",
        "wasmcloud_host_http_server_responses_total",
        "wasmcloud_host_http_server_request_duration_seconds_bucket",
    ] {
        assert!(host.contains(series), "host metrics lack {series}");
    }
    // One instance of each provider per host, each on an address of its own.
    for slots in [postgres_provider_metrics(), kafka_provider_metrics()] {
        let mut serving = 0;
        eventually(
            "every provider instance serving metrics",
            Duration::from_secs(30),
            || {
                serving = fetch_each(&slots)?.len();
                Ok(serving == shape::hosts())
            },
        )
        .unwrap_or_else(|err| panic!("{err}: {serving} of {slots:?}"));
    }
    let postgres = fetch_all(&postgres_provider_metrics()).expect("postgres provider metrics");
    for series in [
        "postgres_provider_pool_connections{database=\"movie_rating\",state=\"idle\"}",
        "postgres_provider_pool_max_connections{database=\"movie_metadata\"}",
        "postgres_provider_pool_waiting",
        "postgres_provider_pool_wait_seconds_bucket",
        "postgres_provider_statement_duration_seconds_bucket",
    ] {
        assert!(
            postgres.contains(series),
            "postgres provider metrics lack {series}"
        );
    }
    eventually(
        "consumer lag per partition",
        Duration::from_secs(30),
        || Ok(fetch_all(&kafka_provider_metrics())?.contains("kafka_provider_consumer_lag{")),
    )
    .expect("lag");
    let kafka = fetch_all(&kafka_provider_metrics()).expect("kafka provider metrics");
    for series in [
        "kafka_provider_deliveries_total{",
        "kafka_provider_in_flight_messages{",
        "kafka_provider_delivery_retries_total{",
        "kafka_provider_dead_letters_total{",
    ] {
        assert!(
            kafka.contains(series),
            "kafka provider metrics lack {series}"
        );
    }

    let mut down = Vec::new();
    eventually(
        "every Prometheus target up",
        Duration::from_secs(60),
        || {
            let targets = fetch_json(&format!("{PROMETHEUS}/api/v1/targets?state=active"))?;
            let targets = targets["data"]["activeTargets"]
                .as_array()
                .cloned()
                .unwrap_or_default();
            down = targets
                .iter()
                .filter(|target| target["health"] != "up")
                .map(|target| {
                    format!(
                        "{} {}: {}",
                        target["labels"]["job"], target["labels"]["instance"], target["lastError"]
                    )
                })
                .collect();
            Ok(targets.len() >= 11 && down.is_empty())
        },
    )
    .unwrap_or_else(|err| panic!("{err}: down: {down:?}"));
    // Through Prometheus: each database reachable, the API healthy.
    let query = |promql: &str| {
        fetch_json(&format!(
            "{PROMETHEUS}/api/v1/query?query={}",
            movie_e2e::encode(promql)
        ))
        .expect("query")["data"]["result"]
            .as_array()
            .cloned()
            .unwrap_or_default()
    };
    assert_eq!(query("pg_up == 1").len(), 3, "three databases up");
    assert_eq!(
        query("probe_success{service=\"movie-api\"} == 1").len(),
        1,
        "/healthz probed"
    );
}
