//! go-movie's own gateway API beside ours, through the lattice ingress:
//! `GET /v1/get-movie-details?id=` answers in go-movie's shape (Go's default field names), and
//! `POST /v1/submit-rating` hands a rating to Kafka for the rating service to apply.

use std::time::Duration;

use movie_e2e::kafka::read_topic;
use movie_e2e::{eventually, unique, TestApp};
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

/// go-movie's own flow: metadata, two ratings submitted through the gateway (handed to Kafka,
/// applied by the rating service), and the details showing them.
#[test]
fn ratings_submitted_through_the_gateway_are_applied_from_kafka() {
    let app = TestApp::deployed();
    let id = unique("v1-submitted");
    app.put_metadata(&json!({
        "id": id, "title": "Ran", "description": "", "director": "Akira Kurosawa",
    }))
    .assert_status(200);
    for (user, value) in [("alice", 5), ("bob", 2)] {
        let body =
            json!({"record_id": id, "record_type": "movie", "user_id": user, "value": value});
        let accepted = app.send(
            "POST",
            "/v1/submit-rating",
            Some(body.to_string().as_bytes()),
        );
        accepted.assert_status(202);
        assert_eq!(
            accepted.json().expect("JSON")["accepted"]["EventType"],
            "submit"
        );
    }
    eventually(
        "both submissions to be applied",
        Duration::from_secs(60),
        || {
            let details = app.get(&format!("/v1/get-movie-details?id={id}"));
            Ok(details.status == 200
                && details.json()?["AmountRatings"] == 2
                && details.json()?["Rating"] == 3.5)
        },
    )
    .expect("the submitted ratings applied");
    // The events on the topic are go-movie's.
    let events = read_topic("ratings", &id, Duration::from_secs(3)).expect("read ratings");
    assert_eq!(events.len(), 2, "{events:?}");
    for event in &events {
        let event: serde_json::Value = serde_json::from_slice(&event.payload).expect("JSON");
        assert_eq!(event["EventType"], "submit");
        assert_eq!(event["record_id"], id);
    }

    // A bad submission is a 400 naming the member; nothing is published.
    let bad = json!({"record_id": id, "record_type": "movie", "user_id": 7, "value": 3});
    let refused = app.send(
        "POST",
        "/v1/submit-rating",
        Some(bad.to_string().as_bytes()),
    );
    refused.assert_status(400);
    assert!(refused.json().expect("JSON")["error"]
        .as_str()
        .is_some_and(|error| error.contains("user_id must be a string")));
    app.get("/v1/submit-rating").assert_status(405);
}
