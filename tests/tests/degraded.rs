//! Graceful degradation: with the rating service undeployed (a manifest version without the
//! rating component and without the gateway's link to it), `GET /movie` still answers 200 with
//! the metadata alone, `/healthz` answers 503 `degraded` naming rating, and the rating routes
//! answer 503 with a JSON error. Deploying wadm.yaml again brings the ratings back.
//!
//! Its own test binary: it changes what the lattice runs, and test binaries run one at a time.

use std::time::Duration;

use anyhow::Context as _;
use movie_e2e::lattice::deploy_file;
use movie_e2e::{
    deploy_manifest, encode, eventually, get, project_root, unique, wait_until_serving, TestApp,
};
use serde_json::json;
use serde_yaml_ng::Value;

/// The manifest (wadm.yaml, or the clustered one) without the rating component and every
/// link to it.
fn manifest_without_rating() -> anyhow::Result<String> {
    let root = project_root();
    let text = std::fs::read_to_string(root.join(movie_e2e::shape::manifest()))?;
    // file:// paths are relative to the manifest: make them absolute, it is written elsewhere.
    let text = text.replace(
        "file://./",
        &format!("file://{}/", root.to_string_lossy().trim_end_matches('/')),
    );
    let mut manifest: Value = serde_yaml_ng::from_str(&text)?;
    let version = manifest["metadata"]["annotations"]["version"]
        .as_str()
        .context("version annotation")?
        .to_string();
    manifest["metadata"]["annotations"]["version"] = format!("{version}-without-rating").into();
    let components = manifest["spec"]["components"]
        .as_sequence_mut()
        .context("spec.components")?;
    components.retain(|component| component["name"] != "rating");
    for component in components.iter_mut() {
        if let Some(traits) = component.get_mut("traits").and_then(Value::as_sequence_mut) {
            traits.retain(|t| t["properties"]["target"]["name"] != "rating");
        }
    }
    Ok(serde_yaml_ng::to_string(&manifest)?)
}

/// Puts wadm.yaml back when dropped, so that a failing assertion leaves the lattice whole.
struct Restore;

impl Drop for Restore {
    fn drop(&mut self) {
        if let Err(err) = deploy_manifest().and_then(|()| wait_until_serving()) {
            eprintln!("could not redeploy wadm.yaml: {err:#}");
        }
    }
}

#[test]
fn without_the_rating_service_movies_degrade_and_health_says_so() {
    let app = TestApp::deployed();
    let id = unique("degraded");
    let metadata =
        json!({"id": id, "title": "Alphaville", "description": "", "director": "Jean-Luc Godard"});
    app.put_metadata(&metadata).assert_status(200);
    app.rate(&id, "anna", 4).assert_status(204);
    let movie_path = format!("/movie?id={}", encode(&id));
    let whole = json!({"metadata": metadata, "rating": {"average": 4.0, "count": 1}});
    assert_eq!(app.movie(&id).json_with(200), whole);

    let path = project_root().join(".lattice/tmp/wadm-without-rating.yaml");
    std::fs::write(&path, manifest_without_rating().expect("manifest")).expect("write manifest");
    let restore = Restore;
    deploy_file(&path).expect("deploy without rating");

    // A new version restarts every component of the app, metadata too, and wadm puts the
    // links again: wait until the degraded state has held for 2 s (8 checks in a row), not
    // just until one check between two link puts saw it.
    let mut in_a_row = 0;
    eventually(
        "/healthz to report rating down and metadata up, steadily",
        Duration::from_secs(60),
        || {
            let health = get("/healthz")?;
            let report = health.json()?;
            let degraded = health.status == 503
                && report["checks"]["metadata"] == "ok"
                && report["checks"]["rating"] != "ok";
            in_a_row = if degraded { in_a_row + 1 } else { 0 };
            Ok(in_a_row >= 8)
        },
    )
    .expect("degraded health");
    let report = app.health().json_with(503);
    assert_eq!(report["status"], "degraded", "{report}");
    assert_eq!(report["checks"]["metadata"], "ok", "{report}");
    let why = report["checks"]["rating"].as_str().unwrap_or_default();
    assert!(why.contains("rating service"), "{report}");

    assert_eq!(app.movie(&id).json_with(200), json!({"metadata": metadata}));
    assert!(app.rating(&id).json_with(503)["error"].is_string());

    drop(restore);
    eventually("the rating to come back", Duration::from_secs(60), || {
        Ok(get(&movie_path)?.json()? == whole)
    })
    .expect("ratings after redeploying wadm.yaml");
}
