//! Rating events over Kafka: topic `ratings` -> Kafka provider -> rating component, with
//! malformed events dead-lettered to `ratings.dlq`, and no loss across a provider restart.

use std::time::Duration;

use movie_e2e::kafka::{ingest, read_topic};
use movie_e2e::{eventually, get, require_app, unique, wash};
use serde_json::{json, Value};

fn event(user: &str, record: &str, value: i64, kind: &str) -> Value {
    json!({"userId": user, "recordId": record, "recordType": "movie", "value": value,
           "providerId": "e2e", "eventType": kind})
}

fn aggregate(record: &str) -> Option<Value> {
    let response = get(&format!("/rating?id={record}&type=movie")).ok()?;
    (response.status == 200)
        .then(|| response.json().ok())
        .flatten()
}

fn write_file(name: &str, contents: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(unique("ingest"));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join(name);
    std::fs::write(&path, contents).expect("write events");
    path
}

#[test]
fn ingested_events_show_up_in_the_api() {
    require_app();
    let record = unique("kafka-movie");
    let events = json!([
        event("u1", &record, 5, "put"),
        event("u2", &record, 1, "put"),
        event("u3", &record, 4, "put"),
        event("u2", &record, 3, "put"),
        event("u3", &record, 0, "delete"),
        // Replays change nothing.
        event("u1", &record, 5, "put"),
        event("u3", &record, 0, "delete"),
    ]);
    let file = write_file("events.json", &events.to_string());
    let printed = ingest(&file).expect("ingest");
    assert!(printed.contains("sent 7 of 7"), "{printed}");
    eventually("the events to be applied", Duration::from_secs(60), || {
        Ok(aggregate(&record).is_some_and(|a| a["count"] == 2 && a["average"] == 4.0))
    })
    .expect("u1=5 and u2=3 remain");
}

#[test]
fn bad_events_are_dead_lettered_and_the_rest_applied() {
    require_app();
    let record = unique("dlq-movie");
    let lines = [
        event("good-1", &record, 4, "put").to_string(),
        format!("{{\"userId\": \"x\", \"recordId\": \"{record}\", this is not json"),
        event("bad-kind", &record, 3, "upsert").to_string(),
        event("bad-value", &record, 9, "put").to_string(),
        event("good-2", &record, 2, "put").to_string(),
    ];
    let file = write_file("events.jsonl", &lines.join("\n"));
    assert!(ingest(&file).expect("ingest").contains("sent 5 of 5"));
    eventually(
        "the valid events to be applied",
        Duration::from_secs(60),
        || Ok(aggregate(&record).is_some_and(|a| a["count"] == 2 && a["average"] == 3.0)),
    )
    .expect("good-1 and good-2 applied");

    let mut dead = Vec::new();
    eventually("three dead letters", Duration::from_secs(30), || {
        dead = read_topic("ratings.dlq", &record, Duration::from_secs(3))?;
        Ok(dead.len() >= 3)
    })
    .expect("dead letters");
    assert_eq!(dead.len(), 3, "exactly the three bad events: {dead:?}");
    let by_payload = |needle: &str| {
        dead.iter()
            .find(|record| String::from_utf8_lossy(&record.payload).contains(needle))
            .unwrap_or_else(|| panic!("no dead letter containing {needle}"))
    };
    let malformed = by_payload("this is not json");
    assert_eq!(malformed.payload, lines[1].as_bytes(), "copied unchanged");
    assert!(
        malformed.headers["error"].contains("not a valid JSON"),
        "{:?}",
        malformed.headers
    );
    assert!(by_payload("bad-kind").headers["error"].contains("eventType"));
    assert!(by_payload("bad-value").headers["error"].contains("value"));
    assert!(!dead
        .iter()
        .any(|r| String::from_utf8_lossy(&r.payload).contains("good-")));
}

#[test]
fn a_provider_restart_mid_stream_loses_and_duplicates_nothing() {
    require_app();
    let record = unique("restart-movie");
    const EVENTS: u64 = 10_000;
    let events: Vec<Value> = (0..EVENTS)
        .map(|i| event(&format!("user-{i}"), &record, (i % 5 + 1) as i64, "put"))
        .collect();
    let file = write_file("stream.json", &Value::Array(events).to_string());
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
    wash(&["stop", "provider", "--host-id", &host, "messaging-kafka"]).expect("stop provider");
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
