//! `GET /movie?id=`: a movie's metadata with its rating aggregate.

use catalog_types::{Aggregate, Metadata};
use movie_domain::{MetadataId, RatingTarget};
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
