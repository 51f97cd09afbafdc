//! The movie gateway: answers CONTRACT.md's HTTP API behind the lattice's HTTP ingress.
//!
//! A thin adapter:
//! - `http`: `wasi:http` in and out;
//! - `movie-api`: the request handling, which parses the input once, at this edge;
//! - `wrpc_catalog`: the metadata and rating services over wRPC, through the links
//!   `wadm.yaml` declares;
//! - `component_log`: `tracing` events (one access line per request, a degraded
//!   `GET /movie`) through `wasi:logging`, kept by the host with the request's trace.
//!
//! The crate is `movie-gateway`; its folder and its component in `wadm.yaml` are `movie`, the
//! service's name in go-movie.

mod bindings {
    // The fallible view of movie:catalog (wit/gateway): every call returns
    // `Result<service result, rpc error>` instead of trapping when the service is unreachable.
    wit_bindgen::generate!({
        path: "../../wit/gateway",
        world: "gateway",
        with: {
            "movie:catalog/types@0.1.0": catalog_types::types,
        },
        generate_all,
    });
}

mod component_log;
mod http;
mod wrpc_catalog;

use movie_api::{handle, Method};
use wasi::exports::http::incoming_handler::Guest;
use wasi::http::types::{IncomingRequest, ResponseOutparam};

struct Gateway;

wasi::http::proxy::export!(Gateway);

impl Guest for Gateway {
    fn handle(request: IncomingRequest, response_out: ResponseOutparam) {
        component_log::install();
        let request = http::read_request(&request);
        let (method, path) = (request.method, request.path.clone());
        let head_only = method == Method::Head;
        let response = handle(request, &wrpc_catalog::WrpcCatalog);
        tracing::info!(?method, %path, status = response.status, "request handled");
        http::respond(response_out, response, head_only);
    }
}
