//! One subscription: a consumer-group member that delivers each message of its topics to the
//! linked component, at least once.
//!
//! Up to `max_in_flight` messages are delivered at once; messages with the same key (in the
//! same partition) go one after the other in offset order, and so do a partition's messages
//! without a key (see [`crate::progress`]). A partition's offset is stored for commit only
//! through the oldest message not yet handled or dead-lettered; librdkafka commits stored
//! offsets periodically. Before a partition moves to another member (a rebalance), and before
//! the member leaves the group (the stop path), what was handled is committed synchronously
//! (see [`crate::ledger`] and [`crate::member`]), so the next owner handles nothing twice.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use bytes::Bytes;
use futures::future::{BoxFuture, FutureExt as _, Shared};
use futures::stream::{FuturesUnordered, StreamExt as _};
use rdkafka::consumer::{CommitMode, Consumer, StreamConsumer};
use rdkafka::error::KafkaError;
use rdkafka::message::{Header, Headers, OwnedHeaders, OwnedMessage};
use rdkafka::producer::{FutureProducer, FutureRecord};
use rdkafka::types::RDKafkaErrorCode;
use rdkafka::{ClientConfig, Message};
use tokio::sync::oneshot;
use tokio::task::{JoinError, JoinHandle};
use tokio_util::sync::CancellationToken;
use tracing::{debug, error, field, info, info_span, warn, Instrument as _, Span};
use wasmcloud_provider_sdk::get_connection;

use crate::bindings::wasmcloud::messaging::handler::handle_message;
use crate::bindings::wasmcloud::messaging::types::BrokerMessage;
use crate::config::{SubscriptionConfig, MAX_EVENT_BYTES};
use crate::delivery::{next_step, Attempt, Next};
use crate::ledger::{Ledger, Ticket};
use crate::member::MemberContext;
use crate::metrics::{Ended, KafkaMetrics, LagContext, STATISTICS_INTERVAL_MS};
use crate::progress::ChainKey;

/// Longest a single `handle-message` call may take. The rating component makes one database
/// call, which its host cuts at the lattice's call bound (500 ms), so a healthy handler answers
/// well within this; a call that went to an instance that died mid-call is retried after it.
/// A stop waits at most this long for the deliveries in flight.
pub(crate) const HANDLER_TIMEOUT: Duration = Duration::from_secs(3);

/// The group member's consumer, whose context reports lag to the metrics and settles
/// partitions before a rebalance takes them.
type GroupConsumer = StreamConsumer<MemberContext>;

/// A running subscription; [`Subscription::stop`] ends it gracefully.
pub struct Subscription {
    cancel: CancellationToken,
    task: JoinHandle<()>,
}

impl Subscription {
    /// Joins the consumer group and starts delivering to `component`.
    pub fn start(
        component: &str,
        config: SubscriptionConfig,
        metrics: KafkaMetrics,
    ) -> anyhow::Result<Self> {
        let cancel = CancellationToken::new();
        let ledger = Arc::new(Ledger::new(cancel.clone()));
        let context = MemberContext {
            lag: LagContext {
                metrics: metrics.clone(),
                component: component.to_string(),
                group: config.group.clone(),
            },
            ledger: Arc::clone(&ledger),
        };
        let consumer: GroupConsumer = ClientConfig::new()
            .set("bootstrap.servers", &config.hosts)
            .set("group.id", &config.group)
            .set("client.id", format!("movie-lattice-{component}"))
            .set("enable.auto.commit", "true")
            .set("enable.auto.offset.store", "false")
            .set("auto.commit.interval.ms", "1000")
            .set("auto.offset.reset", "earliest")
            // A member that dies (kill -9, its machine gone) holds its partitions until the
            // session times out: 6 s, the broker's usual minimum, then they move.
            .set("session.timeout.ms", "6000")
            .set("heartbeat.interval.ms", "1000")
            .set("statistics.interval.ms", STATISTICS_INTERVAL_MS)
            .create_with_context(context)
            .context("failed to create the Kafka consumer")?;
        let topics: Vec<&str> = config.topics.iter().map(String::as_str).collect();
        consumer
            .subscribe(&topics)
            .with_context(|| format!("failed to subscribe to {topics:?}"))?;
        let producer: FutureProducer =
            kafka_settings::producer(&config.hosts, &format!("movie-lattice-{component}-dlq"))
                .create()
                .context("failed to create the dead-letter producer")?;
        metrics.subscription_started(component, &config.topics, &config.dlq_topic);
        info!(%component, topics = ?config.topics, group = %config.group, dlq = %config.dlq_topic, "subscription started");
        let task = tokio::spawn(deliver_until_stopped(
            component.to_string(),
            config,
            metrics,
            consumer,
            producer,
            ledger,
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

/// The subscription's task: fetch, deliver (several at once, each key in order), store
/// offsets as messages settle; on cancel, drain, commit and leave the group.
async fn deliver_until_stopped(
    component: String,
    config: SubscriptionConfig,
    metrics: KafkaMetrics,
    consumer: GroupConsumer,
    producer: FutureProducer,
    ledger: Arc<Ledger>,
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
    let mut deliveries = Deliveries::new(ledger);
    loop {
        let message = tokio::select! {
            biased;
            _ = cancel.cancelled() => break,
            Some(done) = deliveries.running.next(), if !deliveries.running.is_empty() => {
                deliveries.finish(&component, &consumer, done);
                continue;
            }
            message = consumer.recv(), if deliveries.running.len() < config.max_in_flight => message,
        };
        match message {
            Ok(message) => {
                let message = message.detach();
                let target = Target {
                    component: &component,
                    config: &config,
                    metrics: &metrics,
                    wrpc: &wrpc,
                    producer: &producer,
                };
                deliveries.start(&target, message);
            }
            Err(err) => warn!(%component, error = %err, "Kafka consume error"),
        }
    }
    // Stopped fetching: let what is in flight finish (what has not started yet gives up).
    while let Some(done) = deliveries.running.next().await {
        deliveries.finish(&component, &consumer, done);
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
    // What this member handled in its life, so that a planned stop can be checked for
    // messages handled twice (the next member starts from the committed offsets).
    for topic in &config.topics {
        info!(%component, %topic, handled_total = metrics.handled(&component, topic), "subscription stopped");
    }
}

/// Whether a delivery settled its message (handled or dead-lettered).
type Settled = Shared<BoxFuture<'static, bool>>;

/// A finished delivery.
struct FinishedDelivery {
    chain: ChainKey,
    sequence: u64,
    ticket: Ticket,
    /// The offset its partition is settled through now, when that moved forward.
    through: Option<i64>,
}

/// The last delivery started for a key, which the next one of that key waits for.
struct ChainTail {
    sequence: u64,
    generation: u64,
    settled: Settled,
}

/// The deliveries of one subscription: running tasks, per-key order, and the ledger of
/// per-partition progress that the rebalance callback shares.
struct Deliveries {
    running: FuturesUnordered<JoinHandle<FinishedDelivery>>,
    chains: HashMap<ChainKey, ChainTail>,
    ledger: Arc<Ledger>,
    sequence: u64,
}

impl Deliveries {
    fn new(ledger: Arc<Ledger>) -> Self {
        Self {
            running: FuturesUnordered::new(),
            chains: HashMap::new(),
            ledger,
            sequence: 0,
        }
    }

    /// Starts delivering `message` in a task of its own, so that deliveries go on while the
    /// consumer's rebalance callback waits for them.
    fn start(&mut self, target: &Target<'_>, message: OwnedMessage) {
        self.sequence += 1;
        let sequence = self.sequence;
        let chain = ChainKey {
            topic: message.topic().to_string(),
            partition: message.partition(),
            key: message.key().map(<[u8]>::to_vec),
        };
        let ticket = self
            .ledger
            .dispatch((chain.topic.clone(), chain.partition), message.offset());
        // A key's previous delivery orders this one only within one ownership of the
        // partition: after a revoke the partition starts over from its committed offset.
        let previous = self
            .chains
            .get(&chain)
            .filter(|tail| tail.generation == ticket.generation)
            .map(|tail| tail.settled.clone());
        let (settled_tx, settled_rx) = oneshot::channel::<bool>();
        let settled: Settled = settled_rx
            .map(|result| result.unwrap_or(false))
            .boxed()
            .shared();
        self.chains.insert(
            chain.clone(),
            ChainTail {
                sequence,
                generation: ticket.generation,
                settled,
            },
        );

        let owned = OwnedTarget::from(target);
        let ledger = Arc::clone(&self.ledger);
        target.metrics.delivery_started(target.component);
        self.running.push(tokio::spawn(async move {
            // Same key: only after the previous message settled, never past one that did not.
            let ready = match previous {
                Some(previous) => previous.await,
                None => true,
            };
            let outcome = if ready && !ticket.cancel.is_cancelled() {
                deliver(&owned.borrow(), &message, &ticket.cancel).await
            } else {
                Ended::Abandoned
            };
            owned
                .metrics
                .delivery_ended(&owned.component, message.topic(), outcome);
            let settled = outcome != Ended::Abandoned;
            // Not settled (stopped or revoked first): its offset stays in flight, so nothing
            // at or after it is committed and the partition's next owner gets it again.
            let through = ledger.end(&ticket, settled);
            let _ = settled_tx.send(settled);
            FinishedDelivery {
                chain,
                sequence,
                ticket,
                through,
            }
        }));
    }

    fn finish(
        &mut self,
        component: &str,
        consumer: &GroupConsumer,
        done: Result<FinishedDelivery, JoinError>,
    ) {
        let done = match done {
            Ok(done) => done,
            Err(err) => {
                // Its offset was never settled, so it holds the commit below it.
                error!(%component, error = %err, "delivery task failed");
                return;
            }
        };
        if self
            .chains
            .get(&done.chain)
            .is_some_and(|tail| tail.sequence == done.sequence)
        {
            self.chains.remove(&done.chain);
        }
        let Some(through) = done.through else {
            return;
        };
        // A revoke in between committed this already, and the partition is not ours now.
        if !self.ledger.is_current(&done.ticket) {
            return;
        }
        let (topic, partition) = &done.ticket.partition;
        if let Err(err) = consumer.store_offset(topic, *partition, through) {
            error!(%component, error = %err, "failed to store the offset");
        }
    }
}

/// Where a subscription delivers, and what it reports to.
struct Target<'a> {
    component: &'a str,
    config: &'a SubscriptionConfig,
    metrics: &'a KafkaMetrics,
    wrpc: &'a wasmcloud_provider_sdk::provider::WrpcClient,
    producer: &'a FutureProducer,
}

/// A [`Target`] a delivery task can own.
struct OwnedTarget {
    component: String,
    config: SubscriptionConfig,
    metrics: KafkaMetrics,
    wrpc: wasmcloud_provider_sdk::provider::WrpcClient,
    producer: FutureProducer,
}

impl From<&Target<'_>> for OwnedTarget {
    fn from(target: &Target<'_>) -> Self {
        Self {
            component: target.component.to_string(),
            config: target.config.clone(),
            metrics: target.metrics.clone(),
            wrpc: target.wrpc.clone(),
            producer: target.producer.clone(),
        }
    }
}

impl OwnedTarget {
    fn borrow(&self) -> Target<'_> {
        Target {
            component: &self.component,
            config: &self.config,
            metrics: &self.metrics,
            wrpc: &self.wrpc,
            producer: &self.producer,
        }
    }
}

/// The span of one message's delivery, continuing the producer's trace (its `traceparent`
/// Kafka header), with the message's coordinates as attributes.
fn delivery_span(target: &Target<'_>, message: &OwnedMessage) -> Span {
    let span = info_span!(
        "kafka delivery",
        otel.name = %format!("{} process", message.topic()),
        otel.kind = "consumer",
        otel.status_code = field::Empty,
        messaging.system = "kafka",
        messaging.operation = "process",
        messaging.destination.name = %message.topic(),
        messaging.kafka.consumer.group = %target.config.group,
        messaging.kafka.destination.partition = message.partition(),
        messaging.kafka.message.offset = message.offset(),
        messaging.delivery.attempts = field::Empty,
        component = %target.component,
    );
    if let Some(headers) = message.headers() {
        let pairs = headers.iter().filter_map(|header| {
            let value = std::str::from_utf8(header.value?).ok()?;
            Some((header.key, value))
        });
        telemetry::propagation::continue_from(&span, pairs);
    }
    span
}

/// The trace context of the current span, as the NATS headers of a wRPC call.
fn trace_headers() -> async_nats::HeaderMap {
    let mut headers = async_nats::HeaderMap::new();
    for (key, value) in telemetry::propagation::headers_of(&Span::current()) {
        headers.insert(key.as_str(), value.as_str());
    }
    headers
}

/// Delivers one message until it is handled or dead-lettered, or the subscription is stopped
/// first ([`Ended::Abandoned`]).
async fn deliver(target: &Target<'_>, message: &OwnedMessage, cancel: &CancellationToken) -> Ended {
    let span = delivery_span(target, message);
    let settled = deliver_in_span(target, message, cancel)
        .instrument(span.clone())
        .await;
    if settled == Ended::DeadLettered {
        span.record("otel.status_code", "ERROR");
    }
    settled
}

async fn deliver_in_span(
    target: &Target<'_>,
    message: &OwnedMessage,
    cancel: &CancellationToken,
) -> Ended {
    let Target {
        component, config, ..
    } = *target;
    let broker_message = BrokerMessage {
        subject: message.topic().to_string(),
        body: Bytes::copy_from_slice(message.payload().unwrap_or_default()),
        reply_to: None,
    };
    let size = broker_message.body.len();
    if size > config.max_event_bytes {
        // Too large to hand over: set aside at once, before any delivery.
        let reason = format!(
            "event is {size} bytes; this subscription delivers at most {} ({MAX_EVENT_BYTES})",
            config.max_event_bytes
        );
        return settle_dead(target, message, &reason, cancel).await;
    }
    let mut attempt = 1;
    loop {
        Span::current().record("messaging.delivery.attempts", i64::from(attempt));
        // The wRPC client's own timeout covers only the start of the call: bound the whole
        // call, or a host that dies mid-call would hold this delivery (and a stop) forever.
        let call = tokio::time::timeout(
            HANDLER_TIMEOUT,
            handle_message(target.wrpc, Some(trace_headers()), &broker_message),
        )
        .await
        .unwrap_or_else(|_| {
            Err(anyhow::anyhow!(
                "no answer from the component within {HANDLER_TIMEOUT:?}"
            ))
        });
        let outcome = Attempt::from_call(call);
        match next_step(&config.retry, attempt, outcome.clone()) {
            Next::Commit => return Ended::Handled,
            Next::DeadLetter(reason) => {
                return settle_dead(target, message, &reason, cancel).await;
            }
            Next::Retry(wait) => {
                debug!(%component, offset = message.offset(), attempt, ?outcome, "delivery failed; retrying");
                if attempt % 10 == 0 {
                    warn!(%component, offset = message.offset(), attempt, ?outcome, "still cannot deliver");
                }
                tokio::select! {
                    _ = cancel.cancelled() => return Ended::Abandoned,
                    _ = tokio::time::sleep(wait) => {}
                }
                target.metrics.retried(component, message.topic());
                attempt += 1;
            }
        }
    }
}

/// Dead-letters the message: [`Ended::DeadLettered`], or [`Ended::Abandoned`] when the
/// subscription stopped first.
async fn settle_dead(
    target: &Target<'_>,
    message: &OwnedMessage,
    reason: &str,
    cancel: &CancellationToken,
) -> Ended {
    match dead_letter(target, message, reason, cancel).await {
        true => Ended::DeadLettered,
        false => Ended::Abandoned,
    }
}

/// Copies the message unchanged to the dead-letter topic with an `error` header (and where it
/// came from); retries until the broker accepts it or the subscription stops.
async fn dead_letter(
    target: &Target<'_>,
    message: &OwnedMessage,
    reason: &str,
    cancel: &CancellationToken,
) -> bool {
    let Target {
        component,
        config,
        producer,
        ..
    } = *target;
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
    let mut payload = message.payload();
    loop {
        let mut record: FutureRecord<'_, [u8], [u8]> =
            FutureRecord::to(&config.dlq_topic).headers(headers.clone());
        if let Some(payload) = payload {
            record = record.payload(payload);
        }
        if let Some(key) = message.key() {
            record = record.key(key);
        }
        match producer.send(record, Duration::from_secs(10)).await {
            Ok(_) => {
                warn!(%component, topic = message.topic(), %partition, %offset, %reason, dlq = %config.dlq_topic, "message dead-lettered");
                target
                    .metrics
                    .dead_lettered(component, message.topic(), &config.dlq_topic);
                return true;
            }
            // A value too large for any producer or broker on the way cannot be copied: the
            // dead letter goes without it, saying how large it was, rather than never.
            Err((KafkaError::MessageProduction(RDKafkaErrorCode::MessageSizeTooLarge), _))
                if payload.is_some() =>
            {
                let size = payload.map_or(0, <[u8]>::len).to_string();
                headers = headers.insert(Header {
                    key: "payload-dropped-bytes",
                    value: Some(&size),
                });
                payload = None;
                warn!(%component, %offset, bytes = %size, "dead letter too large to copy; sending it without its value");
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
