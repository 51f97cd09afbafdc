//! The metadata API end to end: HTTP -> ingress -> gateway -> metadata component -> Postgres
//! provider -> movie_metadata.

use movie_e2e::{assert_error, get, request, require_app, unique};
use serde_json::{json, Value};

fn put(body: &Value) -> movie_e2e::HttpResponse {
    request("PUT", "/metadata", Some(body.to_string().as_bytes())).expect("PUT /metadata")
}

#[test]
fn metadata_is_stored_read_back_and_replaced() {
    require_app();
    let id = unique("heat");
    let movie = json!({"id": id, "title": "Heat", "description": "LA crime saga", "director": "Michael Mann"});
    let stored = put(&movie);
    assert_eq!(stored.status, 200);
    assert_eq!(stored.json().expect("json"), movie);

    let read = get(&format!("/metadata?id={id}")).expect("GET");
    assert_eq!(read.status, 200);
    assert_eq!(read.json().expect("json"), movie);

    let replacement = json!({"id": id, "title": "  Heat (1995) ", "director": "Mann"});
    let replaced = put(&replacement);
    assert_eq!(replaced.status, 200);
    let expected = json!({"id": id, "title": "Heat (1995)", "description": "", "director": "Mann"});
    assert_eq!(replaced.json().expect("json"), expected);
    assert_eq!(
        get(&format!("/metadata?id={id}"))
            .expect("GET")
            .json()
            .expect("json"),
        expected
    );
}

#[test]
fn post_creates_metadata_under_a_generated_uuid() {
    require_app();
    let created = request(
        "POST",
        "/metadata",
        Some(br#"{"title":"Ran","description":"King Lear in feudal Japan","director":"Akira Kurosawa"}"#),
    )
    .expect("POST");
    assert_eq!(created.status, 201);
    let body = created.json().expect("json");
    let id = body["id"].as_str().expect("generated id").to_string();
    assert_eq!(id.len(), 36, "a UUID: {id}");
    assert_eq!(id.matches('-').count(), 4, "a UUID: {id}");
    assert_eq!(
        created.header("location"),
        Some(format!("/metadata?id={id}").as_str())
    );
    let read = get(&format!("/metadata?id={id}")).expect("GET");
    assert_eq!(read.json().expect("json"), body);
}

#[test]
fn unicode_and_hostile_strings_round_trip() {
    require_app();
    let id = unique("千と千尋");
    let movie = json!({
        "id": id,
        "title": "千と千尋の神隠し ✨",
        "description": "'); DROP TABLE metadata; -- \"quoted\" \\ backslash",
        "director": "宮崎 駿"
    });
    assert_eq!(put(&movie).status, 200);
    let encoded = movie_e2e::encode(&id);
    let read = get(&format!("/metadata?id={encoded}")).expect("GET");
    assert_eq!(read.status, 200);
    assert_eq!(read.json().expect("json"), movie);
}

#[test]
fn client_mistakes_get_the_contract_errors() {
    require_app();
    assert_error(&get("/metadata").expect("GET"), 400, "id is required");
    assert_error(
        &get("/metadata?id=").expect("GET"),
        400,
        "id must not be empty",
    );
    assert_error(
        &get(&format!("/metadata?id={}", "x".repeat(129))).expect("GET"),
        400,
        "at most 128",
    );
    let missing = unique("missing");
    assert_error(
        &get(&format!("/metadata?id={missing}")).expect("GET"),
        404,
        &format!("no metadata for id \"{missing}\""),
    );
    assert_error(
        &request("PUT", "/metadata", Some(b"{not json")).expect("PUT"),
        400,
        "not a valid JSON",
    );
    assert_error(
        &request("PUT", "/metadata", Some(b"")).expect("PUT"),
        400,
        "empty",
    );
    assert_error(
        &put(&json!({"title": "T", "director": "D"})),
        400,
        "id is required",
    );
    assert_error(
        &put(&json!({"id": "x", "director": "D"})),
        400,
        "title is required",
    );
    assert_error(
        &put(&json!({"id": "x", "title": "  ", "director": "D"})),
        400,
        "title must not be empty",
    );
    assert_error(
        &put(&json!({"id": "x", "title": "t".repeat(257), "director": "D"})),
        400,
        "at most 256",
    );
    assert_error(
        &put(&json!({"id": "x", "title": "T", "director": "D", "description": "d".repeat(4097)})),
        400,
        "at most 4096",
    );
    assert_error(
        &put(&json!({"id": "a\u{7}b", "title": "T", "director": "D"})),
        400,
        "control",
    );
    assert_error(
        &request(
            "POST",
            "/metadata",
            Some(br#"{"id":"chosen","title":"T","director":"D"}"#),
        )
        .expect("POST"),
        400,
        "id",
    );
    let delete = request("DELETE", "/metadata?id=x", None).expect("DELETE");
    assert_error(&delete, 405, "allowed");
    assert_eq!(delete.header("allow"), Some("GET, PUT, POST, HEAD"));
}

#[test]
fn bodies_over_64_kib_are_refused_with_413() {
    require_app();
    let huge =
        json!({"id": "big", "title": "T", "director": "D", "description": "x".repeat(70 * 1024)});
    assert_error(&put(&huge), 413, "larger than 65536");
    assert_error(
        &request("POST", "/metadata", Some(huge.to_string().as_bytes())).expect("POST"),
        413,
        "larger than 65536",
    );
    // Just under the limit is fine as far as size goes (the description rule still applies).
    let near = json!({"id": unique("near"), "title": "T", "director": "D", "padding": "p".repeat(60 * 1024)});
    assert_eq!(put(&near).status, 200);
}
