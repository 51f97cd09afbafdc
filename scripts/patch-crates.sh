#!/usr/bin/env bash
# Derives the crates that [patch.crates-io] and the lattice workspace point at. We never commit
# their source: each is taken from its published .crate (cargo's registry cache when it has it,
# otherwise downloaded from crates.io and checked against the checksum in crates.io's index),
# unpacked into .patched/ (ignored by git) and changed by the smallest edit that does the job.
# A stamp makes reruns free. MOVIE_LATTICE_PATCHED puts the copies elsewhere (the fresh-machine
# test derives them into a scratch folder, with an empty CARGO_HOME, and compares).
#
# - wasmcloud-host 0.27.1 (host v1.9.2) does not compile on Rust >= 1.9x: an async block in
#   src/wasmbus/ctl.rs overflows the default query depth. Fix: `#![recursion_limit = "256"]`.
# - wasmcloud-host 0.27.1 also builds a new wRPC client for every call a component makes
#   (src/wasmbus/handler.rs): a NATS wildcard SUB, a demultiplexing task and an UNSUB per call,
#   which under load costs NATS and the host more than the call itself. Fix: one client per
#   (NATS connection, lattice, target), built on first use and shared by every later call.
# - wasmcloud-host 0.27.1 retries a failed config watcher at once, forever
#   (src/wasmbus/config.rs). When the host stops, the watchers' consumers close and each
#   retry fails at once: measured, 6.4 million log lines (1.9 GB) in the 10 s before
#   `make down` gave up and killed the host. Fix: wait a second before the next try.
# - wasmcloud-host 0.27.1 loses links put while a binary provider starts (src/wasmbus/mod.rs):
#   it announces "provider started" once the process is spawned, wadm answers by putting the
#   provider's links, and the host publishes them before the provider has subscribed, so they
#   are dropped; the provider then refuses that component's calls ("no link") until the link is
#   put again. Seen after redeploys, on either provider. Fix: once the provider answers its
#   health check (its subscriptions are up by then), send it every link it is part of again;
#   the provider SDK ignores the ones it already has.
# - wasmcloud-host 0.27.1's builtin HTTP server starts every request's trace afresh, ignoring
#   the client's `traceparent` (upstream TODO #3705), and says nothing about HTTP statuses, so
#   neither a client's trace nor a 5xx ratio nor a request latency can be seen. Fix (address
#   routing, which wadm.yaml uses): the request span continues the incoming trace context and
#   records method, path and status; responses are counted
#   (`wasmcloud_host.http.server.responses`) and timed (`...request.duration`) by status class.
#   It also waits for ever for a request's head (hyper has no timer), so a client sending a
#   header line a second held its connection open indefinitely; it now gets 10 s, as behind the
#   front door.
# - wasmcloud-runtime 0.12.0 starts a `handle-message` delivery's spans outside its invocation's
#   span (src/component/messaging/mod.rs): it re-parents the current span through
#   tracing-opentelemetry 0.29, whose API does nothing under the host's 0.32 layer, so the
#   delivery's work, and every call the component makes, begins a trace of its own. Fix: run
#   the delivery inside the invocation's span, as the other exports are. It also opens a span
#   for every service call outside the call's span (a one-span trace of its own per call, with
#   nothing in it); that span is left out.
# - wasmcloud-runtime 0.12.0 bounds a component's outgoing wRPC call (the polyfilled imports)
#   only by the invocation's whole execution limit, and the host's `rpc_timeout` only by the
#   call's start, which returns at once: a call whose callee dies mid-call waits for the
#   execution limit (30 s here). Fix: a process-wide call bound, which the host sets to its
#   `rpc_timeout`, caps every call from its start to its last result byte.
# - wasmcloud-host 0.27.1 has no graceful stop: its shutdown drops components mid-invocation
#   and kills its providers. Fix: `Host::drain`, which stops taking control commands and
#   heartbeats, unsubscribes every component and lets its invocations in flight finish, then
#   asks every provider to shut down (each finishes its own work) before the host exits.
# - wrpc-transport-nats 0.29.0 (the version wasmcloud-host 0.27.1 and wasmcloud-provider-sdk
#   0.17.1 are built on) loses wRPC messages under load: its demultiplexing task `select!`s at
#   random between "register a subscription" commands and incoming NATS messages, so a reply can
#   be routed before its inbox is registered, is dropped as having "no subscriber", and the
#   caller waits forever. Fix (as released upstream in 0.31, whose API the host cannot take):
#   make that `select!` `biased` with the command branch first.
# - wash 0.43.0 (the CLI) is built as a member of our workspace instead of by its own
#   `cargo install`, so that it, the host and the providers share one build of wasmtime,
#   cranelift, tokio, async-nats and the rest. Its source is unchanged; its manifest loses what
#   only wash's own test suite uses: the build script (which compiles testcontainers to probe
#   for Docker and GitHub), the dev-dependencies and the test targets.
set -euo pipefail
source "$(dirname "$0")/env.sh"

PATCHED_DIR="${MOVIE_LATTICE_PATCHED:-$ROOT/.patched}"
source "$ROOT/scripts/crates.sh"
# Bump when an edit below changes, so that existing checkouts re-derive their copy.
PATCH_REVISION=13

stamp="$PATCHED_DIR/.revision"
if [[ -f "$stamp" && "$(cat "$stamp")" == "$PATCH_REVISION" ]]; then
  exit 0
fi
# --check: only say (by the exit code) whether the copies are up to date.
[[ "${1:-}" != "--check" ]] || exit 1

rm -rf "$ROOT/lattice/.patched" # where an earlier layout kept the host crate
rm -f "$stamp"

log "patching wasmcloud-host 0.27.1 (recursion_limit, shared wRPC clients, watcher backoff, links resent to started providers, HTTP server spans, metrics and header timeout, outgoing call bound, drain) into $PATCHED_DIR"
unpack wasmcloud-host 0.27.1
lib="$PATCHED_DIR/wasmcloud-host/src/lib.rs"
{ echo '#![recursion_limit = "256"]'; cat "$lib"; } >"$lib.new"
mv "$lib.new" "$lib"

handler="$PATCHED_DIR/wasmcloud-host/src/wasmbus/handler.rs"
replace "$handler" \
'        let nats = wrpc_transport_nats::Client::new(
            Arc::clone(&self.nats),
            format!("{}.{id}", &self.lattice),
            None,
        )
        .await
        .map_err(Error::Handler)?;' \
'        let nats = shared_wrpc_client(&self.nats, format!("{}.{id}", &self.lattice))
            .await
            .map_err(Error::Handler)?;'
cat >>"$handler" <<'RUST'

/// One wRPC client per (NATS connection, lattice, target), shared by every call to that
/// target (added by movie-lattice's scripts/patch-crates.sh; upstream builds one per call).
async fn shared_wrpc_client(
    nats: &Arc<async_nats::Client>,
    prefix: String,
) -> anyhow::Result<wrpc_transport_nats::Client> {
    type Clients = tokio::sync::Mutex<HashMap<(usize, String), wrpc_transport_nats::Client>>;
    static CLIENTS: std::sync::OnceLock<Clients> = std::sync::OnceLock::new();
    let key = (Arc::as_ptr(nats) as usize, prefix);
    let mut clients = CLIENTS.get_or_init(Default::default).lock().await;
    if let Some(client) = clients.get(&key) {
        return Ok(client.clone());
    }
    let client = wrpc_transport_nats::Client::new(Arc::clone(nats), key.1.clone(), None).await?;
    clients.insert(key, client.clone());
    Ok(client)
}
RUST

replace "$PATCHED_DIR/wasmcloud-host/src/wasmbus/config.rs" \
'                error!(%name, error = %e, "Error reading from watcher for config. Will wait for next entry");
                continue;' \
'                error!(%name, error = %e, "Error reading from watcher for config. Will wait for next entry");
                tokio::time::sleep(std::time::Duration::from_secs(1)).await;
                continue;'

wasmbus="$PATCHED_DIR/wasmcloud-host/src/wasmbus/mod.rs"
replace "$wasmbus" \
'            let tasks = match (path, &provider_ref) {' \
'            let binary = path.is_some();
            let tasks = match (path, &provider_ref) {'
replace "$wasmbus" \
'                xkey,
                shutdown,
            });
        } else {
            bail!("provider is already running with that ID")' \
'                xkey,
                shutdown,
            });
            if binary {
                let host = Arc::clone(&self);
                let provider_id = provider_id.to_string();
                tokio::spawn(async move { host.resend_links_when_ready(&provider_id).await });
            }
        } else {
            bail!("provider is already running with that ID")'
replace "$wasmbus" \
'    /// Publishes a link to a provider running on this host to handle.' \
'    /// Sends a just-started provider every link it is part of, once it answers its health
    /// check (added by movie-lattice'"'"'s scripts/patch-crates.sh: links put while the process
    /// was starting were published before it subscribed, and lost).
    async fn resend_links_when_ready(&self, provider_id: &str) {
        let lattice = &self.host_config.lattice;
        let health = format!("wasmbus.rpc.{lattice}.{provider_id}.health");
        let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
        loop {
            let request = async_nats::Request::new()
                .payload(Bytes::new())
                .timeout(Some(Duration::from_secs(1)));
            if self.rpc_nats.send_request(health.clone(), request).await.is_ok() {
                break;
            }
            if tokio::time::Instant::now() >= deadline {
                warn!(provider_id, "provider never answered its health check; links not resent");
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let mut links: Vec<Link> = Vec::new();
        for link in self.links.read().await.values().flatten() {
            if (link.source_id() == provider_id || link.target() == provider_id)
                && !links.contains(link)
            {
                links.push(link.clone());
            }
        }
        let providers = self.providers.read().await;
        let Some(provider) = providers.get(provider_id) else {
            return;
        };
        for link in &links {
            if let Err(e) = self.put_provider_link(provider, link).await {
                warn!(?e, provider_id, "failed to resend a link to a started provider");
            }
        }
        debug!(provider_id, count = links.len(), "links resent to a started provider");
    }

    /// Publishes a link to a provider running on this host to handle.'

# The builtin HTTP server (address routing, which wadm.yaml uses): a request's span continues
# the client's W3C trace context (upstream TODO #3705) and carries method, path and status, and
# responses are counted and timed by status class on the global meter.
http_server="$PATCHED_DIR/wasmcloud-host/src/wasmbus/providers/http_server"
cat >"$http_server/telemetry.rs" <<'RS'
//! movie-lattice patch: spans and metrics of the builtin HTTP server's requests.

use std::future::Future;
use std::sync::OnceLock;
use std::time::Instant;

use tracing::{field, info_span, Span};
use tracing_opentelemetry::OpenTelemetrySpanExt as _;
use wasmcloud_tracing::{global, Counter, Histogram, KeyValue};

/// Seconds, from 1 ms to 10 s.
const DURATION_BUCKETS: [f64; 14] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 7.5, 10.0,
];

struct HttpMetrics {
    responses: Counter<u64>,
    duration: Histogram<f64>,
}

fn metrics() -> &'static HttpMetrics {
    static METRICS: OnceLock<HttpMetrics> = OnceLock::new();
    METRICS.get_or_init(|| {
        let meter = global::meter("wasmcloud-host");
        HttpMetrics {
            responses: meter
                .u64_counter("wasmcloud_host.http.server.responses")
                .with_description("HTTP responses of the builtin HTTP server, by status class")
                .build(),
            duration: meter
                .f64_histogram("wasmcloud_host.http.server.request.duration")
                .with_description("Time from a request's arrival to its response's head")
                .with_unit("s")
                .with_boundaries(DURATION_BUCKETS.to_vec())
                .build(),
        }
    })
}

/// The span of one request: a child of the caller's span when the request carries a
/// `traceparent`, else the root of a new trace.
pub(crate) fn request_span<B>(req: &http::Request<B>) -> Span {
    let method = req.method().as_str();
    let path = req.uri().path();
    let span = info_span!(
        "handle",
        otel.name = %format!("{method} {path}"),
        otel.kind = "server",
        otel.status_code = field::Empty,
        http.request.method = %method,
        url.path = %path,
        http.response.status_code = field::Empty,
    );
    let trace_context: Vec<(String, String)> = ["traceparent", "tracestate"]
        .into_iter()
        .filter_map(|name| {
            let value = req.headers().get(name)?.to_str().ok()?;
            Some((name.to_string(), value.to_string()))
        })
        .collect();
    if !trace_context.is_empty() {
        let _ = span.set_parent(wasmcloud_tracing::context::get_span_context(&trace_context));
    }
    span
}

/// Runs the handling of a request, then records its status on the current span and in the
/// metrics (a handling error is answered 500).
pub(crate) async fn observed<B>(
    handling: impl Future<Output = anyhow::Result<http::Response<B>>>,
) -> anyhow::Result<http::Response<B>> {
    let started = Instant::now();
    let result = handling.await;
    let status = match &result {
        Ok(response) => response.status().as_u16(),
        Err(_) => 500,
    };
    let span = Span::current();
    span.record("http.response.status_code", i64::from(status));
    if status >= 500 {
        span.record("otel.status_code", "ERROR");
    }
    let attributes = [KeyValue::new(
        "http.response.status_class",
        format!("{}xx", status / 100),
    )];
    let metrics = metrics();
    metrics.responses.add(1, &attributes);
    metrics
        .duration
        .record(started.elapsed().as_secs_f64(), &attributes);
    result
}
RS
replace "$http_server/mod.rs" \
'pub(crate) mod path;' \
'pub(crate) mod path;
mod telemetry;'
# A client gets 10 s to send a request's head (as behind the front door), so that slow or
# stalled clients cannot hold connections open for ever (hyper waits for ever without a timer).
replace "$http_server/mod.rs" \
'    let srv = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new());' \
'    let mut srv = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new());
    srv.http1()
        .timer(hyper_util::rt::TokioTimer::new())
        .header_read_timeout(std::time::Duration::from_secs(10));'
address="$http_server/address.rs"
replace "$address" \
'use tracing::{info_span, instrument, trace_span, Instrument as _, Span};' \
'use tracing::{instrument, trace_span, Instrument as _, Span};'
replace "$address" \
'                let target_id = Arc::clone(&target_id);
                async move {
                    let component = {' \
'                let target_id = Arc::clone(&target_id);
                let span = super::telemetry::request_span(&req);
                super::telemetry::observed(async move {
                    let component = {'
replace "$address" \
'                    anyhow::Ok(res)
                }
                .instrument(info_span!("handle"))' \
'                    anyhow::Ok(res)
                })
                .instrument(span)'

# Every outgoing call of a component is bounded by the host's rpc_timeout (see the runtime).
replace "$wasmbus" \
'        let (runtime, _epoch) = Runtime::builder()' \
'        wasmcloud_runtime::component::set_call_timeout(config.rpc_timeout);
        let (runtime, _epoch) = Runtime::builder()'
cat >>"$wasmbus" <<'RUST'

impl Host {
    /// Stops the host's work gracefully (added by movie-lattice's scripts/patch-crates.sh):
    /// no more control commands or heartbeats; every component unsubscribes and its
    /// invocations in flight finish (each within `timeout`); then every provider is asked to
    /// shut down and given `timeout` to finish its own work, before the host exits.
    pub async fn drain(&self, timeout: Duration) {
        self.ready.store(false, Ordering::Relaxed);
        self.queue.abort();
        self.heartbeat.abort();
        let components: Vec<Arc<Component>> =
            self.components.read().await.values().cloned().collect();
        for component in &components {
            component.exports.abort();
        }
        let deadline = tokio::time::Instant::now() + timeout;
        for component in &components {
            let permits = u32::try_from(component.max_instances.get()).unwrap_or(u32::MAX);
            let idle = tokio::time::timeout_at(deadline, component.permits.acquire_many(permits));
            if idle.await.is_err() {
                warn!(component_id = %component.id, "invocations still running at the drain deadline");
            }
        }
        info!(count = components.len(), "components drained");
        let providers: Vec<(String, Provider)> = self.providers.write().await.drain().collect();
        let lattice = &self.host_config.lattice;
        let host_id = self.host_key.public_key();
        let host_id = host_id.as_str();
        let stops = providers.into_iter().map(|(provider_id, mut provider)| async move {
            provider.shutdown.store(true, Ordering::Relaxed);
            let payload = serde_json::to_vec(&json!({ "host_id": host_id })).unwrap_or_default();
            let request = async_nats::Request::new()
                .payload(payload.into())
                .timeout(Some(timeout));
            let subject = format!("wasmbus.rpc.{lattice}.{provider_id}.default.shutdown");
            match self.rpc_nats.send_request(subject, request).await {
                Ok(_) => info!(provider_id, "provider shut down"),
                Err(e) => warn!(?e, provider_id, "provider did not shut down in time"),
            }
            // Give the process a moment to exit on its own before its task kills it.
            tokio::time::sleep(Duration::from_millis(200)).await;
            provider.tasks.abort_all();
        });
        futures::future::join_all(stops).await;
        info!("providers stopped");
    }
}
RUST

log "patching wasmcloud-runtime 0.12.0 (messaging deliveries traced under their invocation, outgoing calls bounded) into $PATCHED_DIR"
unpack wasmcloud-runtime 0.12.0
runtime_component="$PATCHED_DIR/wasmcloud-runtime/src/component/mod.rs"
replace "$runtime_component" \
'                timeout: max_execution_time,
            },' \
'                timeout: call_timeout(max_execution_time),
            },'
cat >>"$runtime_component" <<'RUST'

/// The longest one outgoing wRPC call of a component may take, from its start to its last
/// result byte, in milliseconds; 0 when unset (added by movie-lattice's
/// scripts/patch-crates.sh).
static CALL_TIMEOUT_MS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// Bounds every outgoing wRPC call of every component in this process by `timeout` (an
/// invocation's own execution limit still applies when it is shorter).
pub fn set_call_timeout(timeout: Duration) {
    let millis = u64::try_from(timeout.as_millis()).unwrap_or(u64::MAX);
    CALL_TIMEOUT_MS.store(millis, std::sync::atomic::Ordering::Relaxed);
}

fn call_timeout(max_execution_time: Duration) -> Duration {
    match CALL_TIMEOUT_MS.load(std::sync::atomic::Ordering::Relaxed) {
        0 => max_execution_time,
        millis => Duration::from_millis(millis).min(max_execution_time),
    }
}
RUST
messaging="$PATCHED_DIR/wasmcloud-runtime/src/component/messaging/mod.rs"
replace "$messaging" \
'use tracing::{instrument, warn, Span};' \
'use tracing::{instrument, warn, Instrument as _, Span};'
replace "$messaging" \
'        let res = if self.experimental_features.wasmcloud_messaging_v3 {' \
'        let res = async { if self.experimental_features.wasmcloud_messaging_v3 {'
replace "$messaging" \
'            v0_2::handle_message(pre, &mut store, msg).await
        };

        let success' \
'            v0_2::handle_message(pre, &mut store, msg).await
        } }
        .instrument(cx.deref().clone())
        .await;

        let success'

# A service call's store is made outside its invocation's span, so the span the runtime opens
# there is the lone root of a trace of its own per call, with nothing in it: leave it out
# (the deeper occurrence first: the other is a substring of it).
component="$PATCHED_DIR/wasmcloud-runtime/src/component/mod.rs"
replace "$component" \
'                                            let span = info_span!("call_instance_function");' \
'                                            let span = Span::none();'
replace "$component" \
'                                let span = info_span!("call_instance_function");' \
'                                let span = Span::none();'

log "patching wrpc-transport-nats 0.29.0 (ordered subscription demux) into $PATCHED_DIR"
unpack wrpc-transport-nats 0.29.0
replace "$PATCHED_DIR/wrpc-transport-nats/src/lib.rs" \
'                    select! {
                        Some(msg) = sub.next() => handle_message(&mut subs, msg).await,
                        Some(cmd) = cmd_rx.recv() => handle_command(&mut subs, cmd),' \
'                    select! {
                        biased;
                        Some(cmd) = cmd_rx.recv() => handle_command(&mut subs, cmd),
                        Some(msg) = sub.next() => handle_message(&mut subs, msg).await,'

log "preparing wash 0.43.0 as a member of the workspace in $PATCHED_DIR"
unpack wash 0.43.0
rm -f "$PATCHED_DIR/wash/build.rs" "$PATCHED_DIR/wash/Cargo.lock"
python3 "$ROOT/scripts/trim-manifest.py" "$PATCHED_DIR/wash/Cargo.toml"

echo "$PATCH_REVISION" >"$stamp"
