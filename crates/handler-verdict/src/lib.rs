//! The one convention between a `wasmcloud:messaging/handler` component and our Kafka
//! provider beyond the WIT: `handle-message` returns `result<_, string>`, and an error string
//! that starts with [`REJECTED_PREFIX`] means the message can never be handled (malformed,
//! invalid). The provider dead-letters such a message at once; any other error is retried.
//!
//! The rating component builds its errors with [`rejected`]; the provider reads them with
//! [`rejection`].

#![forbid(unsafe_code)]

/// Prefix by which a handler marks an error that retrying cannot fix.
pub const REJECTED_PREFIX: &str = "rejected: ";

/// The handler's error for a message that can never be handled.
pub fn rejected(reason: impl std::fmt::Display) -> String {
    format!("{REJECTED_PREFIX}{reason}")
}

/// The reason, when `error` rejects the message; `None` for an error worth retrying.
pub fn rejection(error: &str) -> Option<&str> {
    error.strip_prefix(REJECTED_PREFIX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rejection_round_trips_and_other_errors_are_not_rejections() {
        assert_eq!(rejection(&rejected("bad json")), Some("bad json"));
        assert_eq!(rejection("database unavailable"), None);
        assert_eq!(rejection("Rejected: case matters"), None);
    }
}
