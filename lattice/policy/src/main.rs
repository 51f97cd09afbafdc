//! `lattice-policy`: the hosts' policy service. Before a host starts a component or a provider,
//! and before it first invokes a component's function, it asks on the policy topic; with no
//! answer it denies. This service answers: permitted only for artifacts whose embedded claims
//! the project's key issued (see [`decision`]), with the reason of every denial in the host's
//! log and in ours.

mod decision;

use std::path::PathBuf;

use anyhow::Context as _;
use clap::Parser;
use futures::StreamExt as _;
use tracing::{debug, info, warn};

use decision::{Issuer, Policy, Request, Response};

#[derive(Debug, Parser)]
#[command(name = "lattice-policy", version, about)]
struct Options {
    /// A NATS server of the lattice.
    #[arg(
        long,
        env = "LATTICE_NATS_URL",
        default_value = "nats://127.0.0.1:4222"
    )]
    nats: String,

    /// A creds file (a user's JWT and seed) to connect with; without one, the connection is
    /// anonymous, which an authenticated lattice refuses.
    #[arg(long, env = "LATTICE_NATS_CREDS")]
    nats_creds: Option<PathBuf>,

    /// The subject the hosts send their requests to (their `--policy-topic`).
    #[arg(
        long,
        env = "WASMCLOUD_POLICY_TOPIC",
        default_value = "wasmcloud.policy"
    )]
    topic: String,

    /// A file holding the seed of a key whose signatures are trusted (wash's `*_account.nk`):
    /// only its public key is kept.
    #[arg(long = "issuer-key-file")]
    issuer_key_files: Vec<PathBuf>,

    /// The public key of a trusted issuer (A..., 56 characters).
    #[arg(long = "trusted-issuer")]
    trusted_issuers: Vec<String>,
}

/// The public key of the seed in `path`.
fn issuer_of(path: &PathBuf) -> anyhow::Result<Issuer> {
    let seed = std::fs::read_to_string(path)
        .with_context(|| format!("reading the key {}", path.display()))?;
    let key = nkeys::KeyPair::from_seed(seed.trim())
        .with_context(|| format!("{} does not hold an nkey seed", path.display()))?;
    Issuer::parse(&key.public_key())
        .with_context(|| format!("the key in {} is not an account key", path.display()))
}

fn policy(options: &Options) -> anyhow::Result<Policy> {
    let mut issuers = Vec::new();
    for path in &options.issuer_key_files {
        issuers.push(issuer_of(path)?);
    }
    for raw in &options.trusted_issuers {
        issuers.push(Issuer::parse(raw)?);
    }
    Ok(Policy::new(issuers)?)
}

/// The answer to one message: a decision, or a denial of what cannot be read.
fn answer(policy: &Policy, payload: &[u8]) -> Response {
    match serde_json::from_slice::<Request>(payload) {
        Ok(request) => {
            let response = policy.decide(&request);
            match &response.message {
                Some(reason) => {
                    warn!(request = %request.request_id, kind = %request.kind, %reason, "denied")
                }
                None => debug!(request = %request.request_id, kind = %request.kind, "permitted"),
            }
            response
        }
        Err(err) => {
            warn!(error = %err, "denied an unreadable policy request");
            Response {
                request_id: String::new(),
                permitted: false,
                message: Some(format!("unreadable policy request: {err}")),
            }
        }
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .with_ansi(false)
        .init();
    let options = Options::parse();
    let policy = policy(&options)?;
    let mut connect = async_nats::ConnectOptions::new();
    if let Some(creds) = &options.nats_creds {
        connect = connect
            .credentials_file(creds)
            .await
            .with_context(|| format!("reading the NATS creds file {}", creds.display()))?;
    }
    let nats = connect
        .connect(&options.nats)
        .await
        .with_context(|| format!("connecting to NATS at {}", options.nats))?;
    // A queue group: several instances share the requests.
    let mut requests = nats
        .queue_subscribe(options.topic.clone(), "lattice-policy".into())
        .await
        .context("subscribing to the policy topic")?;
    info!(topic = %options.topic, ?policy, "answering policy requests");

    let mut terminate = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .context("SIGTERM handler")?;
    loop {
        tokio::select! {
            message = requests.next() => {
                let Some(message) = message else { break };
                let Some(reply) = message.reply.clone() else {
                    warn!("a policy request without a reply subject; ignored");
                    continue;
                };
                let response = answer(&policy, &message.payload);
                let body = serde_json::to_vec(&response).context("encoding a response")?;
                if let Err(err) = nats.publish(reply, body.into()).await {
                    warn!(error = %err, "could not answer a policy request");
                }
            }
            _ = terminate.recv() => break,
            _ = tokio::signal::ctrl_c() => break,
        }
    }
    nats.flush().await.ok();
    info!("stopped");
    Ok(())
}
