//! The soak: the chaos tests' mixed load for a long time, with a fault from their list
//! injected at random every so often, and the lattice made whole after each. It reports the
//! errors and latency percentiles minute by minute, each fault's error window, and every
//! process's memory at the start and the end; it fails if a write or event was lost, if a
//! request broke the bound, if a failure came outside a fault's window, or if a process that
//! lived through the whole soak grew without bound.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::time::{Duration, Instant};

use anyhow::bail;

use crate::chaos::{
    check_nothing_lost, percentile, restore, Fault, MixedLoad, Report, Sample, RECOVERY_LIMIT,
    REPAIR_AFTER, REQUEST_BOUND,
};
use crate::shape;

/// How a soak runs.
#[derive(Debug, Clone)]
pub struct SoakOptions {
    pub duration: Duration,
    /// Time between the starts of two faults.
    pub fault_every: Duration,
    /// Seed of the choice of faults, hosts and nodes (the same seed, the same faults).
    pub seed: u64,
}

/// One fault of a soak: what, where, and when (from the start of the load).
#[derive(Debug, Clone)]
pub struct Injected {
    pub fault: Fault,
    pub target: String,
    pub at: Duration,
    /// When its part was started again (the broker, the database), else `at`.
    pub repaired_at: Duration,
}

/// A process's resident memory, by name (`host-1`, `nats-2`, `host-1/sqldb-postgres`, ...).
pub type Memory = BTreeMap<String, (u32, u64)>;

/// What a soak saw.
pub struct SoakReport {
    pub options: SoakOptions,
    pub report: Report,
    pub faults: Vec<Injected>,
    pub memory_start: Memory,
    pub memory_end: Memory,
    /// What was lost or changed, if anything: every write and event is checked at the end.
    pub lost: Option<String>,
}

/// A small deterministic generator (xorshift64*), enough to pick faults from a seed.
struct Picker(u64);

impl Picker {
    fn next(&mut self, below: usize) -> usize {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) % below as u64) as usize
    }
}

fn rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

/// Every lattice process's pid and resident memory (KiB).
pub fn memory() -> Memory {
    let root = crate::project_root();
    let mut memory = Memory::new();
    let pids = root.join(".lattice/pids");
    if let Ok(entries) = std::fs::read_dir(&pids) {
        for entry in entries.flatten() {
            let path = entry.path();
            if path.extension().and_then(|e| e.to_str()) != Some("pid") {
                continue;
            }
            let name = path
                .file_stem()
                .and_then(|s| s.to_str())
                .unwrap_or_default()
                .to_string();
            let Some(pid) = std::fs::read_to_string(&path)
                .ok()
                .and_then(|text| text.trim().parse::<u32>().ok())
            else {
                continue;
            };
            if let Some(rss) = rss_kib(pid) {
                memory.insert(name, (pid, rss));
            }
        }
    }
    for host in shape::host_names() {
        for provider in ["sqldb-postgres", "messaging-kafka"] {
            if let Some(pid) = crate::chaos::provider_pid(&host, provider)
                .ok()
                .and_then(|pid| pid.parse::<u32>().ok())
            {
                if let Some(rss) = rss_kib(pid) {
                    memory.insert(format!("{host}/{provider}"), (pid, rss));
                }
            }
        }
    }
    memory
}

/// Runs a soak: see the module's documentation.
pub fn soak(options: SoakOptions) -> anyhow::Result<SoakReport> {
    if !shape::clustered() {
        bail!("the soak needs the clustered lattice (make up HOSTS=3)");
    }
    restore()?;
    let memory_start = memory();
    let mut picker = Picker(options.seed.max(1));
    let hosts = shape::host_names();
    let load = MixedLoad::start()?;
    let begun = Instant::now();
    let mut faults = Vec::new();
    let mut next_fault = options.fault_every.min(Duration::from_secs(20));
    while begun.elapsed() < options.duration {
        if begun.elapsed() >= next_fault
            && begun.elapsed() + RECOVERY_LIMIT + Duration::from_secs(10) < options.duration
        {
            let fault = Fault::ALL[picker.next(Fault::ALL.len())];
            let host = hosts[picker.next(hosts.len())].clone();
            let node = picker.next(3) + 1;
            let target = match fault {
                Fault::KillNatsNode => format!("nats-{node}"),
                Fault::KillBroker => "kafka".into(),
                Fault::KillDatabase => "postgres".into(),
                _ => host.clone(),
            };
            let at = load.elapsed();
            eprintln!("[{at:?}] {} ({target})", fault.name());
            fault.inject(&host, node)?;
            if fault.repaired() {
                std::thread::sleep(REPAIR_AFTER);
                fault.repair()?;
            }
            let repaired_at = load.elapsed();
            faults.push(Injected {
                fault,
                target,
                at,
                repaired_at,
            });
            // Let the lattice recover by itself, then make it whole (a dead host or node is
            // started again) before the next fault.
            std::thread::sleep(RECOVERY_LIMIT.saturating_sub(Duration::from_secs(5)));
            restore()?;
            next_fault = at + options.fault_every;
        }
        std::thread::sleep(Duration::from_millis(500));
    }
    let report = load.stop();
    let lost = check_nothing_lost(&report)
        .err()
        .map(|err| format!("{err:#}"));
    let memory_end = memory();
    Ok(SoakReport {
        options,
        report,
        faults,
        memory_start,
        memory_end,
        lost,
    })
}

impl SoakReport {
    /// Failures outside every fault's window (from the fault to its recovery limit).
    pub fn unexplained_failures(&self) -> Vec<&Sample> {
        self.report
            .failures()
            .into_iter()
            .filter(|sample| {
                !self.faults.iter().any(|fault| {
                    sample.at + Duration::from_millis(100) >= fault.at
                        && sample.at + sample.latency <= fault.repaired_at + RECOVERY_LIMIT
                })
            })
            .collect()
    }

    /// Processes that lived through the whole soak and more than doubled, by over 100 MiB.
    pub fn grown(&self) -> Vec<String> {
        self.memory_start
            .iter()
            .filter_map(|(name, (pid, start))| {
                let (end_pid, end) = self.memory_end.get(name)?;
                (end_pid == pid && *end > 2 * start && end - start > 100 * 1024)
                    .then(|| format!("{name}: {start} KiB -> {end} KiB"))
            })
            .collect()
    }

    /// Asserts what the soak promises.
    pub fn check(&self) -> anyhow::Result<()> {
        if let Some(lost) = &self.lost {
            bail!("not everything accepted is in the database: {lost}");
        }
        if let Some(slowest) = self.report.slowest() {
            if slowest.latency > REQUEST_BOUND {
                bail!("a request took {:?}: {slowest:?}", slowest.latency);
            }
        }
        let unexplained = self.unexplained_failures();
        if !unexplained.is_empty() {
            bail!(
                "{} failures outside every fault's window, first: {:?}",
                unexplained.len(),
                unexplained[0]
            );
        }
        let grown = self.grown();
        if !grown.is_empty() {
            bail!("memory grew without bound: {}", grown.join("; "));
        }
        Ok(())
    }

    /// The report, as Markdown.
    pub fn markdown(&self) -> String {
        let mut out = String::new();
        let report = &self.report;
        let _ = writeln!(
            out,
            "Soak of {:?} (a fault every {:?}, seed {}): {} writes and {} events, {}; {} requests and event sends, {} failed.\n",
            report.duration,
            self.options.fault_every,
            self.options.seed,
            report.writes.len(),
            report.events.len(),
            match &self.lost {
                None => "none lost".to_string(),
                Some(lost) => format!("NOT ALL KEPT: {lost}"),
            },
            report.samples.len(),
            report.failures().len()
        );
        let _ = writeln!(out, "{}\n", report.summary().replace('\n', "  \n"));
        let _ = writeln!(out, "| minute | requests | failed | p50 | p99 | max |");
        let _ = writeln!(out, "|---:|---:|---:|---:|---:|---:|");
        let mut minutes: BTreeMap<u64, Vec<&Sample>> = BTreeMap::new();
        for sample in report.requests() {
            minutes
                .entry(sample.at.as_secs() / 60)
                .or_default()
                .push(sample);
        }
        for (minute, samples) in &minutes {
            let failed = samples.iter().filter(|s| s.outcome.is_err()).count();
            let _ = writeln!(
                out,
                "| {minute} | {} | {failed} | {:.1} ms | {:.1} ms | {:.1} ms |",
                samples.len(),
                ms(percentile(samples, 50.0)),
                ms(percentile(samples, 99.0)),
                ms(percentile(samples, 100.0)),
            );
        }
        let _ = writeln!(
            out,
            "\n| at | fault | target | failed after it | error window |"
        );
        let _ = writeln!(out, "|---:|---|---|---:|---|");
        for fault in &self.faults {
            let until = fault.repaired_at + RECOVERY_LIMIT;
            let failed: Vec<&Sample> = report
                .failures()
                .into_iter()
                .filter(|s| s.at + Duration::from_millis(100) >= fault.at && s.at <= until)
                .collect();
            let window = match (
                failed.first(),
                failed.iter().map(|s| s.at + s.latency).max(),
            ) {
                (Some(first), Some(last)) => format!(
                    "{:.1} s to {:.1} s after",
                    first.at.saturating_sub(fault.at).as_secs_f64(),
                    last.saturating_sub(fault.at).as_secs_f64()
                ),
                _ => "none".into(),
            };
            let _ = writeln!(
                out,
                "| {:.0} s | {} | {} | {} | {window} |",
                fault.at.as_secs_f64(),
                fault.fault.name(),
                fault.target,
                failed.len()
            );
        }
        let _ = writeln!(out, "\n| process | RSS at the start | RSS at the end |");
        let _ = writeln!(out, "|---|---:|---:|");
        let names: std::collections::BTreeSet<&String> = self
            .memory_start
            .keys()
            .chain(self.memory_end.keys())
            .collect();
        for name in names {
            let show = |memory: &Memory| match memory.get(name) {
                Some((pid, rss)) => format!("{:.1} MiB (pid {pid})", *rss as f64 / 1024.0),
                None => "-".into(),
            };
            let _ = writeln!(
                out,
                "| {name} | {} | {} |",
                show(&self.memory_start),
                show(&self.memory_end)
            );
        }
        out
    }
}

fn ms(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1000.0
}
