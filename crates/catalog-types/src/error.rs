//! What a service answers when it cannot do what it was asked.

use movie_domain::ValidationError;

use crate::ServiceError;

/// The input broke a rule: `invalid`, with the message naming the field.
impl From<ValidationError> for ServiceError {
    fn from(err: ValidationError) -> Self {
        Self::Invalid(err.to_string())
    }
}

/// The database failed; the caller's input was fine: `unavailable`.
impl From<postgres_guest::DbError> for ServiceError {
    fn from(err: postgres_guest::DbError) -> Self {
        Self::Unavailable(err.to_string())
    }
}

impl ServiceError {
    /// The message, whichever the case.
    pub fn message(&self) -> &str {
        match self {
            Self::Invalid(msg) | Self::NotFound(msg) | Self::Unavailable(msg) => msg,
        }
    }
}
