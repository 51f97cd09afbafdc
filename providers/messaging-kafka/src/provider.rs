//! [`KafkaProvider`]: the provider's state — a subscription per component it delivers to, a
//! producer per component that publishes — and the operations on it. `serve` connects these
//! to the host's link lifecycle and to the exported `consumer` interface.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use rdkafka::producer::{FutureProducer, FutureRecord, Producer as _};
use tokio::sync::{Mutex, RwLock};
use tracing::{info, warn};

use crate::config::{PublisherConfig, SubscriptionConfig};
use crate::metrics::KafkaMetrics;
use crate::subscription::Subscription;

/// The provider's state; clones share it.
#[derive(Clone, Default)]
pub struct KafkaProvider {
    /// Subscriptions by the component they deliver to.
    subscriptions: Arc<Mutex<HashMap<String, Subscription>>>,
    /// Producers by the component that publishes through them, with how long a publish waits.
    producers: Arc<RwLock<HashMap<String, (FutureProducer, Duration)>>>,
    metrics: KafkaMetrics,
    /// Stops the exported `consumer` on shutdown (see [`provider_support::Drain`]).
    drain: provider_support::Drain,
}

/// On shutdown, how long the publishes in flight may take before the producers are flushed.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(5);

impl KafkaProvider {
    /// Subscribes on `component`'s behalf. A new configuration replaces the old
    /// subscription, which is stopped first so that its in-flight message is committed
    /// before the new member joins.
    pub async fn subscribe(
        &self,
        component: &str,
        config: SubscriptionConfig,
    ) -> anyhow::Result<()> {
        self.unsubscribe(component).await;
        let subscription = Subscription::start(component, config, self.metrics.clone())?;
        self.subscriptions
            .lock()
            .await
            .insert(component.to_string(), subscription);
        Ok(())
    }

    /// The provider's metrics, for its Prometheus endpoint.
    pub fn metrics(&self) -> &KafkaMetrics {
        &self.metrics
    }

    /// The switch that drains the provider's exports.
    pub fn drain(&self) -> &provider_support::Drain {
        &self.drain
    }

    /// Stops `component`'s subscription, if any, gracefully.
    pub async fn unsubscribe(&self, component: &str) {
        let subscription = self.subscriptions.lock().await.remove(component);
        if let Some(subscription) = subscription {
            subscription.stop().await;
        }
    }

    /// Lets `component` publish as `config` says.
    pub async fn add_publisher(
        &self,
        component: &str,
        config: PublisherConfig,
    ) -> anyhow::Result<()> {
        let producer: FutureProducer =
            kafka_settings::producer(&config.hosts, &format!("movie-lattice-{component}"))
                .create()
                .context("failed to create the Kafka producer")?;
        info!(%component, hosts = %config.hosts, timeout = ?config.timeout, "publisher ready");
        self.producers
            .write()
            .await
            .insert(component.to_string(), (producer, config.timeout));
        Ok(())
    }

    /// Flushes and forgets `component`'s producer.
    pub async fn remove_publisher(&self, component: &str) {
        if let Some((producer, _)) = self.producers.write().await.remove(component) {
            flush(&producer);
        }
    }

    /// Produces `body` to `topic` for `component`, under `key` when given, and returns once
    /// the broker has acknowledged it; `Err` says why it was not. A publish that outlasts the
    /// link's timeout is an error too, though the broker may still take the message later.
    pub async fn publish(
        &self,
        component: &str,
        topic: &str,
        key: Option<&str>,
        body: &[u8],
    ) -> Result<(), String> {
        let producers = self.producers.read().await;
        let Some((producer, timeout)) = producers.get(component) else {
            return Err(format!("no link from {component} to this provider"));
        };
        let mut record: FutureRecord<'_, str, [u8]> = FutureRecord::to(topic).payload(body);
        if let Some(key) = key {
            record = record.key(key);
        }
        match tokio::time::timeout(*timeout, producer.send(record, *timeout)).await {
            Ok(Ok(_)) => Ok(()),
            Ok(Err((err, _))) => Err(format!("failed to publish to {topic}: {err}")),
            Err(_) => Err(format!(
                "the broker did not acknowledge the message to {topic} within {timeout:?} \
                 (it may still take it)"
            )),
        }
    }

    /// Stops every subscription gracefully (in-flight deliveries finish, offsets are
    /// committed, the group is left), lets the publishes in flight finish and flushes every
    /// producer.
    pub async fn stop_all(&self) {
        let subscriptions: Vec<Subscription> = self
            .subscriptions
            .lock()
            .await
            .drain()
            .map(|(_, subscription)| subscription)
            .collect();
        for subscription in subscriptions {
            subscription.stop().await;
        }
        self.drain.finish(DRAIN_TIMEOUT).await;
        for (_, (producer, _)) in self.producers.write().await.drain() {
            flush(&producer);
        }
    }
}

fn flush(producer: &FutureProducer) {
    if let Err(err) = producer.flush(Duration::from_secs(10)) {
        warn!(error = %err, "producer flush failed");
    }
}
