//! `movie-soak`: the soak (`make soak`) against the running clustered lattice.
//!
//! `movie-soak [--duration 60m] [--fault-every 90s] [--seed N] [--out FILE]` runs the mixed
//! load for the duration with a random fault every so often, prints the report (and writes it
//! to FILE as Markdown), and exits non-zero if anything the soak promises failed.

use std::time::Duration;

use anyhow::{bail, Context as _};
use movie_e2e::soak::{soak, SoakOptions};

/// `90s`, `60m`, `1h` or plain seconds.
fn parse_duration(raw: &str) -> anyhow::Result<Duration> {
    let raw = raw.trim();
    let (number, unit) = raw.split_at(raw.find(|c: char| !c.is_ascii_digit()).unwrap_or(raw.len()));
    let number: u64 = number
        .parse()
        .with_context(|| format!("{raw:?} is not a duration like 90s, 60m or 1h"))?;
    let seconds = match unit {
        "" | "s" => number,
        "m" => number * 60,
        "h" => number * 3600,
        _ => bail!("{raw:?}: the unit must be s, m or h"),
    };
    Ok(Duration::from_secs(seconds))
}

fn main() -> anyhow::Result<()> {
    let mut options = SoakOptions {
        duration: Duration::from_secs(60 * 60),
        fault_every: Duration::from_secs(90),
        seed: std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|t| t.as_secs())
            .unwrap_or(1),
    };
    let mut out = None;
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let mut value = || args.next().with_context(|| format!("{flag} needs a value"));
        match flag.as_str() {
            "--duration" => options.duration = parse_duration(&value()?)?,
            "--fault-every" => options.fault_every = parse_duration(&value()?)?,
            "--seed" => options.seed = value()?.parse().context("--seed takes a number")?,
            "--out" => out = Some(value()?),
            other => bail!("unknown argument {other:?} (see the file's documentation)"),
        }
    }
    eprintln!("soak: {options:?}");
    let report = soak(options)?;
    let markdown = report.markdown();
    println!("{markdown}");
    if let Some(out) = out {
        std::fs::write(&out, &markdown).with_context(|| format!("write {out}"))?;
    }
    report.check()
}
