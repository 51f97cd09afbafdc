//! [`Catalog`] over wRPC: the metadata and rating components, reached through the links of
//! `wadm.yaml`.

use movie_api::{Catalog, RatingTarget, ServiceFailure};
use movie_domain::{
    Aggregate, Description, Director, Key, Metadata, NewMetadata, RatingValue, Title,
};

use crate::bindings::movie::catalog::types::{self as wit, ServiceError};
use crate::bindings::movie::catalog::{metadata, rating};
use crate::bindings::wrpc::rpc::error::Error as RpcError;

pub struct Services;

/// Flattens a wRPC call's two layers of failure: the call itself (service not linked, not
/// running, crashed, too slow) and the service's own answer.
fn answer<T>(
    service: &str,
    result: Result<Result<T, ServiceError>, RpcError>,
) -> Result<T, ServiceFailure> {
    match result {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(ServiceError::Invalid(msg))) => Err(ServiceFailure::Invalid(msg)),
        Ok(Err(ServiceError::NotFound(msg))) => Err(ServiceFailure::NotFound(msg)),
        Ok(Err(ServiceError::Unavailable(msg))) => Err(ServiceFailure::Unavailable(msg)),
        Err(err) => Err(ServiceFailure::Unavailable(format!(
            "the {service} service is unreachable: {}",
            err.to_debug_string()
        ))),
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
        answer("metadata", metadata::get(id.as_str())).and_then(from_wit)
    }

    fn put_metadata(&self, value: &Metadata) -> Result<Metadata, ServiceFailure> {
        let stored = metadata::put(&wit::Metadata {
            id: value.id.to_string(),
            title: value.title.to_string(),
            description: value.description.to_string(),
            director: value.director.to_string(),
        });
        answer("metadata", stored).and_then(from_wit)
    }

    fn create_metadata(&self, value: &NewMetadata) -> Result<Metadata, ServiceFailure> {
        let stored = metadata::create(&wit::NewMetadata {
            title: value.title.to_string(),
            description: value.description.to_string(),
            director: value.director.to_string(),
        });
        answer("metadata", stored).and_then(from_wit)
    }

    fn put_rating(
        &self,
        target: &RatingTarget,
        user: &Key,
        value: RatingValue,
    ) -> Result<(), ServiceFailure> {
        let result = rating::put(
            target.record_type.as_str(),
            target.record_id.as_str(),
            user.as_str(),
            value.get(),
        );
        answer("rating", result)
    }

    fn delete_rating(&self, target: &RatingTarget, user: &Key) -> Result<(), ServiceFailure> {
        let result = rating::delete(
            target.record_type.as_str(),
            target.record_id.as_str(),
            user.as_str(),
        );
        answer("rating", result)
    }

    fn aggregate(&self, target: &RatingTarget) -> Result<Option<Aggregate>, ServiceFailure> {
        let result = rating::get_aggregate(target.record_type.as_str(), target.record_id.as_str());
        answer("rating", result).map(|found| {
            found.map(|aggregate| Aggregate {
                average: aggregate.average,
                count: aggregate.count,
            })
        })
    }

    fn health(&self) -> Vec<(&'static str, Result<(), String>)> {
        let probe = |service: &'static str, result| {
            let outcome = answer(service, result).map_err(|failure| match failure {
                ServiceFailure::Invalid(msg)
                | ServiceFailure::NotFound(msg)
                | ServiceFailure::Unavailable(msg) => msg,
            });
            (service, outcome)
        };
        vec![
            probe("metadata", metadata::ping()),
            probe("rating", rating::ping()),
        ]
    }

    fn log_degraded(&self, what: &str, failure: &ServiceFailure) {
        eprintln!("GET /movie degraded: {what} failed: {failure:?}");
    }
}
