//! `wasmcloud-host`: a wasmCloud 1.x host (the `wasmcloud-host` 0.27.1 library, host v1.9.2).
//!
//! Options follow the official host: each flag can also be set with the `WASMCLOUD_*`
//! environment variable of the same meaning, and labels with `WASMCLOUD_LABEL_<key>=<value>`.
//!
//! `options.rs` holds the command line; this file builds the host from it, runs it and stops
//! it gracefully on Ctrl-C, SIGTERM or a lattice request (`wash stop host`): the drain is
//! announced to the load balancer (`drain.rs`), the host keeps serving for the grace period,
//! then its components finish their invocations in flight and its providers their own work.

mod drain;
mod metrics;
mod options;

use std::time::Duration;

use anyhow::Context as _;
use clap::Parser as _;
use telemetry::{LogFormat, Settings};
use tokio::signal::unix::{signal, SignalKind};
use wasmcloud_host::wasmbus::Host;

use crate::options::Options;

/// How long the library may take to stop, once drained, before we give up.
const SHUTDOWN_TIMEOUT: Duration = Duration::from_secs(5);

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let options = Options::parse();
    let telemetry = telemetry::init(&Settings {
        service: "wasmcloud-host".into(),
        filter: options.log_level.as_filter().into(),
        format: if options.structured_logging {
            LogFormat::Json
        } else {
            LogFormat::Plain
        },
        traces: options.trace_export()?,
    })?;
    if let Some(export) = options.trace_export()? {
        tracing::info!(endpoint = %export.endpoint, sampling = %export.sampling, "exporting spans");
    }
    // The host reads the global meter provider once, in `Host::new`.
    let metrics = match &options.metrics_address {
        Some(address) => Some(metrics::install(address).await?),
        None => None,
    };

    let drain_state = drain::DrainState::default();
    let agent = match options.drain_agent {
        Some(address) => Some(drain::serve_agent(address, drain_state.clone()).await?),
        None => None,
    };

    let config = options.host_config()?;
    let lattice = config.lattice.clone();
    let (host, shutdown) = Host::new(config)
        .await
        .context("failed to start the wasmCloud host")?;
    tracing::info!(%lattice, "wasmCloud host started");

    let mut sigterm = signal(SignalKind::terminate()).context("failed to watch SIGTERM")?;
    tokio::select! {
        _ = tokio::signal::ctrl_c() => tracing::info!("ctrl-c received, stopping"),
        _ = sigterm.recv() => tracing::info!("SIGTERM received, stopping"),
        stopped = host.stopped() => {
            stopped.context("host stopped with an error")?;
            tracing::info!("host stopped by a lattice request");
        }
    }
    drain_state.begin();
    let grace = Duration::from_millis(options.drain_grace_ms);
    if !grace.is_zero() {
        tracing::info!(
            ?grace,
            "drain announced; serving until the grace period ends"
        );
        tokio::time::sleep(grace).await;
    }
    host.drain(Duration::from_millis(options.drain_timeout_ms))
        .await;
    tracing::info!("host drained");
    drop(host);
    if let Some(agent) = agent {
        agent.abort();
    }
    tokio::time::timeout(SHUTDOWN_TIMEOUT, shutdown)
        .await
        .context("host did not stop in time")?
        .context("host failed to stop cleanly")?;
    tracing::info!("host stopped");
    if let Some((provider, endpoint)) = metrics {
        endpoint.task.abort();
        let _ = provider.shutdown();
    }
    telemetry.shutdown();
    Ok(())
}
