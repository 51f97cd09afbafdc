//! `movie-native consume`: the hand-written native equivalent of the lattice's rating-event
//! path (messaging-kafka provider → rating component → sqldb-postgres provider), for
//! `make bench` only.
//!
//! Events are parsed and validated by `movie-domain` as in the lattice, then applied in
//! batches: up to `--batch-size` messages, or whatever arrived within [`BATCH_WINDOW`] of the
//! first, in one transaction of two multi-row statements. Offsets are committed only after
//! that transaction commits (at-least-once; replays change nothing). Unlike the lattice,
//! invalid events are only counted and logged, not dead-lettered.

use std::collections::HashMap;
use std::time::Duration;

use anyhow::Context as _;
use deadpool_postgres::Pool;
use movie_domain::{Rating, RatingCommand};
use rdkafka::consumer::{CommitMode, Consumer, StreamConsumer};
use rdkafka::error::KafkaError;
use rdkafka::types::RDKafkaErrorCode;
use rdkafka::{ClientConfig, Message};
use tokio::sync::watch;
use tokio::time::Instant;
use tracing::{info, warn};

/// How long a batch waits for more messages after its first one.
const BATCH_WINDOW: Duration = Duration::from_millis(20);
/// Pause before retrying a batch the database refused.
const RETRY_PAUSE: Duration = Duration::from_millis(500);

/// The same upsert as the rating component, for many rows at once. Like it, a replay that
/// does not change the value does not touch the row.
const UPSERT_SQL: &str = "INSERT INTO ratings (record_type, record_id, user_id, value)
     SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::int2[])
     ON CONFLICT (record_type, record_id, user_id)
     DO UPDATE SET value = EXCLUDED.value, updated_at = now()
     WHERE ratings.value IS DISTINCT FROM EXCLUDED.value";
const DELETE_SQL: &str = "DELETE FROM ratings AS r
     USING unnest($1::text[], $2::text[], $3::text[]) AS d(record_type, record_id, user_id)
     WHERE r.record_type = d.record_type AND r.record_id = d.record_id AND r.user_id = d.user_id";

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Kafka bootstrap servers.
    #[arg(long, default_value = "127.0.0.1:9092")]
    brokers: String,
    /// Topic of the rating events (e.g. a bench-only copy of `ratings`).
    #[arg(long)]
    topic: String,
    /// Consumer group (not the lattice's `rating`, or the two would split the partitions).
    #[arg(long)]
    group: String,
    /// The rating database.
    #[arg(
        long,
        env = "MOVIE_NATIVE_RATING_DB",
        default_value = "postgres://movie@127.0.0.1:5432/movie_rating"
    )]
    rating_db: String,
    #[command(flatten)]
    pg: crate::PgAccess,
    /// Most messages applied in one transaction.
    #[arg(long, default_value_t = 500, value_parser = clap::value_parser!(u32).range(1..))]
    batch_size: u32,
}

/// What a run did, logged at exit.
#[derive(Debug, Default)]
struct Totals {
    messages: u64,
    invalid: u64,
    batches: u64,
}

pub async fn consume(args: Args) -> anyhow::Result<()> {
    let pool = crate::pool(&args.rating_db, 1, &args.pg).context("rating database")?;
    let consumer: StreamConsumer = ClientConfig::new()
        .set("bootstrap.servers", &args.brokers)
        .set("group.id", &args.group)
        .set("client.id", "movie-native")
        .set("enable.auto.commit", "false")
        .set("enable.auto.offset.store", "false")
        .set("auto.offset.reset", "earliest")
        .create()
        .context("failed to create the Kafka consumer")?;
    consumer
        .subscribe(&[&args.topic])
        .with_context(|| format!("failed to subscribe to {:?}", args.topic))?;
    info!(brokers = %args.brokers, topic = %args.topic, group = %args.group, batch_size = args.batch_size, "consuming");

    let batch_size = usize::try_from(args.batch_size).unwrap_or(usize::MAX);
    let (stop_tx, mut stop) = watch::channel(false);
    tokio::spawn(async move {
        crate::shutdown_signal().await;
        let _ = stop_tx.send(true);
    });
    let mut totals = Totals::default();
    let mut stopping = false;
    while !stopping {
        let mut batch = Batch::default();
        // Wait as long as it takes for the first message, then at most BATCH_WINDOW more.
        tokio::select! {
            biased;
            () = stopped(&mut stop) => break,
            message = consumer.recv() => batch.add(message, &mut totals),
        }
        let deadline = Instant::now() + BATCH_WINDOW;
        while batch.len() < batch_size {
            tokio::select! {
                biased;
                () = stopped(&mut stop) => {
                    stopping = true;
                    break;
                }
                () = tokio::time::sleep_until(deadline) => break,
                message = consumer.recv() => batch.add(message, &mut totals),
            }
        }
        if batch.is_empty() {
            continue;
        }
        let plan = Plan::new(std::mem::take(&mut batch.commands));
        if !apply_until_done(&pool, &plan, &mut stop).await {
            // Stopped before the batch was applied: leave its offsets uncommitted, so that it
            // is consumed again.
            break;
        }
        totals.batches += 1;
        for ((topic, partition), offset) in &batch.offsets {
            if let Err(err) = consumer.store_offset(topic, *partition, *offset) {
                warn!(%topic, partition, offset, error = %err, "failed to store the offset");
            }
        }
        commit(&consumer, CommitMode::Async);
    }
    commit(&consumer, CommitMode::Sync);
    consumer.unsubscribe();
    info!(
        messages = totals.messages,
        invalid = totals.invalid,
        batches = totals.batches,
        "stopped"
    );
    Ok(())
}

/// Resolves once SIGINT or SIGTERM arrived (at once when it already has).
async fn stopped(stop: &mut watch::Receiver<bool>) {
    // An error means the signal task is gone without a word; then nothing will ever stop us.
    if stop.wait_for(|stopped| *stopped).await.is_err() {
        std::future::pending::<()>().await;
    }
}

fn commit(consumer: &StreamConsumer, mode: CommitMode) {
    match consumer.commit_consumer_state(mode) {
        Ok(()) | Err(KafkaError::ConsumerCommit(RDKafkaErrorCode::NoOffset)) => {}
        Err(err) => warn!(error = %err, "failed to commit the offsets"),
    }
}

/// The messages of one batch: their valid commands, and the last offset seen per partition.
#[derive(Default)]
struct Batch {
    commands: Vec<RatingCommand>,
    offsets: HashMap<(String, i32), i64>,
    messages: usize,
}

impl Batch {
    fn add(
        &mut self,
        message: Result<rdkafka::message::BorrowedMessage<'_>, KafkaError>,
        totals: &mut Totals,
    ) {
        let message = match message {
            Ok(message) => message,
            Err(err) => {
                warn!(error = %err, "Kafka consume error");
                return;
            }
        };
        self.messages += 1;
        totals.messages += 1;
        match RatingCommand::from_event(message.payload().unwrap_or_default()) {
            Ok(command) => self.commands.push(command),
            Err(err) => {
                totals.invalid += 1;
                warn!(topic = message.topic(), partition = message.partition(), offset = message.offset(), error = %err, "skipping an invalid event");
            }
        }
        let offset = self
            .offsets
            .entry((message.topic().to_string(), message.partition()))
            .or_insert(message.offset());
        *offset = (*offset).max(message.offset());
    }

    fn len(&self) -> usize {
        self.messages
    }

    fn is_empty(&self) -> bool {
        self.messages == 0
    }
}

/// Applies `plan`, retrying while the database fails; `false` if stopped first.
async fn apply_until_done(pool: &Pool, plan: &Plan, stop: &mut watch::Receiver<bool>) -> bool {
    loop {
        match apply(pool, plan).await {
            Ok(()) => return true,
            Err(err) => {
                warn!(
                    error = format!("{err:#}"),
                    "failed to apply a batch; retrying"
                );
                tokio::select! {
                    biased;
                    () = stopped(stop) => return false,
                    () = tokio::time::sleep(RETRY_PAUSE) => {}
                }
            }
        }
    }
}

/// One transaction: the upserts, then the deletes (they touch different keys).
async fn apply(pool: &Pool, plan: &Plan) -> anyhow::Result<()> {
    if plan.is_empty() {
        return Ok(());
    }
    let mut client = pool.get().await.context("no rating database connection")?;
    let transaction = client.transaction().await.context("BEGIN failed")?;
    if !plan.puts.is_empty() {
        let statement = transaction.prepare_cached(UPSERT_SQL).await?;
        let p = &plan.puts;
        transaction
            .execute(
                &statement,
                &[&p.record_types, &p.record_ids, &p.user_ids, &p.values],
            )
            .await
            .context("the upsert failed")?;
    }
    if !plan.deletes.is_empty() {
        let statement = transaction.prepare_cached(DELETE_SQL).await?;
        let d = &plan.deletes;
        transaction
            .execute(&statement, &[&d.record_types, &d.record_ids, &d.user_ids])
            .await
            .context("the delete failed")?;
    }
    transaction.commit().await.context("COMMIT failed")
}

/// The rows of one statement, column by column (the `unnest` parameters).
#[derive(Debug, Default, PartialEq, Eq)]
struct Columns {
    record_types: Vec<String>,
    record_ids: Vec<String>,
    user_ids: Vec<String>,
    /// Only for upserts.
    values: Vec<i16>,
}

impl Columns {
    fn push(&mut self, target: &movie_domain::RatingTarget, user: &movie_domain::UserId) {
        self.record_types
            .push(target.record_type.as_str().to_string());
        self.record_ids.push(target.record_id.as_str().to_string());
        self.user_ids.push(user.as_str().to_string());
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.user_ids.len()
    }

    fn is_empty(&self) -> bool {
        self.user_ids.is_empty()
    }
}

/// What one batch does to the table: for each (record type, record id, user) only the last
/// command of the batch counts, since a statement's `ON CONFLICT` cannot touch a row twice
/// and applying the last one gives the same end state as applying all in order.
#[derive(Debug, Default, PartialEq, Eq)]
struct Plan {
    puts: Columns,
    deletes: Columns,
}

impl Plan {
    fn new(commands: Vec<RatingCommand>) -> Self {
        // Index of each key's last command; earlier ones are dropped.
        let mut last = HashMap::with_capacity(commands.len());
        for (index, command) in commands.iter().enumerate() {
            let (target, user) = match command {
                RatingCommand::Put(Rating { target, user, .. })
                | RatingCommand::Delete { target, user } => (target, user),
            };
            last.insert((target, user), index);
        }
        let mut plan = Self::default();
        for (index, command) in commands.iter().enumerate() {
            match command {
                RatingCommand::Put(Rating {
                    target,
                    user,
                    value,
                }) if last.get(&(target, user)) == Some(&index) => {
                    plan.puts.push(target, user);
                    plan.puts.values.push(i16::from(value.get()));
                }
                RatingCommand::Delete { target, user }
                    if last.get(&(target, user)) == Some(&index) =>
                {
                    plan.deletes.push(target, user);
                }
                _ => {}
            }
        }
        plan
    }

    fn is_empty(&self) -> bool {
        self.puts.is_empty() && self.deletes.is_empty()
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.puts.len() + self.deletes.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(user: &str, record: &str, kind: &str, value: u8) -> RatingCommand {
        let json = format!(
            r#"{{"userId":"{user}","recordId":"{record}","recordType":"movie","value":{value},"providerId":"p","eventType":"{kind}"}}"#
        );
        RatingCommand::from_event(json.as_bytes()).expect("valid event")
    }

    fn strings(values: &[&str]) -> Vec<String> {
        values.iter().map(|value| value.to_string()).collect()
    }

    #[test]
    fn distinct_keys_keep_their_order() {
        let plan = Plan::new(vec![
            event("u1", "m1", "put", 4),
            event("u2", "m1", "delete", 0),
            event("u2", "m2", "put", 1),
        ]);
        assert_eq!(plan.puts.user_ids, strings(&["u1", "u2"]));
        assert_eq!(plan.puts.record_ids, strings(&["m1", "m2"]));
        assert_eq!(plan.puts.record_types, strings(&["movie", "movie"]));
        assert_eq!(plan.puts.values, vec![4, 1]);
        assert_eq!(plan.deletes.user_ids, strings(&["u2"]));
        assert!(plan.deletes.values.is_empty());
        assert_eq!(plan.len(), 3);
    }

    #[test]
    fn only_the_last_command_per_key_counts() {
        let plan = Plan::new(vec![
            event("u1", "m1", "put", 1),
            event("u1", "m1", "put", 2),
            event("u2", "m1", "put", 5),
            event("u1", "m1", "put", 3),
        ]);
        assert_eq!(plan.puts.user_ids, strings(&["u2", "u1"]));
        assert_eq!(plan.puts.values, vec![5, 3]);
        assert!(plan.deletes.is_empty());
    }

    #[test]
    fn a_later_delete_wins_over_a_put_and_vice_versa() {
        let plan = Plan::new(vec![
            event("u1", "m1", "put", 4),
            event("u1", "m1", "delete", 0),
            event("u2", "m1", "delete", 0),
            event("u2", "m1", "put", 2),
        ]);
        assert_eq!(plan.deletes.user_ids, strings(&["u1"]));
        assert_eq!(plan.puts.user_ids, strings(&["u2"]));
        assert_eq!(plan.puts.values, vec![2]);
    }

    #[test]
    fn the_same_user_on_other_records_or_types_is_another_key() {
        let other_type = RatingCommand::from_event(
            br#"{"userId":"u1","recordId":"m1","recordType":"show","value":2,"eventType":"put"}"#,
        )
        .expect("valid event");
        let plan = Plan::new(vec![
            event("u1", "m1", "put", 4),
            event("u1", "m2", "put", 3),
            other_type,
        ]);
        assert_eq!(plan.puts.len(), 3);
        assert_eq!(plan.puts.record_types, strings(&["movie", "movie", "show"]));
    }

    #[test]
    fn an_empty_batch_plans_nothing() {
        assert!(Plan::new(Vec::new()).is_empty());
    }
}
