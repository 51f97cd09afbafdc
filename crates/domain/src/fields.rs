//! Single validated fields.

use std::fmt;

use crate::ValidationError;

/// Longest key (`id`, `recordId`, `userId`), in characters.
pub const KEY_MAX_CHARS: usize = 128;
/// Longest record type, in characters.
pub const RECORD_TYPE_MAX_CHARS: usize = 64;
/// Longest title or director, in characters after trimming.
pub const NAME_MAX_CHARS: usize = 256;
/// Longest description, in characters.
pub const DESCRIPTION_MAX_CHARS: usize = 4096;

macro_rules! string_newtype {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(String);

        impl $name {
            pub fn as_str(&self) -> &str {
                &self.0
            }

            pub fn into_inner(self) -> String {
                self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }
    };
}

/// A key: 1–[`KEY_MAX_CHARS`] characters, no control characters. Each kind of key is its own
/// type, which names its field in errors.
macro_rules! key_newtype {
    ($(#[$doc:meta])* $name:ident, $field:literal) => {
        string_newtype!($(#[$doc])* $name);

        impl $name {
            /// The field this key is sent as (named in errors).
            pub const FIELD: &'static str = $field;

            pub fn parse(raw: impl Into<String>) -> Result<Self, ValidationError> {
                parse_key(Self::FIELD, raw.into()).map(Self)
            }
        }
    };
}

key_newtype!(
    /// The id of a movie's metadata (`id`).
    MetadataId,
    "id"
);
key_newtype!(
    /// The id of a rated record (`recordId`).
    RecordId,
    "recordId"
);
key_newtype!(
    /// The id of the user who rated (`userId`).
    UserId,
    "userId"
);
string_newtype!(
    /// The kind of rated record: 1–64 characters of `[a-z0-9_-]` (movies use `movie`).
    RecordType
);
string_newtype!(
    /// A movie title: 1–256 characters after trimming surrounding whitespace, no NUL.
    Title
);
string_newtype!(
    /// A director's name: 1–256 characters after trimming surrounding whitespace, no NUL.
    Director
);
string_newtype!(
    /// A description: at most 4,096 characters, possibly empty, no NUL.
    Description
);

/// A movie is rated under its metadata id: both keys follow the same rules.
impl From<&MetadataId> for RecordId {
    fn from(id: &MetadataId) -> Self {
        Self(id.0.clone())
    }
}

/// At most `max` characters (not bytes).
fn check_at_most(field: &'static str, value: &str, max: usize) -> Result<(), ValidationError> {
    let chars = value.chars().count();
    if chars > max {
        return Err(ValidationError::new(
            field,
            format!("must be at most {max} characters (got {chars})"),
        ));
    }
    Ok(())
}

/// 1 to `max` characters.
fn check_length(field: &'static str, value: &str, max: usize) -> Result<(), ValidationError> {
    if value.is_empty() {
        return Err(ValidationError::new(field, "must not be empty"));
    }
    check_at_most(field, value, max)
}

fn parse_key(field: &'static str, raw: String) -> Result<String, ValidationError> {
    check_length(field, &raw, KEY_MAX_CHARS)?;
    if raw.chars().any(char::is_control) {
        return Err(ValidationError::new(
            field,
            "must not contain control characters",
        ));
    }
    Ok(raw)
}

impl RecordType {
    pub const MOVIE: &'static str = "movie";

    pub fn parse(raw: impl Into<String>) -> Result<Self, ValidationError> {
        const FIELD: &str = "recordType";
        let raw = raw.into();
        check_length(FIELD, &raw, RECORD_TYPE_MAX_CHARS)?;
        if !raw
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-')
        {
            return Err(ValidationError::new(
                FIELD,
                "may only contain a-z, 0-9, '_' and '-'",
            ));
        }
        Ok(Self(raw))
    }

    /// The record type of movies.
    pub fn movie() -> Self {
        Self(Self::MOVIE.to_string())
    }
}

/// No NUL character (U+0000): a text column cannot store one, so it is the client's mistake
/// to send it, not the database's to refuse it.
fn check_no_nul(field: &'static str, value: &str) -> Result<(), ValidationError> {
    match value.chars().position(|c| c == '\0') {
        Some(at) => Err(ValidationError::new(
            field,
            format!("must not contain the NUL character U+0000 (found at character {at})"),
        )),
        None => Ok(()),
    }
}

/// Trims, then checks 1..=NAME_MAX_CHARS characters, none of them NUL.
fn parse_name(field: &'static str, raw: &str) -> Result<String, ValidationError> {
    let trimmed = raw.trim();
    check_length(field, trimmed, NAME_MAX_CHARS)?;
    check_no_nul(field, trimmed)?;
    Ok(trimmed.to_string())
}

impl Title {
    pub fn parse(raw: &str) -> Result<Self, ValidationError> {
        parse_name("title", raw).map(Self)
    }
}

impl Director {
    pub fn parse(raw: &str) -> Result<Self, ValidationError> {
        parse_name("director", raw).map(Self)
    }
}

impl Description {
    pub fn parse(raw: impl Into<String>) -> Result<Self, ValidationError> {
        let raw = raw.into();
        check_at_most("description", &raw, DESCRIPTION_MAX_CHARS)?;
        check_no_nul("description", &raw)?;
        Ok(Self(raw))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_one_to_128_characters_without_controls() {
        assert!(MetadataId::parse("").is_err());
        assert!(MetadataId::parse("a").is_ok());
        assert!(MetadataId::parse("x".repeat(128)).is_ok());
        assert!(MetadataId::parse("x".repeat(129)).is_err());
        // Characters, not bytes: 128 three-byte characters are fine.
        assert!(MetadataId::parse("é".repeat(128)).is_ok());
        assert!(MetadataId::parse("a\u{0}b").is_err());
        assert!(MetadataId::parse("a\nb").is_err());
        assert!(MetadataId::parse("a\u{7f}").is_err());
        // Spaces and SQL are ordinary characters.
        assert!(MetadataId::parse("'); DROP TABLE metadata; --").is_ok());
    }

    #[test]
    fn key_errors_name_the_field() {
        let err = UserId::parse("").expect_err("empty");
        assert_eq!(err.field, "userId");
        assert_eq!(err.to_string(), "userId must not be empty");
    }

    #[test]
    fn record_types_are_lowercase_slugs() {
        assert!(RecordType::parse("movie").is_ok());
        assert!(RecordType::parse("tv_show-2").is_ok());
        assert!(RecordType::parse("").is_err());
        assert!(RecordType::parse("Movie").is_err());
        assert!(RecordType::parse("mo vie").is_err());
        assert!(RecordType::parse("x".repeat(64)).is_ok());
        assert!(RecordType::parse("x".repeat(65)).is_err());
    }

    #[test]
    fn names_are_trimmed_and_bounded() {
        assert_eq!(
            Title::parse("  Heat ").map(Title::into_inner),
            Ok("Heat".into())
        );
        assert!(Title::parse("   ").is_err());
        assert!(Title::parse(&"t".repeat(256)).is_ok());
        assert!(Title::parse(&format!(" {} ", "t".repeat(256))).is_ok());
        assert!(Title::parse(&"t".repeat(257)).is_err());
        assert!(Director::parse("").is_err());
        assert_eq!(Director::parse("").expect_err("empty").field, "director");
    }

    #[test]
    fn text_never_holds_a_nul_character() {
        let err = Director::parse("a\u{0}b").expect_err("NUL");
        assert_eq!(err.field, "director");
        assert!(err.problem.contains("U+0000"), "{err}");
        assert!(err.problem.contains("character 1"), "{err}");
        assert!(Title::parse("\u{0}").is_err());
        assert!(Description::parse("line\u{0}").is_err());
        // Other control characters are text: a description may have lines and tabs.
        assert!(Description::parse("one\ntwo\tthree").is_ok());
    }

    #[test]
    fn descriptions_may_be_empty_but_not_huge() {
        assert!(Description::parse("").is_ok());
        assert!(Description::parse("d".repeat(4096)).is_ok());
        assert!(Description::parse("d".repeat(4097)).is_err());
    }
}
