//! Kafka helpers for the tests: producing with the ingester CLI, reading the dead-letter topic.

use std::collections::HashMap;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{bail, Context as _};
use rdkafka::consumer::{BaseConsumer, Consumer as _};
use rdkafka::message::Headers as _;
use rdkafka::producer::{FutureProducer, FutureRecord};
use rdkafka::{ClientConfig, Message as _};

use crate::project_root;

pub const BROKERS: &str = "127.0.0.1:9092";

/// Runs `movie-ingester send FILE` (the built binary) and returns what it printed.
pub fn ingest(file: &Path) -> anyhow::Result<String> {
    let output = Command::new("bash")
        .arg("-c")
        .arg(r#"source scripts/env.sh && "$CARGO_TARGET_DIR/release/movie-ingester" send "$1""#)
        .arg("ingest")
        .arg(file)
        .current_dir(project_root())
        .output()
        .context("failed to run movie-ingester")?;
    if !output.status.success() {
        bail!(
            "movie-ingester failed: {}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}

/// Runs `movie-ingester send --show-trace-ids FILE` with span export to the trace store, and
/// returns the trace id of each event, in the file's order.
pub fn ingest_traced(file: &Path) -> anyhow::Result<Vec<String>> {
    let output = Command::new("bash")
        .arg("-c")
        .arg(
            r#"source scripts/env.sh && OTEL_EXPORTER_OTLP_TRACES_ENDPOINT="http://$PHOENIX_ADDR/v1/traces" \
               "$CARGO_TARGET_DIR/release/movie-ingester" send --show-trace-ids "$1""#,
        )
        .arg("ingest")
        .arg(file)
        .current_dir(project_root())
        .output()
        .context("failed to run movie-ingester")?;
    let printed = String::from_utf8_lossy(&output.stdout).into_owned();
    if !output.status.success() {
        bail!(
            "movie-ingester failed: {printed}{}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    Ok(printed
        .lines()
        .filter_map(|line| {
            let rest = line.strip_prefix("event ")?;
            let (_, trace_id) = rest.split_once(" trace ")?;
            Some(trace_id.trim().to_string())
        })
        .collect())
}

/// Produces each value, as raw bytes (anything at all), to `topic`, one after the other, and
/// returns once the broker has acknowledged every one (`acks=all`).
pub fn produce_raw(topic: &str, values: &[Vec<u8>]) -> anyhow::Result<()> {
    let producer: FutureProducer = kafka_settings::producer(BROKERS, "movie-e2e-raw")
        .create()
        .context("failed to create the test producer")?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("runtime")?;
    runtime.block_on(async {
        for (n, value) in values.iter().enumerate() {
            let record: FutureRecord<'_, [u8], [u8]> = FutureRecord::to(topic).payload(value);
            producer
                .send(record, Duration::from_secs(30))
                .await
                .map_err(|(err, _)| {
                    anyhow::anyhow!("value {n} ({} bytes) not sent: {err}", value.len())
                })?;
        }
        Ok(())
    })
}

/// A rating event in the book's shape (its `RatingEvent`).
pub fn event(user: &str, record: &str, value: i64, kind: &str) -> serde_json::Value {
    serde_json::json!({"userId": user, "recordId": record, "recordType": "movie", "value": value,
                       "providerId": "e2e", "eventType": kind})
}

/// A rating event as the go-movie repository sends it (`submit` or `delete`).
pub fn go_movie_event(user: &str, record: &str, value: i64, kind: &str) -> serde_json::Value {
    serde_json::json!({"record_id": record, "record_type": "movie", "user_id": user,
                       "value": value, "EventType": kind})
}

/// The aggregate `GET /rating` answers for a movie, if it has ratings.
pub fn rating_aggregate(record: &str) -> Option<serde_json::Value> {
    let response = crate::get(&format!("/rating?id={record}&type=movie")).ok()?;
    (response.status == 200)
        .then(|| response.json().ok())
        .flatten()
}

/// Writes an events file in a fresh temporary folder.
pub fn write_events(name: &str, contents: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(crate::unique("ingest"));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join(name);
    std::fs::write(&path, contents).expect("write events");
    path
}

/// A message read back from a topic.
#[derive(Debug, Clone)]
pub struct Record {
    pub payload: Vec<u8>,
    pub headers: HashMap<String, String>,
}

/// Reads `topic` from the beginning (a fresh consumer group) for `window`, keeping the
/// records whose payload contains `needle`.
pub fn read_topic(topic: &str, needle: &str, window: Duration) -> anyhow::Result<Vec<Record>> {
    let group = crate::unique("e2e-reader");
    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", BROKERS)
        .set("group.id", &group)
        .set("auto.offset.reset", "earliest")
        .set("enable.auto.commit", "false")
        .create()
        .context("failed to create the test consumer")?;
    consumer.subscribe(&[topic]).context("subscribe")?;
    let deadline = Instant::now() + window;
    let mut found = Vec::new();
    while Instant::now() < deadline {
        let Some(message) = consumer.poll(Duration::from_millis(200)) else {
            continue;
        };
        let message = message.context("consume")?;
        let payload = message.payload().unwrap_or_default().to_vec();
        if !String::from_utf8_lossy(&payload).contains(needle) {
            continue;
        }
        let headers = message
            .headers()
            .map(|headers| {
                headers
                    .iter()
                    .map(|header| {
                        (
                            header.key.to_string(),
                            String::from_utf8_lossy(header.value.unwrap_or_default()).into_owned(),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default();
        found.push(Record { payload, headers });
    }
    Ok(found)
}
