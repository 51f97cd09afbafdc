//! A transport-free HTTP response.

use serde::Serialize;

pub const JSON_CONTENT_TYPE: &str = "application/json";

/// Status, headers (lower-case names) and body of an answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Response {
    /// A JSON response. Serialising our own types cannot fail; if it ever did, the answer is
    /// a 500 with a JSON error rather than a panic.
    pub fn json<T: Serialize + ?Sized>(status: u16, value: &T) -> Self {
        match serde_json::to_vec(value) {
            Ok(body) => Self {
                status,
                headers: vec![("content-type".into(), JSON_CONTENT_TYPE.into())],
                body,
            },
            Err(err) => Self {
                status: 500,
                headers: vec![("content-type".into(), JSON_CONTENT_TYPE.into())],
                body: format!(r#"{{"error":"failed to encode response: {err}"}}"#).into_bytes(),
            },
        }
    }

    /// A response without a body (e.g. 204).
    pub fn empty(status: u16) -> Self {
        Self {
            status,
            headers: Vec::new(),
            body: Vec::new(),
        }
    }

    pub fn with_header(mut self, name: &str, value: impl Into<String>) -> Self {
        self.headers.push((name.to_ascii_lowercase(), value.into()));
        self
    }

    /// The first value of a header, by case-insensitive name.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }
}
