//! `movie:catalog/types` — the records and the error the services exchange over wRPC — bound
//! once, and the only conversions between those records and the domain.
//!
//! Every party binds these types through wit-bindgen's `with:`, so there is one Rust type per
//! WIT type in the whole system: the metadata and rating services (which export
//! `movie:catalog`), the gateway (which imports it) and, with the `wrpc` feature, the native
//! test client.
//!
//! # Layout
//! - [`types`]: the generated records ([`Metadata`], [`NewMetadata`], [`Aggregate`]) and
//!   [`ServiceError`]. They serialise to the contract's JSON, so the gateway answers with what
//!   a service stored without parsing it again.
//! - `convert`: the trust boundary. A service parses what it is sent with `TryFrom` into the
//!   domain's validated types (any linked component may call it); what it hands back is built
//!   with `From` from domain types it already holds.
//! - `error`: validation and database failures as [`ServiceError`].
//! - [`wrpc`] (feature `wrpc`): the same records bound for a native wRPC client.

#![forbid(unsafe_code)]

#[allow(clippy::all)]
mod bindings {
    wit_bindgen::generate!({
        path: "../../wit",
        world: "catalog-types",
        additional_derives: [PartialEq, serde::Serialize],
        generate_all,
    });
}

mod convert;
mod error;

pub use bindings::movie::catalog::types;
pub use types::{Aggregate, Metadata, NewMetadata, ServiceError};

/// The records of `movie:catalog/types` for a native client that calls the services over
/// wRPC (bound by `wit-bindgen-wrpc`; same fields, same meaning).
#[cfg(feature = "wrpc")]
pub mod wrpc {
    #[allow(clippy::all)]
    mod bindings {
        wit_bindgen_wrpc::generate!({
            path: "../../wit",
            world: "catalog-types",
            generate_all,
        });
    }

    pub use bindings::movie::catalog::types;
}
