//! A request as the transport hands it over, and reading its JSON body.

use movie_domain::JsonObject;

use crate::ApiError;

/// Largest request body accepted, in bytes (CONTRACT.md: 413 above 64 KiB).
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// The HTTP methods the API distinguishes; every other method is [`Method::Other`] (405).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Get,
    Head,
    Post,
    Put,
    Delete,
    Other,
}

impl Method {
    /// Parses a method name as sent on the wire (case-sensitive, as HTTP says).
    pub fn parse(name: &str) -> Self {
        match name {
            "GET" => Self::Get,
            "HEAD" => Self::Head,
            "POST" => Self::Post,
            "PUT" => Self::Put,
            "DELETE" => Self::Delete,
            _ => Self::Other,
        }
    }

    /// The method's name on the wire (`None` for [`Method::Other`]).
    pub fn name(self) -> Option<&'static str> {
        match self {
            Self::Get => Some("GET"),
            Self::Head => Some("HEAD"),
            Self::Post => Some("POST"),
            Self::Put => Some("PUT"),
            Self::Delete => Some("DELETE"),
            Self::Other => None,
        }
    }
}

/// A request as the transport hands it over.
#[derive(Debug, Clone)]
pub struct Request {
    pub method: Method,
    pub path: String,
    pub query: Option<String>,
    /// The body, or `None` when it exceeded [`MAX_BODY_BYTES`] (the transport stops reading).
    pub body: Option<Vec<u8>>,
}

/// The body as one JSON object: 413 past the limit, 400 when empty, not UTF-8, not JSON, not
/// an object, nested too deep, or repeating a member.
pub fn json_object(body: Option<Vec<u8>>) -> Result<JsonObject, ApiError> {
    let body = body.ok_or(ApiError::PayloadTooLarge {
        limit: MAX_BODY_BYTES,
    })?;
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(ApiError::BadRequest(
            "request body is empty; send a JSON object".into(),
        ));
    }
    JsonObject::parse(&body).map_err(|err| {
        ApiError::BadRequest(format!("request body is not a valid JSON object: {err}"))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn method_names_are_case_sensitive() {
        assert_eq!(Method::parse("GET"), Method::Get);
        assert_eq!(Method::parse("get"), Method::Other);
        assert_eq!(Method::parse("PATCH"), Method::Other);
        assert_eq!(Method::Delete.name(), Some("DELETE"));
    }
}
