//! The telemetry stack as tests see it: traces read back from the trace store's database,
//! Prometheus's view of its targets and alerts, and the alert inbox Alertmanager posts to.

use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash as _, Hasher as _};
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{bail, Context as _};
use serde_json::Value;

use crate::project_root;

/// The trace store (Phoenix): UI and OTLP/HTTP.
pub const PHOENIX: &str = "http://127.0.0.1:6006";
pub const PROMETHEUS: &str = "http://127.0.0.1:9090";
pub const ALERT_INBOX: &str = "http://127.0.0.1:9095";
/// Where each host serves its metrics.
pub fn host_metrics() -> Vec<String> {
    metrics_slots(0)
}
/// Where the Postgres provider's instances serve theirs: one address per host, each instance
/// on the first that was free.
pub fn postgres_provider_metrics() -> Vec<String> {
    metrics_slots(1)
}
/// Where the Kafka provider's instances serve theirs (as the Postgres provider's).
pub fn kafka_provider_metrics() -> Vec<String> {
    metrics_slots(2)
}
fn metrics_slots(offset: u16) -> Vec<String> {
    (1..=crate::shape::hosts())
        .map(|host| crate::shape::metrics_url(host, offset))
        .collect()
}

/// The endpoints of `urls` that answer, with their texts; an error if none does.
pub fn fetch_each(urls: &[String]) -> anyhow::Result<Vec<(String, String)>> {
    let answers: Vec<(String, String)> = urls
        .iter()
        .filter_map(|url| fetch(url).ok().map(|text| (url.clone(), text)))
        .collect();
    if answers.is_empty() {
        bail!("none of {urls:?} answers");
    }
    Ok(answers)
}

/// The texts of every endpoint of `urls` that answers, one after the other.
pub fn fetch_all(urls: &[String]) -> anyhow::Result<String> {
    Ok(fetch_each(urls)?
        .into_iter()
        .map(|(_, text)| text)
        .collect::<Vec<_>>()
        .join("\n"))
}

/// A W3C trace context made up by a test, so that it knows the trace id of what it sends.
#[derive(Debug, Clone)]
pub struct ClientTrace {
    pub trace_id: String,
    pub span_id: String,
}

impl ClientTrace {
    pub fn new() -> Self {
        let word = |salt: &str| {
            let mut hasher = DefaultHasher::new();
            crate::unique(salt).hash(&mut hasher);
            hasher.finish()
        };
        Self {
            trace_id: format!("{:016x}{:016x}", word("trace-hi"), word("trace-lo")),
            span_id: format!("{:016x}", word("span")),
        }
    }

    /// The `traceparent` header value (sampled).
    pub fn traceparent(&self) -> String {
        format!("00-{}-{}-01", self.trace_id, self.span_id)
    }
}

impl Default for ClientTrace {
    fn default() -> Self {
        Self::new()
    }
}

/// One span as the trace store keeps it.
#[derive(Debug, Clone)]
pub struct StoredSpan {
    pub span_id: String,
    pub parent_id: Option<String>,
    pub name: String,
    pub kind: String,
    pub status_code: String,
    pub attributes: Value,
    pub events: Value,
}

impl StoredSpan {
    /// An attribute by its dotted OpenTelemetry name (`db.system`); the store keeps them as
    /// nested objects.
    pub fn attribute(&self, dotted: &str) -> Option<&Value> {
        if let Some(flat) = self.attributes.get(dotted) {
            return Some(flat);
        }
        dotted
            .split('.')
            .try_fold(&self.attributes, |value, key| value.get(key))
    }

    pub fn attribute_str(&self, dotted: &str) -> Option<&str> {
        self.attribute(dotted).and_then(Value::as_str)
    }

    /// The names (messages) of the span's events: its log lines.
    pub fn event_names(&self) -> Vec<String> {
        self.events
            .as_array()
            .map(|events| {
                events
                    .iter()
                    .filter_map(|event| event["name"].as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default()
    }
}

/// Runs SQL on the telemetry database as its own role, with `psql`; returns what it printed.
pub fn telemetry_sql(sql: &str) -> anyhow::Result<String> {
    let output = Command::new("bash")
        .arg("-c")
        .arg(
            r#"source scripts/env.sh && PGPASSWORD="$TELEMETRY_PASSWORD" psql -h 127.0.0.1 \
                -p "$PG_PORT" -U "$TELEMETRY_USER" -d "$TELEMETRY_DB" -v ON_ERROR_STOP=1 -qAtX -c "$1""#,
        )
        .arg("sql")
        .arg(sql)
        .current_dir(project_root())
        .output()
        .context("failed to run psql")?;
    if !output.status.success() {
        bail!("psql: {}", String::from_utf8_lossy(&output.stderr));
    }
    Ok(String::from_utf8_lossy(&output.stdout).trim().to_string())
}

/// Every span of trace `trace_id` the store has now.
pub fn spans_of(trace_id: &str) -> anyhow::Result<Vec<StoredSpan>> {
    if trace_id.len() != 32 || !trace_id.bytes().all(|b| b.is_ascii_hexdigit()) {
        bail!("not a trace id: {trace_id:?}");
    }
    let json = telemetry_sql(&format!(
        "SELECT coalesce(json_agg(json_build_object(
             'span_id', s.span_id, 'parent_id', s.parent_id, 'name', s.name,
             'kind', s.span_kind, 'status_code', s.status_code,
             'attributes', s.attributes, 'events', s.events) ORDER BY s.start_time), '[]')
         FROM spans s JOIN traces t ON t.id = s.trace_rowid
         WHERE t.trace_id = '{trace_id}'"
    ))?;
    let rows: Vec<Value> = serde_json::from_str(&json).context("spans as JSON")?;
    Ok(rows
        .into_iter()
        .map(|row| StoredSpan {
            span_id: row["span_id"].as_str().unwrap_or_default().to_string(),
            parent_id: row["parent_id"].as_str().map(str::to_string),
            name: row["name"].as_str().unwrap_or_default().to_string(),
            kind: row["kind"].as_str().unwrap_or_default().to_string(),
            status_code: row["status_code"].as_str().unwrap_or_default().to_string(),
            attributes: row["attributes"].clone(),
            events: row["events"].clone(),
        })
        .collect())
}

/// Polls the store until trace `trace_id`'s spans satisfy `complete` (spans arrive in batches,
/// from several processes), and returns them; on timeout, says what it had.
pub fn wait_for_trace(
    trace_id: &str,
    timeout: Duration,
    complete: impl Fn(&[StoredSpan]) -> bool,
) -> anyhow::Result<Vec<StoredSpan>> {
    let deadline = Instant::now() + timeout;
    loop {
        let spans = spans_of(trace_id)?;
        if complete(&spans) {
            return Ok(spans);
        }
        if Instant::now() >= deadline {
            let names: Vec<&str> = spans.iter().map(|span| span.name.as_str()).collect();
            bail!("trace {trace_id} incomplete after {timeout:?}; it has {names:?}");
        }
        std::thread::sleep(Duration::from_millis(500));
    }
}

/// The span whose id is `id`.
pub fn span_by_id<'a>(spans: &'a [StoredSpan], id: &str) -> Option<&'a StoredSpan> {
    spans.iter().find(|span| span.span_id == id)
}

/// Whether `descendant` is `ancestor` or below it, following parent ids within `spans`.
pub fn descends_from(spans: &[StoredSpan], descendant: &StoredSpan, ancestor: &StoredSpan) -> bool {
    let mut current = Some(descendant);
    let mut steps = 0;
    while let Some(span) = current {
        if span.span_id == ancestor.span_id {
            return true;
        }
        steps += 1;
        if steps > spans.len() {
            return false;
        }
        current = span
            .parent_id
            .as_deref()
            .and_then(|parent| span_by_id(spans, parent));
    }
    false
}

/// GET `url` and its body as text.
pub fn fetch(url: &str) -> anyhow::Result<String> {
    let response = ureq::get(url)
        .timeout(Duration::from_secs(10))
        .call()
        .with_context(|| format!("GET {url}"))?;
    response.into_string().context("reading the body")
}

/// GET `url` as JSON.
pub fn fetch_json(url: &str) -> anyhow::Result<Value> {
    serde_json::from_str(&fetch(url)?).with_context(|| format!("{url} did not answer JSON"))
}

/// The alerts the inbox has received named `alertname`, oldest first.
pub fn received_alerts(alertname: &str) -> anyhow::Result<Vec<Value>> {
    let alerts = fetch_json(&format!("{ALERT_INBOX}/alerts?alertname={alertname}"))?;
    Ok(alerts.as_array().cloned().unwrap_or_default())
}
