//! A host of the clustered lattice restarted with an empty cache pulls every artifact it runs
//! from the registry again. Its own test binary: it stops a host.

use std::time::Duration;

use movie_e2e::lattice::placements;
use movie_e2e::{bash, eventually, project_root, require_app, script, shape, wait_until_serving};

const HOST: &str = "host-2";
const WORKLOADS: [&str; 6] = [
    "movie-gateway",
    "metadata-service",
    "rating-service",
    "sqldb-postgres",
    "messaging-kafka",
    "http-ingress-2",
];

fn files_under(dir: &std::path::Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .map(|entry| entry.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn clustered_a_host_restarted_with_an_empty_cache_pulls_its_artifacts_from_the_registry() {
    assert!(shape::clustered(), "needs the clustered lattice (HOSTS=3)");
    require_app();
    let status = bash()
        .arg("-c")
        .arg(format!(
            "source scripts/env.sh && stop_pid {HOST} && stop_stray_providers {HOST}"
        ))
        .status()
        .expect("stop the host");
    assert!(status.success(), "stopping {HOST}");
    let temporary = project_root().join(format!(".lattice/hosts/{HOST}/tmp"));
    std::fs::remove_dir_all(&temporary).expect("empty the host's caches");
    let registry_log = project_root().join(".lattice/logs/registry.log");
    let seen = std::fs::read_to_string(&registry_log).map_or(0, |log| log.len());

    script("lattice").expect("the lattice starts the missing host");
    eventually(
        "wadm to place everything on the restarted host again",
        Duration::from_secs(120),
        || {
            let placements = placements()?;
            Ok(placements
                .get(HOST)
                .is_some_and(|ids| WORKLOADS.iter().all(|w| ids.iter().any(|id| id == w))))
        },
    )
    .expect("the host runs its share again");

    // Its caches are full again, and the registry served the pulls.
    let oci_cache = files_under(&temporary.join("wasmcloud_ocicache"));
    let artifacts = oci_cache.iter().filter(|f| !f.ends_with(".digest")).count();
    assert!(
        artifacts >= 3,
        "the three components are cached again: {oci_cache:?}"
    );
    assert!(
        !files_under(&temporary.join("wasmcloudcache")).is_empty(),
        "the providers' binaries are unpacked again"
    );
    let log = std::fs::read_to_string(&registry_log).expect("registry log");
    let since = &log[seen.min(log.len())..];
    for name in WORKLOADS.iter().take(5) {
        let pull = format!("GET /v2/movie-lattice/{name}/blobs/");
        assert!(
            since.contains(&pull),
            "the registry served {pull} after the restart"
        );
    }
    let health = ureq::get(&format!("http://{}/healthz", shape::host_ingress(2)))
        .timeout(Duration::from_secs(5))
        .call()
        .map(|response| response.status())
        .expect("the restarted host's ingress");
    assert_eq!(health, 200);
    wait_until_serving().expect("the app serves");
}
