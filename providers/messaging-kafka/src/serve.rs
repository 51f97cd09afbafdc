//! The provider on the lattice: the host's link lifecycle and the exported interfaces
//! (`wasmcloud:messaging/consumer`, `movie:catalog/rating-events`), each handed to
//! [`KafkaProvider`].

use anyhow::Context as _;
use bytes::Bytes;
use tracing::info;
use wasmcloud_provider_sdk::{Context, LinkConfig, LinkDeleteInfo, Provider};

use crate::bindings::exports::movie::catalog::rating_events;
use crate::bindings::exports::wasmcloud::messaging::consumer;
use crate::bindings::wasmcloud::messaging::types::BrokerMessage;
use crate::config::{PublisherConfig, SubscriptionConfig};
use crate::KafkaProvider;

/// The name the provider reports to the host.
pub const PROVIDER_NAME: &str = "messaging-kafka-provider";

/// Serves the provider until the host stops it.
pub async fn serve() -> anyhow::Result<()> {
    let provider = KafkaProvider::default();
    let registry = provider.metrics().registry.clone();
    let drain = provider.drain().clone();
    provider_support::serve_with_telemetry(
        PROVIDER_NAME,
        &["rdkafka=warn"],
        registry,
        provider_support::serve_provider!(provider, PROVIDER_NAME, crate::bindings::serve, drain),
    )
    .await
}

impl Provider for KafkaProvider {
    /// A link from this provider to a component: subscribe on its behalf.
    async fn receive_link_config_as_source(&self, link: LinkConfig<'_>) -> anyhow::Result<()> {
        let component = link.target_id;
        let config = SubscriptionConfig::from_link(link.config, component)
            .with_context(|| format!("link to {component} refused"))?;
        self.subscribe(component, config).await
    }

    async fn delete_link_as_source(&self, info: impl LinkDeleteInfo) -> anyhow::Result<()> {
        self.unsubscribe(info.get_target_id()).await;
        Ok(())
    }

    /// A link from a component to this provider: it may publish.
    async fn receive_link_config_as_target(&self, link: LinkConfig<'_>) -> anyhow::Result<()> {
        let component = link.source_id;
        let config = PublisherConfig::from_link(link.config)
            .with_context(|| format!("link from {component} refused"))?;
        self.add_publisher(component, config).await
    }

    async fn delete_link_as_target(&self, info: impl LinkDeleteInfo) -> anyhow::Result<()> {
        self.remove_publisher(info.get_source_id()).await;
        Ok(())
    }

    async fn shutdown(&self) -> anyhow::Result<()> {
        self.stop_all().await;
        info!("provider stopped");
        Ok(())
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
        Ok(KafkaProvider::publish(self, &component, &message.subject, None, &message.body).await)
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

/// `movie:catalog/rating-events`: a keyed publish (a rating's events keep their order), whose
/// failures reach the caller as errors it can answer with.
impl rating_events::Handler<Option<Context>> for KafkaProvider {
    async fn publish(
        &self,
        context: Option<Context>,
        topic: String,
        key: String,
        body: Bytes,
    ) -> anyhow::Result<Result<(), String>> {
        let Some(component) = context.and_then(|context| context.component) else {
            return Ok(Err("the call carries no source component id".into()));
        };
        Ok(KafkaProvider::publish(self, &component, &topic, Some(&key), &body).await)
    }
}
