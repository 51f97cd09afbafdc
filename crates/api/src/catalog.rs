//! [`Catalog`]: the port through which the gateway reaches the metadata and rating services.
//! The gateway component implements it with wRPC calls; tests implement it in memory.

use catalog_types::{Aggregate, Metadata as StoredMetadata, ServiceError};
use movie_domain::{Metadata, MetadataId, NewMetadata, Rating, RatingTarget, UserId};

/// The services behind the gateway, one method per call of `movie:catalog` (the rating events
/// go through the Kafka provider). Arguments are
/// already valid; answers are what the service stored, passed on as they are. A service that
/// cannot be reached answers [`ServiceError::Unavailable`].
pub trait Catalog {
    fn metadata(&self, id: &MetadataId) -> Result<StoredMetadata, ServiceError>;
    fn put_metadata(&self, metadata: Metadata) -> Result<StoredMetadata, ServiceError>;
    fn create_metadata(&self, metadata: NewMetadata) -> Result<StoredMetadata, ServiceError>;
    fn ping_metadata(&self) -> Result<(), ServiceError>;
    fn put_rating(&self, rating: &Rating) -> Result<(), ServiceError>;
    fn delete_rating(&self, target: &RatingTarget, user: &UserId) -> Result<(), ServiceError>;
    fn aggregate(&self, target: &RatingTarget) -> Result<Option<Aggregate>, ServiceError>;
    fn ping_rating(&self) -> Result<(), ServiceError>;
    /// Hands `rating` to the broker as go-movie's submit event, for the rating service to
    /// apply; `Ok` once the broker has it.
    fn submit_rating(&self, rating: &Rating) -> Result<(), ServiceError>;
}
