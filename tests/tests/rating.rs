//! The rating API end to end: HTTP -> ingress -> gateway -> rating component -> Postgres
//! provider -> movie_rating.

use movie_e2e::{assert_error, get, request, require_app, unique, HttpResponse};
use serde_json::json;

fn rating_path(id: &str, user: &str, value: Option<u8>) -> String {
    let mut path = format!("/rating?id={id}&type=movie&userId={user}");
    if let Some(value) = value {
        path.push_str(&format!("&value={value}"));
    }
    path
}

fn put_rating(id: &str, user: &str, value: u8) -> HttpResponse {
    request("PUT", &rating_path(id, user, Some(value)), None).expect("PUT /rating")
}

#[test]
fn ratings_are_put_replaced_deleted_and_aggregated() {
    require_app();
    let id = unique("rated");
    assert_error(
        &get(&format!("/rating?id={id}&type=movie")).expect("GET"),
        404,
        "no ratings",
    );

    let first = put_rating(&id, "alice", 5);
    assert_eq!(first.status, 204);
    assert!(first.body.is_empty());
    assert_eq!(put_rating(&id, "bob", 1).status, 204);
    let aggregate = get(&format!("/rating?id={id}&type=movie")).expect("GET");
    assert_eq!(aggregate.status, 200);
    assert_eq!(
        aggregate.json().expect("json"),
        json!({"recordId": id, "recordType": "movie", "average": 3.0, "count": 2})
    );

    // Bob changes his mind: replaced, not added.
    assert_eq!(put_rating(&id, "bob", 2).status, 204);
    let aggregate = get(&format!("/rating?id={id}&type=movie"))
        .expect("GET")
        .json()
        .expect("json");
    assert_eq!(aggregate["average"], 3.5);
    assert_eq!(aggregate["count"], 2);

    assert_eq!(
        request("DELETE", &rating_path(&id, "alice", None), None)
            .expect("DELETE")
            .status,
        204
    );
    assert_error(
        &request("DELETE", &rating_path(&id, "alice", None), None).expect("DELETE"),
        404,
        "no rating",
    );
    let aggregate = get(&format!("/rating?id={id}&type=movie"))
        .expect("GET")
        .json()
        .expect("json");
    assert_eq!(aggregate["average"], 2.0);
    assert_eq!(aggregate["count"], 1);

    // Other record types are separate.
    assert_error(
        &get(&format!("/rating?id={id}&type=series")).expect("GET"),
        404,
        "no ratings",
    );
}

#[test]
fn averages_are_exact_not_rounded() {
    require_app();
    let id = unique("thirds");
    for (user, value) in [("a", 1), ("b", 2), ("c", 2)] {
        assert_eq!(put_rating(&id, user, value).status, 204);
    }
    let aggregate = get(&format!("/rating?id={id}&type=movie"))
        .expect("GET")
        .json()
        .expect("json");
    assert_eq!(aggregate["average"].as_f64(), Some(5.0 / 3.0));
}

#[test]
fn invalid_parameters_are_400_and_store_nothing() {
    require_app();
    let id = unique("invalid");
    for (path, needle) in [
        (
            "/rating?type=movie&userId=u&value=3".to_string(),
            "id is required",
        ),
        (
            format!("/rating?id={id}&userId=u&value=3"),
            "type is required",
        ),
        (
            format!("/rating?id={id}&type=MOVIE&userId=u&value=3"),
            "recordType",
        ),
        (
            format!("/rating?id={id}&type=movie&value=3"),
            "userId is required",
        ),
        (
            format!("/rating?id={id}&type=movie&userId=u"),
            "value is required",
        ),
        (
            format!("/rating?id={id}&type=movie&userId=u&value=0"),
            "value must be",
        ),
        (
            format!("/rating?id={id}&type=movie&userId=u&value=6"),
            "value must be",
        ),
        (
            format!("/rating?id={id}&type=movie&userId=u&value=2.5"),
            "value must be",
        ),
        (
            format!("/rating?id={id}&type=movie&userId=%07&value=3"),
            "control",
        ),
    ] {
        assert_error(&request("PUT", &path, None).expect("PUT"), 400, needle);
    }
    assert_error(
        &get(&format!("/rating?id={id}&type=movie")).expect("GET"),
        404,
        "no ratings",
    );
    assert_error(
        &get("/rating?type=movie").expect("GET"),
        400,
        "id is required",
    );
    assert_error(
        &request("DELETE", &format!("/rating?id={id}&type=movie"), None).expect("DELETE"),
        400,
        "userId",
    );
    let post = request("POST", &format!("/rating?id={id}&type=movie"), None).expect("POST");
    assert_error(&post, 405, "allowed");
    assert_eq!(post.header("allow"), Some("GET, PUT, DELETE, HEAD"));
}

#[test]
fn concurrent_ratings_by_distinct_users_all_count() {
    require_app();
    // Three rounds: a lost or doubled call under fan-out shows up in one of them.
    for round in 0..3 {
        let id = unique(&format!("crowd-{round}"));
        let threads: Vec<_> = (0..100u32)
            .map(|user| {
                let path = rating_path(&id, &format!("user-{user}"), Some((user % 5 + 1) as u8));
                std::thread::spawn(move || request("PUT", &path, None))
            })
            .collect();
        for thread in threads {
            let response = thread
                .join()
                .expect("thread")
                .expect("PUT /rating answered");
            assert_eq!(
                response.status,
                204,
                "{}",
                String::from_utf8_lossy(&response.body)
            );
        }
        let expected_sum: u32 = (0..100u32).map(|user| user % 5 + 1).sum();
        let aggregate = get(&format!("/rating?id={id}&type=movie"))
            .expect("GET")
            .json()
            .expect("json");
        assert_eq!(aggregate["count"], 100, "round {round}");
        assert_eq!(
            aggregate["average"].as_f64(),
            Some(f64::from(expected_sum) / 100.0),
            "round {round}"
        );
    }
}
