//! `movie-native`: the native baseline that `make bench` compares the lattice against.
//!
//! The same two paths the lattice runs, hand-written as one plain tokio program with no
//! wasmCloud, NATS or wRPC in between:
//! - `serve`: `GET /movie?id=` (the gateway + metadata + rating components) straight on two
//!   Postgres pools;
//! - `consume`: the rating events from Kafka (the Kafka provider + rating component) applied to
//!   Postgres in batches.
//!
//! One module per path (`serve.rs`, `consume.rs`); this file parses the command line.
//!
//! For benchmarking only; the product is the lattice.

#![forbid(unsafe_code)]

mod consume;
mod serve;

use anyhow::Context as _;
use clap::{Parser, Subcommand};
use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod, Runtime};

#[derive(Debug, Parser)]
#[command(
    version,
    about = "The native baseline of `make bench` (not part of the lattice)"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Answers `GET /movie?id=` like the lattice gateway, straight from Postgres.
    Serve(serve::Args),
    /// Applies rating events from Kafka to Postgres in batches, like the rating consumer.
    Consume(consume::Args),
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    init_logging();
    match Cli::parse().command {
        Command::Serve(args) => serve::serve(args).await,
        Command::Consume(args) => consume::consume(args).await,
    }
}

/// Logs to stderr; `RUST_LOG` overrides the default (`info`, librdkafka's at `warn`).
fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,rdkafka=warn"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
}

/// How long a request may wait for (or to open) a pooled connection before the database
/// counts as unreachable.
const CONNECTION_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);

/// How the baseline reaches Postgres beyond its URLs: as the lattice's Postgres provider does,
/// with TLS verified against the project's CA and the role's password from its file.
#[derive(Debug, Clone, clap::Args)]
pub struct PgAccess {
    /// The CA file the database's certificate must lead to: connect with TLS (verify-full).
    #[arg(long, env = "MOVIE_LATTICE_PG_CA_FILE")]
    pg_ca_file: Option<std::path::PathBuf>,
    /// A file holding the role's password (when the URLs carry none).
    #[arg(long, env = "MOVIE_LATTICE_PG_PASSWORD_FILE")]
    pg_password_file: Option<std::path::PathBuf>,
}

/// A pool of at most `size` connections to `url` (`postgres://user@host:port/db`), reached as
/// `access` says. It connects lazily, so a database that is down at start is picked up once it
/// is back.
fn pool(url: &str, size: usize, access: &PgAccess) -> anyhow::Result<Pool> {
    let mut config: tokio_postgres::Config = url
        .parse()
        .with_context(|| format!("invalid database URL {url:?}"))?;
    if let Some(path) = &access.pg_password_file {
        let password = std::fs::read_to_string(path)
            .with_context(|| format!("the password file {}", path.display()))?;
        config.password(password.trim());
    }
    // As the sqldb-postgres provider: a closed connection is replaced on checkout.
    let manager_config = ManagerConfig {
        recycling_method: RecyclingMethod::Fast,
    };
    let manager = match &access.pg_ca_file {
        Some(path) => {
            let connector = postgres_tls::TrustedCas::from_file(path)
                .and_then(|cas| cas.connector())
                .context("the Postgres CA")?;
            config.ssl_mode(tokio_postgres::config::SslMode::Require);
            Manager::from_config(config, connector, manager_config)
        }
        None => Manager::from_config(config, tokio_postgres::NoTls, manager_config),
    };
    Pool::builder(manager)
        .max_size(size)
        .wait_timeout(Some(CONNECTION_TIMEOUT))
        .create_timeout(Some(CONNECTION_TIMEOUT))
        .runtime(Runtime::Tokio1)
        .build()
        .context("failed to build the connection pool")
}

/// Resolves on the first SIGINT or SIGTERM.
async fn shutdown_signal() {
    let interrupt = async {
        if let Err(err) = tokio::signal::ctrl_c().await {
            tracing::warn!(error = %err, "cannot listen for SIGINT");
            std::future::pending::<()>().await;
        }
    };
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(err) => {
                tracing::warn!(error = %err, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    tokio::select! {
        () = interrupt => {}
        () = terminate => {}
    }
}
