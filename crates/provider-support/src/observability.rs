//! A provider's logs, spans and metrics, set up the way its host runs: the host passes its log
//! level, log format and span export (endpoint, sampler) in the provider's host data.

use std::future::Future;

use telemetry::{LogFormat, Sampling, Settings, TraceExport};
use tracing::Span;
use wasmcloud_provider_sdk::Context;

/// The provider configuration key (`config:` of the capability in `wadm.yaml`) that names the
/// address of the provider's Prometheus endpoint, e.g. `127.0.0.1:9465`.
pub const METRICS_ADDRESS: &str = "METRICS_ADDRESS";

/// Installs logging (stderr, which the host collects) and span export as the host says, as
/// `service`; `extra` adds filter directives (e.g. `rdkafka=warn`), `RUST_LOG` overrides
/// them. Runs inside the provider's Tokio runtime. `None` if a subscriber was already set.
pub fn init_telemetry(service: &str, extra: &[&str]) -> Option<telemetry::Guard> {
    let data = wasmcloud_provider_sdk::load_host_data().ok();
    let level = data
        .and_then(|data| data.log_level.as_ref())
        .map(|level| format!("{level:?}").to_ascii_lowercase())
        .filter(|level| level != "critical")
        .unwrap_or_else(|| "info".into());
    let filter = std::iter::once(level.as_str())
        .chain(extra.iter().copied())
        .collect::<Vec<_>>()
        .join(",");
    let format = match data.is_some_and(|data| data.structured_logging) {
        true => LogFormat::Json,
        false => LogFormat::Plain,
    };
    let mut sampler_problem = None;
    let traces = data
        .map(|data| &data.otel_config)
        .filter(|otel| otel.traces_enabled())
        .and_then(|otel| {
            let sampling = Sampling::parse(
                otel.traces_sampler.as_deref(),
                otel.traces_sampler_arg.as_deref(),
            )
            .map_err(|err| sampler_problem = Some(err))
            .ok()?;
            Some(TraceExport {
                endpoint: otel.traces_endpoint(),
                sampling,
            })
        });
    let settings = Settings {
        service: service.to_string(),
        filter,
        format,
        traces,
    };
    match telemetry::init(&settings) {
        Ok(guard) => {
            if let Some(err) = sampler_problem {
                tracing::warn!(%err, "spans are not exported");
            }
            Some(guard)
        }
        Err(err) => {
            eprintln!("{service}: telemetry not installed: {err}");
            None
        }
    }
}

/// Makes `span` (the provider's span for one call it serves) a child of the caller's span,
/// whose W3C trace context the host sent in the call's headers.
pub fn continue_call(span: &Span, context: Option<&Context>) {
    if let Some(context) = context {
        telemetry::propagation::continue_from(
            span,
            context
                .tracing
                .iter()
                .map(|(key, value)| (key.as_str(), value.as_str())),
        );
    }
}

/// Serves `registry` at the address the provider's [`METRICS_ADDRESS`] configuration names;
/// nothing when it names none. A taken address is logged, not fatal: the provider still
/// serves its calls.
pub async fn serve_metrics(
    registry: metrics_endpoint::prometheus::Registry,
) -> Option<metrics_endpoint::MetricsEndpoint> {
    let data = wasmcloud_provider_sdk::load_host_data().ok()?;
    let address = crate::link_value(&data.config, METRICS_ADDRESS)?.trim();
    if address.is_empty() {
        return None;
    }
    match metrics_endpoint::serve(address, registry).await {
        Ok(endpoint) => Some(endpoint),
        Err(err) => {
            tracing::error!(%err, "metrics are not served");
            None
        }
    }
}

/// Runs a provider as `service` with its telemetry around it: logs and spans as the host says
/// ([`init_telemetry`], with the filter directives `extra`), `registry` served at the
/// provider's [`METRICS_ADDRESS`], then `serving` (the provider's wRPC serving, e.g.
/// [`crate::serve_provider!`]) until the host stops it; last, buffered spans are flushed.
pub async fn serve_with_telemetry(
    service: &str,
    extra: &[&str],
    registry: metrics_endpoint::prometheus::Registry,
    serving: impl Future<Output = anyhow::Result<()>>,
) -> anyhow::Result<()> {
    let telemetry = init_telemetry(service, extra);
    let metrics = serve_metrics(registry).await;
    let served = serving.await;
    if let Some(endpoint) = metrics {
        endpoint.task.abort();
    }
    if let Some(telemetry) = telemetry {
        telemetry.shutdown();
    }
    served
}
