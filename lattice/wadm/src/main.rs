//! `wadm`: the wasmCloud application deployment manager (wadm 0.21.1) as a binary.
//!
//! Every option is wadm's own (`wadm --help`), read from flags or `WADM_*` environment
//! variables; this binary only adds logging and a clean stop on Ctrl-C / SIGTERM.

use anyhow::Context as _;
use clap::Parser as _;
use tokio::signal::unix::{signal, SignalKind};
use tracing_subscriber::EnvFilter;
use wadm::config::WadmConfig;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let config = WadmConfig::parse();
    init_tracing(config.structured_logging);

    let mut tasks = wadm::start_wadm(config)
        .await
        .context("failed to start wadm")?;
    tracing::info!("wadm started");

    let mut sigterm = signal(SignalKind::terminate()).context("failed to watch SIGTERM")?;
    tokio::select! {
        _ = tokio::signal::ctrl_c() => tracing::info!("ctrl-c received, stopping"),
        _ = sigterm.recv() => tracing::info!("SIGTERM received, stopping"),
        finished = tasks.join_next() => {
            // A wadm task ending on its own is a failure: report why.
            match finished {
                Some(Ok(Ok(()))) | None => anyhow::bail!("a wadm task stopped unexpectedly"),
                Some(Ok(Err(err))) => return Err(err.context("a wadm task failed")),
                Some(Err(err)) => return Err(anyhow::Error::new(err).context("a wadm task panicked")),
            }
        }
    }
    tasks.shutdown().await;
    Ok(())
}

fn init_tracing(structured: bool) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter);
    if structured {
        builder.json().init();
    } else {
        builder.init();
    }
}
