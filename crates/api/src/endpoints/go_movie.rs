//! go-movie's own gateway routes, beside ours, with its field names and its asynchronous
//! rating submission:
//! - `GET /v1/get-movie-details?id=`: a movie's metadata and rating in go-movie's shape;
//! - `POST /v1/submit-rating`: a rating handed to the broker as go-movie's submit event, for
//!   the rating service to apply (202 once the broker has it).

use catalog_types::{Aggregate, Metadata};
use movie_domain::{MetadataId, Rating, RatingTarget, RecordType};
use serde::Serialize;

use crate::query::Query;
use crate::request::json_object;
use crate::{ApiError, Catalog, Response};

/// go-movie's answer, with Go's default field names: `Rating` (the average, 0 without
/// ratings), `AmountRatings`, and `Metadata` with its record type.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct MovieDetailsV1 {
    rating: f64,
    amount_ratings: u64,
    metadata: MetadataV1,
}

#[derive(Serialize)]
struct MetadataV1 {
    id: String,
    title: String,
    description: String,
    director: String,
    record_type: &'static str,
}

/// Unlike `GET /movie`, a failing rating service fails the answer (503): this shape has no way
/// to say that the rating is unknown, and a 0 would be a wrong rating.
pub fn movie_details(query: &Query, catalog: &impl Catalog) -> Result<Response, ApiError> {
    let key = query.required("id", MetadataId::parse)?;
    let Metadata {
        id,
        title,
        description,
        director,
    } = catalog.metadata(&key)?;
    let (rating, amount_ratings) = match catalog.aggregate(&RatingTarget::movie(&key))? {
        Some(Aggregate { average, count }) => (average, count),
        None => (0.0, 0),
    };
    Ok(Response::json(
        200,
        &MovieDetailsV1 {
            rating,
            amount_ratings,
            metadata: MetadataV1 {
                id,
                title,
                description,
                director,
                record_type: RecordType::MOVIE,
            },
        },
    ))
}

/// The answer to an accepted submission: the event as the broker has it.
#[derive(Serialize)]
struct Accepted {
    accepted: serde_json::Value,
}

/// A failed hand-over is a 503: the rating was not accepted, and the client may send it again
/// (a second submit of the same rating changes nothing).
pub fn submit_rating(body: Option<Vec<u8>>, catalog: &impl Catalog) -> Result<Response, ApiError> {
    let rating = Rating::from_go_movie_submission(json_object(body)?)?;
    catalog.submit_rating(&rating)?;
    Ok(Response::json(
        202,
        &Accepted {
            accepted: rating.go_movie_event(),
        },
    ))
}
