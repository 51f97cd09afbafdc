//! `wash app deploy wadm.yaml` on a real lattice: the app comes (back) up Deployed and serving.
//! Its own test binary, because redeploying restarts every workload of the app.

use movie_e2e::{deploy_manifest, deployed_version, manifest_version, wait_until_serving, TestApp};

#[test]
fn wadm_yaml_deploys_and_serves() {
    let app = TestApp::deployed();
    deploy_manifest().expect("wash app deploy wadm.yaml");
    wait_until_serving().expect("deployed and serving");
    assert_eq!(
        deployed_version().expect("app list"),
        Some(manifest_version().expect("manifest version"))
    );
    assert_eq!(
        app.health().json_with(200),
        serde_json::json!({"status": "ok"})
    );
    let missing = app.get("/no-such-route");
    assert_eq!(missing.status, 404);
    assert!(missing.json().expect("JSON")["error"].is_string());
}
