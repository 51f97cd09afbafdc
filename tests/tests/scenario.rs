//! The go-movie scenario, end to end through the lattice ingress: a movie's metadata, then two
//! users rating it, one changing their mind and one withdrawing, with the rating aggregate and
//! the movie details following every step.

use movie_e2e::{unique, TestApp};
use serde_json::json;

#[test]
fn the_go_movie_scenario() {
    let app = TestApp::deployed();
    let id = unique("the-godfather");
    let metadata = json!({
        "id": id,
        "title": "The Godfather",
        "description": "An organized crime dynasty's aging patriarch transfers control to his son.",
        "director": "Francis Ford Coppola",
    });

    // Put the metadata, read it back.
    assert_eq!(app.put_metadata(&metadata).json_with(200), metadata);
    assert_eq!(app.metadata(&id).json_with(200), metadata);

    // Movie details before anyone rated: metadata, no `rating` at all.
    assert_eq!(
        app.movie(&id).json_with(200),
        json!({ "metadata": metadata })
    );
    assert_eq!(app.rating(&id).status, 404);

    // Two users rate it 5 and 1: average 3 over 2.
    app.rate(&id, "alice", 5).assert_status(204);
    app.rate(&id, "bob", 1).assert_status(204);
    let rating = app.rating(&id).json_with(200);
    assert_eq!(
        rating,
        json!({"recordId": id, "recordType": "movie", "average": 3.0, "count": 2})
    );
    assert_eq!(
        app.movie(&id).json_with(200),
        json!({ "metadata": metadata, "rating": {"average": 3.0, "count": 2} })
    );

    // Alice changes her rating to 2: still two ratings, average 1.5.
    app.rate(&id, "alice", 2).assert_status(204);
    assert_eq!(
        app.movie(&id).json_with(200)["rating"],
        json!({"average": 1.5, "count": 2})
    );

    // Bob withdraws his: Alice's 2 is all that is left.
    app.withdraw_rating(&id, "bob").assert_status(204);
    assert_eq!(
        app.rating(&id).json_with(200),
        json!({"recordId": id, "recordType": "movie", "average": 2.0, "count": 1})
    );
    assert_eq!(
        app.movie(&id).json_with(200)["rating"],
        json!({"average": 2.0, "count": 1})
    );

    // Withdrawing again is a 404; once Alice withdraws too, the movie has no rating again.
    assert_eq!(app.withdraw_rating(&id, "bob").status, 404);
    app.withdraw_rating(&id, "alice").assert_status(204);
    assert_eq!(app.rating(&id).status, 404);
    assert_eq!(
        app.movie(&id).json_with(200),
        json!({ "metadata": metadata })
    );
}
