//! Load from a chosen client address: keep-alive HTTP/1.1 `GET`s from a source address of our
//! own (any of 127.0.0.0/8 is this machine), so that one test can be several clients of the
//! front door. Load is untraced. Every answer is tallied by status; 429s are checked for `Retry-After` and a
//! JSON error body.

use std::collections::BTreeMap;
use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _, BufReader};
use tokio::net::{TcpSocket, TcpStream};

/// An unsampled W3C trace context (scripts/env.sh: UNTRACED_TRACEPARENT): load leaves no spans,
/// which would otherwise bury the trace store (it ingests some tens of spans a second) and the
/// traces other tests look for.
pub const UNTRACED_TRACEPARENT: &str = "00-00000000000000000000000000000001-0000000000000001-00";

/// What one client saw.
#[derive(Debug, Default, Clone)]
pub struct Tally {
    pub statuses: BTreeMap<u16, u64>,
    /// 429s without `Retry-After`, or without a JSON `error`.
    pub malformed_429s: u64,
    /// Requests that got no answer (connection refused, reset, timed out).
    pub failures: u64,
    pub elapsed: Duration,
}

impl Tally {
    pub fn sent(&self) -> u64 {
        self.statuses.values().sum::<u64>() + self.failures
    }
    pub fn count(&self, status: u16) -> u64 {
        self.statuses.get(&status).copied().unwrap_or(0)
    }
    /// Requests per second sent.
    pub fn rate(&self) -> f64 {
        self.sent() as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }
    fn merge(&mut self, other: &Tally) {
        for (status, count) in &other.statuses {
            *self.statuses.entry(*status).or_default() += count;
        }
        self.malformed_429s += other.malformed_429s;
        self.failures += other.failures;
    }
}

/// One answer: its status, headers (lower-case names) and body, and whether the server
/// closes the connection after it.
struct Answer {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
    closes: bool,
}

async fn connect(source: IpAddr, server: SocketAddr) -> anyhow::Result<BufReader<TcpStream>> {
    let socket = TcpSocket::new_v4()?;
    socket.bind(SocketAddr::new(source, 0))?;
    let stream = socket.connect(server).await?;
    stream.set_nodelay(true)?;
    Ok(BufReader::new(stream))
}

async fn read_line(stream: &mut BufReader<TcpStream>) -> anyhow::Result<String> {
    let mut line = Vec::new();
    loop {
        let byte = stream.read_u8().await?;
        if byte == b'\n' {
            break;
        }
        line.push(byte);
    }
    Ok(String::from_utf8_lossy(&line).trim_end().to_string())
}

async fn exchange(stream: &mut BufReader<TcpStream>, path: &str) -> anyhow::Result<Answer> {
    let request = format!(
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\ntraceparent: {UNTRACED_TRACEPARENT}\r\n\r\n"
    );
    stream.get_mut().write_all(request.as_bytes()).await?;
    let status_line = read_line(stream).await?;
    let status = status_line
        .split_whitespace()
        .nth(1)
        .and_then(|code| code.parse().ok())
        .with_context(|| format!("status line {status_line:?}"))?;
    let mut headers = Vec::new();
    loop {
        let line = read_line(stream).await?;
        if line.is_empty() {
            break;
        }
        if let Some((name, value)) = line.split_once(':') {
            headers.push((name.trim().to_ascii_lowercase(), value.trim().to_string()));
        }
    }
    let header = |wanted: &str| {
        headers
            .iter()
            .find(|(name, _)| name == wanted)
            .map(|(_, value)| value.to_ascii_lowercase())
    };
    let body = if header("transfer-encoding").is_some_and(|value| value.contains("chunked")) {
        read_chunked(stream).await?
    } else {
        let length: usize = header("content-length")
            .and_then(|value| value.parse().ok())
            .unwrap_or(0);
        let mut body = vec![0; length];
        stream.read_exact(&mut body).await?;
        body
    };
    let closes = headers
        .iter()
        .any(|(name, value)| name == "connection" && value.eq_ignore_ascii_case("close"));
    Ok(Answer {
        status,
        headers,
        body,
        closes,
    })
}

/// A chunked body: hex size lines, each chunk followed by CRLF, a zero-size chunk last.
async fn read_chunked(stream: &mut BufReader<TcpStream>) -> anyhow::Result<Vec<u8>> {
    let mut body = Vec::new();
    loop {
        let line = read_line(stream).await?;
        let size = usize::from_str_radix(line.split(';').next().unwrap_or("").trim(), 16)
            .with_context(|| format!("chunk size {line:?}"))?;
        if size == 0 {
            // Trailers, if any, end with an empty line.
            while !read_line(stream).await?.is_empty() {}
            return Ok(body);
        }
        let start = body.len();
        body.resize(start + size, 0);
        stream.read_exact(&mut body[start..]).await?;
        read_line(stream).await?;
    }
}

fn well_formed_429(answer: &Answer) -> bool {
    let retry_after = answer
        .headers
        .iter()
        .any(|(name, value)| name == "retry-after" && value.parse::<u64>().is_ok());
    let json_error = serde_json::from_slice::<serde_json::Value>(&answer.body)
        .is_ok_and(|body| body["error"].is_string());
    retry_after && json_error
}

/// One connection's worth of requests for `duration`, one every `interval` (none: as fast as
/// answers come), reconnecting whenever the server closes.
async fn one_connection(
    source: IpAddr,
    server: SocketAddr,
    path: String,
    duration: Duration,
    interval: Option<Duration>,
) -> Tally {
    let mut tally = Tally::default();
    let start = Instant::now();
    let mut stream = None;
    while start.elapsed() < duration {
        let began = Instant::now();
        if stream.is_none() {
            stream = connect(source, server).await.ok();
        }
        let answer = match stream.as_mut() {
            Some(open) => tokio::time::timeout(Duration::from_secs(15), exchange(open, &path))
                .await
                .ok(),
            None => None,
        };
        match answer {
            Some(Ok(answer)) => {
                if answer.status == 429 && !well_formed_429(&answer) {
                    tally.malformed_429s += 1;
                }
                *tally.statuses.entry(answer.status).or_default() += 1;
                if answer.closes {
                    stream = None;
                }
            }
            _ => {
                stream = None;
                tally.failures += 1;
            }
        }
        if let Some(interval) = interval {
            if let Some(rest) = interval.checked_sub(began.elapsed()) {
                tokio::time::sleep(rest).await;
            }
        }
    }
    tally.elapsed = start.elapsed();
    tally
}

/// Sends `GET path` to `server` from `source` over `connections` keep-alive connections for
/// `duration`: as fast as the server answers when `per_second` is `None`, else at about that
/// rate in all.
pub async fn load(
    source: IpAddr,
    server: SocketAddr,
    path: &str,
    connections: usize,
    duration: Duration,
    per_second: Option<f64>,
) -> Tally {
    let interval = per_second.map(|rate| Duration::from_secs_f64(connections as f64 / rate));
    let start = Instant::now();
    let tasks: Vec<_> = (0..connections)
        .map(|_| {
            tokio::spawn(one_connection(
                source,
                server,
                path.to_string(),
                duration,
                interval,
            ))
        })
        .collect();
    let mut total = Tally::default();
    for task in tasks {
        if let Ok(tally) = task.await {
            total.merge(&tally);
        }
    }
    total.elapsed = start.elapsed();
    total
}
