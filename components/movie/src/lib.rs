//! The movie gateway: answers CONTRACT.md's HTTP API behind the lattice's HTTP ingress.
//!
//! A thin adapter:
//! - [`http`]: `wasi:http` in and out;
//! - `movie-api`: the request handling, which parses the input once, at this edge;
//! - [`wrpc_catalog`]: the metadata and rating services over wRPC, through the links
//!   `wadm.yaml` declares;
//! - logs (a degraded `GET /movie`) go to stderr, which the host logs.
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

mod http;
mod wrpc_catalog;

use movie_api::{handle, Method};
use wasi::exports::http::incoming_handler::Guest;
use wasi::http::types::{IncomingRequest, ResponseOutparam};

struct Gateway;

wasi::http::proxy::export!(Gateway);

impl Guest for Gateway {
    fn handle(request: IncomingRequest, response_out: ResponseOutparam) {
        log_to_stderr();
        let request = http::read_request(&request);
        let head_only = request.method == Method::Head;
        let response = handle(request, &wrpc_catalog::WrpcCatalog);
        http::respond(response_out, response, head_only);
    }
}

/// Sends `tracing` events (warnings and worse) to stderr, once per instance.
fn log_to_stderr() {
    static INIT: std::sync::Once = std::sync::Once::new();
    INIT.call_once(|| {
        let subscriber = tracing_subscriber::fmt()
            .with_writer(std::io::stderr)
            .with_ansi(false)
            .without_time()
            .with_max_level(tracing::Level::WARN)
            .finish();
        // Only fails when a subscriber is already set, which is just as good.
        let _ = tracing::subscriber::set_global_default(subscriber);
    });
}
