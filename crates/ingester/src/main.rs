//! `movie-ingester`: sends rating events from a file to Kafka and creates the topics.
//!
//! ```text
//! movie-ingester send ratings.json          # JSON array or JSON lines
//! movie-ingester topics                     # create `ratings` and `ratings.dlq` if missing
//! ```
//!
//! The library (`lib.rs`) reads event files into keyed messages; this binary produces them
//! (with `kafka-settings`' producer) and creates topics.
//!
//! With `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` set, each event is sent in a span of its own,
//! whose W3C `traceparent` goes in the message's headers: the event's trace then follows it
//! through the Kafka provider into the rating service. `--show-trace-ids` prints each event's
//! trace id.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::{bail, Context as _};
use clap::{Parser, Subcommand};
use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::error::RDKafkaErrorCode;
use rdkafka::message::{Header, OwnedHeaders};
use rdkafka::producer::{FutureProducer, FutureRecord, Producer as _};
use rdkafka::ClientConfig;
use telemetry::{LogFormat, Sampling, Settings, TraceExport};
use tracing::{field, info_span};

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
    /// OTLP/HTTP traces URL: when set, each event is traced from here.
    #[arg(long, env = "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", global = true)]
    traces_endpoint: Option<String>,
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
        /// Print `event <n> trace <trace id>` for each event sent in a trace.
        #[arg(long)]
        show_trace_ids: bool,
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
    let traces = cli
        .traces_endpoint
        .as_deref()
        .map(str::trim)
        .filter(|endpoint| !endpoint.is_empty())
        .map(|endpoint| TraceExport {
            endpoint: endpoint.to_string(),
            sampling: Sampling::AlwaysOn,
        });
    let telemetry = telemetry::init(&Settings {
        service: "movie-ingester".into(),
        filter: "warn,movie_ingester=info".into(),
        format: LogFormat::Plain,
        traces,
    })?;
    let result = match cli.command {
        Command::Send {
            file,
            topic,
            show_trace_ids,
        } => send(&cli.brokers, &file, &topic, show_trace_ids).await,
        Command::Topics { names, partitions } => {
            create_topics(&cli.brokers, &names, partitions).await
        }
    };
    // Export the events' spans before exiting.
    tokio::task::spawn_blocking(move || telemetry.shutdown())
        .await
        .context("flushing spans failed")?;
    result
}

async fn send(
    brokers: &str,
    file: &PathBuf,
    topic: &str,
    show_trace_ids: bool,
) -> anyhow::Result<()> {
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
        .enumerate()
        .map(|(index, event)| {
            // One trace per event; the span lasts until the broker has the event.
            let span = info_span!(
                "ratings publish",
                otel.name = %format!("{topic} publish"),
                otel.kind = "producer",
                messaging.system = "kafka",
                messaging.operation = "publish",
                messaging.destination.name = %topic,
                messaging.kafka.message.key = event.key.as_deref().unwrap_or(""),
                messaging.kafka.destination.partition = field::Empty,
                messaging.kafka.message.offset = field::Empty,
            );
            let mut headers = OwnedHeaders::new();
            for (key, value) in telemetry::propagation::headers_of(&span) {
                headers = headers.insert(Header {
                    key: &key,
                    value: Some(&value),
                });
            }
            if show_trace_ids {
                if let Some(trace_id) = telemetry::propagation::trace_id_of(&span) {
                    println!("event {} trace {trace_id}", index + 1);
                }
            }
            let record = FutureRecord::<str, [u8]>::to(topic)
                .payload(event.value.as_slice())
                .headers(headers);
            let record = match &event.key {
                Some(key) => record.key(key.as_str()),
                None => record,
            };
            (
                span,
                producer.send_result(record).map_err(|(err, _record)| err),
            )
        })
        .collect();
    let mut sent = 0usize;
    let mut failed = 0usize;
    for (span, delivery) in deliveries {
        match delivery {
            Ok(future) => match future.await {
                Ok(Ok(delivery)) => {
                    span.record("messaging.kafka.destination.partition", delivery.partition);
                    span.record("messaging.kafka.message.offset", delivery.offset);
                    sent += 1
                }
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
