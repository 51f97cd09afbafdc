//! What an operator of this provider watches: consumer lag per partition, deliveries by
//! outcome, retries, dead-letters and the messages in flight.
//!
//! Lag comes from librdkafka's own statistics (every [`STATISTICS_INTERVAL_MS`]), through the
//! consumer's [`LagContext`]: the partition's high watermark minus the offset stored for
//! commit, so a message counts as lag until it is handled or dead-lettered.

use metrics_endpoint::prometheus::{IntCounterVec, IntGaugeVec, Opts, Registry};
use metrics_endpoint::register;
use rdkafka::statistics::Statistics;
use rdkafka::ClientContext;

/// How often librdkafka reports its statistics (and so how fresh the lag is).
pub const STATISTICS_INTERVAL_MS: &str = "5000";

/// The provider's metrics, registered on one registry; clones share it.
#[derive(Clone)]
pub struct KafkaMetrics {
    pub registry: Registry,
    deliveries: IntCounterVec,
    retries: IntCounterVec,
    dead_letters: IntCounterVec,
    in_flight: IntGaugeVec,
    lag: IntGaugeVec,
}

/// How a delivery ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ended {
    Handled,
    DeadLettered,
    /// The subscription stopped first; the message is delivered again later.
    Abandoned,
}

impl Ended {
    fn label(self) -> &'static str {
        match self {
            Ended::Handled => "handled",
            Ended::DeadLettered => "dead_lettered",
            Ended::Abandoned => "abandoned",
        }
    }
}

impl Default for KafkaMetrics {
    fn default() -> Self {
        Self::new()
    }
}

impl KafkaMetrics {
    pub fn new() -> Self {
        let registry = Registry::new();
        let counter = |name: &str, help: &str, labels: &[&str]| {
            register(&registry, IntCounterVec::new(Opts::new(name, help), labels))
        };
        let gauge = |name: &str, help: &str, labels: &[&str]| {
            register(&registry, IntGaugeVec::new(Opts::new(name, help), labels))
        };
        Self {
            deliveries: counter(
                "kafka_provider_deliveries_total",
                "Messages whose delivery ended, by outcome (handled, dead_lettered, abandoned)",
                &["component", "topic", "outcome"],
            ),
            retries: counter(
                "kafka_provider_delivery_retries_total",
                "Delivery attempts after the first",
                &["component", "topic"],
            ),
            dead_letters: counter(
                "kafka_provider_dead_letters_total",
                "Messages set aside on the dead-letter topic",
                &["component", "topic", "dlq_topic"],
            ),
            in_flight: gauge(
                "kafka_provider_in_flight_messages",
                "Messages fetched and not yet handled or dead-lettered",
                &["component"],
            ),
            lag: gauge(
                "kafka_provider_consumer_lag",
                "Messages of a partition not yet settled: high watermark minus the stored offset",
                &["component", "group", "topic", "partition"],
            ),
            registry,
        }
    }

    /// Creates a subscription's series at zero, so that the first retry or dead-letter is an
    /// increase Prometheus can see (a counter that appears at 1 has not increased).
    pub fn subscription_started(&self, component: &str, topics: &[String], dlq_topic: &str) {
        self.in_flight.with_label_values(&[component]);
        for topic in topics {
            self.retries.with_label_values(&[component, topic]);
            self.dead_letters
                .with_label_values(&[component, topic, dlq_topic]);
            for ended in [Ended::Handled, Ended::DeadLettered, Ended::Abandoned] {
                self.deliveries
                    .with_label_values(&[component, topic, ended.label()]);
            }
        }
    }

    pub fn delivery_started(&self, component: &str) {
        self.in_flight.with_label_values(&[component]).inc();
    }

    pub fn retried(&self, component: &str, topic: &str) {
        self.retries.with_label_values(&[component, topic]).inc();
    }

    pub fn dead_lettered(&self, component: &str, topic: &str, dlq_topic: &str) {
        self.dead_letters
            .with_label_values(&[component, topic, dlq_topic])
            .inc();
    }

    /// Messages of `topic` delivered to `component` and handled, since the provider started.
    pub fn handled(&self, component: &str, topic: &str) -> u64 {
        self.deliveries
            .with_label_values(&[component, topic, Ended::Handled.label()])
            .get()
    }

    pub fn delivery_ended(&self, component: &str, topic: &str, ended: Ended) {
        self.in_flight.with_label_values(&[component]).dec();
        self.deliveries
            .with_label_values(&[component, topic, ended.label()])
            .inc();
    }

    /// Takes the lag of every partition the statistics report (partitions without a known
    /// lag, and librdkafka's internal partition -1, are left out).
    pub fn record_lag(&self, component: &str, group: &str, statistics: &Statistics) {
        for (topic, topic_statistics) in &statistics.topics {
            for (partition, partition_statistics) in &topic_statistics.partitions {
                // Against the offset stored for commit; before this member has stored one for
                // the partition, against the group's committed offset.
                let lag = [
                    partition_statistics.consumer_lag_stored,
                    partition_statistics.consumer_lag,
                ]
                .into_iter()
                .find(|lag| *lag >= 0);
                let (true, Some(lag)) = (*partition >= 0, lag) else {
                    continue;
                };
                self.lag
                    .with_label_values(&[component, group, topic, &partition.to_string()])
                    .set(lag);
            }
        }
    }
}

/// Hands librdkafka's statistics to the metrics (part of the consumer's context).
pub struct LagContext {
    pub metrics: KafkaMetrics,
    pub component: String,
    pub group: String,
}

impl ClientContext for LagContext {
    fn stats(&self, statistics: Statistics) {
        self.metrics
            .record_lag(&self.component, &self.group, &statistics);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn exposition(metrics: &KafkaMetrics) -> String {
        metrics_endpoint::render(&metrics.registry).expect("text exposition")
    }

    #[test]
    fn a_subscriptions_counters_start_at_zero() {
        let metrics = KafkaMetrics::new();
        metrics.subscription_started("rating", &["ratings".to_string()], "ratings.dlq");
        let text = exposition(&metrics);
        assert!(text.contains(
            "kafka_provider_dead_letters_total{component=\"rating\",dlq_topic=\"ratings.dlq\",topic=\"ratings\"} 0"
        ), "{text}");
        assert!(
            text.contains(
                "kafka_provider_delivery_retries_total{component=\"rating\",topic=\"ratings\"} 0"
            ),
            "{text}"
        );
    }

    #[test]
    fn deliveries_are_counted_by_outcome_and_in_flight_goes_back_down() {
        let metrics = KafkaMetrics::new();
        metrics.delivery_started("rating");
        metrics.delivery_started("rating");
        metrics.retried("rating", "ratings");
        metrics.dead_lettered("rating", "ratings", "ratings.dlq");
        metrics.delivery_ended("rating", "ratings", Ended::DeadLettered);
        let text = exposition(&metrics);
        assert!(
            text.contains("kafka_provider_in_flight_messages{component=\"rating\"} 1"),
            "{text}"
        );
        assert!(text.contains(
            "kafka_provider_deliveries_total{component=\"rating\",outcome=\"dead_lettered\",topic=\"ratings\"} 1"
        ), "{text}");
        assert!(text.contains(
            "kafka_provider_dead_letters_total{component=\"rating\",dlq_topic=\"ratings.dlq\",topic=\"ratings\"} 1"
        ), "{text}");
        assert!(
            text.contains(
                "kafka_provider_delivery_retries_total{component=\"rating\",topic=\"ratings\"} 1"
            ),
            "{text}"
        );
        assert_eq!(metrics.handled("rating", "ratings"), 0);
        metrics.delivery_started("rating");
        metrics.delivery_ended("rating", "ratings", Ended::Handled);
        assert_eq!(metrics.handled("rating", "ratings"), 1);
    }

    #[test]
    fn lag_is_taken_per_partition_from_librdkafkas_statistics() {
        use rdkafka::statistics::{Partition, Topic};
        let partition = |stored, committed| Partition {
            consumer_lag_stored: stored,
            consumer_lag: committed,
            ..Partition::default()
        };
        let mut topic = Topic::default();
        topic.partitions.insert(0, partition(7, 9));
        topic.partitions.insert(1, partition(-1, -1));
        topic.partitions.insert(2, partition(-1, 4));
        topic.partitions.insert(-1, partition(3, 3));
        let mut statistics = Statistics::default();
        statistics.topics.insert("ratings".into(), topic);
        let metrics = KafkaMetrics::new();
        metrics.record_lag("rating", "rating", &statistics);
        let text = exposition(&metrics);
        assert!(text.contains(
            "kafka_provider_consumer_lag{component=\"rating\",group=\"rating\",partition=\"0\",topic=\"ratings\"} 7"
        ), "{text}");
        assert!(text.contains(
            "kafka_provider_consumer_lag{component=\"rating\",group=\"rating\",partition=\"2\",topic=\"ratings\"} 4"
        ), "nothing stored yet: the committed offset: {text}");
        assert!(!text.contains("partition=\"-1\""), "{text}");
        assert!(
            !text.contains("partition=\"1\""),
            "unknown lag is left out: {text}"
        );
    }
}
