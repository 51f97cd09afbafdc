//! One module per resource of the API, each with its endpoints; [`handle`] routes a request
//! to one of them.

mod go_movie;
pub(crate) mod health;
mod metadata;
mod movie;
pub(crate) mod openapi;
mod rating;

use crate::query::Query;
use crate::{route, ApiError, Catalog, Endpoint, Request, Response};

/// Answers one request.
pub fn handle(request: Request, catalog: &impl Catalog) -> Response {
    let endpoint = match route(request.method, &request.path) {
        Ok(endpoint) => endpoint,
        Err(err) => return err.into_response(),
    };
    let query = Query::parse(request.query.as_deref());
    let answer = match endpoint {
        Endpoint::Index => Ok(openapi::index()),
        Endpoint::OpenApi => Ok(openapi::document()),
        Endpoint::Health => Ok(health::get(catalog)),
        Endpoint::GetMovie => movie::get(&query, catalog),
        Endpoint::GetMovieDetailsV1 => go_movie::movie_details(&query, catalog),
        Endpoint::SubmitRatingV1 => go_movie::submit_rating(request.body, catalog),
        Endpoint::GetMetadata => metadata::get(&query, catalog),
        Endpoint::PutMetadata => metadata::put(request.body, catalog),
        Endpoint::PostMetadata => metadata::post(request.body, catalog),
        Endpoint::GetRating => rating::get(&query, catalog),
        Endpoint::PutRating => rating::put(&query, catalog),
        Endpoint::DeleteRating => rating::delete(&query, catalog),
    };
    answer.unwrap_or_else(ApiError::into_response)
}
