//! The settings of every Kafka producer in movie-lattice — the ingester's, the Kafka
//! provider's publisher and its dead-letter producer — so that they all promise the same:
//! a record counts as sent only once every in-sync replica has it, and a send that cannot
//! complete fails within [`DELIVERY_TIMEOUT_MS`] instead of hanging, and records up to
//! [`MAX_MESSAGE_BYTES`] can be sent.

#![forbid(unsafe_code)]

use rdkafka::ClientConfig;

/// How long a produced record may wait for its acknowledgement before the send fails.
pub const DELIVERY_TIMEOUT_MS: u32 = 30_000;

/// The largest record a producer sends (librdkafka's default is 1,000,000 bytes): a dead
/// letter copies a consumed value unchanged, and a consumer may receive a 1 MiB value.
pub const MAX_MESSAGE_BYTES: u32 = 16 * 1024 * 1024;

/// A producer configuration for `brokers` (comma-separated `host:port`), named `client_id`
/// in the broker's logs: `acks=all`, a bounded delivery time. Callers add their own tuning
/// (e.g. `linger.ms`) before `create()`.
pub fn producer(brokers: &str, client_id: &str) -> ClientConfig {
    let mut config = ClientConfig::new();
    config
        .set("bootstrap.servers", brokers)
        .set("client.id", client_id)
        .set("acks", "all")
        .set("message.timeout.ms", DELIVERY_TIMEOUT_MS.to_string())
        .set("message.max.bytes", MAX_MESSAGE_BYTES.to_string());
    config
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_producer_waits_for_all_replicas_and_a_bounded_time() {
        let config = producer("127.0.0.1:9092", "movie-test");
        assert_eq!(config.get("bootstrap.servers"), Some("127.0.0.1:9092"));
        assert_eq!(config.get("client.id"), Some("movie-test"));
        assert_eq!(config.get("acks"), Some("all"));
        assert_eq!(config.get("message.timeout.ms"), Some("30000"));
        assert_eq!(config.get("message.max.bytes"), Some("16777216"));
    }
}
