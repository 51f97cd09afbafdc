//! `lattice-streams`: keeps the lattice's JetStream state on every node of a NATS cluster.
//!
//! The host and wadm create their key-value buckets and streams with one replica, and never
//! change one that exists. On a cluster that leaves each of them on a single node: lose that
//! node and wadm forgets its apps, or the hosts their links and config. `check` tells whether
//! they all have the replica count the cluster can hold; `replicate` puts them there (on a new
//! cluster, with no host or wadm connected); `show` prints where every stream lives.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context as _};
use async_nats::jetstream::{self, consumer, stream};
use clap::{Parser, Subcommand};
use futures::TryStreamExt as _;
use serde_json::{json, Value};

#[derive(Debug, Parser)]
#[command(name = "lattice-streams", version, about)]
struct Options {
    /// A NATS server of the cluster (the client finds the others).
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

    /// The lattice whose buckets are expected (the host's carry its name).
    #[arg(long, env = "WASMCLOUD_LATTICE", default_value = "default")]
    lattice: String,

    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Wait until every bucket and stream of the lattice exists, raise each stream (and its
    /// durable consumers) to REPLICAS, and wait until every replica has caught up.
    Replicate {
        #[arg(long)]
        replicas: usize,
        /// Give up after this many seconds.
        #[arg(long, default_value_t = 60)]
        timeout_s: u64,
    },
    /// Wait until every bucket and stream of the lattice exists, then exit 0 if each has
    /// REPLICAS already, 1 (naming those that do not) otherwise.
    Check {
        #[arg(long)]
        replicas: usize,
        /// Give up after this many seconds.
        #[arg(long, default_value_t = 60)]
        timeout_s: u64,
    },
    /// Wait until every stream that exists has a leader (after the cluster restarts, its
    /// streams elect theirs; a host or wadm that starts before cannot open its buckets).
    Ready {
        /// Give up after this many seconds.
        #[arg(long, default_value_t = 60)]
        timeout_s: u64,
    },
    /// Print every stream with its replica count, leader, peers and durable consumers, as JSON.
    Show,
}

/// The streams the lattice cannot lose: the host's buckets (links and config, per lattice),
/// wadm's buckets and streams (apps, state, commands, events) and the secrets backend's.
fn lattice_streams(lattice: &str) -> BTreeSet<String> {
    let mut names: BTreeSet<String> = [
        "KV_wadm_state",
        "KV_wadm_manifests",
        "wadm_commands",
        "wadm_events",
        "wadm_event_consumer",
        "wadm_status",
        "wadm_notify",
        "wasmbus_events",
        // The secrets backend's (scripts/secrets.sh): the sealed secrets, which identity may
        // read which, and the lock that orders writes to that mapping.
        "KV_WASMCLOUD_SECRETS",
        "KV_SECRETS_nats-kv_state",
        "SECRETS_nats-kv_state_lock",
    ]
    .into_iter()
    .map(String::from)
    .collect();
    names.insert(format!("KV_LATTICEDATA_{lattice}"));
    names.insert(format!("KV_CONFIGDATA_{lattice}"));
    names
}

/// The replica count a stream or consumer should be raised to, if any: never lowered, and a
/// consumer with 0 (inherit the stream's) that already has enough peers is left alone.
fn raise_to(configured: usize, actual_peers: usize, wanted: usize) -> Option<usize> {
    (configured.max(actual_peers) < wanted).then_some(wanted)
}

/// Replicas a stream or consumer has now: its leader plus its followers.
fn peers(cluster: Option<&stream::ClusterInfo>) -> usize {
    cluster.map_or(1, |cluster| {
        usize::from(cluster.leader.is_some()) + cluster.replicas.len()
    })
}

/// Whether every follower of a stream has caught up with its leader.
fn caught_up(info: &stream::Info, wanted: usize) -> bool {
    info.cluster.as_ref().is_some_and(|cluster| {
        cluster.leader.is_some()
            && cluster.replicas.len() + 1 >= wanted
            && cluster.replicas.iter().all(|peer| peer.current)
    })
}

async fn stream_names(js: &jetstream::Context) -> anyhow::Result<BTreeSet<String>> {
    js.stream_names()
        .try_collect()
        .await
        .context("listing JetStream streams")
}

/// Every stream, once those the lattice needs all exist (waiting until `deadline`).
async fn existing_streams(
    js: &jetstream::Context,
    lattice: &str,
    deadline: Instant,
) -> anyhow::Result<BTreeSet<String>> {
    let expected = lattice_streams(lattice);
    loop {
        let names = stream_names(js).await?;
        let missing: Vec<_> = expected.difference(&names).collect();
        if missing.is_empty() {
            return Ok(names);
        }
        if Instant::now() >= deadline {
            bail!("these streams still do not exist (are wadm and a host running?): {missing:?}");
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// The streams that have fewer than `replicas` replicas.
async fn below(
    js: &jetstream::Context,
    lattice: &str,
    replicas: usize,
    timeout: Duration,
) -> anyhow::Result<Vec<String>> {
    let mut low = Vec::new();
    for name in existing_streams(js, lattice, Instant::now() + timeout).await? {
        let mut handle = js.get_stream(&name).await?;
        let info = handle.info().await?;
        if raise_to(
            info.config.num_replicas,
            peers(info.cluster.as_ref()),
            replicas,
        )
        .is_some()
        {
            low.push(name);
        }
    }
    Ok(low)
}

/// Raises the durable consumers of stream `name` to `replicas` (ephemeral ones belong to one
/// connection and go with it).
async fn raise_consumers(
    js: &jetstream::Context,
    name: &str,
    replicas: usize,
) -> anyhow::Result<()> {
    let handle = js.get_stream(name).await?;
    let consumers: Vec<String> = handle
        .consumer_names()
        .try_collect()
        .await
        .with_context(|| format!("consumers of {name}"))?;
    for consumer_name in consumers {
        let info = handle
            .consumer_info(&consumer_name)
            .await
            .map_err(|err| anyhow!("consumer {consumer_name} of {name}: {err}"))?;
        if info.config.durable_name.is_none() {
            continue;
        }
        let now = peers(info.cluster.as_ref());
        if let Some(wanted) = raise_to(info.config.num_replicas, now, replicas) {
            let mut config: consumer::Config = info.config.clone();
            config.num_replicas = wanted;
            handle.update_consumer(config).await.with_context(|| {
                format!("raising consumer {consumer_name} of {name} to {wanted} replicas")
            })?;
            println!("{name}/{consumer_name}: {now} -> {wanted} replicas");
        }
    }
    Ok(())
}

/// Streams whose messages the lattice cannot make again: wadm's deployed apps, the secrets and
/// who may read them. The others hold what the hosts and wadm write again as they run (links,
/// config, host state, events).
const KEEP_MESSAGES: &[&str] = &[
    "KV_wadm_manifests",
    "KV_WASMCLOUD_SECRETS",
    "KV_SECRETS_nats-kv_state",
];

/// Puts every stream below `replicas` on that many. Raising a stream's replicas in place was
/// seen to stop the streams that source from it (wadm's event stream): so each is made anew
/// with the same configuration, sources before the streams that source from them, and its
/// messages are dropped, unless the lattice cannot make them again (then it is raised in place).
/// Run it with no host or wadm connected: they would see their streams vanish.
async fn ready(js: &jetstream::Context, timeout: Duration) -> anyhow::Result<()> {
    let deadline = Instant::now() + timeout;
    let names = loop {
        match stream_names(js).await {
            Ok(names) => break names,
            Err(err) if Instant::now() >= deadline => return Err(err),
            Err(_) => tokio::time::sleep(Duration::from_millis(250)).await,
        }
    };
    for name in &names {
        loop {
            let led = match js.get_stream(name).await {
                Ok(mut handle) => handle
                    .info()
                    .await
                    .is_ok_and(|info| info.cluster.as_ref().is_none_or(|c| c.leader.is_some())),
                Err(_) => false,
            };
            if led {
                break;
            }
            if Instant::now() >= deadline {
                bail!("stream {name} has no leader after {timeout:?}");
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    }
    println!("{} streams, each with a leader", names.len());
    Ok(())
}

async fn replicate(
    js: &jetstream::Context,
    lattice: &str,
    replicas: usize,
    timeout: Duration,
) -> anyhow::Result<()> {
    let deadline = Instant::now() + timeout;
    let names = existing_streams(js, lattice, deadline).await?;

    let mut low = Vec::new();
    for name in &names {
        let mut handle = js
            .get_stream(name)
            .await
            .with_context(|| format!("stream {name}"))?;
        let info = handle
            .info()
            .await
            .with_context(|| format!("info of {name}"))?
            .clone();
        if raise_to(
            info.config.num_replicas,
            peers(info.cluster.as_ref()),
            replicas,
        )
        .is_some()
        {
            low.push(info);
        }
    }
    // Streams that source from others last, so that they start sourcing from the new ones.
    low.sort_by_key(|info| !info.config.sources.as_ref().is_none_or(Vec::is_empty));

    for info in low {
        let name = info.config.name.clone();
        let mut config = info.config.clone();
        config.num_replicas = replicas;
        let messages = info.state.messages;
        if messages > 0 && KEEP_MESSAGES.contains(&name.as_str()) {
            js.update_stream(&config)
                .await
                .with_context(|| format!("raising {name} to {replicas} replicas"))?;
            raise_consumers(js, &name, replicas).await?;
            println!(
                "{name}: {} -> {replicas} replicas, in place (it keeps its {messages} messages)",
                info.config.num_replicas
            );
            continue;
        }
        js.delete_stream(&name)
            .await
            .with_context(|| format!("removing {name} to make it anew"))?;
        js.create_stream(config)
            .await
            .with_context(|| format!("making {name} on {replicas} replicas"))?;
        println!(
            "{name}: {} -> {replicas} replicas, made anew ({messages} messages dropped)",
            info.config.num_replicas
        );
    }

    for name in &names {
        loop {
            let mut handle = js.get_stream(name).await?;
            if caught_up(handle.info().await?, replicas) {
                break;
            }
            if Instant::now() >= deadline {
                bail!("stream {name} has not caught up on {replicas} replicas after {timeout:?}");
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    }
    println!(
        "{} streams on {replicas} replicas, every replica current",
        names.len()
    );
    Ok(())
}

fn cluster_json(cluster: Option<&stream::ClusterInfo>) -> Value {
    cluster.map_or(Value::Null, |cluster| {
        json!({
            "leader": cluster.leader,
            "followers": cluster.replicas.iter().map(|peer| json!({
                "name": peer.name, "current": peer.current, "offline": peer.offline,
            })).collect::<Vec<_>>(),
        })
    })
}

async fn show(js: &jetstream::Context) -> anyhow::Result<Value> {
    let mut streams = Vec::new();
    for name in stream_names(js).await? {
        let mut handle = js.get_stream(&name).await?;
        let info = handle.info().await?.clone();
        let mut consumers = Vec::new();
        let names: Vec<String> = handle.consumer_names().try_collect().await?;
        for consumer_name in names {
            let consumer = handle
                .consumer_info(&consumer_name)
                .await
                .map_err(|err| anyhow!("consumer {consumer_name} of {name}: {err}"))?;
            consumers.push(json!({
                "name": consumer_name,
                "durable": consumer.config.durable_name.is_some(),
                "replicas": peers(consumer.cluster.as_ref()),
                "cluster": cluster_json(consumer.cluster.as_ref()),
            }));
        }
        streams.push(json!({
            "name": name,
            "configured_replicas": info.config.num_replicas,
            "replicas": peers(info.cluster.as_ref()),
            "cluster": cluster_json(info.cluster.as_ref()),
            "consumers": consumers,
        }));
    }
    Ok(Value::Array(streams))
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let options = Options::parse();
    let mut connect = async_nats::ConnectOptions::new();
    if let Some(creds) = &options.nats_creds {
        connect = connect
            .credentials_file(creds)
            .await
            .with_context(|| format!("reading the NATS creds file {}", creds.display()))?;
    }
    let client = connect
        .connect(&options.nats)
        .await
        .with_context(|| format!("connecting to {}", options.nats))?;
    let js = jetstream::new(client);
    match options.command {
        Command::Replicate {
            replicas,
            timeout_s,
        } => {
            replicate(
                &js,
                &options.lattice,
                replicas,
                Duration::from_secs(timeout_s),
            )
            .await
        }
        Command::Check {
            replicas,
            timeout_s,
        } => {
            let low = below(
                &js,
                &options.lattice,
                replicas,
                Duration::from_secs(timeout_s),
            )
            .await?;
            if low.is_empty() {
                println!("every stream has {replicas} replicas");
                return Ok(());
            }
            println!("below {replicas} replicas: {}", low.join(" "));
            std::process::exit(1);
        }
        Command::Ready { timeout_s } => ready(&js, Duration::from_secs(timeout_s)).await,
        Command::Show => {
            println!("{}", serde_json::to_string_pretty(&show(&js).await?)?);
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_lattice_buckets_carry_its_name() {
        let names = lattice_streams("prod");
        assert!(names.contains("KV_LATTICEDATA_prod"));
        assert!(names.contains("KV_CONFIGDATA_prod"));
        assert!(names.contains("KV_wadm_manifests"));
        assert!(names.contains("KV_WASMCLOUD_SECRETS"));
        assert_eq!(names.len(), 13);
    }

    #[test]
    fn what_cannot_be_made_again_is_kept() {
        let names = lattice_streams("default");
        for kept in KEEP_MESSAGES {
            assert!(
                names.contains(*kept),
                "{kept} is one of the lattice's streams"
            );
        }
    }

    #[test]
    fn replicas_are_raised_never_lowered() {
        assert_eq!(raise_to(1, 1, 3), Some(3));
        assert_eq!(raise_to(3, 3, 3), None);
        assert_eq!(raise_to(5, 5, 3), None);
        // A consumer inheriting the stream's count (0) that already has three peers.
        assert_eq!(raise_to(0, 3, 3), None);
        assert_eq!(raise_to(0, 1, 3), Some(3));
    }
}
