//! The host's metrics on a Prometheus endpoint.
//!
//! The host library records its instruments (`wasmcloud_host.component.invocations`,
//! `.invocation.errors`, `.handle_rpc_message.duration`, `.active_instances`, ...) on the
//! global OpenTelemetry meter provider, which it reads once, in `Host::new`. [`install`] sets a
//! provider whose reader is a Prometheus registry, and serves that registry.

use anyhow::Context as _;
use metrics_endpoint::prometheus::Registry;
use metrics_endpoint::MetricsEndpoint;
use opentelemetry_sdk::metrics::{Aggregation, Instrument, SdkMeterProvider, Stream};

/// The host times each invocation in nanoseconds; the SDK's default buckets (0 to 10,000)
/// would put every one in the last. These span 100 µs to 10 s.
const INVOCATION_BUCKETS_NS: [f64; 16] = [
    1e5, 2.5e5, 5e5, 1e6, 2.5e6, 5e6, 1e7, 2.5e7, 5e7, 1e8, 2.5e8, 5e8, 1e9, 2.5e9, 5e9, 1e10,
];
const INVOCATION_DURATION: &str = "wasmcloud_host.handle_rpc_message.duration";

/// Sets the global meter provider and serves its metrics at `address`. Call before `Host::new`.
pub async fn install(address: &str) -> anyhow::Result<(SdkMeterProvider, MetricsEndpoint)> {
    let registry = Registry::new();
    let exporter = opentelemetry_prometheus::exporter()
        .with_registry(registry.clone())
        .build()
        .context("failed to build the Prometheus exporter")?;
    let provider = SdkMeterProvider::builder()
        .with_reader(exporter)
        .with_view(invocation_buckets)
        .build();
    opentelemetry::global::set_meter_provider(provider.clone());
    let endpoint = metrics_endpoint::serve(address, registry).await?;
    Ok((provider, endpoint))
}

fn invocation_buckets(instrument: &Instrument) -> Option<Stream> {
    (instrument.name() == INVOCATION_DURATION)
        .then(|| {
            Stream::builder()
                .with_aggregation(Aggregation::ExplicitBucketHistogram {
                    boundaries: INVOCATION_BUCKETS_NS.to_vec(),
                    record_min_max: false,
                })
                .build()
                .ok()
        })
        .flatten()
}
