//! [`Catalog`] over wRPC: the metadata and rating components, reached through the links of
//! `wadm.yaml`.

use movie_api::{Catalog, RatingTarget, ServiceFailure};
use movie_domain::{
    Aggregate, Description, Director, Key, Metadata, NewMetadata, RatingValue, Title,
};

use crate::bindings::movie::catalog::types::{self as wit, ServiceError};
use crate::bindings::movie::catalog::{metadata, rating};

pub struct Services;

fn failure(err: ServiceError) -> ServiceFailure {
    match err {
        ServiceError::Invalid(msg) => ServiceFailure::Invalid(msg),
        ServiceError::NotFound(msg) => ServiceFailure::NotFound(msg),
        ServiceError::Unavailable(msg) => ServiceFailure::Unavailable(msg),
    }
}

/// Metadata as the service stored it; it was validated on the way in, so a failure here means
/// the store holds something it should not.
fn from_wit(stored: wit::Metadata) -> Result<Metadata, ServiceFailure> {
    let corrupt = |err: movie_domain::ValidationError| {
        ServiceFailure::Unavailable(format!("the metadata service returned invalid data: {err}"))
    };
    Ok(Metadata {
        id: Key::parse("id", stored.id).map_err(corrupt)?,
        title: Title::parse(&stored.title).map_err(corrupt)?,
        description: Description::parse(stored.description).map_err(corrupt)?,
        director: Director::parse(&stored.director).map_err(corrupt)?,
    })
}

impl Catalog for Services {
    fn get_metadata(&self, id: &Key) -> Result<Metadata, ServiceFailure> {
        metadata::get(id.as_str())
            .map_err(failure)
            .and_then(from_wit)
    }

    fn put_metadata(&self, value: &Metadata) -> Result<Metadata, ServiceFailure> {
        metadata::put(&wit::Metadata {
            id: value.id.to_string(),
            title: value.title.to_string(),
            description: value.description.to_string(),
            director: value.director.to_string(),
        })
        .map_err(failure)
        .and_then(from_wit)
    }

    fn create_metadata(&self, value: &NewMetadata) -> Result<Metadata, ServiceFailure> {
        metadata::create(&wit::NewMetadata {
            title: value.title.to_string(),
            description: value.description.to_string(),
            director: value.director.to_string(),
        })
        .map_err(failure)
        .and_then(from_wit)
    }

    fn put_rating(
        &self,
        target: &RatingTarget,
        user: &Key,
        value: RatingValue,
    ) -> Result<(), ServiceFailure> {
        rating::put(
            target.record_type.as_str(),
            target.record_id.as_str(),
            user.as_str(),
            value.get(),
        )
        .map_err(failure)
    }

    fn delete_rating(&self, target: &RatingTarget, user: &Key) -> Result<(), ServiceFailure> {
        rating::delete(
            target.record_type.as_str(),
            target.record_id.as_str(),
            user.as_str(),
        )
        .map_err(failure)
    }

    fn aggregate(&self, target: &RatingTarget) -> Result<Option<Aggregate>, ServiceFailure> {
        rating::get_aggregate(target.record_type.as_str(), target.record_id.as_str())
            .map(|found| {
                found.map(|aggregate| Aggregate {
                    average: aggregate.average,
                    count: aggregate.count,
                })
            })
            .map_err(failure)
    }

    fn health(&self) -> Vec<(&'static str, Result<(), String>)> {
        let describe = |result: Result<(), ServiceError>| {
            result.map_err(|err| match failure(err) {
                ServiceFailure::Invalid(msg)
                | ServiceFailure::NotFound(msg)
                | ServiceFailure::Unavailable(msg) => msg,
            })
        };
        vec![
            ("metadata", describe(metadata::ping())),
            ("rating", describe(rating::ping())),
        ]
    }

    fn log_degraded(&self, what: &str, failure: &ServiceFailure) {
        eprintln!("GET /movie degraded: {what} failed: {failure:?}");
    }
}
