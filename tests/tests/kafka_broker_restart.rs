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
    eventually("the broker to stop", Duration::from_secs(20), || {
        Ok(std::net::TcpStream::connect("127.0.0.1:9092").is_err())
    })
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
