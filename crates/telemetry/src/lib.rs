//! How every movie-lattice process reports itself.
//!
//! - **Logs** go to stderr, plain or as JSON lines ([`LogFormat`]); a JSON line written inside
//!   a traced span carries its `trace_id` and `span_id`.
//! - **Spans** go over OTLP/HTTP (protobuf) to a trace store, when an endpoint is set, sampled
//!   as [`Sampling`] says. The same filter decides what is logged and what is traced, so a span
//!   is never left out of a trace that its children are in.
//! - **Trace context** crosses process boundaries as W3C headers ([`propagation`]).
//!
//! [`init`] installs all of it as the global subscriber; keep the [`Guard`] for as long as the
//! process runs, and [`Guard::shutdown`] flushes what is still buffered.

#![forbid(unsafe_code)]

mod logs;
pub mod propagation;
mod sampling;

use opentelemetry::trace::TracerProvider as _;
use std::time::Duration;

use opentelemetry_otlp::{WithExportConfig as _, WithHttpConfig as _};
use opentelemetry_sdk::trace::span_processor_with_async_runtime::BatchSpanProcessor;
use opentelemetry_sdk::trace::{BatchConfigBuilder, SdkTracerProvider};
use opentelemetry_sdk::Resource;
use tracing_subscriber::layer::SubscriberExt as _;
use tracing_subscriber::util::SubscriberInitExt as _;
use tracing_subscriber::{EnvFilter, Layer as _};

pub use logs::JsonWithTraceIds;
pub use sampling::{Ratio, Sampling, SamplingError};

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LogFormat {
    /// Human-readable lines.
    #[default]
    Plain,
    /// One JSON object per line, with trace ids.
    Json,
}

/// Where spans go, and which.
#[derive(Debug, Clone, PartialEq)]
pub struct TraceExport {
    /// The OTLP/HTTP traces URL, e.g. `http://127.0.0.1:6006/v1/traces`.
    pub endpoint: String,
    pub sampling: Sampling,
}

/// What [`init`] installs.
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    /// `service.name` of every span this process exports.
    pub service: String,
    /// An `EnvFilter` directive list, e.g. `info,rdkafka=warn`. `RUST_LOG` overrides it.
    pub filter: String,
    pub format: LogFormat,
    /// `None`: spans are not exported (logs only).
    pub traces: Option<TraceExport>,
}

/// Why telemetry could not be installed.
#[derive(Debug, thiserror::Error)]
pub enum TelemetryError {
    #[error("invalid log filter `{filter}`: {source}")]
    Filter {
        filter: String,
        source: tracing_subscriber::filter::ParseError,
    },
    #[error("cannot export traces to {endpoint}: {source}")]
    Exporter {
        endpoint: String,
        source: opentelemetry_otlp::ExporterBuildError,
    },
    #[error("cannot build the HTTP client for {endpoint}: {source}")]
    HttpClient {
        endpoint: String,
        source: reqwest::Error,
    },
    #[error("a global subscriber is already installed")]
    AlreadyInstalled,
}

/// Keeps the span exporter of [`init`] alive.
#[derive(Debug)]
#[must_use = "dropping the guard stops nothing, but only `shutdown` flushes buffered spans"]
pub struct Guard {
    tracer: Option<SdkTracerProvider>,
}

impl Guard {
    /// Whether spans are exported.
    pub fn exports_traces(&self) -> bool {
        self.tracer.is_some()
    }

    /// Exports the spans still buffered and stops the exporter.
    pub fn shutdown(self) {
        if let Some(tracer) = self.tracer {
            if let Err(err) = tracer.shutdown() {
                eprintln!("telemetry: flushing spans failed: {err}");
            }
        }
    }
}

/// Installs logging and, when `settings.traces` is set, span export, as the process's global
/// subscriber. Span export runs on the current Tokio runtime, so call this inside one.
pub fn init(settings: &Settings) -> Result<Guard, TelemetryError> {
    let filter = match std::env::var("RUST_LOG") {
        Ok(directives) if !directives.trim().is_empty() => directives,
        _ => settings.filter.clone(),
    };
    let env_filter =
        EnvFilter::builder()
            .parse(&filter)
            .map_err(|source| TelemetryError::Filter {
                filter: filter.clone(),
                source,
            })?;

    let tracer = settings
        .traces
        .as_ref()
        .map(|export| tracer_provider(&settings.service, export))
        .transpose()?;
    let otel_layer = tracer.as_ref().map(|provider| {
        tracing_opentelemetry::layer().with_tracer(provider.tracer("movie-lattice"))
    });

    let stderr = tracing_subscriber::fmt::layer().with_writer(std::io::stderr);
    let fmt_layer = match settings.format {
        LogFormat::Plain => stderr.with_ansi(false).boxed(),
        LogFormat::Json => stderr.event_format(JsonWithTraceIds).boxed(),
    };

    tracing_subscriber::registry()
        .with(env_filter)
        .with(otel_layer)
        .with(fmt_layer)
        .try_init()
        .map_err(|_| TelemetryError::AlreadyInstalled)?;
    Ok(Guard { tracer })
}

/// How often buffered spans are sent: a trace is in the store about this long after it ends.
const EXPORT_INTERVAL: Duration = Duration::from_secs(1);

fn tracer_provider(
    service: &str,
    export: &TraceExport,
) -> Result<SdkTracerProvider, TelemetryError> {
    // A fresh connection per export. A pooled one may have been closed by the receiver's
    // keep-alive timeout (uvicorn's is 5 s) just as it is reused, and the OTLP exporter does
    // not retry: measured, about one export in three was lost that way.
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(0)
        .timeout(Duration::from_secs(10))
        .build()
        .map_err(|source| TelemetryError::HttpClient {
            endpoint: export.endpoint.clone(),
            source,
        })?;
    let exporter = opentelemetry_otlp::SpanExporter::builder()
        .with_http()
        .with_http_client(client)
        .with_protocol(opentelemetry_otlp::Protocol::HttpBinary)
        .with_endpoint(export.endpoint.clone())
        .build()
        .map_err(|source| TelemetryError::Exporter {
            endpoint: export.endpoint.clone(),
            source,
        })?;
    let processor = BatchSpanProcessor::builder(exporter, opentelemetry_sdk::runtime::Tokio)
        .with_batch_config(
            BatchConfigBuilder::default()
                .with_scheduled_delay(EXPORT_INTERVAL)
                .build(),
        )
        .build();
    Ok(SdkTracerProvider::builder()
        .with_sampler(export.sampling.sampler())
        .with_resource(
            Resource::builder_empty()
                .with_attribute(opentelemetry::KeyValue::new(
                    "service.name",
                    service.to_string(),
                ))
                .build(),
        )
        .with_span_processor(processor)
        .build())
}
