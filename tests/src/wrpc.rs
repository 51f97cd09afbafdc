//! Calling the service components directly over wRPC, as the gateway does, without the
//! gateway: the component-level tests.

use std::sync::Arc;

use anyhow::Context as _;

pub mod bindings {
    wit_bindgen_wrpc::generate!({
        path: "../wit",
        world: "catalog-client",
        with: {
            "movie:catalog/types@0.1.0": catalog_types::wrpc::types,
        },
        generate_all,
    });
}

pub use bindings::movie::catalog::{metadata, rating};
pub use catalog_types::wrpc::types::{Metadata, NewMetadata, ServiceError};

/// A wRPC client whose invocations go to the component `component_id` of lattice `default`.
pub async fn client(component_id: &str) -> anyhow::Result<wrpc_transport_nats::Client> {
    let nats = crate::nats::connect().await?;
    let lattice = std::env::var("LATTICE").unwrap_or_else(|_| "default".to_string());
    wrpc_transport_nats::Client::new(Arc::new(nats), format!("{lattice}.{component_id}"), None)
        .await
        .context("failed to create the wRPC client")
}
