//! Faults under load: a mixed load through the front door (reads, `PUT /rating`, Kafka events),
//! the faults the chaos tests and the soak inject, and what the load saw.
//!
//! Every write is retried until it is accepted, as a client of an idempotent API does, so
//! that the database must end up holding exactly the writes and events that were sent: a
//! write the client saw fail may have been applied, but it is sent again with the same value
//! and counts once. Events are keyed as the ingester keys them (type/record/user).

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use anyhow::{bail, Context as _};
use rdkafka::producer::{FutureProducer, FutureRecord};
use rdkafka::ClientConfig;
use serde_json::{json, Value};

use crate::kafka::{rating_aggregate, BROKERS};
use crate::{bash, encode, eventually, script, shape, unique, wait_until_serving, API};

/// The longest any request of the load may take, answered or failed: a call to a process
/// that is gone fails at once, one in flight when its process dies fails at the lattice's
/// call bound (`CALL_TIMEOUT_MS`, 500 ms), and a request makes two such calls one inside the
/// other; the rest is margin for a loaded two-core machine.
pub const REQUEST_BOUND: Duration = Duration::from_secs(2);

/// Errors may appear from a fault's start until this long after it (or after its repair, for
/// a fault that is repaired); none after.
pub const RECOVERY_LIMIT: Duration = Duration::from_secs(15);

/// The client gives up on a request after this long (a request this slow breaks the bound).
const CLIENT_TIMEOUT: Duration = Duration::from_secs(5);

/// Pause of each HTTP worker between requests: with two readers and two writers the load
/// stays under the front door's 100 requests/s per client.
const PAUSE: Duration = Duration::from_millis(50);

/// Events produced per second.
const EVENTS_PER_SECOND: u64 = 25;

/// One chaos test at a time: each breaks the lattice that the others use.
pub fn exclusive() -> MutexGuard<'static, ()> {
    static LOCK: Mutex<()> = Mutex::new(());
    LOCK.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// What one request (or one attempt to produce an event) saw.
#[derive(Debug, Clone)]
pub struct Sample {
    /// When it started, from the start of the load.
    pub at: Duration,
    pub latency: Duration,
    pub kind: &'static str,
    /// `Ok` for a success; otherwise what went wrong (status and body, or the error).
    pub outcome: Result<(), String>,
}

/// The records the load works on, made fresh for each run.
#[derive(Debug, Clone)]
pub struct Records {
    /// A movie with metadata and a rating, read by the readers.
    pub read: String,
    /// The movie the HTTP writers rate.
    pub written: String,
    /// The movie the Kafka events rate.
    pub evented: String,
}

/// A running load; [`MixedLoad::stop`] ends it and gives what it saw.
pub struct MixedLoad {
    pub records: Records,
    started: Instant,
    stop: Arc<AtomicBool>,
    workers: Vec<JoinHandle<Vec<Sample>>>,
    writes: Arc<Mutex<Vec<i64>>>,
    events: Arc<Mutex<Vec<i64>>>,
}

/// What a load saw, and what it wrote.
#[derive(Debug, Clone)]
pub struct Report {
    pub records: Records,
    pub samples: Vec<Sample>,
    /// The value of every accepted `PUT /rating` (each by a user of its own).
    pub writes: Vec<i64>,
    /// The value of every event the broker acknowledged (each by a user of its own).
    pub events: Vec<i64>,
    pub duration: Duration,
}

fn client() -> ureq::Agent {
    ureq::AgentBuilder::new()
        .timeout(CLIENT_TIMEOUT)
        .timeout_connect(CLIENT_TIMEOUT)
        .build()
}

/// One request: `Ok` for a 2xx whose body `check` accepts.
fn attempt(
    agent: &ureq::Agent,
    method: &str,
    path: &str,
    check: impl Fn(&str) -> bool,
) -> Result<(), String> {
    match agent.request(method, &format!("{API}{path}")).call() {
        Ok(response) => {
            let status = response.status();
            let body = response.into_string().unwrap_or_default();
            if check(&body) {
                Ok(())
            } else {
                Err(format!("{status} {body}"))
            }
        }
        Err(ureq::Error::Status(status, response)) => Err(format!(
            "{status} {}",
            response.into_string().unwrap_or_default()
        )),
        Err(err) => Err(err.to_string()),
    }
}

impl MixedLoad {
    /// Creates the records and starts two readers, two writers and an event producer.
    pub fn start() -> anyhow::Result<Self> {
        let records = Records {
            read: unique("chaos-read"),
            written: unique("chaos-written"),
            evented: unique("chaos-evented"),
        };
        let agent = client();
        let metadata = json!({"id": records.read, "title": "Stalker", "description": "", "director": "Tarkovsky"});
        retry_until_ok("create the read movie", || {
            agent
                .put(&format!("{API}/metadata"))
                .send_json(metadata.clone())
                .map(drop)
                .map_err(|err| anyhow::anyhow!("{err}"))
        })?;
        let path = format!(
            "/rating?id={}&type=movie&userId=seed&value=4",
            encode(&records.read)
        );
        retry_until_ok("rate the read movie", || {
            attempt(&agent, "PUT", &path, |_| true).map_err(|err| anyhow::anyhow!(err))
        })?;

        let started = Instant::now();
        let stop = Arc::new(AtomicBool::new(false));
        let writes = Arc::new(Mutex::new(Vec::new()));
        let events = Arc::new(Mutex::new(Vec::new()));
        let mut workers = Vec::new();
        for _ in 0..2 {
            workers.push(spawn_reader(&records.read, started, Arc::clone(&stop)));
        }
        for worker in 0..2 {
            workers.push(spawn_writer(
                &records.written,
                worker,
                started,
                Arc::clone(&stop),
                Arc::clone(&writes),
            ));
        }
        workers.push(spawn_producer(
            &records.evented,
            started,
            Arc::clone(&stop),
            Arc::clone(&events),
        )?);
        Ok(Self {
            records,
            started,
            stop,
            workers,
            writes,
            events,
        })
    }

    /// Time since the load started.
    pub fn elapsed(&self) -> Duration {
        self.started.elapsed()
    }

    /// Events the broker has acknowledged so far.
    pub fn events_acknowledged(&self) -> u64 {
        self.events
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .len() as u64
    }

    /// Stops the load (each writer first gets its last write accepted) and reports.
    pub fn stop(self) -> Report {
        self.stop.store(true, Ordering::Relaxed);
        let mut samples: Vec<Sample> = Vec::new();
        for worker in self.workers {
            match worker.join() {
                Ok(mut seen) => samples.append(&mut seen),
                Err(_) => panic!("a load worker panicked"),
            }
        }
        samples.sort_by_key(|sample| sample.at);
        let take = |values: &Arc<Mutex<Vec<i64>>>| {
            values
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner())
                .clone()
        };
        Report {
            records: self.records,
            samples,
            writes: take(&self.writes),
            events: take(&self.events),
            duration: self.started.elapsed(),
        }
    }
}

fn retry_until_ok(what: &str, mut step: impl FnMut() -> anyhow::Result<()>) -> anyhow::Result<()> {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        match step() {
            Ok(()) => return Ok(()),
            Err(err) if Instant::now() >= deadline => {
                return Err(err.context(format!("{what} kept failing for 60 s")))
            }
            Err(_) => std::thread::sleep(Duration::from_millis(200)),
        }
    }
}

fn spawn_reader(record: &str, started: Instant, stop: Arc<AtomicBool>) -> JoinHandle<Vec<Sample>> {
    let path = format!("/movie?id={}", encode(record));
    std::thread::spawn(move || {
        let agent = client();
        let mut samples = Vec::new();
        while !stop.load(Ordering::Relaxed) {
            let at = started.elapsed();
            let begun = Instant::now();
            // A whole answer: the metadata and the rating (a degraded one counts as an error).
            let outcome = attempt(&agent, "GET", &path, |body| {
                serde_json::from_str::<Value>(body)
                    .is_ok_and(|movie| movie["metadata"].is_object() && movie["rating"].is_object())
            });
            samples.push(Sample {
                at,
                latency: begun.elapsed(),
                kind: "GET /movie",
                outcome,
            });
            std::thread::sleep(PAUSE);
        }
        samples
    })
}

/// The value of write or event number `n`: 1 to 5, not periodic with the workers' count.
fn value_of(n: u64) -> i64 {
    ((n * 7 + n / 5) % 5 + 1) as i64
}

/// Repeats `send` (pausing `pause` after each failure) until it succeeds, each attempt one
/// sample of `kind`; panics after 120 s of refusals.
fn until_accepted(
    started: Instant,
    kind: &'static str,
    pause: Duration,
    samples: &mut Vec<Sample>,
    mut send: impl FnMut() -> Result<(), String>,
) {
    let give_up = Instant::now() + Duration::from_secs(120);
    loop {
        let at = started.elapsed();
        let begun = Instant::now();
        let outcome = send();
        let ok = outcome.is_ok();
        samples.push(Sample {
            at,
            latency: begun.elapsed(),
            kind,
            outcome,
        });
        if ok {
            return;
        }
        if Instant::now() >= give_up {
            panic!("{kind}: refused for 120 s; last: {:?}", samples.last());
        }
        std::thread::sleep(pause);
    }
}

fn spawn_writer(
    record: &str,
    worker: usize,
    started: Instant,
    stop: Arc<AtomicBool>,
    accepted: Arc<Mutex<Vec<i64>>>,
) -> JoinHandle<Vec<Sample>> {
    let record = record.to_string();
    std::thread::spawn(move || {
        let agent = client();
        let mut samples = Vec::new();
        let mut n = 0u64;
        while !stop.load(Ordering::Relaxed) {
            let value = value_of(n);
            let path = format!(
                "/rating?id={}&type=movie&userId=w{worker}-{n}&value={value}",
                encode(&record)
            );
            // Until accepted: a failed write may still have been applied, and is sent again.
            until_accepted(started, "PUT /rating", PAUSE, &mut samples, || {
                attempt(&agent, "PUT", &path, |_| true)
            });
            accepted
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner())
                .push(value);
            n += 1;
            std::thread::sleep(PAUSE);
        }
        samples
    })
}

fn spawn_producer(
    record: &str,
    started: Instant,
    stop: Arc<AtomicBool>,
    accepted: Arc<Mutex<Vec<i64>>>,
) -> anyhow::Result<JoinHandle<Vec<Sample>>> {
    let record = record.to_string();
    let producer: FutureProducer = ClientConfig::new()
        .set("bootstrap.servers", BROKERS)
        .set("message.timeout.ms", "3000")
        .set("socket.timeout.ms", "3000")
        .set("reconnect.backoff.max.ms", "500")
        .create()
        .context("the load's Kafka producer")?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("the producer's runtime")?;
    Ok(std::thread::spawn(move || {
        let mut samples = Vec::new();
        let mut n = 0u64;
        let interval = Duration::from_millis(1000 / EVENTS_PER_SECOND);
        while !stop.load(Ordering::Relaxed) {
            let value = value_of(n);
            let user = format!("k-{n}");
            let key = format!("movie/{record}/{user}");
            let payload = json!({"userId": user, "recordId": record, "recordType": "movie",
                                 "value": value, "providerId": "chaos", "eventType": "put"})
            .to_string();
            // Until the broker acknowledges it (a resend of an event counts once).
            let resend_after = Duration::from_millis(200);
            until_accepted(started, "Kafka event", resend_after, &mut samples, || {
                let sent = runtime.block_on(producer.send(
                    FutureRecord::to("ratings").key(&key).payload(&payload),
                    Duration::from_secs(3),
                ));
                sent.map(drop).map_err(|(err, _)| err.to_string())
            });
            accepted
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner())
                .push(value);
            n += 1;
            std::thread::sleep(interval);
        }
        samples
    }))
}

/// Percentile `p` (0–100) of the latencies of `samples`.
pub fn percentile(samples: &[&Sample], p: f64) -> Duration {
    if samples.is_empty() {
        return Duration::ZERO;
    }
    let mut latencies: Vec<Duration> = samples.iter().map(|sample| sample.latency).collect();
    latencies.sort();
    let rank = ((p / 100.0) * (latencies.len() - 1) as f64).round() as usize;
    latencies[rank.min(latencies.len() - 1)]
}

impl Report {
    /// The HTTP samples (requests through the front door).
    pub fn requests(&self) -> Vec<&Sample> {
        self.samples
            .iter()
            .filter(|sample| sample.kind != "Kafka event")
            .collect()
    }

    pub fn failures(&self) -> Vec<&Sample> {
        self.samples
            .iter()
            .filter(|sample| sample.outcome.is_err())
            .collect()
    }

    /// From the first failure's start to the last one's end, if any failed.
    pub fn error_window(&self) -> Option<(Duration, Duration)> {
        let failures = self.failures();
        let first = failures.first()?.at;
        let last = failures
            .iter()
            .map(|sample| sample.at + sample.latency)
            .max()?;
        Some((first, last))
    }

    pub fn slowest(&self) -> Option<&Sample> {
        self.requests()
            .into_iter()
            .max_by_key(|sample| sample.latency)
    }

    /// One line per kind: how many, how many failed, p50, p99, max.
    pub fn summary(&self) -> String {
        let mut kinds: BTreeMap<&str, Vec<&Sample>> = BTreeMap::new();
        for sample in &self.samples {
            kinds.entry(sample.kind).or_default().push(sample);
        }
        let mut lines = Vec::new();
        for (kind, samples) in kinds {
            let failed = samples.iter().filter(|s| s.outcome.is_err()).count();
            lines.push(format!(
                "{kind}: {} sent, {failed} failed, p50 {:?}, p99 {:?}, max {:?}",
                samples.len(),
                percentile(&samples, 50.0),
                percentile(&samples, 99.0),
                percentile(&samples, 100.0),
            ));
        }
        lines.join("\n")
    }

    /// The first failures, for a message.
    pub fn some_failures(&self, count: usize) -> String {
        self.failures()
            .iter()
            .take(count)
            .map(|s| {
                format!(
                    "  {:?} {} in {:?}: {:?}",
                    s.at, s.kind, s.latency, s.outcome
                )
            })
            .collect::<Vec<_>>()
            .join("\n")
    }
}

/// The exact aggregate `values` make.
fn expected_aggregate(values: &[i64]) -> (u64, f64) {
    let sum: i64 = values.iter().sum();
    (values.len() as u64, sum as f64 / values.len().max(1) as f64)
}

/// Waits until both rated movies hold exactly what the load wrote: every accepted write and
/// every acknowledged event once (count and exact average), nothing else. Says what differs.
pub fn check_nothing_lost(report: &Report) -> anyhow::Result<()> {
    for (record, values, what) in [
        (&report.records.written, &report.writes, "accepted writes"),
        (
            &report.records.evented,
            &report.events,
            "acknowledged events",
        ),
    ] {
        anyhow::ensure!(!values.is_empty(), "the load made no {what}");
        let (count, average) = expected_aggregate(values);
        let result = eventually(
            &format!("{count} {what} to be in the database"),
            Duration::from_secs(180),
            || Ok(rating_aggregate(record).is_some_and(|a| a["count"].as_u64() == Some(count))),
        );
        let seen = rating_aggregate(record);
        anyhow::ensure!(
            result.is_ok(),
            "{what}: expected {count}, the database has {seen:?}"
        );
        // Both sides through the same JSON parser: serde_json's default one can be one unit in
        // the last place off (seen on a 60-minute soak's average of ~100,000 values), and the
        // API prints the shortest text that is exactly its value.
        let average = serde_json::to_string(&average)
            .ok()
            .and_then(|text| serde_json::from_str::<f64>(&text).ok())
            .unwrap_or(average);
        let seen_average = seen.as_ref().and_then(|a| a["average"].as_f64());
        anyhow::ensure!(
            seen_average == Some(average),
            "{what}: the average of exactly the values sent is {average}, the API says {seen_average:?}"
        );
    }
    Ok(())
}

/// [`check_nothing_lost`], panicking with what differs.
pub fn assert_nothing_lost(report: &Report) {
    if let Err(err) = check_nothing_lost(report) {
        panic!("{err:#}");
    }
}

/// Asserts the load's timing: no request past [`REQUEST_BOUND`]; failures, if any, only from
/// `fault` to `recovered_by`. Returns the error window relative to the fault.
pub fn assert_bounded(
    report: &Report,
    fault: Duration,
    recovered_by: Duration,
) -> Option<(Duration, Duration)> {
    if let Some(slowest) = report.slowest() {
        assert!(
            slowest.latency <= REQUEST_BOUND,
            "a request took {:?} (bound {REQUEST_BOUND:?}): {slowest:?}",
            slowest.latency
        );
    }
    let window = report.error_window();
    if let Some((first, last)) = window {
        assert!(
            first + Duration::from_millis(100) >= fault,
            "failures before the fault (at {fault:?}):\n{}",
            report.some_failures(5)
        );
        assert!(
            last <= recovered_by,
            "failures after recovery (by {recovered_by:?}):\n{}",
            report
                .failures()
                .iter()
                .filter(|s| s.at + s.latency > recovered_by)
                .take(5)
                .map(|s| format!("  {:?} {} {:?}", s.at, s.kind, s.outcome))
                .collect::<Vec<_>>()
                .join("\n")
        );
    }
    window.map(|(first, last)| (first.saturating_sub(fault), last.saturating_sub(fault)))
}

/// Waits until `/healthz` through the front door answers 200 (for up to `within`).
pub fn wait_healthy(within: Duration) -> anyhow::Result<()> {
    let agent = client();
    eventually("/healthz to answer 200", within, || {
        Ok(agent
            .get(&format!("{API}/healthz"))
            .call()
            .is_ok_and(|r| r.status() == 200))
    })
}

// --- Faults ------------------------------------------------------------------------------------

fn sh(command: &str) -> anyhow::Result<String> {
    let output = bash()
        .arg("-c")
        .arg(format!("source scripts/env.sh && {command}"))
        .output()
        .with_context(|| format!("run {command}"))?;
    if !output.status.success() {
        bail!(
            "{command} failed: {}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }
    Ok(String::from_utf8_lossy(&output.stdout).trim().to_string())
}

/// The pid `spawn NAME` recorded.
pub fn pid_of(name: &str) -> anyhow::Result<String> {
    sh(&format!("cat \"$PID_DIR/{name}.pid\""))
}

/// The pid of HOST's provider process whose binary is named after `provider`
/// (`messaging-kafka`, `sqldb-postgres`).
pub fn provider_pid(host: &str, provider: &str) -> anyhow::Result<String> {
    // The cached binary's name spells the reference with underscores.
    let pattern = provider.replace('-', "[-_]");
    let pids = sh(&format!(
        "for p in $(provider_pids {host}); do tr '\\0' ' ' </proc/$p/cmdline | grep -Eq '{pattern}' && echo $p; done; true"
    ))?;
    pids.lines()
        .next()
        .map(str::to_string)
        .with_context(|| format!("no {provider} provider process on {host}"))
}

fn kill(signal: &str, pids: &[String]) -> anyhow::Result<()> {
    sh(&format!("kill -{signal} {}", pids.join(" "))).map(drop)
}

fn gone(pid: &str) -> bool {
    !std::path::Path::new(&format!("/proc/{pid}")).exists()
}

/// Waits for every process of `pids` to be gone.
fn wait_gone(pids: &[String], within: Duration) -> anyhow::Result<()> {
    eventually("the processes to exit", within, || {
        Ok(pids.iter().all(|pid| gone(pid)))
    })
}

/// A fault the tests and the soak inject.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// `kill -9` of a host and the providers it runs, as if its machine were gone.
    KillHost,
    /// `kill -9` of one NATS node.
    KillNatsNode,
    /// `kill -9` of one host's Kafka provider (its host starts it again).
    KillKafkaProvider,
    /// `kill -9` of one host's Postgres provider (its host starts it again).
    KillPostgresProvider,
    /// `kill -9` of the broker, started again after a pause.
    KillBroker,
    /// `kill -9` of the database server, started again after a pause.
    KillDatabase,
    /// A planned stop of a host (SIGTERM: it drains).
    StopHost,
}

impl Fault {
    pub const ALL: [Fault; 7] = [
        Fault::KillHost,
        Fault::KillNatsNode,
        Fault::KillKafkaProvider,
        Fault::KillPostgresProvider,
        Fault::KillBroker,
        Fault::KillDatabase,
        Fault::StopHost,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Fault::KillHost => "kill -9 of a host",
            Fault::KillNatsNode => "kill -9 of a NATS node",
            Fault::KillKafkaProvider => "kill -9 of a Kafka provider",
            Fault::KillPostgresProvider => "kill -9 of a Postgres provider",
            Fault::KillBroker => "kill -9 of the broker, then its restart",
            Fault::KillDatabase => "kill -9 of the database, then its restart",
            Fault::StopHost => "planned stop of a host",
        }
    }

    /// Whether the fault's part is started again by the test (after [`REPAIR_AFTER`]) rather
    /// than by the lattice itself.
    pub fn repaired(self) -> bool {
        matches!(self, Fault::KillBroker | Fault::KillDatabase)
    }

    /// Injects the fault on `host` (for the faults of one host) or node `node`.
    pub fn inject(self, host: &str, node: usize) -> anyhow::Result<()> {
        match self {
            Fault::KillHost => {
                let mut pids = vec![pid_of(host)?];
                pids.extend(
                    sh(&format!("provider_pids {host}"))?
                        .lines()
                        .map(str::to_string),
                );
                kill("KILL", &pids)?;
                wait_gone(&pids, Duration::from_secs(10))
            }
            Fault::KillNatsNode => {
                let pid = pid_of(&format!("nats-{node}"))?;
                kill("KILL", std::slice::from_ref(&pid))?;
                wait_gone(&[pid], Duration::from_secs(10))
            }
            Fault::KillKafkaProvider => {
                let pid = provider_pid(host, "messaging-kafka")?;
                kill("KILL", std::slice::from_ref(&pid))
            }
            Fault::KillPostgresProvider => {
                let pid = provider_pid(host, "sqldb-postgres")?;
                kill("KILL", std::slice::from_ref(&pid))
            }
            Fault::KillBroker => {
                let pid = pid_of("kafka")?;
                kill("KILL", std::slice::from_ref(&pid))?;
                wait_gone(&[pid], Duration::from_secs(10))
            }
            Fault::KillDatabase => {
                let pid =
                    sh("head -n1 \"/var/lib/postgresql/$PG_VERSION/$PG_CLUSTER/postmaster.pid\"")?;
                kill("KILL", std::slice::from_ref(&pid))?;
                wait_gone(&[pid], Duration::from_secs(10))
            }
            Fault::StopHost => {
                let pid = pid_of(host)?;
                kill("TERM", std::slice::from_ref(&pid))?;
                wait_gone(&[pid], Duration::from_secs(40))
            }
        }
    }

    /// Starts again what a repaired fault stopped (the broker, the database).
    pub fn repair(self) -> anyhow::Result<()> {
        match self {
            Fault::KillBroker => script("lattice"),
            // The old server's backends exit as they notice it is gone; until then the new
            // one refuses to start.
            Fault::KillDatabase => eventually(
                "the database to start again",
                Duration::from_secs(60),
                || Ok(sh("\"$ROOT/scripts/postgres.sh\"").is_ok()),
            ),
            _ => Ok(()),
        }
    }
}

/// How long a repaired part stays down.
pub const REPAIR_AFTER: Duration = Duration::from_secs(3);

/// Puts the lattice back whole after a fault: every process running, every host behind the
/// front door, the app serving.
pub fn restore() -> anyhow::Result<()> {
    script("lattice")?;
    eventually(
        "every host to be up behind the front door",
        Duration::from_secs(120),
        || {
            Ok(shape::host_names()
                .iter()
                .all(|host| backend_status(host).as_deref() == Some("UP")))
        },
    )?;
    wait_until_serving()
}

/// The front door's view of a backend host (`UP`, `DOWN`, `DRAIN`, `MAINT`).
pub fn backend_status(server: &str) -> Option<String> {
    let csv = ureq::get(&format!("{}/;csv", shape::FRONTDOOR_STATS))
        .call()
        .ok()?
        .into_string()
        .ok()?;
    csv.lines().find_map(|line| {
        let fields: Vec<&str> = line.split(',').collect();
        (fields.first() == Some(&"hosts") && fields.get(1) == Some(&server))
            .then(|| fields.get(17).map(|s| s.to_string()))
            .flatten()
    })
}

/// What one fault under load showed.
#[derive(Debug, Clone)]
pub struct FaultRun {
    pub fault: Fault,
    pub report: Report,
    /// When the fault was injected, from the start of the load.
    pub at: Duration,
    /// The error window, relative to the fault (`None`: nothing failed).
    pub window: Option<(Duration, Duration)>,
    /// From the fault to `/healthz` answering 200 again.
    pub healthy_after: Duration,
    /// From the fault to every event acknowledged before it being applied (the consumer
    /// group has taken over a dead member's partitions, or reconnected).
    pub events_caught_up_after: Duration,
}

impl FaultRun {
    pub fn describe(&self) -> String {
        let failures = self.report.failures();
        let requests = failures.iter().filter(|s| s.kind != "Kafka event").count();
        let events = failures.len() - requests;
        format!(
            "{}: error window {}; {requests} failed requests, {events} refused event sends; healthy after {:?}; events caught up after {:?}; {} writes and {} events, none lost\n{}",
            self.fault.name(),
            match self.window {
                Some((first, last)) => format!("{first:?} to {last:?} after the fault"),
                None => "none".into(),
            },
            self.healthy_after,
            self.events_caught_up_after,
            self.report.writes.len(),
            self.report.events.len(),
            self.report.summary()
        )
    }
}

/// Runs `fault` on `host` / NATS node `node` under the mixed load, with the lattice made
/// whole before and after (see [`under_load`]).
pub fn run_fault(fault: Fault, host: &str, node: usize) -> FaultRun {
    restore().expect("the lattice is whole before the fault");
    let run = under_load(fault, host, node);
    restore().expect("the lattice is whole again after the fault");
    run
}

/// Runs `fault` under the mixed load on a whole lattice: 5 s of load, the fault (and its
/// repair), load until the recovery limit has passed plus 5 s. Asserts every bound, that
/// nothing written was lost, and returns what was seen. The lattice is left as the fault left
/// it.
pub fn under_load(fault: Fault, host: &str, node: usize) -> FaultRun {
    let load = MixedLoad::start().expect("start the load");
    std::thread::sleep(Duration::from_secs(5));
    let at = load.elapsed();
    let acknowledged = load.events_acknowledged();
    let injected = Instant::now();
    fault.inject(host, node).expect("inject the fault");
    if fault.repaired() {
        std::thread::sleep(REPAIR_AFTER);
        fault.repair().expect("repair");
    }
    let repaired_at = load.elapsed();
    if let Err(err) = wait_healthy(Duration::from_secs(60)) {
        panic!(
            "{}: /healthz never answered 200 again: {err:#}",
            fault.name()
        );
    }
    let healthy_after = injected.elapsed();
    let evented = load.records.evented.clone();
    eventually(
        "the events acknowledged before the fault to be applied",
        Duration::from_secs(60),
        || {
            Ok(rating_aggregate(&evented)
                .and_then(|a| a["count"].as_u64())
                .is_some_and(|count| count >= acknowledged))
        },
    )
    .unwrap_or_else(|err| panic!("{}: {err:#}", fault.name()));
    let events_caught_up_after = injected.elapsed();
    assert!(
        events_caught_up_after <= (repaired_at - at) + RECOVERY_LIMIT,
        "{}: events resumed only after {events_caught_up_after:?}",
        fault.name()
    );
    let recovered_by = repaired_at + RECOVERY_LIMIT;
    while load.elapsed() < recovered_by + Duration::from_secs(5) {
        std::thread::sleep(Duration::from_millis(200));
    }
    let report = load.stop();
    eprintln!("{}", report.summary());
    let window = assert_bounded(&report, at, recovered_by);
    assert_nothing_lost(&report);
    let run = FaultRun {
        fault,
        report,
        at,
        window,
        healthy_after,
        events_caught_up_after,
    };
    eprintln!("{}", run.describe());
    run
}

/// Messages handled by each Kafka provider instance since it started, by metrics address.
pub fn handled_by_instance() -> BTreeMap<String, u64> {
    let urls = crate::telemetry::kafka_provider_metrics();
    crate::telemetry::fetch_each(&urls)
        .unwrap_or_default()
        .into_iter()
        .map(|(url, text)| {
            let handled = text
                .lines()
                .filter(|line| {
                    line.starts_with("kafka_provider_deliveries_total{")
                        && line.contains("outcome=\"handled\"")
                        && line.contains("topic=\"ratings\"")
                })
                .filter_map(|line| line.rsplit(' ').next()?.parse::<f64>().ok())
                .sum::<f64>() as u64;
            (url, handled)
        })
        .collect()
}

/// What `host`'s Kafka provider had handled when its subscription last stopped, from the
/// line it logs then.
pub fn handled_at_last_stop(host: &str) -> Option<u64> {
    let log = crate::project_root().join(format!(".lattice/logs/{host}.log"));
    let text = std::fs::read_to_string(log).ok()?;
    text.lines()
        .filter(|line| line.contains("subscription stopped") && line.contains("handled_total"))
        .filter_map(|line| {
            let entry: Value = serde_json::from_str(line).ok()?;
            entry["fields"]["handled_total"]
                .as_u64()
                .or_else(|| entry["handled_total"].as_u64())
        })
        .next_back()
}
