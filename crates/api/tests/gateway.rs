//! The gateway's request handling against an in-memory catalog: every route, status code and
//! error shape of CONTRACT.md, without a lattice.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use catalog_types::{Aggregate, Metadata as StoredMetadata, ServiceError};
use movie_api::{handle, Catalog, Method, Request, Response, MAX_BODY_BYTES};
use movie_domain::{Metadata, MetadataId, NewMetadata, Rating, RatingTarget, UserId};
use serde_json::{json, Value};

#[derive(Default)]
struct FakeCatalog {
    metadata: RefCell<BTreeMap<String, StoredMetadata>>,
    ratings: RefCell<BTreeMap<(String, String, String), u8>>,
    rating_down: bool,
    metadata_down: bool,
    broker_down: bool,
    /// The events handed to the broker, with their keys.
    published: RefCell<Vec<(String, Value)>>,
}

fn down() -> ServiceError {
    ServiceError::Unavailable("connection refused".into())
}

impl FakeCatalog {
    fn ping(down: bool) -> Result<(), ServiceError> {
        if down {
            Err(ServiceError::Unavailable("down".into()))
        } else {
            Ok(())
        }
    }
}

impl Catalog for FakeCatalog {
    fn metadata(&self, id: &MetadataId) -> Result<StoredMetadata, ServiceError> {
        if self.metadata_down {
            return Err(down());
        }
        self.metadata
            .borrow()
            .get(id.as_str())
            .cloned()
            .ok_or_else(|| ServiceError::NotFound(format!("no metadata for id {id}")))
    }

    fn put_metadata(&self, metadata: Metadata) -> Result<StoredMetadata, ServiceError> {
        let stored = StoredMetadata::from(metadata);
        self.metadata
            .borrow_mut()
            .insert(stored.id.clone(), stored.clone());
        Ok(stored)
    }

    fn create_metadata(&self, metadata: NewMetadata) -> Result<StoredMetadata, ServiceError> {
        let id = format!("generated id {}", self.metadata.borrow().len());
        let stored = metadata.with_id(MetadataId::parse(id).expect("valid id"));
        self.put_metadata(stored)
    }

    fn ping_metadata(&self) -> Result<(), ServiceError> {
        Self::ping(self.metadata_down)
    }

    fn put_rating(&self, rating: &Rating) -> Result<(), ServiceError> {
        if self.rating_down {
            return Err(down());
        }
        let key = (
            rating.target.record_type.to_string(),
            rating.target.record_id.to_string(),
            rating.user.to_string(),
        );
        self.ratings.borrow_mut().insert(key, rating.value.get());
        Ok(())
    }

    fn delete_rating(&self, target: &RatingTarget, user: &UserId) -> Result<(), ServiceError> {
        self.ratings
            .borrow_mut()
            .remove(&(
                target.record_type.to_string(),
                target.record_id.to_string(),
                user.to_string(),
            ))
            .map(|_| ())
            .ok_or_else(|| ServiceError::NotFound("no such rating".into()))
    }

    fn aggregate(&self, target: &RatingTarget) -> Result<Option<Aggregate>, ServiceError> {
        if self.rating_down {
            return Err(down());
        }
        let ratings = self.ratings.borrow();
        let values: Vec<u64> = ratings
            .iter()
            .filter(|((kind, id, _), _)| {
                kind == target.record_type.as_str() && id == target.record_id.as_str()
            })
            .map(|(_, value)| u64::from(*value))
            .collect();
        Ok(
            movie_domain::Aggregate::from_sum(values.iter().sum(), values.len() as u64)
                .map(Aggregate::from),
        )
    }

    fn ping_rating(&self) -> Result<(), ServiceError> {
        Self::ping(self.rating_down)
    }

    fn submit_rating(&self, rating: &Rating) -> Result<(), ServiceError> {
        if self.broker_down {
            return Err(ServiceError::Unavailable("broker unreachable".into()));
        }
        self.published
            .borrow_mut()
            .push((rating.key(), rating.go_movie_event()));
        Ok(())
    }
}

/// Runs `f`, returning its result and what it logged.
fn logging<T>(f: impl FnOnce() -> T) -> (T, String) {
    #[derive(Clone, Default)]
    struct Captured(Arc<Mutex<Vec<u8>>>);
    impl std::io::Write for Captured {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().expect("not poisoned").extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    let result = tracing::subscriber::with_default(subscriber, f);
    let logged = String::from_utf8_lossy(&captured.0.lock().expect("not poisoned")).into_owned();
    (result, logged)
}

fn call(catalog: &FakeCatalog, method: &str, target: &str, body: Option<&str>) -> Response {
    let (path, query) = match target.split_once('?') {
        Some((path, query)) => (path.to_string(), Some(query.to_string())),
        None => (target.to_string(), None),
    };
    handle(
        Request {
            method: Method::parse(method),
            path,
            query,
            body: Some(body.unwrap_or_default().as_bytes().to_vec()),
        },
        catalog,
    )
}

fn json_of(response: &Response) -> Value {
    serde_json::from_slice(&response.body).expect("JSON body")
}

fn assert_error(response: &Response, status: u16, needle: &str) {
    assert_eq!(
        response.status,
        status,
        "{}",
        String::from_utf8_lossy(&response.body)
    );
    let body = json_of(response);
    let message = body["error"].as_str().expect("error is a string");
    assert!(
        message.contains(needle),
        "{message:?} should mention {needle:?}"
    );
}

const HEAT: &str =
    r#"{"id":"heat","title":"Heat","description":"LA, 1995","director":"Michael Mann"}"#;

#[test]
fn metadata_is_put_read_and_replaced() {
    let catalog = FakeCatalog::default();
    let put = call(&catalog, "PUT", "/metadata", Some(HEAT));
    assert_eq!(put.status, 200);
    assert_eq!(
        json_of(&put),
        serde_json::from_str::<Value>(HEAT).expect("json")
    );
    let got = call(&catalog, "GET", "/metadata?id=heat", None);
    assert_eq!(got.status, 200);
    assert_eq!(json_of(&got)["director"], "Michael Mann");
    let replaced = call(
        &catalog,
        "PUT",
        "/metadata",
        Some(r#"{"id":"heat","title":"Heat (1995)","director":"Mann"}"#),
    );
    assert_eq!(json_of(&replaced)["description"], "");
    assert_eq!(
        json_of(&call(&catalog, "GET", "/metadata?id=heat", None))["title"],
        "Heat (1995)"
    );
}

#[test]
fn post_generates_an_id_and_a_location() {
    let catalog = FakeCatalog::default();
    let created = call(
        &catalog,
        "POST",
        "/metadata",
        Some(r#"{"title":"Ran","director":"Kurosawa"}"#),
    );
    assert_eq!(created.status, 201);
    let id = json_of(&created)["id"].as_str().expect("id").to_string();
    assert_eq!(
        created.header("location"),
        Some("/metadata?id=generated+id+0")
    );
    assert_eq!(
        call(
            &catalog,
            "GET",
            &format!("/metadata?id={}", movie_api::encode_component(&id)),
            None
        )
        .status,
        200
    );
    assert_error(&call(&catalog, "POST", "/metadata", Some(HEAT)), 400, "id");
}

#[test]
fn metadata_errors_follow_the_contract() {
    let catalog = FakeCatalog::default();
    assert_error(
        &call(&catalog, "GET", "/metadata", None),
        400,
        "id is required",
    );
    assert_error(
        &call(&catalog, "GET", "/metadata?id=", None),
        400,
        "id must not be empty",
    );
    assert_error(
        &call(&catalog, "GET", "/metadata?id=nope", None),
        404,
        "no metadata",
    );
    assert_error(
        &call(&catalog, "PUT", "/metadata", Some("{")),
        400,
        "not a valid JSON",
    );
    assert_error(&call(&catalog, "PUT", "/metadata", Some("")), 400, "empty");
    assert_error(
        &call(&catalog, "PUT", "/metadata", Some("[]")),
        400,
        "not a valid JSON",
    );
    assert_error(
        &call(
            &catalog,
            "PUT",
            "/metadata",
            Some(r#"{"id":"x","title":5,"director":"d"}"#),
        ),
        400,
        "title must be a string (got a number)",
    );
    assert_error(
        &call(
            &catalog,
            "PUT",
            "/metadata",
            Some(r#"{"id":"x","title":"t","title":"u","director":"d"}"#),
        ),
        400,
        "member \"title\" appears more than once",
    );
    assert_error(
        &call(
            &catalog,
            "PUT",
            "/metadata",
            Some(r#"{"id":"x","title":"t","director":"a\u0000b"}"#),
        ),
        400,
        "director must not contain the NUL character",
    );
    assert_error(
        &call(
            &catalog,
            "PUT",
            "/metadata",
            Some(r#"{"id":"x","title":" ","director":"d"}"#),
        ),
        400,
        "title",
    );
    let long = "t".repeat(257);
    assert_error(
        &call(
            &catalog,
            "PUT",
            "/metadata",
            Some(&format!(r#"{{"id":"x","title":"{long}","director":"d"}}"#)),
        ),
        400,
        "title must be at most 256",
    );
    assert_error(
        &call(
            &catalog,
            "PUT",
            "/metadata",
            Some(r#"{"id":"a\u0001","title":"t","director":"d"}"#),
        ),
        400,
        "control",
    );
    assert_error(&call(&catalog, "DELETE", "/metadata", None), 405, "allowed");
    assert!(
        catalog.metadata.borrow().is_empty(),
        "nothing invalid was stored"
    );
}

#[test]
fn oversized_bodies_are_413() {
    let catalog = FakeCatalog::default();
    let response = handle(
        Request {
            method: Method::Put,
            path: "/metadata".into(),
            query: None,
            body: None,
        },
        &catalog,
    );
    assert_error(&response, 413, &MAX_BODY_BYTES.to_string());
}

#[test]
fn ratings_are_put_replaced_deleted_and_aggregated() {
    let catalog = FakeCatalog::default();
    assert_error(
        &call(&catalog, "GET", "/rating?id=heat&type=movie", None),
        404,
        "no ratings",
    );
    assert_eq!(
        call(
            &catalog,
            "PUT",
            "/rating?id=heat&type=movie&userId=a&value=5",
            None
        )
        .status,
        204
    );
    assert_eq!(
        call(
            &catalog,
            "PUT",
            "/rating?id=heat&type=movie&userId=b&value=1",
            None
        )
        .status,
        204
    );
    let rating = call(&catalog, "GET", "/rating?id=heat&type=movie", None);
    assert_eq!(rating.status, 200);
    assert_eq!(
        json_of(&rating),
        json!({"recordId": "heat", "recordType": "movie", "average": 3.0, "count": 2})
    );
    assert_eq!(
        call(
            &catalog,
            "PUT",
            "/rating?id=heat&type=movie&userId=b&value=2",
            None
        )
        .status,
        204
    );
    assert_eq!(
        json_of(&call(&catalog, "GET", "/rating?id=heat&type=movie", None))["average"],
        3.5
    );
    assert_eq!(
        call(
            &catalog,
            "DELETE",
            "/rating?id=heat&type=movie&userId=a",
            None
        )
        .status,
        204
    );
    assert_error(
        &call(
            &catalog,
            "DELETE",
            "/rating?id=heat&type=movie&userId=a",
            None,
        ),
        404,
        "no such rating",
    );
    assert_eq!(
        json_of(&call(&catalog, "GET", "/rating?id=heat&type=movie", None))["count"],
        1
    );
}

#[test]
fn rating_parameters_are_validated() {
    let catalog = FakeCatalog::default();
    for (target, needle) in [
        ("/rating?type=movie&userId=a&value=3", "id is required"),
        ("/rating?id=m&userId=a&value=3", "type is required"),
        ("/rating?id=m&type=Movie&userId=a&value=3", "recordType"),
        ("/rating?id=m&type=movie&value=3", "userId is required"),
        ("/rating?id=m&type=movie&userId=a", "value is required"),
        ("/rating?id=m&type=movie&userId=a&value=0", "value must be"),
        ("/rating?id=m&type=movie&userId=a&value=6", "value must be"),
        ("/rating?id=m&type=movie&userId=a&value=x", "value must be"),
        (
            "/rating?id=m&type=movie&userId=a&value=3&value=4",
            "more than once",
        ),
    ] {
        assert_error(&call(&catalog, "PUT", target, None), 400, needle);
    }
    assert!(catalog.ratings.borrow().is_empty());
    assert_error(
        &call(&catalog, "POST", "/rating?id=m&type=movie", None),
        405,
        "GET, PUT, DELETE",
    );
}

#[test]
fn movie_details_combine_metadata_and_rating() {
    let catalog = FakeCatalog::default();
    assert_error(
        &call(&catalog, "GET", "/movie?id=heat", None),
        404,
        "no metadata",
    );
    call(&catalog, "PUT", "/metadata", Some(HEAT));
    let movie = call(&catalog, "GET", "/movie?id=heat", None);
    assert_eq!(movie.status, 200);
    assert!(
        json_of(&movie).get("rating").is_none(),
        "rating omitted without ratings"
    );
    call(
        &catalog,
        "PUT",
        "/rating?id=heat&type=movie&userId=a&value=4",
        None,
    );
    let movie = json_of(&call(&catalog, "GET", "/movie?id=heat", None));
    assert_eq!(movie["rating"], json!({"average": 4.0, "count": 1}));
    assert_eq!(movie["metadata"]["title"], "Heat");
}

#[test]
fn a_failing_rating_service_degrades_movie_details() {
    let mut catalog = FakeCatalog::default();
    call(&catalog, "PUT", "/metadata", Some(HEAT));
    catalog.rating_down = true;
    let (movie, logged) = logging(|| call(&catalog, "GET", "/movie?id=heat", None));
    assert_eq!(movie.status, 200);
    assert!(json_of(&movie).get("rating").is_none());
    assert!(
        logged.contains("WARN") && logged.contains("rating failed"),
        "the degradation is logged: {logged:?}"
    );
    let health = call(&catalog, "GET", "/healthz", None);
    assert_eq!(health.status, 503);
    assert_eq!(json_of(&health)["status"], "degraded");
}

#[test]
fn go_movies_details_route_answers_in_its_shape() {
    let mut catalog = FakeCatalog::default();
    assert_error(
        &call(&catalog, "GET", "/v1/get-movie-details?id=heat", None),
        404,
        "no metadata",
    );
    assert_error(
        &call(&catalog, "GET", "/v1/get-movie-details", None),
        400,
        "id",
    );
    call(&catalog, "PUT", "/metadata", Some(HEAT));
    let unrated = call(&catalog, "GET", "/v1/get-movie-details?id=heat", None);
    assert_eq!(unrated.status, 200);
    let unrated = json_of(&unrated);
    assert_eq!(unrated["Rating"], json!(0.0));
    assert_eq!(unrated["AmountRatings"], 0);
    assert_eq!(unrated["Metadata"]["id"], "heat");
    assert_eq!(unrated["Metadata"]["record_type"], "movie");
    for (user, value) in [("a", 4), ("b", 5)] {
        call(
            &catalog,
            "PUT",
            &format!("/rating?id=heat&type=movie&userId={user}&value={value}"),
            None,
        );
    }
    let rated = json_of(&call(
        &catalog,
        "GET",
        "/v1/get-movie-details?id=heat",
        None,
    ));
    assert_eq!(
        rated,
        json!({
            "Rating": 4.5,
            "AmountRatings": 2,
            "Metadata": {
                "id": "heat",
                "title": "Heat",
                "description": rated["Metadata"]["description"],
                "director": rated["Metadata"]["director"],
                "record_type": "movie",
            }
        })
    );
    assert_error(
        &call(&catalog, "POST", "/v1/get-movie-details?id=heat", None),
        405,
        "",
    );
    // No way to say "rating unknown" in this shape: a failing rating service is a 503.
    catalog.rating_down = true;
    assert_eq!(
        call(&catalog, "GET", "/v1/get-movie-details?id=heat", None).status,
        503
    );
}

#[test]
fn go_movies_submissions_are_handed_to_the_broker_as_submit_events() {
    let mut catalog = FakeCatalog::default();
    let body = r#"{"record_id":"heat","record_type":"movie","user_id":"alice","value":4}"#;
    let accepted = call(&catalog, "POST", "/v1/submit-rating", Some(body));
    assert_eq!(
        accepted.status,
        202,
        "{}",
        String::from_utf8_lossy(&accepted.body)
    );
    let event = json!({"record_id":"heat","record_type":"movie","user_id":"alice","value":4,
                       "EventType":"submit"});
    assert_eq!(json_of(&accepted), json!({ "accepted": event }));
    assert_eq!(
        *catalog.published.borrow(),
        [("movie/heat/alice".to_string(), event)]
    );

    // The same rules as every other body: JSON errors naming the member, 413, 405.
    for (body, needle) in [
        (
            r#"{"record_id":"heat","record_type":"movie","user_id":"alice","value":9}"#,
            "value",
        ),
        (
            r#"{"record_id":"heat","record_type":"movie","value":3}"#,
            "user_id is required",
        ),
        (
            r#"{"recordId":"heat","record_type":"movie","user_id":"a","value":3}"#,
            "recordId",
        ),
        (
            r#"{"record_id":"heat","record_type":"movie","user_id":"a","value":3,"EventType":"delete"}"#,
            "EventType",
        ),
        ("[1]", "not a valid JSON object"),
        ("", "body"),
    ] {
        assert_error(
            &call(&catalog, "POST", "/v1/submit-rating", Some(body)),
            400,
            needle,
        );
    }
    assert_eq!(
        catalog.published.borrow().len(),
        1,
        "nothing else was published"
    );
    let too_large = handle(
        Request {
            method: Method::Post,
            path: "/v1/submit-rating".into(),
            query: None,
            body: None,
        },
        &catalog,
    );
    assert_error(&too_large, 413, &MAX_BODY_BYTES.to_string());
    assert_error(&call(&catalog, "GET", "/v1/submit-rating", None), 405, "");

    // A broker that does not take the event: 503, with the reason.
    catalog.broker_down = true;
    assert_error(
        &call(&catalog, "POST", "/v1/submit-rating", Some(body)),
        503,
        "broker unreachable",
    );
}

#[test]
fn a_failing_metadata_service_is_503() {
    let catalog = FakeCatalog {
        metadata_down: true,
        ..FakeCatalog::default()
    };
    assert_error(
        &call(&catalog, "GET", "/movie?id=heat", None),
        503,
        "connection refused",
    );
    assert_error(
        &call(&catalog, "GET", "/metadata?id=heat", None),
        503,
        "connection refused",
    );
}

#[test]
fn health_is_ok_when_everything_answers() {
    let catalog = FakeCatalog::default();
    let health = call(&catalog, "GET", "/healthz", None);
    assert_eq!(health.status, 200);
    assert_eq!(json_of(&health)["status"], "ok");
}
