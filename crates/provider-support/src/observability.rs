//! A provider's logs, spans and metrics, set up the way its host runs: the host passes its log
//! level, log format and span export (endpoint, sampler) in the provider's host data.

use std::future::Future;

use telemetry::{LogFormat, Sampling, Settings, TraceExport};
use tracing::Span;
use wasmcloud_provider_sdk::Context;

/// The provider configuration key (`config:` of the capability in `wadm.yaml`) that names the
/// address of the provider's Prometheus endpoint, e.g. `127.0.0.1:9465`. Several addresses,
/// separated by commas, serve instances on several hosts of one machine: each takes the first
/// that is free.
pub const METRICS_ADDRESS: &str = "METRICS_ADDRESS";

/// How long a provider whose every metrics address is taken waits before trying again (an
/// instance that is stopping may still hold one).
const METRICS_RETRY: std::time::Duration = std::time::Duration::from_secs(5);

/// The addresses a [`METRICS_ADDRESS`] value names, in order.
fn metrics_addresses(value: &str) -> Vec<&str> {
    value
        .split(',')
        .map(str::trim)
        .filter(|address| !address.is_empty())
        .collect()
}

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

/// Serves `registry` at the first free address of those the provider's [`METRICS_ADDRESS`]
/// configuration names, from a task of its own; nothing when it names none. When every
/// address is taken, that is logged, not fatal: the provider serves its calls, and the task
/// tries again every few seconds. Abort the task to stop serving.
pub fn serve_metrics(
    registry: metrics_endpoint::prometheus::Registry,
) -> Option<tokio::task::JoinHandle<()>> {
    let data = wasmcloud_provider_sdk::load_host_data().ok()?;
    let value = crate::link_value(&data.config, METRICS_ADDRESS)?.to_string();
    if metrics_addresses(&value).is_empty() {
        return None;
    }
    Some(tokio::spawn(async move {
        loop {
            match metrics_endpoint::serve_first(metrics_addresses(&value), registry.clone()).await {
                Ok(endpoint) => {
                    let _ = endpoint.task.await;
                    return;
                }
                Err(err) => {
                    tracing::warn!(%err, addresses = %value, "metrics are not served yet");
                    tokio::time::sleep(METRICS_RETRY).await;
                }
            }
        }
    }))
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
    let metrics = serve_metrics(registry);
    let served = serving.await;
    if let Some(task) = metrics {
        task.abort();
    }
    if let Some(telemetry) = telemetry {
        telemetry.shutdown();
    }
    served
}

#[cfg(test)]
mod tests {
    use super::metrics_addresses;

    #[test]
    fn a_metrics_address_list_is_split_on_commas() {
        assert_eq!(metrics_addresses("127.0.0.1:9465"), vec!["127.0.0.1:9465"]);
        assert_eq!(
            metrics_addresses(" 127.0.0.1:9465, 127.0.0.1:9475 ,,"),
            vec!["127.0.0.1:9465", "127.0.0.1:9475"]
        );
        assert!(metrics_addresses("  ").is_empty());
    }
}
