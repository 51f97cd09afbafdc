//! The metadata API end to end: HTTP -> ingress -> gateway -> metadata component -> Postgres
//! provider -> movie_metadata.

use movie_e2e::{assert_error, unique, TestApp};
use serde_json::json;

#[test]
fn metadata_is_stored_read_back_and_replaced() {
    let app = TestApp::deployed();
    let id = unique("heat");
    let movie = json!({"id": id, "title": "Heat", "description": "LA crime saga", "director": "Michael Mann"});
    assert_eq!(app.put_metadata(&movie).json_with(200), movie);
    assert_eq!(app.metadata(&id).json_with(200), movie);

    let replacement = json!({"id": id, "title": "  Heat (1995) ", "director": "Mann"});
    let expected = json!({"id": id, "title": "Heat (1995)", "description": "", "director": "Mann"});
    assert_eq!(app.put_metadata(&replacement).json_with(200), expected);
    assert_eq!(app.metadata(&id).json_with(200), expected);
}

#[test]
fn post_creates_metadata_under_a_generated_uuid() {
    let app = TestApp::deployed();
    let created = app.post_metadata(&json!({
        "title": "Ran",
        "description": "King Lear in feudal Japan",
        "director": "Akira Kurosawa"
    }));
    let body = created.json_with(201);
    let id = body["id"].as_str().expect("generated id").to_string();
    assert_eq!(id.len(), 36, "a UUID: {id}");
    assert_eq!(id.matches('-').count(), 4, "a UUID: {id}");
    assert_eq!(
        created.header("location"),
        Some(format!("/metadata?id={id}").as_str())
    );
    assert_eq!(app.metadata(&id).json_with(200), body);
}

#[test]
fn unicode_and_hostile_strings_round_trip() {
    let app = TestApp::deployed();
    let id = unique("千と千尋");
    let movie = json!({
        "id": id,
        "title": "千と千尋の神隠し ✨",
        "description": "'); DROP TABLE metadata; -- \"quoted\" \\ backslash",
        "director": "宮崎 駿"
    });
    app.put_metadata(&movie).assert_status(200);
    assert_eq!(app.metadata(&id).json_with(200), movie);
}

#[test]
fn client_mistakes_get_the_contract_errors() {
    let app = TestApp::deployed();
    assert_error(&app.get("/metadata"), 400, "id is required");
    assert_error(&app.metadata(""), 400, "id must not be empty");
    assert_error(&app.metadata(&"x".repeat(129)), 400, "at most 128");
    let missing = unique("missing");
    assert_error(
        &app.metadata(&missing),
        404,
        &format!("no metadata for id \"{missing}\""),
    );
    assert_error(
        &app.send("PUT", "/metadata", Some(b"{not json")),
        400,
        "not a valid JSON",
    );
    assert_error(&app.send("PUT", "/metadata", Some(b"")), 400, "empty");
    assert_error(
        &app.put_metadata(&json!({"title": "T", "director": "D"})),
        400,
        "id is required",
    );
    assert_error(
        &app.put_metadata(&json!({"id": "x", "director": "D"})),
        400,
        "title is required",
    );
    assert_error(
        &app.put_metadata(&json!({"id": "x", "title": "  ", "director": "D"})),
        400,
        "title must not be empty",
    );
    assert_error(
        &app.put_metadata(&json!({"id": "x", "title": "t".repeat(257), "director": "D"})),
        400,
        "at most 256",
    );
    assert_error(
        &app.put_metadata(
            &json!({"id": "x", "title": "T", "director": "D", "description": "d".repeat(4097)}),
        ),
        400,
        "at most 4096",
    );
    assert_error(
        &app.put_metadata(&json!({"id": "a\u{7}b", "title": "T", "director": "D"})),
        400,
        "control",
    );
    assert_error(
        &app.post_metadata(&json!({"id": "chosen", "title": "T", "director": "D"})),
        400,
        "id",
    );
    let delete = app.send("DELETE", "/metadata?id=x", None);
    assert_error(&delete, 405, "allowed");
    assert_eq!(delete.header("allow"), Some("GET, PUT, POST, HEAD"));
}

#[test]
fn bodies_over_64_kib_are_refused_with_413() {
    let app = TestApp::deployed();
    let huge =
        json!({"id": "big", "title": "T", "director": "D", "description": "x".repeat(70 * 1024)});
    assert_error(&app.put_metadata(&huge), 413, "larger than 65536");
    assert_error(&app.post_metadata(&huge), 413, "larger than 65536");
    // Just under the limit is fine as far as size goes (the description rule still applies).
    let near = json!({"id": unique("near"), "title": "T", "director": "D", "padding": "p".repeat(60 * 1024)});
    app.put_metadata(&near).assert_status(200);
}
