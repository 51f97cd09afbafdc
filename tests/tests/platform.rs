//! The platform slice: wadm.yaml deployed on a real lattice, the gateway answering through the
//! HTTP ingress.

use movie_e2e::{shape, wash, TestApp};

#[test]
fn healthz_answers_ok_through_the_ingress() {
    let response = TestApp::deployed().health();
    assert_eq!(response.status, 200);
    assert_eq!(response.header("content-type"), Some("application/json"));
    assert_eq!(
        response.json().expect("JSON body"),
        serde_json::json!({"status": "ok"})
    );
}

#[test]
fn unknown_paths_get_a_json_404() {
    let app = TestApp::deployed();
    for path in ["/nope", "/movies", "/healthz/extra", "/openapi"] {
        let response = app.get(path);
        assert_eq!(response.status, 404, "{path}");
        let body = response.json().expect("JSON error body");
        let message = body["error"].as_str().unwrap_or_default();
        assert!(message.contains("no such path"), "{path}: {body}");
    }
}

#[test]
fn the_root_lists_the_api_and_the_openapi_document_is_served() {
    let app = TestApp::deployed();
    let index = app.get("/").json_with(200);
    assert_eq!(index["openapi"], "/openapi.json");
    let endpoints = index["endpoints"].as_array().cloned().unwrap_or_default();
    assert!(endpoints.iter().any(|e| e == "GET /movie"), "{index}");

    let response = app.get("/openapi.json");
    assert_eq!(response.status, 200);
    assert_eq!(response.header("content-type"), Some("application/json"));
    let document = response.json().expect("JSON document");
    assert_eq!(document["openapi"], "3.0.3");
    assert!(
        document["paths"]["/rating"]["put"].is_object(),
        "{document}"
    );
}

#[test]
fn wrong_method_gets_405_with_allow() {
    let response = TestApp::deployed().send("POST", "/healthz", Some(b"{}"));
    assert_eq!(response.status, 405);
    assert_eq!(response.header("allow"), Some("GET, HEAD"));
    assert!(response.json().expect("JSON error body")["error"].is_string());
}

#[test]
fn the_lattice_has_a_host_running_the_gateway() {
    TestApp::deployed();
    let hosts: serde_json::Value =
        serde_json::from_str(&wash(&["get", "hosts", "-o", "json"]).expect("wash get hosts"))
            .expect("hosts JSON");
    let hosts = hosts["hosts"].as_array().cloned().unwrap_or_default();
    assert_eq!(
        hosts.len(),
        shape::hosts(),
        "the lattice's hosts: {hosts:?}"
    );
    let inventory = wash(&["get", "inventory", "-o", "json"]).expect("wash get inventory");
    assert!(
        inventory.contains("movie-gateway"),
        "the gateway component runs on the host: {inventory}"
    );
}
