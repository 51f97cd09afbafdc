//! The lattice's shape, as `scripts/env.sh` lays it out: one host (the default), or a cluster
//! of `HOSTS` hosts (`make up HOSTS=N`) on three NATS servers behind the front door. Tests
//! that look at hosts, their logs or their metrics ask here where they are.

use std::path::PathBuf;

use crate::project_root;

/// Port of host 1's metrics; host N's is 10 * (N - 1) above, its providers' follow it.
const HOST_METRICS_BASE_PORT: u16 = 9464;
/// The clustered lattice's registry and front door statistics (scripts/env.sh).
pub const REGISTRY: &str = "127.0.0.1:5000";
pub const FRONTDOOR_STATS: &str = "http://127.0.0.1:8404";

/// How many hosts the lattice has: `HOSTS` when set (make test sets it for each shape it
/// tests), else what the running lattice recorded, else 1. Read once: a test that stops the
/// lattice (which forgets its shape) starts it again in the same shape, since every script a
/// test runs is given this `HOSTS`.
pub fn hosts() -> usize {
    static HOSTS: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    *HOSTS.get_or_init(read_hosts)
}

fn read_hosts() -> usize {
    let recorded = || {
        std::fs::read_to_string(project_root().join(".lattice/shape"))
            .ok()
            .and_then(|text| text.trim().parse().ok())
    };
    std::env::var("HOSTS")
        .ok()
        .and_then(|value| value.trim().parse().ok())
        .or_else(recorded)
        .filter(|&hosts: &usize| hosts >= 1)
        .unwrap_or(1)
}

/// Whether the lattice is a cluster (several hosts, a NATS cluster, the front door).
pub fn clustered() -> bool {
    hosts() > 1
}

/// The manifest this shape deploys, relative to the project root.
pub fn manifest() -> &'static str {
    if clustered() {
        "build/wadm.cluster.yaml"
    } else {
        "wadm.yaml"
    }
}

/// The hosts' names: host-1, host-2, ...
pub fn host_names() -> Vec<String> {
    (1..=hosts()).map(|n| format!("host-{n}")).collect()
}

/// Where the N-th host (1-based) serves its metrics, and its providers theirs (offset 1 the
/// Postgres provider's, 2 the Kafka provider's; with several hosts an instance takes any of
/// the hosts' slots).
pub fn metrics_url(host: usize, offset: u16) -> String {
    let port = HOST_METRICS_BASE_PORT + 10 * (host as u16 - 1) + offset;
    format!("http://127.0.0.1:{port}/metrics")
}

/// Every host's log file.
pub fn host_logs() -> Vec<PathBuf> {
    host_names()
        .iter()
        .map(|name| project_root().join(format!(".lattice/logs/{name}.log")))
        .collect()
}

/// Every NATS server's log file.
pub fn nats_logs() -> Vec<PathBuf> {
    let names: Vec<String> = if clustered() {
        (1..=3).map(|node| format!("nats-{node}")).collect()
    } else {
        vec!["nats".into()]
    };
    names
        .iter()
        .map(|name| project_root().join(format!(".lattice/logs/{name}.log")))
        .collect()
}

/// The address where host N (1-based) serves the API itself: the front door's in a cluster
/// is 127.0.0.1:8000, and each host's own ingress is on 8000 + N.
pub fn host_ingress(host: usize) -> String {
    if clustered() {
        format!("127.0.0.1:{}", 8000 + host)
    } else {
        "127.0.0.1:8000".to_string()
    }
}
