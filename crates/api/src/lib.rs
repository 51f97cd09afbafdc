//! The HTTP API of the movie gateway (CONTRACT.md), free of any transport.
//!
//! The gateway component turns a `wasi:http` request into [`Method`] + path, asks [`route`]
//! which [`Endpoint`] it names, runs it, and turns the resulting [`Response`] back into
//! `wasi:http`. Everything here is plain Rust, tested natively.

#![forbid(unsafe_code)]

mod error;
mod gateway;
mod health;
mod openapi;
mod query;
mod response;
mod routes;

pub use error::ApiError;
pub use gateway::{handle, Catalog, Request, ServiceFailure, MAX_BODY_BYTES};
pub use health::HealthReport;
pub use movie_domain::RatingTarget;
pub use openapi::OPENAPI_JSON;
pub use query::{encode_component, Query};
pub use response::{Response, JSON_CONTENT_TYPE};
pub use routes::{operations, route, Endpoint, Method};
