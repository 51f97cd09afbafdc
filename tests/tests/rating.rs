//! The rating API end to end: HTTP -> ingress -> gateway -> rating component -> Postgres
//! provider -> movie_rating.

use movie_e2e::{assert_error, unique, TestApp};
use serde_json::json;

#[test]
fn ratings_are_put_replaced_deleted_and_aggregated() {
    let app = TestApp::deployed();
    let id = unique("rated");
    assert_error(&app.rating(&id), 404, "no ratings");

    let first = app.rate(&id, "alice", 5);
    first.assert_status(204);
    assert!(first.body.is_empty());
    app.rate(&id, "bob", 1).assert_status(204);
    assert_eq!(
        app.rating(&id).json_with(200),
        json!({"recordId": id, "recordType": "movie", "average": 3.0, "count": 2})
    );

    // Bob changes his mind: replaced, not added.
    app.rate(&id, "bob", 2).assert_status(204);
    let aggregate = app.rating(&id).json_with(200);
    assert_eq!(aggregate["average"], 3.5);
    assert_eq!(aggregate["count"], 2);

    app.withdraw_rating(&id, "alice").assert_status(204);
    assert_error(&app.withdraw_rating(&id, "alice"), 404, "no rating");
    let aggregate = app.rating(&id).json_with(200);
    assert_eq!(aggregate["average"], 2.0);
    assert_eq!(aggregate["count"], 1);

    // Other record types are separate.
    assert_error(
        &app.get(&format!("/rating?id={id}&type=series")),
        404,
        "no ratings",
    );
}

#[test]
fn averages_are_exact_not_rounded() {
    let app = TestApp::deployed();
    let id = unique("thirds");
    for (user, value) in [("a", 1), ("b", 2), ("c", 2)] {
        app.rate(&id, user, value).assert_status(204);
    }
    let aggregate = app.rating(&id).json_with(200);
    assert_eq!(aggregate["average"].as_f64(), Some(5.0 / 3.0));
}

#[test]
fn invalid_parameters_are_400_and_store_nothing() {
    let app = TestApp::deployed();
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
    ] {
        assert_error(&app.send("PUT", &path, None), 400, needle);
    }
    for (user, value, needle) in [
        ("u", "0", "value must be"),
        ("u", "6", "value must be"),
        ("u", "2.5", "value must be"),
        ("\u{7}", "3", "control"),
    ] {
        assert_error(&app.rate(&id, user, value), 400, needle);
    }
    assert_error(&app.rating(&id), 404, "no ratings");
    assert_error(&app.get("/rating?type=movie"), 400, "id is required");
    assert_error(
        &app.send("DELETE", &format!("/rating?id={id}&type=movie"), None),
        400,
        "userId",
    );
    let post = app.send("POST", &format!("/rating?id={id}&type=movie"), None);
    assert_error(&post, 405, "allowed");
    assert_eq!(post.header("allow"), Some("GET, PUT, DELETE, HEAD"));
}

#[test]
fn concurrent_ratings_by_distinct_users_all_count() {
    let app = TestApp::deployed();
    // Three rounds: a lost or doubled call under fan-out shows up in one of them.
    for round in 0..3 {
        let id = unique(&format!("crowd-{round}"));
        let threads: Vec<_> = (0..100u32)
            .map(|user| {
                let id = id.clone();
                std::thread::spawn(move || app.rate(&id, &format!("user-{user}"), user % 5 + 1))
            })
            .collect();
        for thread in threads {
            thread.join().expect("thread").assert_status(204);
        }
        let expected_sum: u32 = (0..100u32).map(|user| user % 5 + 1).sum();
        let aggregate = app.rating(&id).json_with(200);
        assert_eq!(aggregate["count"], 100, "round {round}");
        assert_eq!(
            aggregate["average"].as_f64(),
            Some(f64::from(expected_sum) / 100.0),
            "round {round}"
        );
    }
}
