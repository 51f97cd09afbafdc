//! The Kafka provider survives a broker restart: it reconnects and resumes from the committed
//! offset, and the broker's SQLite storage keeps every event. Its own test binary: it stops
//! the broker.

use std::time::Duration;

use movie_e2e::kafka::{event, ingest, rating_aggregate, write_events};
use movie_e2e::{eventually, project_root, require_app, script, unique};
use serde_json::json;

fn stop_broker() {
    let pidfile = project_root().join(".lattice/pids/kafka.pid");
    let pid = std::fs::read_to_string(&pidfile).expect("the broker's pid file");
    let status = std::process::Command::new("kill")
        .args(["-TERM", pid.trim()])
        .status()
        .expect("kill");
    assert!(status.success(), "kill -TERM {pid}");
    // Wait for the process itself to be gone, not only its port, so that the lattice script
    // starts a new broker instead of finding the old one still shutting down.
    eventually(
        "the broker process to exit",
        Duration::from_secs(30),
        || {
            let alive = std::process::Command::new("kill")
                .args(["-0", pid.trim()])
                .status()
                .map(|status| status.success())
                .unwrap_or(false);
            Ok(!alive)
        },
    )
    .expect("broker stopped");
}

#[test]
fn consumption_resumes_after_a_broker_restart() {
    require_app();
    let record = unique("broker-restart");
    let before = write_events(
        "before.json",
        &json!([event("a", &record, 5, "put")]).to_string(),
    );
    ingest(&before).expect("ingest before");
    eventually("the first event", Duration::from_secs(60), || {
        Ok(rating_aggregate(&record).is_some_and(|a| a["count"] == 1))
    })
    .expect("applied before the restart");

    stop_broker();
    script("lattice").expect("start the broker again");

    let after = write_events(
        "after.json",
        &json!([event("b", &record, 1, "put"), event("c", &record, 3, "put")]).to_string(),
    );
    ingest(&after).expect("ingest after");
    eventually(
        "the events sent after the restart",
        Duration::from_secs(120),
        || Ok(rating_aggregate(&record).is_some_and(|a| a["count"] == 3 && a["average"] == 3.0)),
    )
    .expect("applied after the restart");
}
