//! A wasmCloud capability provider for `wasmcloud:messaging@0.2.0` on Kafka.
//!
//! * provider -> component links (the component exports `handler`): a consumer-group member
//!   per link delivers each message of the link's topics to `handle-message`, at least once
//!   (see [`subscription`] and [`delivery`]).
//! * component -> provider links (the component imports `consumer`): `publish` produces to
//!   the topic named by the message's subject.
//!
//! Only standard Kafka protocol features are used (consumer groups, committed offsets,
//! headers), so it works against Apache Kafka as well as Kafka-compatible brokers.

pub mod config;
pub mod delivery;
pub mod progress;
pub mod serve;
pub mod subscription;

pub mod bindings {
    wit_bindgen_wrpc::generate!({
        path: "../../wit",
        world: "messaging-kafka-provider",
        generate_all,
    });
}
