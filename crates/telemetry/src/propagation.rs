//! W3C trace context (`traceparent`, `tracestate`) across process boundaries: NATS headers,
//! Kafka headers, wRPC contexts. Carriers are plain key/value pairs.

use std::collections::HashMap;

use opentelemetry::propagation::{Extractor, Injector, TextMapPropagator};
use opentelemetry::trace::TraceContextExt as _;
use opentelemetry_sdk::propagation::TraceContextPropagator;
use tracing::Span;
use tracing_opentelemetry::OpenTelemetrySpanExt as _;

/// The W3C `traceparent` header name.
pub const TRACEPARENT: &str = "traceparent";

/// The trace context headers of `span`, as key/value pairs (empty when it is not traced).
pub fn headers_of(span: &Span) -> Vec<(String, String)> {
    let mut carrier = Pairs::default();
    TraceContextPropagator::new().inject_context(&span.context(), &mut carrier);
    carrier.0
}

/// Makes `span` a child of the trace context found in `headers`, if there is a valid one.
/// Returns whether it did.
pub fn continue_from<'a, I>(span: &Span, headers: I) -> bool
where
    I: IntoIterator<Item = (&'a str, &'a str)>,
{
    let headers: HashMap<String, &str> = headers
        .into_iter()
        .map(|(key, value)| (key.to_ascii_lowercase(), value))
        .collect();
    let parent = TraceContextPropagator::new().extract(&Lookup(&headers));
    if !parent.span().span_context().is_valid() {
        return false;
    }
    span.set_parent(parent).is_ok()
}

/// The trace id of `span`, as 32 hex digits, when it is traced.
pub fn trace_id_of(span: &Span) -> Option<String> {
    let context = span.context();
    let span_context = context.span().span_context().clone();
    span_context
        .is_valid()
        .then(|| span_context.trace_id().to_string())
}

#[derive(Default)]
struct Pairs(Vec<(String, String)>);

impl Injector for Pairs {
    fn set(&mut self, key: &str, value: String) {
        self.0.push((key.to_string(), value));
    }
}

struct Lookup<'a>(&'a HashMap<String, &'a str>);

impl Extractor for Lookup<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        self.0.get(&key.to_ascii_lowercase()).copied()
    }

    fn keys(&self) -> Vec<&str> {
        self.0.keys().map(String::as_str).collect()
    }
}
