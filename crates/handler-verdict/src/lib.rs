//! The one convention between a `wasmcloud:messaging/handler` component and our Kafka
//! provider beyond the WIT: `handle-message` returns `result<_, string>`, and the error string
//! says what retrying can do:
//!
//! * it starts with [`REJECTED_PREFIX`]: the message can never be handled (malformed,
//!   invalid), so the provider dead-letters it at once;
//! * it starts with [`UNAVAILABLE_PREFIX`]: something the handler needs is down (its database,
//!   its provider), so the message is fine and the provider retries it until it is handled,
//!   never dead-lettering it;
//! * any other error: retried a few times, then dead-lettered.
//!
//! The rating component builds its errors with [`rejected`] and [`unavailable`]; the provider
//! reads them with [`Verdict::of`].

#![forbid(unsafe_code)]

/// Prefix by which a handler marks an error that retrying cannot fix.
pub const REJECTED_PREFIX: &str = "rejected: ";
/// Prefix by which a handler marks an error that goes away when a dependency is back.
pub const UNAVAILABLE_PREFIX: &str = "unavailable: ";

/// The handler's error for a message that can never be handled.
pub fn rejected(reason: impl std::fmt::Display) -> String {
    format!("{REJECTED_PREFIX}{reason}")
}

/// The handler's error for a message it could not handle because a dependency is down.
pub fn unavailable(reason: impl std::fmt::Display) -> String {
    format!("{UNAVAILABLE_PREFIX}{reason}")
}

/// What a handler's error string means for the message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict<'a> {
    /// Never handleable: dead-letter now, with this reason.
    Rejected(&'a str),
    /// A dependency is down: retry until it is back.
    Unavailable(&'a str),
    /// Anything else: retry a bounded number of times.
    Failed(&'a str),
}

impl<'a> Verdict<'a> {
    /// Reads a handler's error string.
    pub fn of(error: &'a str) -> Self {
        if let Some(reason) = error.strip_prefix(REJECTED_PREFIX) {
            Self::Rejected(reason)
        } else if let Some(reason) = error.strip_prefix(UNAVAILABLE_PREFIX) {
            Self::Unavailable(reason)
        } else {
            Self::Failed(error)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_verdict_round_trips() {
        assert_eq!(
            Verdict::of(&rejected("bad json")),
            Verdict::Rejected("bad json")
        );
        assert_eq!(
            Verdict::of(&unavailable("no database connection")),
            Verdict::Unavailable("no database connection")
        );
        assert_eq!(Verdict::of("disk full"), Verdict::Failed("disk full"));
    }

    #[test]
    fn prefixes_are_exact() {
        assert_eq!(
            Verdict::of("Rejected: case matters"),
            Verdict::Failed("Rejected: case matters")
        );
        assert_eq!(Verdict::of("unavailable:"), Verdict::Failed("unavailable:"));
    }
}
