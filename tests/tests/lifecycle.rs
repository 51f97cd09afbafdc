//! `make down` then `make up`'s lattice start: nothing of ours keeps running in between, and
//! everything stored before is still there after (Postgres, the Kafka log and wadm's state
//! are all on disk). Its own test binary: it stops the whole lattice.

use std::net::TcpStream;
use std::time::Duration;

use movie_e2e::kafka::rating_aggregate;
use movie_e2e::{script, shape, unique, wait_until_serving, TestApp};
use serde_json::json;

fn listening(port: u16) -> bool {
    TcpStream::connect_timeout(&([127, 0, 0, 1], port).into(), Duration::from_millis(300)).is_ok()
}

#[test]
fn a_lattice_restart_keeps_stored_data() {
    let app = TestApp::deployed();
    let id = unique("survivor");
    let movie = json!({"id": id, "title": "Stalker", "description": "", "director": "Tarkovsky"});
    app.put_metadata(&movie).assert_status(200);
    app.rate(&id, "u", 4).assert_status(204);

    script("down").expect("make down");
    let mut ports = vec![
        (8000, "the API"),
        (4222, "NATS"),
        (9092, "Kafka"),
        (9464, "host metrics"),
    ];
    if shape::clustered() {
        ports.extend([
            (4223, "NATS node 2"),
            (4224, "NATS node 3"),
            (5000, "the registry"),
        ]);
        ports.extend([(8404, "the front door's stats"), (8001, "host-1's ingress")]);
    }
    for (port, what) in ports {
        assert!(
            !listening(port),
            "{what} still listening on {port} after make down"
        );
    }
    let pids = movie_e2e::project_root().join(".lattice/pids");
    let leftovers: Vec<_> = std::fs::read_dir(&pids)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .map(|e| e.file_name())
                .collect()
        })
        .unwrap_or_default();
    assert!(leftovers.is_empty(), "pid files left behind: {leftovers:?}");

    script("lattice").expect("lattice start");
    // wadm kept the deployment in JetStream: the app comes back without a new deploy.
    wait_until_serving().expect("the app serves again");
    assert_eq!(app.metadata(&id).json_with(200), movie);
    let aggregate = rating_aggregate(&id).expect("rating kept");
    assert_eq!(aggregate["count"], 1);
    assert_eq!(aggregate["average"], 4.0);
}
