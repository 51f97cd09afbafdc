//! Component-level tests: each component on the real host, driven directly rather than through
//! the ingress. The metadata and rating components over wRPC through their exported interfaces
//! (not through the gateway), with the Postgres provider behind them; the gateway with
//! `wash call` on its HTTP handler.

use movie_e2e::wrpc::{client, metadata, rating, Metadata, NewMetadata, ServiceError};
use movie_e2e::{require_app, unique, wash};

#[tokio::test(flavor = "multi_thread")]
async fn the_metadata_component_stores_and_reads_metadata() {
    require_app();
    let wrpc = client("metadata-service").await.expect("client");
    let id = unique("component");
    let movie = Metadata {
        id: id.clone(),
        title: " Stalker ".into(),
        description: "The Zone".into(),
        director: "Andrei Tarkovsky".into(),
    };
    let stored = metadata::put(&wrpc, None, &movie)
        .await
        .expect("wRPC call")
        .expect("stored");
    assert_eq!(stored.title, "Stalker", "trimmed by the domain rules");
    let read = metadata::get(&wrpc, None, &id)
        .await
        .expect("wRPC call")
        .expect("found");
    assert_eq!(read.director, "Andrei Tarkovsky");
    assert_eq!(read.description, "The Zone");

    let created = metadata::create(
        &wrpc,
        None,
        &NewMetadata {
            title: "Solaris".into(),
            description: String::new(),
            director: "Andrei Tarkovsky".into(),
        },
    )
    .await
    .expect("wRPC call")
    .expect("created");
    assert_eq!(created.id.len(), 36, "a generated UUID: {}", created.id);

    match metadata::get(&wrpc, None, &unique("absent"))
        .await
        .expect("wRPC call")
    {
        Err(ServiceError::NotFound(message)) => assert!(message.contains("no metadata")),
        other => panic!("expected not-found, got {other:?}"),
    }
    match metadata::put(
        &wrpc,
        None,
        &Metadata {
            title: "   ".into(),
            ..movie
        },
    )
    .await
    .expect("wRPC call")
    {
        Err(ServiceError::Invalid(message)) => assert!(message.contains("title")),
        other => panic!("expected invalid, got {other:?}"),
    }
    metadata::ping(&wrpc, None)
        .await
        .expect("wRPC call")
        .expect("database answers");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_rating_component_keeps_one_rating_per_user() {
    require_app();
    let wrpc = client("rating-service").await.expect("client");
    let id = unique("component-rating");
    for (user, value) in [("a", 5u8), ("b", 2), ("a", 3)] {
        rating::put(&wrpc, None, "movie", &id, user, value)
            .await
            .expect("wRPC call")
            .expect("stored");
    }
    let aggregate = rating::get_aggregate(&wrpc, None, "movie", &id)
        .await
        .expect("wRPC call")
        .expect("answered")
        .expect("has ratings");
    assert_eq!(aggregate.count, 2);
    assert_eq!(aggregate.average, 2.5);
    match rating::put(&wrpc, None, "movie", &id, "c", 6)
        .await
        .expect("wRPC call")
    {
        Err(ServiceError::Invalid(message)) => assert!(message.contains("value")),
        other => panic!("expected invalid, got {other:?}"),
    }
    rating::delete(&wrpc, None, "movie", &id, "a")
        .await
        .expect("wRPC call")
        .expect("deleted");
    match rating::delete(&wrpc, None, "movie", &id, "a")
        .await
        .expect("wRPC call")
    {
        Err(ServiceError::NotFound(_)) => {}
        other => panic!("expected not-found, got {other:?}"),
    }
    let none = rating::get_aggregate(&wrpc, None, "movie", &unique("unrated"))
        .await
        .expect("wRPC call")
        .expect("answered");
    assert!(none.is_none());
}

/// The gateway component alone, through `wash call` (its `wasi:http/incoming-handler`), with
/// no ingress in between. `wash call` always asks for `/`, which the gateway answers with its
/// index without calling any service; the method is ours to choose.
#[test]
fn the_gateway_component_answers_wash_call() {
    require_app();
    let call = |method: &str| -> serde_json::Value {
        let output = wash(&[
            "call",
            "movie-gateway",
            "wasi:http/incoming-handler.handle",
            "--http-method",
            method,
            "-o",
            "json",
        ])
        .expect("wash call");
        let answer: serde_json::Value = serde_json::from_str(&output).expect("wash JSON output");
        answer["response"].clone()
    };

    let index = call("GET");
    assert_eq!(index["status"], 200, "{index}");
    assert_eq!(index["headers"]["content-type"], "application/json");
    let body: serde_json::Value =
        serde_json::from_str(index["body"].as_str().unwrap_or_default()).expect("JSON index");
    assert_eq!(body["openapi"], "/openapi.json");
    assert!(
        body["endpoints"]
            .as_array()
            .is_some_and(|endpoints| endpoints.iter().any(|e| e == "GET /movie")),
        "{body}"
    );

    let refused = call("DELETE");
    assert_eq!(refused["status"], 405, "{refused}");
    assert_eq!(refused["headers"]["allow"], "GET, HEAD");
}
