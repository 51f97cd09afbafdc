//! go-movie's own gateway API beside ours, through the lattice ingress:
//! `GET /v1/get-movie-details?id=` answers in go-movie's shape (Go's default field names).

use movie_e2e::{unique, TestApp};
use serde_json::json;

#[test]
fn v1_movie_details_answer_in_go_movies_shape() {
    let app = TestApp::deployed();
    let id = unique("v1-heat");
    let details = |id: &str| app.get(&format!("/v1/get-movie-details?id={id}"));
    assert_eq!(details(&id).status, 404);
    app.get("/v1/get-movie-details").assert_status(400);

    let metadata = json!({
        "id": id, "title": "Heat", "description": "LA, 1995", "director": "Michael Mann",
    });
    app.put_metadata(&metadata).assert_status(200);
    let v1_metadata = json!({
        "id": id, "title": "Heat", "description": "LA, 1995", "director": "Michael Mann",
        "record_type": "movie",
    });
    assert_eq!(
        details(&id).json_with(200),
        json!({"Rating": 0.0, "AmountRatings": 0, "Metadata": v1_metadata})
    );
    app.rate(&id, "alice", 5).assert_status(204);
    app.rate(&id, "bob", 2).assert_status(204);
    assert_eq!(
        details(&id).json_with(200),
        json!({"Rating": 3.5, "AmountRatings": 2, "Metadata": v1_metadata})
    );
    // The same rules as the rest of the API: 405 with Allow, JSON errors.
    let refused = app.send("DELETE", &format!("/v1/get-movie-details?id={id}"), None);
    refused.assert_status(405);
    assert_eq!(refused.header("allow"), Some("GET, HEAD"));
    let invalid = app.get("/v1/get-movie-details?id=%00");
    invalid.assert_status(400);
    assert!(invalid.json().expect("a JSON error")["error"].is_string());
}
