//! The HTTP API of the movie gateway (CONTRACT.md), free of any transport.
//!
//! The gateway component turns a `wasi:http` request into a [`Request`], calls [`handle`]
//! with its wRPC [`Catalog`], and turns the [`Response`] back into `wasi:http`. Everything
//! here is plain Rust, tested natively against an in-memory catalog.
//!
//! # Layout
//! - `request`: [`Request`], [`Method`], the body limit and reading a JSON body.
//! - `routes`: which [`Endpoint`] a method and path name; 404 and 405 (with `Allow`).
//! - `endpoints`: [`handle`], and one module per resource — `movie`, `metadata`, `rating`,
//!   `health`, `openapi` (the document and the index). Each parses its input into the
//!   domain's types, calls the catalog, and shapes the answer; request bodies keep their wire
//!   types and `TryFrom` next to the endpoint that reads them.
//! - `catalog`: the [`Catalog`] port, one method per service call.
//! - `query`: query-string parameters; `response`: [`Response`]; `error`: [`ApiError`], each
//!   with its status and JSON body, and how service and validation failures map onto it.

#![forbid(unsafe_code)]

mod catalog;
mod endpoints;
mod error;
mod query;
mod request;
mod response;
mod routes;

pub use catalog::Catalog;
pub use endpoints::handle;
pub use endpoints::health::HealthReport;
pub use endpoints::openapi::OPENAPI_JSON;
pub use error::ApiError;
pub use query::{encode_component, Query};
pub use request::{Method, Request, MAX_BODY_BYTES};
pub use response::{Response, JSON_CONTENT_TYPE};
pub use routes::{operations, route, Endpoint};
