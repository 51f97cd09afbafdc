//! Calls straight to the service components over wRPC, with values the gateway would never
//! send: each is refused as `invalid`, naming the field, and nothing is stored. And a copy of a
//! service started without its Postgres link gets an error for every call, never data.

use movie_e2e::wrpc::{client, metadata, rating, Metadata, NewMetadata, ServiceError};
use movie_e2e::{project_root, require_app, unique, wash};

fn assert_invalid<T: std::fmt::Debug>(what: &str, answer: Result<T, ServiceError>, field: &str) {
    match answer {
        Err(ServiceError::Invalid(message)) => {
            assert!(message.contains(field), "{what}: {message:?} names {field}");
            assert!(
                message.len() < 300,
                "{what}: a short message ({} bytes)",
                message.len()
            );
        }
        other => panic!("{what}: expected invalid, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_metadata_component_refuses_what_the_gateway_never_sends() {
    require_app();
    let wrpc = client("metadata-service").await.expect("client");
    let id = unique("hostile-wrpc");
    let valid = Metadata {
        id: id.clone(),
        title: "T".into(),
        description: String::new(),
        director: "D".into(),
    };
    let cases = [
        (
            "an empty id",
            Metadata {
                id: String::new(),
                ..valid.clone()
            },
            "id",
        ),
        (
            "a 129-character id",
            Metadata {
                id: "i".repeat(129),
                ..valid.clone()
            },
            "id",
        ),
        (
            "a NUL in the id",
            Metadata {
                id: format!("{id}\0"),
                ..valid.clone()
            },
            "id",
        ),
        (
            "a newline in the id",
            Metadata {
                id: format!("{id}\n"),
                ..valid.clone()
            },
            "id",
        ),
        (
            "a NUL in the title",
            Metadata {
                title: "a\0b".into(),
                ..valid.clone()
            },
            "title",
        ),
        (
            "a blank director",
            Metadata {
                director: " \t ".into(),
                ..valid.clone()
            },
            "director",
        ),
        (
            "a 512 KiB title",
            Metadata {
                title: "t".repeat(512 * 1024),
                ..valid.clone()
            },
            "title",
        ),
        (
            "a 4,097-character description",
            Metadata {
                description: "d".repeat(4097),
                ..valid.clone()
            },
            "description",
        ),
        (
            "a NUL in the description",
            Metadata {
                description: "\0".into(),
                ..valid.clone()
            },
            "description",
        ),
    ];
    for (what, value, field) in cases {
        let answer = metadata::put(&wrpc, None, &value).await.expect("wRPC call");
        assert_invalid(what, answer, field);
    }
    let answer = metadata::create(
        &wrpc,
        None,
        &NewMetadata {
            title: "\0".into(),
            description: String::new(),
            director: "D".into(),
        },
    )
    .await
    .expect("wRPC call");
    assert_invalid("create with a NUL title", answer, "title");
    for bad_id in [String::new(), "x".repeat(129), "a\u{7f}b".to_string()] {
        let answer = metadata::get(&wrpc, None, &bad_id)
            .await
            .expect("wRPC call");
        assert_invalid("get with a bad id", answer, "id");
    }
    match metadata::get(&wrpc, None, &id).await.expect("wRPC call") {
        Err(ServiceError::NotFound(_)) => {}
        other => panic!("nothing was stored under {id}: {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_rating_component_refuses_what_the_gateway_never_sends() {
    require_app();
    let wrpc = client("rating-service").await.expect("client");
    let record = unique("hostile-wrpc-rating");
    for value in [0u8, 6, 255] {
        let answer = rating::put(&wrpc, None, "movie", &record, "u", value)
            .await
            .expect("wRPC call");
        assert_invalid(&format!("value {value}"), answer, "value");
    }
    let long_type = "m".repeat(65);
    let long_id = "r".repeat(129);
    let cases: [(&str, &str, &str, &str, &str); 6] = [
        (
            "an upper-case record type",
            "Movie",
            &record,
            "u",
            "recordType",
        ),
        ("an empty record type", "", &record, "u", "recordType"),
        (
            "a 65-character record type",
            &long_type,
            &record,
            "u",
            "recordType",
        ),
        ("an empty record id", "movie", "", "u", "recordId"),
        (
            "a 129-character record id",
            "movie",
            &long_id,
            "u",
            "recordId",
        ),
        (
            "a control character in the user",
            "movie",
            &record,
            "u\u{1b}[31m",
            "userId",
        ),
    ];
    for (what, record_type, record_id, user, field) in cases {
        let answer = rating::put(&wrpc, None, record_type, record_id, user, 3)
            .await
            .expect("wRPC call");
        assert_invalid(what, answer, field);
        let answer = rating::delete(&wrpc, None, record_type, record_id, user)
            .await
            .expect("wRPC call");
        assert_invalid(what, answer, field);
    }
    let answer = rating::get_aggregate(&wrpc, None, "MOVIE", &record)
        .await
        .expect("wRPC call");
    assert_invalid("get-aggregate of a bad type", answer, "recordType");
    let aggregate = rating::get_aggregate(&wrpc, None, "movie", &record)
        .await
        .expect("wRPC call")
        .expect("answered");
    assert!(aggregate.is_none(), "nothing was stored: {aggregate:?}");
}

/// A second metadata service, started by hand with no link to the Postgres provider: its
/// queries fail, so every call gets an error.
#[tokio::test(flavor = "multi_thread")]
async fn a_service_without_its_postgres_link_answers_errors_not_data() {
    require_app();
    let component_id =
        unique("unlinked-metadata").replace(|c: char| !c.is_ascii_alphanumeric() && c != '-', "-");
    let image = format!(
        "file://{}",
        project_root().join("build/metadata_service.wasm").display()
    );
    let hosts: serde_json::Value =
        serde_json::from_str(&wash(&["get", "hosts", "-o", "json"]).expect("hosts")).expect("json");
    let host = hosts["hosts"][0]["id"]
        .as_str()
        .expect("a host")
        .to_string();
    wash(&[
        "start",
        "component",
        "--host-id",
        &host,
        &image,
        &component_id,
        "--timeout-ms",
        "30000",
    ])
    .expect("start the unlinked copy");
    let outcome = async {
        let wrpc = client(&component_id).await.expect("client");
        let ping = metadata::ping(&wrpc, None).await;
        let get = metadata::get(&wrpc, None, "tt0068646").await;
        // The same image with its link, for contrast: it answers.
        let linked = client("metadata-service").await.expect("client");
        let control = metadata::ping(&linked, None).await;
        assert!(
            matches!(control, Ok(Ok(()))),
            "the linked service answers: {control:?}"
        );
        (ping, get)
    }
    .await;
    let _ = wash(&["stop", "component", "--host-id", &host, &component_id]);
    // The query import has no link: the host fails the component's call to it, which traps
    // the invocation, so the caller gets a failed call. Either way, an error and never data.
    let (ping, get) = outcome;
    assert!(
        !matches!(ping, Ok(Ok(()))),
        "ping without a database link must fail: {ping:?}"
    );
    assert!(
        !matches!(get, Ok(Ok(_))),
        "get without a database link must fail: {get:?}"
    );
    eprintln!("without its link: ping {ping:?}; get {get:?}");
}
