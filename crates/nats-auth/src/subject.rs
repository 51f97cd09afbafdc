//! Names that go into subjects, checked once: a permission built from them cannot match more
//! than it says.

use std::fmt;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SubjectError {
    #[error("{what} is empty")]
    Empty { what: &'static str },
    #[error("{what} '{value}' has an empty token (two dots, or a dot at an end)")]
    EmptyToken { what: &'static str, value: String },
    #[error("{what} '{value}' holds '{found}', which NATS reads as a wildcard or separator")]
    Reserved {
        what: &'static str,
        value: String,
        found: char,
    },
}

/// One token of a subject: no dots, no wildcards, no whitespace (a lattice name, say).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token(String);

/// A literal subject of one or more tokens (`wasmcloud.secrets`), without wildcards.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subject(String);

fn check_token(what: &'static str, whole: &str, token: &str) -> Result<(), SubjectError> {
    if token.is_empty() {
        return Err(SubjectError::EmptyToken {
            what,
            value: whole.to_owned(),
        });
    }
    match token
        .chars()
        .find(|c| matches!(c, '*' | '>' | '.') || c.is_whitespace() || c.is_control())
    {
        Some(found) => Err(SubjectError::Reserved {
            what,
            value: whole.to_owned(),
            found,
        }),
        None => Ok(()),
    }
}

impl Token {
    pub fn parse(what: &'static str, value: &str) -> Result<Self, SubjectError> {
        if value.is_empty() {
            return Err(SubjectError::Empty { what });
        }
        check_token(what, value, value)?;
        Ok(Self(value.to_owned()))
    }
}

impl Subject {
    pub fn parse(what: &'static str, value: &str) -> Result<Self, SubjectError> {
        if value.is_empty() {
            return Err(SubjectError::Empty { what });
        }
        for token in value.split('.') {
            check_token(what, value, token)?;
        }
        Ok(Self(value.to_owned()))
    }
}

impl fmt::Display for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Display for Subject {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_is_one_literal_token() {
        assert!(Token::parse("lattice", "default").is_ok());
        assert_eq!(
            Token::parse("lattice", ""),
            Err(SubjectError::Empty { what: "lattice" })
        );
        for bad in ["a.b", "a*", ">", "a b", "tab\t"] {
            assert!(
                matches!(
                    Token::parse("lattice", bad),
                    Err(SubjectError::Reserved { .. })
                ),
                "{bad:?} was taken"
            );
        }
    }

    #[test]
    fn a_subject_is_literal_tokens_joined_by_dots() {
        assert!(Subject::parse("topic", "wasmcloud.secrets").is_ok());
        assert!(matches!(
            Subject::parse("topic", "wasmcloud..secrets"),
            Err(SubjectError::EmptyToken { .. })
        ));
        assert!(matches!(
            Subject::parse("topic", "wasmcloud.secrets."),
            Err(SubjectError::EmptyToken { .. })
        ));
        assert!(matches!(
            Subject::parse("topic", "wasmcloud.>"),
            Err(SubjectError::Reserved { found: '>', .. })
        ));
    }
}
