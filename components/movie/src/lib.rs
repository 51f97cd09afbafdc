//! The movie gateway: answers CONTRACT.md's HTTP API behind the lattice's HTTP ingress.
//!
//! A thin adapter: `wasi:http` in and out ([`http`]), request handling from `movie-api`, and
//! the services reached over wRPC through the links `wadm.yaml` declares ([`services`]).

mod bindings {
    // The fallible view of movie:catalog (wit/gateway): every call returns
    // `Result<service result, rpc error>` instead of trapping when the service is unreachable.
    wit_bindgen::generate!({
        path: "../../wit/gateway",
        world: "gateway",
        generate_all,
    });
}

mod http;
mod services;

use movie_api::{handle, Method};
use wasi::exports::http::incoming_handler::Guest;
use wasi::http::types::{IncomingRequest, ResponseOutparam};

struct Gateway;

wasi::http::proxy::export!(Gateway);

impl Guest for Gateway {
    fn handle(request: IncomingRequest, response_out: ResponseOutparam) {
        let request = http::read_request(&request);
        let head_only = request.method == Method::Head;
        let response = handle(request, &services::Services);
        http::respond(response_out, response, head_only);
    }
}
