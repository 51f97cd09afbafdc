//! No loss and no duplicates across a Kafka provider restart in the middle of a stream of
//! 10,000 events. Its own test binary, so that its stream does not delay the other Kafka
//! tests (cargo runs test binaries one after the other).

use std::time::Duration;

use movie_e2e::kafka::{event, ingest, rating_aggregate as aggregate, read_topic, write_events};
use movie_e2e::{eventually, require_app, unique, wash};
use serde_json::Value;

#[test]
fn a_provider_restart_mid_stream_loses_and_duplicates_nothing() {
    require_app();
    let record = unique("restart-movie");
    const EVENTS: u64 = 10_000;
    let events: Vec<Value> = (0..EVENTS)
        .map(|i| event(&format!("user-{i}"), &record, (i % 5 + 1) as i64, "put"))
        .collect();
    let file = write_events("stream.json", &Value::Array(events).to_string());
    assert!(ingest(&file)
        .expect("ingest")
        .contains("sent 10000 of 10000"));

    // Wait until consumption is under way, then stop the provider; wadm starts it again.
    eventually("consumption to start", Duration::from_secs(120), || {
        Ok(aggregate(&record).is_some_and(|a| a["count"].as_u64() >= Some(500)))
    })
    .expect("consumption started");
    let before = aggregate(&record)
        .and_then(|a| a["count"].as_u64())
        .unwrap_or(0);
    let hosts: Value = serde_json::from_str(&wash(&["get", "hosts", "-o", "json"]).expect("hosts"))
        .expect("hosts json");
    let host = hosts["hosts"][0]["id"]
        .as_str()
        .expect("host id")
        .to_string();
    // The host answers once the provider has finished its deliveries in flight and committed
    // (up to its provider shutdown delay), longer than wash's default wait.
    wash(&[
        "stop",
        "provider",
        "--host-id",
        &host,
        "messaging-kafka",
        "--timeout-ms",
        "30000",
    ])
    .expect("stop provider");
    assert!(
        before < EVENTS,
        "the stop must come mid-stream (already {before})"
    );

    eventually(
        "every event to be applied",
        Duration::from_secs(300),
        || Ok(aggregate(&record).is_some_and(|a| a["count"].as_u64() == Some(EVENTS))),
    )
    .expect("all 10,000 events applied");
    let expected_sum: u64 = (0..EVENTS).map(|i| i % 5 + 1).sum();
    let final_aggregate = aggregate(&record).expect("aggregate");
    assert_eq!(
        final_aggregate["average"].as_f64(),
        Some(expected_sum as f64 / EVENTS as f64)
    );
    let dead = read_topic("ratings.dlq", &record, Duration::from_secs(3)).expect("read dlq");
    assert!(
        dead.is_empty(),
        "valid events were dead-lettered: {}",
        dead.len()
    );
}
