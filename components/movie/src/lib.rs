//! The movie gateway: answers CONTRACT.md's HTTP API behind the lattice's HTTP ingress.
//!
//! A thin adapter: `wasi:http` in and out ([`http`]), routing and answers from `movie-api`.

mod http;

use movie_api::{route, ApiError, Endpoint, HealthReport, Method, Response};
use wasi::exports::http::incoming_handler::Guest;
use wasi::http::types::{IncomingRequest, ResponseOutparam};

struct Gateway;

wasi::http::proxy::export!(Gateway);

impl Guest for Gateway {
    fn handle(request: IncomingRequest, response_out: ResponseOutparam) {
        let method = http::method(&request);
        let (path, _query) = http::path_and_query(&request);
        let response = match route(&method, &path) {
            Ok(endpoint) => handle(endpoint),
            Err(err) => err.into_response(),
        };
        http::respond(response_out, response, method == Method::Head);
    }
}

fn handle(endpoint: Endpoint) -> Response {
    match endpoint {
        Endpoint::Health => HealthReport::from_checks([]).into_response(),
        other => ApiError::Unavailable(format!("{other:?} is not served yet")).into_response(),
    }
}
