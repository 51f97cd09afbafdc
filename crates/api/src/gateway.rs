//! The gateway's request handling: parse and validate the request, call the services through
//! [`Catalog`], and shape the answer. The component implements [`Catalog`] with wRPC calls;
//! tests implement it in memory.

use movie_domain::{
    Aggregate, Key, Metadata, MetadataInput, NewMetadata, RatingTarget, RatingValue, RecordType,
};
use serde::Serialize;

use crate::query::{encode_component, Query};
use crate::{route, ApiError, Endpoint, HealthReport, Method, Response};

/// Largest request body accepted, in bytes (CONTRACT.md: 413 above 64 KiB).
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// A request as the transport hands it over.
#[derive(Debug, Clone)]
pub struct Request {
    pub method: Method,
    pub path: String,
    pub query: Option<String>,
    /// The body, or `None` when it exceeded [`MAX_BODY_BYTES`] (the transport stops reading).
    pub body: Option<Vec<u8>>,
}

/// How a service call failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ServiceFailure {
    /// The service refused the input (the gateway's own checks should have caught it).
    Invalid(String),
    NotFound(String),
    /// The service or its database is down, slow, or not linked.
    Unavailable(String),
}

impl From<ServiceFailure> for ApiError {
    fn from(failure: ServiceFailure) -> Self {
        match failure {
            ServiceFailure::Invalid(msg) => ApiError::BadRequest(msg),
            ServiceFailure::NotFound(msg) => ApiError::NotFound(msg),
            ServiceFailure::Unavailable(msg) => ApiError::Unavailable(msg),
        }
    }
}

/// The services behind the gateway.
pub trait Catalog {
    fn get_metadata(&self, id: &Key) -> Result<Metadata, ServiceFailure>;
    fn put_metadata(&self, metadata: &Metadata) -> Result<Metadata, ServiceFailure>;
    fn create_metadata(&self, metadata: &NewMetadata) -> Result<Metadata, ServiceFailure>;
    fn put_rating(
        &self,
        target: &RatingTarget,
        user: &Key,
        value: RatingValue,
    ) -> Result<(), ServiceFailure>;
    fn delete_rating(&self, target: &RatingTarget, user: &Key) -> Result<(), ServiceFailure>;
    fn aggregate(&self, target: &RatingTarget) -> Result<Option<Aggregate>, ServiceFailure>;
    /// `GET /movie`: metadata and aggregate, fetched concurrently where the transport can.
    /// The default asks one after the other.
    fn movie(
        &self,
        id: &Key,
    ) -> (
        Result<Metadata, ServiceFailure>,
        Result<Option<Aggregate>, ServiceFailure>,
    ) {
        let target = RatingTarget {
            record_type: RecordType::movie(),
            record_id: id.clone(),
        };
        (self.get_metadata(id), self.aggregate(&target))
    }
    /// Probes of the dependencies, by name (`Err` says why one failed).
    fn health(&self) -> Vec<(&'static str, Result<(), String>)>;
    /// Reports a failure the answer hides (a degraded `GET /movie`).
    fn log_degraded(&self, what: &str, failure: &ServiceFailure);
}

/// Answers one request.
pub fn handle(request: Request, catalog: &impl Catalog) -> Response {
    let endpoint = match route(&request.method, &request.path) {
        Ok(endpoint) => endpoint,
        Err(err) => return err.into_response(),
    };
    let query = Query::parse(request.query.as_deref());
    let result = match endpoint {
        Endpoint::Index => Ok(crate::openapi::index_response()),
        Endpoint::OpenApi => Ok(crate::openapi::document_response()),
        Endpoint::Health => Ok(HealthReport::from_checks(catalog.health()).into_response()),
        Endpoint::GetMovie => get_movie(&query, catalog),
        Endpoint::GetMetadata => query
            .required("id", |raw| Key::parse("id", raw))
            .and_then(|id| Ok(catalog.get_metadata(&id)?))
            .map(|metadata| Response::json(200, &metadata)),
        Endpoint::PutMetadata => json_body::<MetadataInput>(request.body)
            .and_then(|input| input.into_metadata().map_err(bad_request))
            .and_then(|metadata| Ok(catalog.put_metadata(&metadata)?))
            .map(|stored| Response::json(200, &stored)),
        Endpoint::PostMetadata => json_body::<MetadataInput>(request.body)
            .and_then(|input| input.into_new_metadata().map_err(bad_request))
            .and_then(|metadata| Ok(catalog.create_metadata(&metadata)?))
            .map(|stored| {
                let location = format!("/metadata?id={}", encode_component(stored.id.as_str()));
                Response::json(201, &stored).with_header("location", location)
            }),
        Endpoint::GetRating => rating_target(&query).and_then(|target| {
            let aggregate = catalog.aggregate(&target)?.ok_or_else(|| {
                ApiError::NotFound(format!(
                    "no ratings for {} {:?}",
                    target.record_type,
                    target.record_id.as_str()
                ))
            })?;
            Ok(Response::json(200, &RatingView::new(&target, aggregate)))
        }),
        Endpoint::PutRating => rating_target(&query).and_then(|target| {
            let user = query.required("userId", |raw| Key::parse("userId", raw))?;
            let value = query.required("value", |raw| RatingValue::parse(&raw))?;
            catalog.put_rating(&target, &user, value)?;
            Ok(Response::empty(204))
        }),
        Endpoint::DeleteRating => rating_target(&query).and_then(|target| {
            let user = query.required("userId", |raw| Key::parse("userId", raw))?;
            catalog.delete_rating(&target, &user)?;
            Ok(Response::empty(204))
        }),
    };
    result.unwrap_or_else(ApiError::into_response)
}

fn bad_request(err: movie_domain::ValidationError) -> ApiError {
    ApiError::BadRequest(err.to_string())
}

fn json_body<T: serde::de::DeserializeOwned>(body: Option<Vec<u8>>) -> Result<T, ApiError> {
    let body = body.ok_or(ApiError::PayloadTooLarge {
        limit: MAX_BODY_BYTES,
    })?;
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(ApiError::BadRequest(
            "request body is empty; send a JSON object".into(),
        ));
    }
    serde_json::from_slice(&body).map_err(|err| {
        ApiError::BadRequest(format!("request body is not a valid JSON object: {err}"))
    })
}

fn rating_target(query: &Query) -> Result<RatingTarget, ApiError> {
    Ok(RatingTarget {
        record_id: query.required("id", |raw| Key::parse("recordId", raw))?,
        record_type: query.required("type", RecordType::parse)?,
    })
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct RatingView<'a> {
    record_id: &'a str,
    record_type: &'a str,
    average: f64,
    count: u64,
}

impl<'a> RatingView<'a> {
    fn new(target: &'a RatingTarget, aggregate: Aggregate) -> Self {
        Self {
            record_id: target.record_id.as_str(),
            record_type: target.record_type.as_str(),
            average: aggregate.average,
            count: aggregate.count,
        }
    }
}

#[derive(Serialize)]
struct MovieView<'a> {
    metadata: &'a Metadata,
    #[serde(skip_serializing_if = "Option::is_none")]
    rating: Option<Aggregate>,
}

fn get_movie(query: &Query, catalog: &impl Catalog) -> Result<Response, ApiError> {
    let id = query.required("id", |raw| Key::parse("id", raw))?;
    let (metadata, rating) = catalog.movie(&id);
    let metadata = metadata?;
    // A failing rating service degrades the answer instead of failing it.
    let rating = rating.unwrap_or_else(|failure| {
        catalog.log_degraded("rating", &failure);
        None
    });
    Ok(Response::json(
        200,
        &MovieView {
            metadata: &metadata,
            rating,
        },
    ))
}
