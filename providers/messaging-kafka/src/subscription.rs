//! One subscription: a consumer-group member that delivers each message of its topics to the
//! linked component, at least once, in order per partition.
//!
//! An offset is stored for commit only after the message was handled or dead-lettered;
//! librdkafka commits stored offsets periodically and the stop path commits them
//! synchronously before leaving the group.

use std::time::Duration;

use anyhow::Context as _;
use bytes::Bytes;
use rdkafka::consumer::{CommitMode, Consumer, StreamConsumer};
use rdkafka::message::{BorrowedMessage, Header, Headers, OwnedHeaders};
use rdkafka::producer::{FutureProducer, FutureRecord};
use rdkafka::{ClientConfig, Message};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use tracing::{debug, error, info, warn};
use wasmcloud_provider_sdk::get_connection;

use crate::bindings::wasmcloud::messaging::handler::handle_message;
use crate::bindings::wasmcloud::messaging::types::BrokerMessage;
use crate::config::SubscriptionConfig;
use crate::delivery::{next_step, Attempt, Next};

/// Longest a single `handle-message` call may take.
const HANDLER_TIMEOUT: Duration = Duration::from_secs(30);

/// A running subscription; [`Subscription::stop`] ends it gracefully.
pub struct Subscription {
    cancel: CancellationToken,
    task: JoinHandle<()>,
}

impl Subscription {
    /// Joins the consumer group and starts delivering to `component`.
    pub fn start(component: &str, config: SubscriptionConfig) -> anyhow::Result<Self> {
        let consumer: StreamConsumer = ClientConfig::new()
            .set("bootstrap.servers", &config.hosts)
            .set("group.id", &config.group)
            .set("client.id", format!("movie-lattice-{component}"))
            .set("enable.auto.commit", "true")
            .set("enable.auto.offset.store", "false")
            .set("auto.commit.interval.ms", "1000")
            .set("auto.offset.reset", "earliest")
            .set("session.timeout.ms", "10000")
            .set("heartbeat.interval.ms", "1000")
            .create()
            .context("failed to create the Kafka consumer")?;
        let topics: Vec<&str> = config.topics.iter().map(String::as_str).collect();
        consumer
            .subscribe(&topics)
            .with_context(|| format!("failed to subscribe to {topics:?}"))?;
        let producer: FutureProducer = ClientConfig::new()
            .set("bootstrap.servers", &config.hosts)
            .set("client.id", format!("movie-lattice-{component}-dlq"))
            .set("acks", "all")
            .set("message.timeout.ms", "30000")
            .create()
            .context("failed to create the dead-letter producer")?;
        let cancel = CancellationToken::new();
        info!(%component, topics = ?config.topics, group = %config.group, dlq = %config.dlq_topic, "subscription started");
        let task = tokio::spawn(run(
            component.to_string(),
            config,
            consumer,
            producer,
            cancel.clone(),
        ));
        Ok(Self { cancel, task })
    }

    /// Stops fetching, lets the in-flight delivery finish, commits and leaves the group.
    pub async fn stop(self) {
        self.cancel.cancel();
        if let Err(err) = self.task.await {
            error!(error = %err, "subscription task failed");
        }
    }
}

async fn run(
    component: String,
    config: SubscriptionConfig,
    consumer: StreamConsumer,
    producer: FutureProducer,
    cancel: CancellationToken,
) {
    let wrpc = loop {
        match get_connection()
            .get_wrpc_client_custom(&component, Some(HANDLER_TIMEOUT))
            .await
        {
            Ok(client) => break client,
            Err(err) => {
                warn!(%component, error = %err, "no wRPC client yet; retrying");
                tokio::select! {
                    _ = cancel.cancelled() => return,
                    _ = tokio::time::sleep(Duration::from_secs(1)) => {}
                }
            }
        }
    };
    loop {
        let message = tokio::select! {
            biased;
            _ = cancel.cancelled() => break,
            message = consumer.recv() => message,
        };
        let message = match message {
            Ok(message) => message,
            Err(err) => {
                warn!(%component, error = %err, "Kafka consume error");
                continue;
            }
        };
        let settled = deliver(&component, &config, &wrpc, &producer, &message, &cancel).await;
        if !settled {
            // Stopped before the message was handled: leave its offset uncommitted, so the
            // next member of the group gets it again.
            break;
        }
        if let Err(err) = consumer.store_offset_from_message(&message) {
            error!(%component, error = %err, "failed to store the offset");
        }
    }
    // Graceful stop: commit what was handled, then leave the group (on drop).
    match consumer.commit_consumer_state(CommitMode::Sync) {
        Ok(()) => info!(%component, "offsets committed"),
        Err(rdkafka::error::KafkaError::ConsumerCommit(
            rdkafka::types::RDKafkaErrorCode::NoOffset,
        )) => {}
        Err(err) => warn!(%component, error = %err, "final commit failed"),
    }
    consumer.unsubscribe();
    info!(%component, "subscription stopped");
}

/// Delivers one message until it is handled or dead-lettered (`true`), or the subscription
/// is stopped first (`false`).
async fn deliver(
    component: &str,
    config: &SubscriptionConfig,
    wrpc: &wasmcloud_provider_sdk::provider::WrpcClient,
    producer: &FutureProducer,
    message: &BorrowedMessage<'_>,
    cancel: &CancellationToken,
) -> bool {
    let broker_message = BrokerMessage {
        subject: message.topic().to_string(),
        body: Bytes::copy_from_slice(message.payload().unwrap_or_default()),
        reply_to: None,
    };
    let mut attempt = 1;
    loop {
        let outcome = Attempt::from_call(handle_message(wrpc, None, &broker_message).await);
        match next_step(&config.retry, attempt, outcome.clone()) {
            Next::Commit => return true,
            Next::DeadLetter(reason) => {
                return dead_letter(component, config, producer, message, &reason, cancel).await
            }
            Next::Retry(wait) => {
                debug!(%component, offset = message.offset(), attempt, ?outcome, "delivery failed; retrying");
                if attempt % 10 == 0 {
                    warn!(%component, offset = message.offset(), attempt, ?outcome, "still cannot deliver");
                }
                tokio::select! {
                    _ = cancel.cancelled() => return false,
                    _ = tokio::time::sleep(wait) => {}
                }
                attempt += 1;
            }
        }
    }
}

/// Copies the message unchanged to the dead-letter topic with an `error` header (and where it
/// came from); retries until the broker accepts it or the subscription stops.
async fn dead_letter(
    component: &str,
    config: &SubscriptionConfig,
    producer: &FutureProducer,
    message: &BorrowedMessage<'_>,
    reason: &str,
    cancel: &CancellationToken,
) -> bool {
    let mut headers = OwnedHeaders::new();
    if let Some(original) = message.headers() {
        for header in original.iter() {
            headers = headers.insert(Header {
                key: header.key,
                value: header.value,
            });
        }
    }
    let partition = message.partition().to_string();
    let offset = message.offset().to_string();
    headers = headers
        .insert(Header {
            key: "error",
            value: Some(reason),
        })
        .insert(Header {
            key: "original-topic",
            value: Some(message.topic()),
        })
        .insert(Header {
            key: "original-partition",
            value: Some(&partition),
        })
        .insert(Header {
            key: "original-offset",
            value: Some(&offset),
        });
    loop {
        let mut record: FutureRecord<'_, [u8], [u8]> =
            FutureRecord::to(&config.dlq_topic).headers(headers.clone());
        if let Some(payload) = message.payload() {
            record = record.payload(payload);
        }
        if let Some(key) = message.key() {
            record = record.key(key);
        }
        match producer.send(record, Duration::from_secs(10)).await {
            Ok(_) => {
                warn!(%component, topic = message.topic(), %partition, %offset, %reason, dlq = %config.dlq_topic, "message dead-lettered");
                return true;
            }
            Err((err, _)) => {
                error!(%component, error = %err, "failed to dead-letter; retrying");
                tokio::select! {
                    _ = cancel.cancelled() => return false,
                    _ = tokio::time::sleep(Duration::from_secs(1)) => {}
                }
            }
        }
    }
}
