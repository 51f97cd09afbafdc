//! `wash app deploy wadm.yaml` on a real lattice: the app comes (back) up Deployed and serving.
//! Its own test binary, because redeploying restarts every workload of the app.

use movie_e2e::{
    deploy_manifest, deployed_version, get, manifest_version, require_app, wait_until_serving,
};

#[test]
fn wadm_yaml_deploys_and_serves() {
    require_app();
    deploy_manifest().expect("wash app deploy wadm.yaml");
    wait_until_serving().expect("deployed and serving");
    assert_eq!(
        deployed_version().expect("app list"),
        Some(manifest_version().expect("manifest version"))
    );
    let health = get("/healthz").expect("GET /healthz");
    assert_eq!(health.status, 200);
    assert_eq!(
        health.json().expect("JSON"),
        serde_json::json!({"status": "ok"})
    );
    let missing = get("/no-such-route").expect("GET unknown");
    assert_eq!(missing.status, 404);
    assert!(missing.json().expect("JSON")["error"].is_string());
}
