//! The provider on the lattice: link lifecycle and the exported `consumer` interface.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use bytes::Bytes;
use rdkafka::producer::{FutureProducer, FutureRecord, Producer as _};
use rdkafka::ClientConfig;
use tokio::sync::{Mutex, RwLock};
use tracing::{info, warn};
use wasmcloud_provider_sdk::{Context, LinkConfig, LinkDeleteInfo, Provider};

use crate::bindings::exports::wasmcloud::messaging::consumer;
use crate::bindings::wasmcloud::messaging::types::BrokerMessage;
use crate::config::{hosts, SubscriptionConfig};
use crate::subscription::Subscription;

pub const PROVIDER_NAME: &str = "messaging-kafka-provider";

/// The provider's state; clones share it.
#[derive(Clone, Default)]
pub struct KafkaProvider {
    /// Subscriptions by the component they deliver to.
    subscriptions: Arc<Mutex<HashMap<String, Subscription>>>,
    /// Producers by the component that publishes through them.
    producers: Arc<RwLock<HashMap<String, FutureProducer>>>,
}

/// Runs the provider until the host stops it.
pub async fn run() -> anyhow::Result<()> {
    provider_support::init_logging(&["rdkafka=warn"]);
    provider_support::serve_provider!(
        KafkaProvider::default(),
        PROVIDER_NAME,
        crate::bindings::serve
    )
    .await
}

impl KafkaProvider {
    async fn stop_subscription(&self, component: &str) {
        let subscription = self.subscriptions.lock().await.remove(component);
        if let Some(subscription) = subscription {
            subscription.stop().await;
        }
    }
}

impl Provider for KafkaProvider {
    /// A link from this provider to a component: subscribe on its behalf.
    async fn receive_link_config_as_source(&self, link: LinkConfig<'_>) -> anyhow::Result<()> {
        let component = link.target_id.to_string();
        let config = SubscriptionConfig::from_link(link.config, &component)
            .with_context(|| format!("link to {component} refused"))?;
        // A new configuration replaces the old subscription: stop it first so that its
        // in-flight message is committed before the new member joins.
        self.stop_subscription(&component).await;
        let subscription = Subscription::start(&component, config)?;
        self.subscriptions
            .lock()
            .await
            .insert(component, subscription);
        Ok(())
    }

    async fn delete_link_as_source(&self, info: impl LinkDeleteInfo) -> anyhow::Result<()> {
        self.stop_subscription(info.get_target_id()).await;
        Ok(())
    }

    /// A link from a component to this provider: it may publish.
    async fn receive_link_config_as_target(&self, link: LinkConfig<'_>) -> anyhow::Result<()> {
        let component = link.source_id.to_string();
        let hosts = hosts(link.config).with_context(|| format!("link from {component} refused"))?;
        let producer: FutureProducer = ClientConfig::new()
            .set("bootstrap.servers", &hosts)
            .set("client.id", format!("movie-lattice-{component}"))
            .set("acks", "all")
            .set("message.timeout.ms", "30000")
            .create()
            .context("failed to create the Kafka producer")?;
        info!(%component, %hosts, "publisher ready");
        self.producers.write().await.insert(component, producer);
        Ok(())
    }

    async fn delete_link_as_target(&self, info: impl LinkDeleteInfo) -> anyhow::Result<()> {
        if let Some(producer) = self.producers.write().await.remove(info.get_source_id()) {
            flush(&producer);
        }
        Ok(())
    }

    /// Stops every subscription gracefully (in-flight deliveries finish, offsets are
    /// committed, the group is left) and flushes every producer.
    async fn shutdown(&self) -> anyhow::Result<()> {
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
        for (_, producer) in self.producers.write().await.drain() {
            flush(&producer);
        }
        info!("provider stopped");
        Ok(())
    }
}

fn flush(producer: &FutureProducer) {
    if let Err(err) = producer.flush(Duration::from_secs(10)) {
        warn!(error = %err, "producer flush failed");
    }
}

impl consumer::Handler<Option<Context>> for KafkaProvider {
    async fn publish(
        &self,
        context: Option<Context>,
        message: BrokerMessage,
    ) -> anyhow::Result<Result<(), String>> {
        let Some(component) = context.and_then(|context| context.component) else {
            return Ok(Err("the call carries no source component id".into()));
        };
        let producers = self.producers.read().await;
        let Some(producer) = producers.get(&component) else {
            return Ok(Err(format!("no link from {component} to this provider")));
        };
        let record: FutureRecord<'_, [u8], [u8]> =
            FutureRecord::to(&message.subject).payload(message.body.as_ref());
        Ok(producer
            .send(record, Duration::from_secs(10))
            .await
            .map(|_| ())
            .map_err(|(err, _)| format!("failed to publish to {}: {err}", message.subject)))
    }

    async fn request(
        &self,
        _context: Option<Context>,
        subject: String,
        _body: Bytes,
        _timeout_ms: u32,
    ) -> anyhow::Result<Result<BrokerMessage, String>> {
        Ok(Err(format!(
            "request/reply is not supported on Kafka (subject {subject}); use publish"
        )))
    }
}
