//! A wasmCloud capability provider for `wasmcloud:messaging@0.2.0` on Kafka.
//!
//! * provider -> component links (the component exports `handler`): a consumer-group member
//!   per link delivers each message of the link's topics to `handle-message`, at least once.
//! * component -> provider links (the component imports `consumer`): `publish` produces to
//!   the topic named by the message's subject.
//!
//! Only standard Kafka protocol features are used (consumer groups, committed offsets,
//! headers), so it works against Apache Kafka as well as Kafka-compatible brokers.
//!
//! Each delivery is traced as a child of the producer's span (the `traceparent` header of the
//! Kafka message) and passes its context on to the component.
//!
//! # Layout
//! - [`serve`]: the provider on the lattice — link lifecycle and the exported interface,
//!   each handed to the state.
//! - [`provider`]: [`KafkaProvider`], the state (subscriptions, producers) and its
//!   operations.
//! - [`config`]: a link's configuration, parsed and checked.
//! - [`subscription`]: one consumer-group member delivering to one component.
//! - [`delivery`]: what to do after one delivery attempt (retry, dead-letter, commit).
//! - [`progress`]: per-key order and which offsets may be committed.
//! - [`ledger`]: each partition's running deliveries and settled offset, shared with the
//!   rebalance callback.
//! - [`member`]: the consumer's context: lag, and settling partitions before a rebalance
//!   takes them.
//! - [`metrics`]: lag, deliveries, retries, dead-letters and in-flight messages for the
//!   Prometheus endpoint.
//! - [`bindings`]: the WIT bindings.

pub mod bindings;
pub mod config;
pub mod delivery;
pub mod ledger;
pub mod member;
pub mod metrics;
pub mod progress;
pub mod provider;
pub mod serve;
pub mod subscription;

pub use provider::KafkaProvider;
