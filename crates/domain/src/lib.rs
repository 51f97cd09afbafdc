//! The domain of movie-lattice: metadata and ratings, as types that can only hold valid
//! values (CONTRACT.md's validation rules live here and nowhere else).
//!
//! Every service parses its input into these types at the edge; past that point nothing is
//! re-checked.

#![forbid(unsafe_code)]

mod event;
mod fields;
mod metadata;
mod rating;

pub use event::{EventError, RatingCommand};
pub use fields::{
    Description, Director, Key, RecordType, Title, DESCRIPTION_MAX_CHARS, KEY_MAX_CHARS,
    NAME_MAX_CHARS, RECORD_TYPE_MAX_CHARS,
};
pub use metadata::{Metadata, MetadataInput, NewMetadata};
pub use rating::{Aggregate, RatingValue};

/// Why a value was refused; the message is meant for the client.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field} {problem}")]
pub struct ValidationError {
    /// The field's name as the client sent it (camelCase).
    pub field: &'static str,
    pub problem: String,
}

impl ValidationError {
    pub fn new(field: &'static str, problem: impl Into<String>) -> Self {
        Self {
            field,
            problem: problem.into(),
        }
    }
}

/// The record a rating is about.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RatingTarget {
    pub record_type: RecordType,
    pub record_id: Key,
}

/// The aliases by which the contract names the three kinds of key.
pub type MetadataId = Key;
pub type RecordId = Key;
pub type UserId = Key;
