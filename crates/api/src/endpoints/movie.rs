//! `GET /movie?id=`: a movie's metadata with its rating aggregate; and
//! `GET /v1/get-movie-details?id=`, the same in go-movie's own shape.

use catalog_types::{Aggregate, Metadata};
use movie_domain::{MetadataId, RatingTarget, RecordType};
use serde::Serialize;

use crate::query::Query;
use crate::{ApiError, Catalog, Response};

/// The answer: the metadata, and the rating when the movie has one.
#[derive(Serialize)]
struct MovieView {
    metadata: Metadata,
    #[serde(skip_serializing_if = "Option::is_none")]
    rating: Option<Aggregate>,
}

/// A failing rating service degrades the answer (no `rating`, logged) instead of failing it.
pub fn get(query: &Query, catalog: &impl Catalog) -> Result<Response, ApiError> {
    let id = query.required("id", MetadataId::parse)?;
    let metadata = catalog.metadata(&id)?;
    let rating = catalog
        .aggregate(&RatingTarget::movie(&id))
        .unwrap_or_else(|failure| {
            tracing::warn!(
                movie = id.as_str(),
                error = failure.message(),
                "GET /movie degraded: rating failed"
            );
            None
        });
    Ok(Response::json(200, &MovieView { metadata, rating }))
}

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
pub fn get_v1(query: &Query, catalog: &impl Catalog) -> Result<Response, ApiError> {
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
