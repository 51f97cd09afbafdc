//! Connecting to the lattice's NATS, which runs in operator mode (crates/nats-auth): as one of
//! its users, with that user's creds file, or (to see it refused) with none.

use std::path::PathBuf;

use anyhow::Context as _;

/// The NATS address of the lattice (CONTRACT.md).
pub const ADDRESS: &str = "127.0.0.1:4222";

/// The creds file of the lattice's user `role` (host, wadm, ops, secrets, policy): beside the
/// operators' (`LATTICE_NATS_CREDS`, which scripts/env.sh exports), or in the default
/// credentials folder.
pub fn creds(role: &str) -> PathBuf {
    let ops = std::env::var_os("LATTICE_NATS_CREDS")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            let cache = std::env::var_os("MOVIE_LATTICE_CACHE")
                .map(PathBuf::from)
                .unwrap_or_else(|| {
                    PathBuf::from(std::env::var_os("HOME").unwrap_or_default())
                        .join(".cache/movie-lattice")
                });
            cache.join("credentials/nats/users/ops.creds")
        });
    ops.with_file_name(format!("{role}.creds"))
}

/// The folder of the lattice's identities (seeds, creds, the servers' configuration).
pub fn identities_dir() -> PathBuf {
    let ops = creds("ops");
    ops.parent()
        .and_then(std::path::Path::parent)
        .map(PathBuf::from)
        .unwrap_or_default()
}

/// A connection as the lattice's user `role`.
pub async fn connect_as(role: &str) -> anyhow::Result<async_nats::Client> {
    let path = creds(role);
    async_nats::ConnectOptions::with_credentials_file(&path)
        .await
        .with_context(|| format!("failed to read the creds file {}", path.display()))?
        .name("movie-e2e")
        .connect(ADDRESS)
        .await
        .with_context(|| format!("failed to connect to NATS as {role}"))
}

/// A connection as the operators' user, which the tests use.
pub async fn connect() -> anyhow::Result<async_nats::Client> {
    connect_as("ops").await
}
