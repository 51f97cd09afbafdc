//! Errors the API answers with, each with its status code and JSON body.

use crate::Response;

/// Everything the API can answer besides success. Client mistakes are 4xx; only a failing
/// dependency gives a 5xx.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ApiError {
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    NotFound(String),
    #[error("method not allowed; allowed: {allow}")]
    MethodNotAllowed { allow: String },
    #[error("request body is larger than {limit} bytes")]
    PayloadTooLarge { limit: usize },
    #[error("{0}")]
    Unavailable(String),
    #[error("{0}")]
    Internal(String),
}

/// What a service answered, as the client hears it: its own mistake (400, 404) or a failing
/// dependency (503).
impl From<catalog_types::ServiceError> for ApiError {
    fn from(failure: catalog_types::ServiceError) -> Self {
        use catalog_types::ServiceError;
        match failure {
            ServiceError::Invalid(msg) => Self::BadRequest(msg),
            ServiceError::NotFound(msg) => Self::NotFound(msg),
            ServiceError::Unavailable(msg) => Self::Unavailable(msg),
        }
    }
}

/// The input broke a domain rule: 400, naming the field.
impl From<movie_domain::ValidationError> for ApiError {
    fn from(err: movie_domain::ValidationError) -> Self {
        Self::BadRequest(err.to_string())
    }
}

impl ApiError {
    /// The HTTP status code of this error.
    pub fn status(&self) -> u16 {
        match self {
            Self::BadRequest(_) => 400,
            Self::NotFound(_) => 404,
            Self::MethodNotAllowed { .. } => 405,
            Self::PayloadTooLarge { .. } => 413,
            Self::Internal(_) => 500,
            Self::Unavailable(_) => 503,
        }
    }

    /// The error as a response: `{"error": "<message>"}` with its status (and `Allow` for 405).
    pub fn into_response(self) -> Response {
        let status = self.status();
        let body = serde_json::json!({ "error": self.to_string() });
        let response = Response::json(status, &body);
        match self {
            Self::MethodNotAllowed { allow } => response.with_header("allow", allow),
            _ => response,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(response: &Response) -> serde_json::Value {
        serde_json::from_slice(&response.body).expect("error bodies are JSON")
    }

    #[test]
    fn errors_are_json_with_their_status() {
        let response = ApiError::NotFound("no such path: /x".into()).into_response();
        assert_eq!(response.status, 404);
        assert_eq!(
            body(&response),
            serde_json::json!({"error": "no such path: /x"})
        );
        assert_eq!(
            response.header("content-type"),
            Some(crate::JSON_CONTENT_TYPE)
        );
    }

    #[test]
    fn method_not_allowed_carries_allow() {
        let response = ApiError::MethodNotAllowed {
            allow: "GET, HEAD".into(),
        }
        .into_response();
        assert_eq!(response.status, 405);
        assert_eq!(response.header("allow"), Some("GET, HEAD"));
        assert!(body(&response)["error"]
            .as_str()
            .is_some_and(|message| message.contains("GET, HEAD")));
    }

    #[test]
    fn only_dependency_failures_are_server_errors() {
        assert_eq!(ApiError::BadRequest(String::new()).status(), 400);
        assert_eq!(ApiError::PayloadTooLarge { limit: 1 }.status(), 413);
        assert_eq!(ApiError::Unavailable(String::new()).status(), 503);
    }
}
