//! Which endpoint a (method, path) pair names.

use crate::{ApiError, Method};

/// An operation of the API, named by a path and a method.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Endpoint {
    Index,
    OpenApi,
    Health,
    GetMovie,
    GetMovieDetailsV1,
    SubmitRatingV1,
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
    methods: &'static [(Method, Endpoint)],
}

const RESOURCES: &[Resource] = &[
    Resource {
        path: "/",
        methods: &[(Method::Get, Endpoint::Index)],
    },
    Resource {
        path: "/openapi.json",
        methods: &[(Method::Get, Endpoint::OpenApi)],
    },
    Resource {
        path: "/healthz",
        methods: &[(Method::Get, Endpoint::Health)],
    },
    Resource {
        path: "/movie",
        methods: &[(Method::Get, Endpoint::GetMovie)],
    },
    // go-movie's own API (its gateway's v1 routes).
    Resource {
        path: "/v1/get-movie-details",
        methods: &[(Method::Get, Endpoint::GetMovieDetailsV1)],
    },
    Resource {
        path: "/v1/submit-rating",
        methods: &[(Method::Post, Endpoint::SubmitRatingV1)],
    },
    Resource {
        path: "/metadata",
        methods: &[
            (Method::Get, Endpoint::GetMetadata),
            (Method::Put, Endpoint::PutMetadata),
            (Method::Post, Endpoint::PostMetadata),
        ],
    },
    Resource {
        path: "/rating",
        methods: &[
            (Method::Get, Endpoint::GetRating),
            (Method::Put, Endpoint::PutRating),
            (Method::Delete, Endpoint::DeleteRating),
        ],
    },
];

/// Resolves a request line to an endpoint: 404 for an unknown path, 405 (with the allowed
/// methods) for a known path and a method it does not support.
///
/// `path` is the path without the query string. A single trailing slash is tolerated.
pub fn route(method: Method, path: &str) -> Result<Endpoint, ApiError> {
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
        Method::Head => Method::Get,
        other => other,
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
            .filter_map(move |(method, _)| Some((method.name()?, resource.path)))
    })
}

fn allowed_methods(resource: &Resource) -> String {
    let mut names: Vec<&str> = resource
        .methods
        .iter()
        .filter_map(|(method, _)| method.name())
        .collect();
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
        assert_eq!(route(Method::Get, "/healthz"), Ok(Endpoint::Health));
        assert_eq!(route(Method::Get, "/movie"), Ok(Endpoint::GetMovie));
        assert_eq!(
            route(Method::Get, "/v1/get-movie-details"),
            Ok(Endpoint::GetMovieDetailsV1)
        );
        assert_eq!(route(Method::Post, "/metadata"), Ok(Endpoint::PostMetadata));
        assert_eq!(route(Method::Delete, "/rating"), Ok(Endpoint::DeleteRating));
        assert_eq!(route(Method::Head, "/healthz"), Ok(Endpoint::Health));
        assert_eq!(route(Method::Get, "/"), Ok(Endpoint::Index));
        assert_eq!(route(Method::Get, "/openapi.json"), Ok(Endpoint::OpenApi));
    }

    #[test]
    fn a_trailing_slash_is_tolerated_but_not_a_prefix() {
        assert_eq!(route(Method::Get, "/healthz/"), Ok(Endpoint::Health));
        assert!(matches!(
            route(Method::Get, "/healthzz"),
            Err(ApiError::NotFound(_))
        ));
        assert!(matches!(
            route(Method::Get, "/healthz/x"),
            Err(ApiError::NotFound(_))
        ));
    }

    #[test]
    fn unknown_paths_are_not_found() {
        for path in ["", "/nope", "/openapi", "/movies", "//healthz"] {
            assert!(
                matches!(route(Method::Get, path), Err(ApiError::NotFound(_))),
                "{path}"
            );
        }
    }

    #[test]
    fn wrong_methods_name_the_allowed_ones() {
        assert_eq!(
            route(Method::Post, "/healthz"),
            Err(ApiError::MethodNotAllowed {
                allow: "GET, HEAD".into()
            })
        );
        assert_eq!(
            route(Method::Other, "/rating"),
            Err(ApiError::MethodNotAllowed {
                allow: "GET, PUT, DELETE, HEAD".into()
            })
        );
        assert_eq!(
            route(Method::Delete, "/metadata"),
            Err(ApiError::MethodNotAllowed {
                allow: "GET, PUT, POST, HEAD".into()
            })
        );
    }
}
