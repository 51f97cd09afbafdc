//! Harness for the end-to-end tests: a real lattice (NATS, wadm, a wasmCloud host, Postgres,
//! Kafka, the telemetry stack) with `wadm.yaml` deployed by `wash app deploy`, driven over HTTP and wRPC.
//!
//! The lattice is started through the project's own scripts when it is not running, so a
//! plain `cargo test` works as well as `make test`.
//!
//! # Layout
//! - [`api`]: [`TestApp`], the API as tests use it — one method per route.
//! - [`http`]: raw HTTP requests to the ingress and their answers.
//! - [`lattice`]: deploying the app and waiting until it serves.
//! - [`scripts`]: the project's scripts and tools (`wash`), scratch folders.
//! - [`load`]: many requests from a chosen client address (rate limits).
//! - [`chaos`]: faults injected under a mixed load, and what the load saw; [`soak`]: the
//!   same for a long time, with random faults.
//! - [`shape`]: one host or a cluster (`HOSTS`), and where its hosts, logs and metrics are.
//! - [`kafka`]: producing events and reading topics; [`wrpc`]: calling the services directly;
//!   [`nats`]: the lattice's NATS, as one of its users.
//! - [`telemetry`]: traces read back from the trace store, metrics, alerts.

pub mod api;
pub mod chaos;
pub mod http;
pub mod kafka;
pub mod lattice;
pub mod load;
pub mod nats;
pub mod scripts;
pub mod shape;
pub mod soak;
pub mod telemetry;
pub mod wrpc;

pub use api::TestApp;
pub use http::{assert_error, encode, get, request, request_with_headers, HttpResponse};
pub use lattice::{
    app_status, deploy_manifest, deployed_app, deployed_version, eventually, manifest_version,
    require_app, wait_until_serving,
};
pub use scripts::{bash, project_root, run_script, script, tool, wash, Scratch};

/// The HTTP API's address (CONTRACT.md): the host's ingress, or the cluster's front door.
pub const API: &str = "http://127.0.0.1:8000";
/// The application's name in wadm.yaml.
pub const APP: &str = "movie-lattice";

/// A key no other test run has used (tests share the databases).
pub fn unique(prefix: &str) -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|elapsed| elapsed.as_nanos())
        .unwrap_or_default();
    format!(
        "{prefix}-{}-{nanos}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::SeqCst)
    )
}
