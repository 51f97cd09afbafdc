//! The clustered lattice (`make up HOSTS=N`, N > 1): every service on several hosts, the
//! lattice's JetStream state on every NATS node, artifacts from the registry, and the front
//! door's per-client rate limit. `make test` runs these against its clustered lattice; on a
//! single host they fail, saying so.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::Duration;

use movie_e2e::lattice::placements;
use movie_e2e::load::load;
use movie_e2e::telemetry::fetch_json;
use movie_e2e::{require_app, shape, tool, wash};
use serde_json::Value;

fn require_cluster() {
    assert!(
        shape::clustered(),
        "these tests need the clustered lattice: run them with HOSTS=3 (make test does)"
    );
    require_app();
}

#[test]
fn clustered_every_service_runs_on_at_least_two_hosts_and_each_host_has_its_ingress() {
    require_cluster();
    let placements = placements().expect("inventory");
    assert_eq!(
        placements.keys().cloned().collect::<Vec<_>>(),
        shape::host_names(),
        "every host is in the lattice, with its label"
    );
    for service in [
        "movie-gateway",
        "metadata-service",
        "rating-service",
        "sqldb-postgres",
        "messaging-kafka",
    ] {
        let hosts: Vec<_> = placements
            .iter()
            .filter(|(_, ids)| ids.iter().any(|id| id == service))
            .map(|(host, _)| host.clone())
            .collect();
        assert!(
            hosts.len() >= 2,
            "{service} runs on {hosts:?}, not on two hosts or more: {placements:?}"
        );
    }
    for (n, host) in shape::host_names().iter().enumerate() {
        let ingress = format!("http-ingress-{}", n + 1);
        assert!(
            placements[host].contains(&ingress),
            "{host} runs {ingress}: {placements:?}"
        );
        // Each host's ingress answers by itself, behind the front door.
        let (status, body) =
            match ureq::get(&format!("http://{}/healthz", shape::host_ingress(n + 1)))
                .timeout(Duration::from_secs(5))
                .call()
            {
                Ok(response) => (
                    response.status(),
                    response.into_string().unwrap_or_default(),
                ),
                Err(ureq::Error::Status(status, response)) => {
                    (status, response.into_string().unwrap_or_default())
                }
                Err(err) => panic!("{host}'s ingress: {err}"),
            };
        assert_eq!(status, 200, "{host}'s ingress /healthz: {body}");
    }
}

#[test]
fn clustered_every_bucket_and_stream_is_on_three_current_replicas() {
    require_cluster();
    let shown = tool(
        "bash",
        &["-c", r#""$CARGO_TARGET_DIR/release/lattice-streams" show"#],
    )
    .expect("lattice-streams show");
    let streams: Vec<Value> = serde_json::from_str(&shown).expect("streams JSON");
    let names: Vec<&str> = streams.iter().filter_map(|s| s["name"].as_str()).collect();
    for expected in [
        "KV_LATTICEDATA_default",
        "KV_CONFIGDATA_default",
        "KV_wadm_state",
        "KV_wadm_manifests",
        "wadm_commands",
        "wadm_events",
        "wadm_event_consumer",
        "wadm_status",
        "wadm_notify",
        "wasmbus_events",
    ] {
        assert!(names.contains(&expected), "{expected} exists: {names:?}");
    }
    for stream in &streams {
        assert_eq!(stream["configured_replicas"], 3, "{stream}");
        let followers = stream["cluster"]["followers"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        assert!(stream["cluster"]["leader"].is_string(), "{stream}");
        assert_eq!(followers.len(), 2, "{stream}");
        assert!(followers.iter().all(|f| f["current"] == true), "{stream}");
        for consumer in stream["consumers"].as_array().cloned().unwrap_or_default() {
            if consumer["durable"] == true {
                assert_eq!(consumer["replicas"], 3, "durable consumer of {stream}");
            }
        }
    }
    // Each NATS node routes to both others.
    for port in [8222, 8223, 8224] {
        let routes = fetch_json(&format!("http://127.0.0.1:{port}/routez")).expect("routez");
        let peers: std::collections::BTreeSet<_> = routes["routes"]
            .as_array()
            .cloned()
            .unwrap_or_default()
            .iter()
            .filter_map(|route| route["remote_name"].as_str().map(str::to_string))
            .collect();
        assert_eq!(
            peers.len(),
            2,
            "node on monitor port {port} routes: {routes}"
        );
    }
}

#[test]
fn clustered_the_manifest_deploys_every_artifact_from_the_registry() {
    require_cluster();
    let manifest = std::fs::read_to_string(movie_e2e::project_root().join(shape::manifest()))
        .expect("the clustered manifest");
    assert!(!manifest.contains("file://"), "{manifest}");
    let inventory = wash(&["get", "inventory", "-o", "json"]).expect("inventory");
    for name in [
        "movie-gateway",
        "metadata-service",
        "rating-service",
        "sqldb-postgres",
        "messaging-kafka",
    ] {
        let reference = format!("{}/movie-lattice/{name}:0.1.0", shape::REGISTRY);
        assert!(manifest.contains(&reference), "{reference} in the manifest");
        assert!(
            inventory.contains(&reference),
            "the hosts run {reference}: {inventory}"
        );
    }
}

/// A client over its limit (127.0.0.2 at well over 1,000 requests/s; the limit of a client the
/// map does not name is 100/s) gets 429s with `Retry-After` and a JSON error, and about its
/// limit's worth of answers; a second client (127.0.0.3, 20/s) meanwhile gets every answer.
#[test]
fn clustered_one_client_over_its_rate_limit_gets_429s_while_another_is_unaffected() {
    require_cluster();
    let front_door: SocketAddr = "127.0.0.1:8000".parse().expect("address");
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let seconds = 4;
    let (greedy, modest) = runtime.block_on(async {
        let greedy = tokio::spawn(load(
            IpAddr::V4(Ipv4Addr::new(127, 0, 0, 2)),
            front_door,
            "/healthz",
            4,
            Duration::from_secs(seconds),
            None,
        ));
        let modest = tokio::spawn(load(
            IpAddr::V4(Ipv4Addr::new(127, 0, 0, 3)),
            front_door,
            "/healthz",
            2,
            Duration::from_secs(seconds),
            Some(20.0),
        ));
        (
            greedy.await.expect("greedy client"),
            modest.await.expect("modest client"),
        )
    });
    eprintln!("greedy client: {greedy:?}, {:.0} requests/s", greedy.rate());
    eprintln!("modest client: {modest:?}, {:.0} requests/s", modest.rate());

    assert!(
        greedy.rate() >= 1000.0,
        "the greedy client sent {:.0} requests/s",
        greedy.rate()
    );
    assert!(greedy.count(429) > 0, "{greedy:?}");
    assert_eq!(
        greedy.malformed_429s, 0,
        "every 429 has Retry-After and a JSON error"
    );
    // Its accepted requests stay near its limit (100/s), with room for the first second.
    let accepted = greedy.count(200);
    assert!(accepted >= 100, "it still gets its share: {greedy:?}");
    assert!(
        accepted <= 100 * (seconds + 2),
        "no more than about its limit gets through: {greedy:?}"
    );
    assert_eq!(greedy.failures, 0, "{greedy:?}");

    assert!(modest.sent() >= 60, "{modest:?}");
    assert_eq!(
        modest.count(200),
        modest.sent(),
        "the other client is not limited: {modest:?}"
    );
}
