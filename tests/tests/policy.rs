//! Only what the project signed runs: the hosts ask the policy service (lattice/policy) before
//! they start anything, and it permits only artifacts issued by the project's key. A component
//! signed by another key, and one not signed at all, are refused on the running lattice, with
//! the reason in the host's log; the app itself (all signed by us) runs, which every other test
//! shows.

use std::path::Path;
use std::time::Duration;

use movie_e2e::{bash, eventually, project_root, unique, wash, Scratch, TestApp};

/// host-1's id (the host whose log is `.lattice/logs/host-1.log`).
fn first_host() -> String {
    let hosts = wash(&["get", "hosts", "-o", "json"]).expect("wash get hosts");
    let hosts: serde_json::Value = serde_json::from_str(&hosts).expect("JSON");
    hosts["hosts"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|host| host["labels"]["movie_lattice_host"] == "host-1")
        .and_then(|host| host["id"].as_str())
        .expect("host-1 in the lattice")
        .to_string()
}

fn issuer_of(artifact: &Path) -> Option<String> {
    let inspected = wash(&["inspect", &artifact.to_string_lossy(), "-o", "json"]).ok()?;
    let inspected: serde_json::Value = serde_json::from_str(&inspected).ok()?;
    inspected["account"].as_str().map(String::from)
}

fn host_log() -> String {
    std::fs::read_to_string(project_root().join(".lattice/logs/host-1.log")).unwrap_or_default()
}

/// Asks host-1 to start `artifact` as component `id`, and checks that it was refused for
/// `reason` (a piece of the policy service's message), and never ran.
fn refused(artifact: &Path, id: &str, reason: &str) {
    let host = first_host();
    let reference = format!("file://{}", artifact.display());
    // wash reports the host's failure (or times out waiting for a start that never comes);
    // what counts is the host's own account and its inventory.
    let started = wash(&[
        "start",
        "component",
        &reference,
        id,
        "--host-id",
        &host,
        "--timeout-ms",
        "10000",
    ]);
    eprintln!("wash start component {id}: {started:?}");
    let denial = format!("Policy denied request to scale component `{id}`");
    eventually(
        "the host to log the denial",
        Duration::from_secs(20),
        || {
            Ok(host_log()
                .lines()
                .any(|line| line.contains(&denial) && line.contains(reason)))
        },
    )
    .unwrap_or_else(|err| panic!("{err:#}: no line with {denial:?} and {reason:?} in host-1.log"));
    let inventory = wash(&["get", "inventory", &host, "-o", "json"]).expect("inventory");
    assert!(!inventory.contains(id), "{id} runs on host-1: {inventory}");
}

#[test]
fn a_component_signed_by_another_key_is_refused() {
    let _app = TestApp::deployed();
    let scratch = Scratch::new("foreign-signed");
    let ours = project_root().join("build/metadata_service.wasm");
    let foreign = scratch.path("foreign.wasm");
    // Signed the way wash signs ours, with keys made for the occasion (an issuer of nobody's).
    let signed = bash()
        .arg("-c")
        .arg(r#"source scripts/env.sh && WASH_KEYS="$1" wash claims sign "$2" --name foreign --rev 0 --ver 0.1.0 -d "$3""#)
        .arg("sign")
        .arg(scratch.path("keys"))
        .arg(&ours)
        .arg(&foreign)
        .output()
        .expect("wash claims sign");
    assert!(
        signed.status.success(),
        "{}",
        String::from_utf8_lossy(&signed.stderr)
    );
    let theirs = issuer_of(&foreign).expect("the foreign copy is signed");
    assert_ne!(
        Some(theirs.clone()),
        issuer_of(&ours),
        "signed by another key"
    );

    refused(
        &foreign,
        &unique("foreign-metadata"),
        &format!("signed by issuer {theirs}"),
    );
}

#[test]
fn an_unsigned_component_is_refused() {
    let _app = TestApp::deployed();
    let unsigned = project_root().join("build/unsigned/metadata_service.wasm");
    assert_eq!(
        issuer_of(&unsigned),
        None,
        "{} carries no claims",
        unsigned.display()
    );
    refused(&unsigned, &unique("unsigned-metadata"), "it is not signed");
}
