//! How fast the lattice sees a host die is set by the hosts' heartbeats (every
//! `HEARTBEAT_INTERVAL_S`, 2 s, in scripts/env.sh) and wadm's cleanup (a host unheard of for
//! 6 s is dropped). Every host must heartbeat at that pace; the test prints what that costs in
//! NATS traffic. Its own test binary (it listens for 10 s).

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use futures::StreamExt as _;
use movie_e2e::{require_app, shape};

const LISTEN: Duration = Duration::from_secs(10);
const INTERVAL: Duration = Duration::from_secs(2);

#[test]
fn every_host_heartbeats_every_two_seconds() {
    require_app();
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let (beats, bytes) = runtime.block_on(async {
        let nats = movie_e2e::nats::connect().await.expect("connect to NATS");
        let lattice = std::env::var("LATTICE").unwrap_or_else(|_| "default".to_string());
        let mut heartbeats = nats
            .subscribe(format!("wasmbus.evt.{lattice}.host_heartbeat"))
            .await
            .expect("subscribe");
        let mut beats: BTreeMap<String, u32> = BTreeMap::new();
        let mut bytes = 0usize;
        let until = Instant::now() + LISTEN;
        while let Ok(Some(message)) = tokio::time::timeout_at(until.into(), heartbeats.next()).await
        {
            bytes += message.payload.len() + message.subject.len();
            let event: serde_json::Value =
                serde_json::from_slice(&message.payload).expect("a heartbeat is JSON");
            let host = event["source"].as_str().unwrap_or("?").to_string();
            *beats.entry(host).or_default() += 1;
        }
        (beats, bytes)
    });
    let per_second = bytes as f64 / LISTEN.as_secs_f64();
    eprintln!(
        "{} heartbeats from {} hosts in {LISTEN:?}: {per_second:.0} bytes/s of NATS traffic ({:.0} bytes each)",
        beats.values().sum::<u32>(),
        beats.len(),
        bytes as f64 / f64::from(beats.values().sum::<u32>().max(1))
    );
    assert_eq!(
        beats.len(),
        shape::hosts(),
        "every host heartbeats: {beats:?}"
    );
    let expected = (LISTEN.as_secs() / INTERVAL.as_secs()) as u32;
    for (host, count) in &beats {
        assert!(
            *count >= expected - 1,
            "{host} sent {count} heartbeats in {LISTEN:?}, not one every {INTERVAL:?}"
        );
    }
}
