//! Which endpoint a (method, path) pair names.

use crate::ApiError;

/// HTTP methods the API distinguishes; anything else is carried as [`Method::Other`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Method {
    Get,
    Head,
    Post,
    Put,
    Delete,
    Other(String),
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
            other => Self::Other(other.to_string()),
        }
    }
}

/// An operation of the API, named by a path and a method.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Endpoint {
    Index,
    OpenApi,
    Health,
    GetMovie,
    GetMetadata,
    PutMetadata,
    PostMetadata,
    GetRating,
    PutRating,
    DeleteRating,
}

/// A path of the API and the endpoint each method names on it.
struct Resource {
    path: &'static str,
    methods: &'static [(&'static str, Endpoint)],
}

const RESOURCES: &[Resource] = &[
    Resource {
        path: "/",
        methods: &[("GET", Endpoint::Index)],
    },
    Resource {
        path: "/openapi.json",
        methods: &[("GET", Endpoint::OpenApi)],
    },
    Resource {
        path: "/healthz",
        methods: &[("GET", Endpoint::Health)],
    },
    Resource {
        path: "/movie",
        methods: &[("GET", Endpoint::GetMovie)],
    },
    Resource {
        path: "/metadata",
        methods: &[
            ("GET", Endpoint::GetMetadata),
            ("PUT", Endpoint::PutMetadata),
            ("POST", Endpoint::PostMetadata),
        ],
    },
    Resource {
        path: "/rating",
        methods: &[
            ("GET", Endpoint::GetRating),
            ("PUT", Endpoint::PutRating),
            ("DELETE", Endpoint::DeleteRating),
        ],
    },
];

/// Resolves a request line to an endpoint: 404 for an unknown path, 405 (with the allowed
/// methods) for a known path and a method it does not support.
///
/// `path` is the path without the query string. A single trailing slash is tolerated.
pub fn route(method: &Method, path: &str) -> Result<Endpoint, ApiError> {
    let normalized = match path.strip_suffix('/') {
        Some(stripped) if !stripped.is_empty() => stripped,
        _ => path,
    };
    let resource = RESOURCES
        .iter()
        .find(|resource| resource.path == normalized)
        .ok_or_else(|| ApiError::NotFound(format!("no such path: {path}")))?;
    // HEAD is answered like GET where GET exists; the transport drops the body.
    let wanted = match method {
        Method::Head => "GET",
        Method::Get => "GET",
        Method::Post => "POST",
        Method::Put => "PUT",
        Method::Delete => "DELETE",
        Method::Other(name) => name.as_str(),
    };
    resource
        .methods
        .iter()
        .find(|(name, _)| *name == wanted)
        .map(|(_, endpoint)| *endpoint)
        .ok_or_else(|| ApiError::MethodNotAllowed {
            allow: allowed_methods(resource),
        })
}

/// Every operation as `METHOD /path`, in the order the API lists them (HEAD left implicit).
pub fn operations() -> impl Iterator<Item = (&'static str, &'static str)> {
    RESOURCES.iter().flat_map(|resource| {
        resource
            .methods
            .iter()
            .map(move |(method, _)| (*method, resource.path))
    })
}

fn allowed_methods(resource: &Resource) -> String {
    let mut names: Vec<&str> = resource.methods.iter().map(|(name, _)| *name).collect();
    if names.contains(&"GET") {
        names.push("HEAD");
    }
    names.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_routes_resolve() {
        assert_eq!(route(&Method::Get, "/healthz"), Ok(Endpoint::Health));
        assert_eq!(route(&Method::Get, "/movie"), Ok(Endpoint::GetMovie));
        assert_eq!(
            route(&Method::Post, "/metadata"),
            Ok(Endpoint::PostMetadata)
        );
        assert_eq!(
            route(&Method::Delete, "/rating"),
            Ok(Endpoint::DeleteRating)
        );
        assert_eq!(route(&Method::Head, "/healthz"), Ok(Endpoint::Health));
        assert_eq!(route(&Method::Get, "/"), Ok(Endpoint::Index));
        assert_eq!(route(&Method::Get, "/openapi.json"), Ok(Endpoint::OpenApi));
    }

    #[test]
    fn a_trailing_slash_is_tolerated_but_not_a_prefix() {
        assert_eq!(route(&Method::Get, "/healthz/"), Ok(Endpoint::Health));
        assert!(matches!(
            route(&Method::Get, "/healthzz"),
            Err(ApiError::NotFound(_))
        ));
        assert!(matches!(
            route(&Method::Get, "/healthz/x"),
            Err(ApiError::NotFound(_))
        ));
    }

    #[test]
    fn unknown_paths_are_not_found() {
        for path in ["", "/nope", "/openapi", "/movies", "//healthz"] {
            assert!(
                matches!(route(&Method::Get, path), Err(ApiError::NotFound(_))),
                "{path}"
            );
        }
    }

    #[test]
    fn wrong_methods_name_the_allowed_ones() {
        assert_eq!(
            route(&Method::Post, "/healthz"),
            Err(ApiError::MethodNotAllowed {
                allow: "GET, HEAD".into()
            })
        );
        assert_eq!(
            route(&Method::Other("PATCH".into()), "/rating"),
            Err(ApiError::MethodNotAllowed {
                allow: "GET, PUT, DELETE, HEAD".into()
            })
        );
        assert_eq!(
            route(&Method::Delete, "/metadata"),
            Err(ApiError::MethodNotAllowed {
                allow: "GET, PUT, POST, HEAD".into()
            })
        );
    }

    #[test]
    fn method_names_are_case_sensitive() {
        assert_eq!(Method::parse("GET"), Method::Get);
        assert_eq!(Method::parse("get"), Method::Other("get".into()));
    }
}
