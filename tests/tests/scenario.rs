//! The go-movie scenario, end to end through the lattice ingress: a movie's metadata, then two
//! users rating it, one changing their mind and one withdrawing, with the rating aggregate and
//! the movie details following every step.

use movie_e2e::{encode, get, request, require_app, unique, HttpResponse};
use serde_json::{json, Value};

#[track_caller]
fn ok_json(response: HttpResponse, status: u16) -> Value {
    assert_eq!(
        response.status,
        status,
        "{}",
        String::from_utf8_lossy(&response.body)
    );
    response.json().expect("JSON body")
}

#[track_caller]
fn rate(movie: &str, user: &str, value: u8) {
    let path = format!(
        "/rating?id={}&type=movie&userId={user}&value={value}",
        encode(movie)
    );
    let response = request("PUT", &path, None).expect("PUT /rating");
    assert_eq!(
        response.status,
        204,
        "{}",
        String::from_utf8_lossy(&response.body)
    );
}

#[track_caller]
fn withdraw(movie: &str, user: &str) {
    let path = format!("/rating?id={}&type=movie&userId={user}", encode(movie));
    let response = request("DELETE", &path, None).expect("DELETE /rating");
    assert_eq!(
        response.status,
        204,
        "{}",
        String::from_utf8_lossy(&response.body)
    );
}

fn aggregate(movie: &str) -> HttpResponse {
    get(&format!("/rating?id={}&type=movie", encode(movie))).expect("GET /rating")
}

fn details(movie: &str) -> Value {
    ok_json(
        get(&format!("/movie?id={}", encode(movie))).expect("GET /movie"),
        200,
    )
}

#[test]
fn the_go_movie_scenario() {
    require_app();
    let id = unique("the-godfather");
    let metadata = json!({
        "id": id,
        "title": "The Godfather",
        "description": "An organized crime dynasty's aging patriarch transfers control to his son.",
        "director": "Francis Ford Coppola",
    });

    // Put the metadata, read it back.
    let body = serde_json::to_vec(&metadata).expect("JSON");
    let stored = ok_json(request("PUT", "/metadata", Some(&body)).expect("PUT"), 200);
    assert_eq!(stored, metadata);
    let read = ok_json(
        get(&format!("/metadata?id={}", encode(&id))).expect("GET /metadata"),
        200,
    );
    assert_eq!(read, metadata);

    // Movie details before anyone rated: metadata, no `rating` at all.
    assert_eq!(details(&id), json!({ "metadata": metadata }));
    assert_eq!(aggregate(&id).status, 404);

    // Two users rate it 5 and 1: average 3 over 2.
    rate(&id, "alice", 5);
    rate(&id, "bob", 1);
    let rating = ok_json(aggregate(&id), 200);
    assert_eq!(
        rating,
        json!({"recordId": id, "recordType": "movie", "average": 3.0, "count": 2})
    );
    assert_eq!(
        details(&id),
        json!({ "metadata": metadata, "rating": {"average": 3.0, "count": 2} })
    );

    // Alice changes her rating to 2: still two ratings, average 1.5.
    rate(&id, "alice", 2);
    assert_eq!(details(&id)["rating"], json!({"average": 1.5, "count": 2}));

    // Bob withdraws his: Alice's 2 is all that is left.
    withdraw(&id, "bob");
    assert_eq!(
        ok_json(aggregate(&id), 200),
        json!({"recordId": id, "recordType": "movie", "average": 2.0, "count": 1})
    );
    assert_eq!(details(&id)["rating"], json!({"average": 2.0, "count": 1}));

    // Withdrawing again is a 404; once Alice withdraws too, the movie has no rating again.
    let again = request(
        "DELETE",
        &format!("/rating?id={}&type=movie&userId=bob", encode(&id)),
        None,
    )
    .expect("DELETE /rating");
    assert_eq!(again.status, 404);
    withdraw(&id, "alice");
    assert_eq!(aggregate(&id).status, 404);
    assert_eq!(details(&id), json!({ "metadata": metadata }));
}
