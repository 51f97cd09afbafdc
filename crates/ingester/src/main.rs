//! `movie-ingester`: sends rating events from a file to Kafka and creates the topics.
//!
//! ```text
//! movie-ingester send ratings.json          # JSON array or JSON lines
//! movie-ingester topics                     # create `ratings` and `ratings.dlq` if missing
//! ```
//!
//! The library (`lib.rs`) reads event files into keyed messages; this binary produces them
//! (with `kafka-settings`' producer) and creates topics.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::{bail, Context as _};
use clap::{Parser, Subcommand};
use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::error::RDKafkaErrorCode;
use rdkafka::producer::{FutureProducer, FutureRecord, Producer as _};
use rdkafka::ClientConfig;

#[derive(Parser)]
#[command(name = "movie-ingester", version, about = "Rating events into Kafka")]
struct Cli {
    /// Kafka bootstrap servers.
    #[arg(
        long,
        env = "KAFKA_BROKERS",
        default_value = "127.0.0.1:9092",
        global = true
    )]
    brokers: String,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Produce every event of FILE to the topic, in order, and report how many were sent.
    Send {
        file: PathBuf,
        #[arg(long, default_value = "ratings")]
        topic: String,
    },
    /// Create the topics if they do not exist.
    Topics {
        #[arg(default_values = ["ratings", "ratings.dlq"])]
        names: Vec<String>,
        #[arg(long, default_value_t = 3)]
        partitions: i32,
    },
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    match cli.command {
        Command::Send { file, topic } => send(&cli.brokers, &file, &topic).await,
        Command::Topics { names, partitions } => {
            create_topics(&cli.brokers, &names, partitions).await
        }
    }
}

async fn send(brokers: &str, file: &PathBuf, topic: &str) -> anyhow::Result<()> {
    let contents =
        std::fs::read_to_string(file).with_context(|| format!("cannot read {}", file.display()))?;
    let events = movie_ingester::events_from_file(&contents)?;
    let producer: FutureProducer = kafka_settings::producer(brokers, "movie-ingester")
        .set("linger.ms", "5")
        .create()
        .context("failed to create the producer")?;
    let started = Instant::now();
    // Queue everything, then wait for every delivery report, so the broker sees the file in
    // order and we know each event's fate.
    let deliveries: Vec<_> = events
        .iter()
        .map(|event| {
            let record = FutureRecord::<str, [u8]>::to(topic).payload(event.value.as_slice());
            let record = match &event.key {
                Some(key) => record.key(key.as_str()),
                None => record,
            };
            producer.send_result(record).map_err(|(err, _record)| err)
        })
        .collect();
    let mut sent = 0usize;
    let mut failed = 0usize;
    for delivery in deliveries {
        match delivery {
            Ok(future) => match future.await {
                Ok(Ok(_)) => sent += 1,
                Ok(Err((err, _))) => {
                    failed += 1;
                    eprintln!("delivery failed: {err}");
                }
                Err(_) => failed += 1,
            },
            Err(err) => {
                failed += 1;
                eprintln!("could not queue an event: {err}");
            }
        }
    }
    producer
        .flush(Duration::from_secs(30))
        .context("flush failed")?;
    println!(
        "sent {sent} of {} events to {topic} in {:.2?}",
        events.len(),
        started.elapsed()
    );
    if failed > 0 {
        bail!("{failed} events were not delivered");
    }
    Ok(())
}

async fn create_topics(brokers: &str, names: &[String], partitions: i32) -> anyhow::Result<()> {
    let admin: AdminClient<DefaultClientContext> = ClientConfig::new()
        .set("bootstrap.servers", brokers)
        .create()
        .context("failed to create the admin client")?;
    let topics: Vec<NewTopic<'_>> = names
        .iter()
        .map(|name| NewTopic::new(name, partitions, TopicReplication::Fixed(1)))
        .collect();
    let options = AdminOptions::new().operation_timeout(Some(Duration::from_secs(10)));
    let results = admin
        .create_topics(&topics, &options)
        .await
        .context("CreateTopics failed")?;
    for result in results {
        match result {
            Ok(name) => println!("created topic {name}"),
            Err((name, RDKafkaErrorCode::TopicAlreadyExists)) => println!("topic {name} exists"),
            Err((name, code)) => bail!("cannot create topic {name}: {code}"),
        }
    }
    Ok(())
}
