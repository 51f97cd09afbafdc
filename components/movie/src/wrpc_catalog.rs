//! [`Catalog`] over wRPC: the metadata and rating components, and the Kafka provider's rating
//! events, reached through the links of `wadm.yaml`. Arguments are valid domain values, sent as the records of
//! `movie:catalog/types`; answers come back as the same records and are passed on as they are.

use catalog_types::{Aggregate, Metadata as StoredMetadata, ServiceError};
use movie_api::Catalog;
use movie_domain::{Metadata, MetadataId, NewMetadata, Rating, RatingTarget, UserId};

use crate::bindings::movie::catalog::{metadata, rating, rating_events};
use crate::bindings::wrpc::rpc::error::Error as RpcError;

/// The services, as the gateway's links reach them.
pub struct WrpcCatalog;

/// Folds a wRPC call's two layers of failure into one: the call itself (service not linked,
/// not running, crashed, too slow) is `unavailable`; the service's own answer stays as it is.
fn service_answer<T>(
    service: &str,
    call: Result<Result<T, ServiceError>, RpcError>,
) -> Result<T, ServiceError> {
    call.unwrap_or_else(|err| {
        Err(ServiceError::Unavailable(format!(
            "the {service} service is unreachable: {}",
            err.to_debug_string()
        )))
    })
}

/// [`service_answer`] for a call that may run twice with the same outcome (a read, an
/// upsert): when the call itself failed, it is made once more. A host that is stopping can drop
/// a call it had already taken; another instance answers the second one.
fn idempotent_answer<T>(
    service: &str,
    mut call: impl FnMut() -> Result<Result<T, ServiceError>, RpcError>,
) -> Result<T, ServiceError> {
    match call() {
        Err(_) => service_answer(service, call()),
        answer => service_answer(service, answer),
    }
}

impl Catalog for WrpcCatalog {
    fn metadata(&self, id: &MetadataId) -> Result<StoredMetadata, ServiceError> {
        idempotent_answer("metadata", || metadata::get(id.as_str()))
    }

    fn put_metadata(&self, value: Metadata) -> Result<StoredMetadata, ServiceError> {
        let value = value.into();
        idempotent_answer("metadata", || metadata::put(&value))
    }

    fn create_metadata(&self, value: NewMetadata) -> Result<StoredMetadata, ServiceError> {
        service_answer("metadata", metadata::create(&value.into()))
    }

    fn ping_metadata(&self) -> Result<(), ServiceError> {
        idempotent_answer("metadata", metadata::ping)
    }

    fn put_rating(&self, value: &Rating) -> Result<(), ServiceError> {
        // An upsert of the user's rating: the same rating twice is one rating.
        idempotent_answer("rating", || {
            rating::put(
                value.target.record_type.as_str(),
                value.target.record_id.as_str(),
                value.user.as_str(),
                value.value.get(),
            )
        })
    }

    fn delete_rating(&self, target: &RatingTarget, user: &UserId) -> Result<(), ServiceError> {
        let call = rating::delete(
            target.record_type.as_str(),
            target.record_id.as_str(),
            user.as_str(),
        );
        service_answer("rating", call)
    }

    fn aggregate(&self, target: &RatingTarget) -> Result<Option<Aggregate>, ServiceError> {
        idempotent_answer("rating", || {
            rating::get_aggregate(target.record_type.as_str(), target.record_id.as_str())
        })
    }

    fn ping_rating(&self) -> Result<(), ServiceError> {
        idempotent_answer("rating", rating::ping)
    }

    fn submit_rating(&self, value: &Rating) -> Result<(), ServiceError> {
        let body = value.go_movie_event().to_string();
        // Not retried here: a publish that failed may still have reached the broker, and the
        // client, told 503, decides (a second submit of the same rating changes nothing).
        let published = rating_events::publish(RATINGS_TOPIC, &value.key(), body.as_bytes());
        match published {
            Ok(Ok(())) => Ok(()),
            Ok(Err(why)) => Err(ServiceError::Unavailable(format!(
                "the rating was not handed to the broker: {why}"
            ))),
            Err(err) => Err(ServiceError::Unavailable(format!(
                "the Kafka provider is unreachable: {}",
                err.to_debug_string()
            ))),
        }
    }
}

/// The topic the rating service consumes (CONTRACT.md).
const RATINGS_TOPIC: &str = "ratings";
