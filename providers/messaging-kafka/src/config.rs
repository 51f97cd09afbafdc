//! Link configuration, compatible with wasmCloud's own Kafka provider (`hosts`, `topic`,
//! `consumer_group`) plus the keys this provider adds for dead-lettering and retries.

use std::collections::HashMap;
use std::time::Duration;

pub const HOSTS: &str = "hosts";
pub const TOPIC: &str = "topic";
pub const CONSUMER_GROUP: &str = "consumer_group";
pub const DLQ_TOPIC: &str = "dlq_topic";
pub const MAX_ATTEMPTS: &str = "max_attempts";
pub const RETRY_BACKOFF_MS: &str = "retry_backoff_ms";
/// Our addition: how many messages are delivered at once (messages with the same key still go
/// one at a time, in order). `1` delivers strictly one after the other.
pub const MAX_IN_FLIGHT: &str = "max_in_flight";
/// Our addition: the largest message value delivered to the component, in bytes; a larger one
/// is dead-lettered at once, without a delivery (a wRPC call carries it over NATS, whose
/// messages are at most 1 MiB; and a rating event is a few hundred bytes).
pub const MAX_EVENT_BYTES: &str = "max_event_bytes";
/// Our addition, on a component -> provider link: how long a publish waits for the broker's
/// acknowledgement before it answers an error. Keep it below the host's call timeout
/// (`WASMCLOUD_RPC_TIMEOUT_MS`), so that the caller gets the reason and not a timed-out call.
pub const PUBLISH_TIMEOUT_MS: &str = "publish_timeout_ms";

pub const DEFAULT_HOSTS: &str = "127.0.0.1:9092";
const DEFAULT_MAX_ATTEMPTS: u32 = 5;
const DEFAULT_BACKOFF_MS: u64 = 200;
const DEFAULT_MAX_IN_FLIGHT: usize = 64;
const MAX_MAX_IN_FLIGHT: usize = 1024;
/// 64 KiB, as for an HTTP request body (CONTRACT.md).
const DEFAULT_MAX_EVENT_BYTES: usize = 64 * 1024;
/// Half of NATS's default largest message, leaving room for the call's framing.
const MAX_MAX_EVENT_BYTES: usize = 512 * 1024;
const DEFAULT_PUBLISH_TIMEOUT_MS: u64 = 400;

pub use provider_support::ConfigError;
use provider_support::LinkValues;

/// The link's values, trimmed; a blank one is not given.
fn values(config: &HashMap<String, String>) -> LinkValues<'_> {
    LinkValues::new([config]).blank_is_absent()
}

/// The bootstrap servers of a link (`hosts`, comma separated; 127.0.0.1:9092 when absent).
pub fn hosts(config: &HashMap<String, String>) -> Result<String, ConfigError> {
    let raw = values(config).get(HOSTS).unwrap_or(DEFAULT_HOSTS);
    let hosts: Vec<&str> = raw
        .split(',')
        .map(str::trim)
        .filter(|h| !h.is_empty())
        .collect();
    if hosts.is_empty() || hosts.iter().any(|host| !host.contains(':')) {
        return Err(ConfigError::Invalid {
            key: HOSTS,
            problem: format!("{raw:?} is not a comma-separated list of host:port"),
        });
    }
    Ok(hosts.join(","))
}

/// How a component publishes (component -> provider link).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublisherConfig {
    pub hosts: String,
    pub timeout: Duration,
}

impl PublisherConfig {
    pub fn from_link(config: &HashMap<String, String>) -> Result<Self, ConfigError> {
        let timeout =
            values(config).number_or(PUBLISH_TIMEOUT_MS, DEFAULT_PUBLISH_TIMEOUT_MS, 1..=60_000)?;
        Ok(Self {
            hosts: hosts(config)?,
            timeout: Duration::from_millis(timeout),
        })
    }
}

/// How a subscription (provider -> component link) consumes and delivers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubscriptionConfig {
    pub hosts: String,
    pub topics: Vec<String>,
    pub group: String,
    pub dlq_topic: String,
    pub retry: RetryPolicy,
    pub max_in_flight: usize,
    pub max_event_bytes: usize,
}

impl SubscriptionConfig {
    /// `component` names the consumer group when the link does not.
    pub fn from_link(
        config: &HashMap<String, String>,
        component: &str,
    ) -> Result<Self, ConfigError> {
        let hosts = hosts(config)?;
        let values = values(config);
        let topics: Vec<String> = values
            .required(TOPIC)?
            .split(',')
            .map(str::trim)
            .filter(|topic| !topic.is_empty())
            .map(str::to_string)
            .collect();
        if topics.is_empty() {
            return Err(ConfigError::Missing(TOPIC));
        }
        let group = values.get(CONSUMER_GROUP).unwrap_or(component).to_string();
        let dlq_topic = values
            .get(DLQ_TOPIC)
            .map(str::to_string)
            .unwrap_or_else(|| format!("{}.dlq", topics[0]));
        if topics.contains(&dlq_topic) {
            return Err(ConfigError::Invalid {
                key: DLQ_TOPIC,
                problem: "the dead-letter topic must not be one of the consumed topics".into(),
            });
        }
        let max_attempts = values.number_or(MAX_ATTEMPTS, DEFAULT_MAX_ATTEMPTS, 1..=100)?;
        let base_backoff = Duration::from_millis(values.number_or(
            RETRY_BACKOFF_MS,
            DEFAULT_BACKOFF_MS,
            0..=60_000,
        )?);
        let max_in_flight =
            values.number_or(MAX_IN_FLIGHT, DEFAULT_MAX_IN_FLIGHT, 1..=MAX_MAX_IN_FLIGHT)?;
        let max_event_bytes = values.number_or(
            MAX_EVENT_BYTES,
            DEFAULT_MAX_EVENT_BYTES,
            1..=MAX_MAX_EVENT_BYTES,
        )?;
        Ok(Self {
            hosts,
            topics,
            group,
            dlq_topic,
            max_in_flight,
            max_event_bytes,
            retry: RetryPolicy {
                max_attempts,
                base_backoff,
            },
        })
    }
}

/// Retries of a failed delivery: exponential backoff from `base_backoff`, at most
/// `max_attempts` tries before the message is dead-lettered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    pub max_attempts: u32,
    pub base_backoff: Duration,
}

/// Longest wait between two tries: a delivery waiting for its database or its component to come
/// back resumes within this of its return.
pub const MAX_BACKOFF: Duration = Duration::from_secs(2);

impl RetryPolicy {
    /// The wait after failed try number `attempt` (1-based).
    pub fn backoff(&self, attempt: u32) -> Duration {
        let factor = 2u32.saturating_pow(attempt.saturating_sub(1).min(16));
        self.base_backoff.saturating_mul(factor).min(MAX_BACKOFF)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use provider_support::link_config as map;

    #[test]
    fn a_publisher_waits_for_the_broker_as_long_as_its_link_says() {
        let config = PublisherConfig::from_link(&map(&[])).expect("defaults");
        assert_eq!(config.hosts, DEFAULT_HOSTS);
        assert_eq!(config.timeout, Duration::from_millis(400));
        let config =
            PublisherConfig::from_link(&map(&[(PUBLISH_TIMEOUT_MS, "250")])).expect("valid");
        assert_eq!(config.timeout, Duration::from_millis(250));
        assert!(PublisherConfig::from_link(&map(&[(PUBLISH_TIMEOUT_MS, "0")])).is_err());
        assert!(PublisherConfig::from_link(&map(&[(PUBLISH_TIMEOUT_MS, "soon")])).is_err());
    }

    #[test]
    fn defaults_follow_the_topic_and_component() {
        let config = SubscriptionConfig::from_link(&map(&[(TOPIC, "ratings")]), "rating-service")
            .expect("valid");
        assert_eq!(config.hosts, DEFAULT_HOSTS);
        assert_eq!(config.topics, ["ratings"]);
        assert_eq!(config.group, "rating-service");
        assert_eq!(config.dlq_topic, "ratings.dlq");
        assert_eq!(config.retry.max_attempts, 5);
        assert_eq!(config.max_in_flight, DEFAULT_MAX_IN_FLIGHT);
        assert_eq!(config.max_event_bytes, 65_536);
    }

    #[test]
    fn official_keys_are_honoured() {
        let config = SubscriptionConfig::from_link(
            &map(&[
                (HOSTS, "a:1, b:2"),
                (TOPIC, "x,y"),
                (CONSUMER_GROUP, "rating"),
                (DLQ_TOPIC, "dead"),
            ]),
            "c",
        )
        .expect("valid");
        assert_eq!(config.hosts, "a:1,b:2");
        assert_eq!(config.topics, ["x", "y"]);
        assert_eq!(config.group, "rating");
        assert_eq!(config.dlq_topic, "dead");
    }

    #[test]
    fn bad_configs_name_the_key() {
        for (pairs, key) in [
            (vec![], TOPIC),
            (vec![(TOPIC, "t"), (HOSTS, "nohostport")], HOSTS),
            (vec![(TOPIC, "t"), (MAX_ATTEMPTS, "0")], MAX_ATTEMPTS),
            (
                vec![(TOPIC, "t"), (MAX_EVENT_BYTES, "1048576")],
                MAX_EVENT_BYTES,
            ),
            (
                vec![(TOPIC, "t"), (RETRY_BACKOFF_MS, "soon")],
                RETRY_BACKOFF_MS,
            ),
            (vec![(TOPIC, "t"), (DLQ_TOPIC, "t")], DLQ_TOPIC),
            (vec![(TOPIC, "t"), (MAX_IN_FLIGHT, "0")], MAX_IN_FLIGHT),
            (vec![(TOPIC, "t"), (MAX_IN_FLIGHT, "5000")], MAX_IN_FLIGHT),
        ] {
            let err = SubscriptionConfig::from_link(&map(&pairs), "c").expect_err(key);
            assert!(err.to_string().contains(key), "{err}");
        }
    }

    #[test]
    fn backoff_doubles_up_to_a_ceiling() {
        let policy = RetryPolicy {
            max_attempts: 5,
            base_backoff: Duration::from_millis(100),
        };
        assert_eq!(policy.backoff(1), Duration::from_millis(100));
        assert_eq!(policy.backoff(2), Duration::from_millis(200));
        assert_eq!(policy.backoff(4), Duration::from_millis(800));
        assert_eq!(policy.backoff(40), MAX_BACKOFF);
    }
}
