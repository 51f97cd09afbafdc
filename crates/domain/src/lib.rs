//! The domain of movie-lattice: metadata and ratings, as types that can only hold valid
//! values. CONTRACT.md's validation rules live here and nowhere else: the gateway parses its
//! HTTP input into these types, each service parses its wRPC input into them, and past that
//! point nothing is re-checked.
//!
//! # Layout
//! - `fields`: one validated type per field — the three kinds of key
//!   ([`MetadataId`], [`RecordId`], [`UserId`]), [`RecordType`], [`Title`], [`Director`],
//!   [`Description`] — and their limits (`*_MAX_CHARS`).
//! - `metadata`: [`Metadata`] and [`NewMetadata`], built only by their `parse`.
//! - `rating`: [`Rating`] (a user's [`RatingValue`] of a [`RatingTarget`]) and the
//!   [`Aggregate`] of a record's ratings.
//! - `event`: [`RatingCommand`], a Kafka rating event parsed into what it asks for.
//! - `object`: [`JsonObject`], a client's JSON object read so that every refusal names the
//!   member at fault in words (each member once, nesting bounded, typed getters).
//! - [`ValidationError`]: why a value was refused, naming the field.

#![forbid(unsafe_code)]

mod event;
mod fields;
mod metadata;
mod object;
mod rating;

pub use event::{EventError, RatingCommand};
pub use fields::{
    Description, Director, MetadataId, RecordId, RecordType, Title, UserId, DESCRIPTION_MAX_CHARS,
    KEY_MAX_CHARS, NAME_MAX_CHARS, RECORD_TYPE_MAX_CHARS,
};
pub use metadata::{Metadata, NewMetadata};
pub use object::{json_kind, JsonObject, MalformedJson};
pub use rating::{Aggregate, Rating, RatingTarget, RatingValue};

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

    /// A required field that was not sent.
    pub fn missing(field: &'static str) -> Self {
        Self::new(field, "is required")
    }
}
