//! `lattice-auth`: writes the lattice's NATS identities (see the `nats_auth` crate) into a
//! folder: the seeds once, the server's configuration and every user's creds file each run.

use std::path::PathBuf;
use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::Context as _;
use clap::{Parser, Subcommand};
use nats_auth::roles::Topics;
use nats_auth::Identities;

#[derive(Debug, Parser)]
#[command(name = "lattice-auth", version, about)]
struct Options {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Make what is missing in DIR and write the server's configuration and the users' creds.
    Init {
        #[arg(long)]
        dir: PathBuf,
        /// The lattice the users' permissions are for.
        #[arg(long, env = "WASMCLOUD_LATTICE", default_value = "default")]
        lattice: String,
        /// The secrets backend's subject base (the hosts' secrets topic).
        #[arg(long, default_value = "wasmcloud.secrets")]
        secrets_topic: String,
        /// The secrets backend's name.
        #[arg(long, default_value = "nats-kv")]
        secrets_backend: String,
        /// The policy service's topic.
        #[arg(long, default_value = "wasmcloud.policy")]
        policy_topic: String,
    },
}

fn main() -> anyhow::Result<()> {
    match Options::parse().command {
        Command::Init {
            dir,
            lattice,
            secrets_topic,
            secrets_backend,
            policy_topic,
        } => {
            let topics = Topics::parse(&lattice, &secrets_topic, &secrets_backend, &policy_topic)?;
            let now = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .context("the clock is before 1970")?
                .as_secs();
            let identities = Identities::open(&dir)
                .with_context(|| format!("failed to open the identities in {}", dir.display()))?;
            let written = identities.write(&topics, now)?;
            eprintln!(
                "NATS identities for lattice '{lattice}' in {}: account {}, users {}",
                dir.display(),
                identities.lattice_account(),
                written
                    .users
                    .iter()
                    .map(|(role, _)| role.name)
                    .collect::<Vec<_>>()
                    .join(", ")
            );
            Ok(())
        }
    }
}
