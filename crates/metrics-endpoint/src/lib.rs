//! Serves a Prometheus [`Registry`] in the text exposition format at `GET /metrics`, over
//! plain HTTP/1.1, one request per connection. That is all a Prometheus scrape needs; anything
//! else gets a 404 or 405 and the connection is closed.

#![forbid(unsafe_code)]

use std::net::SocketAddr;
use std::time::Duration;

use prometheus::{Encoder as _, Registry, TextEncoder};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

pub use prometheus;

/// The longest request head read, and how long a client may take to send it.
const MAX_HEAD_BYTES: usize = 8 * 1024;
const READ_TIMEOUT: Duration = Duration::from_secs(5);

/// Registers a metric built from constant names and labels on `registry`, and returns it.
/// Both steps fail only on a programming error (an invalid name, a name registered twice),
/// which the first test that builds the metrics catches, so they panic.
pub fn register<C>(registry: &Registry, metric: prometheus::Result<C>) -> C
where
    C: prometheus::core::Collector + Clone + 'static,
{
    let metric = metric.expect("metric definitions are valid");
    registry
        .register(Box::new(metric.clone()))
        .expect("each metric is registered once");
    metric
}

/// `registry`'s metrics in the text exposition format, as a scrape gets them.
pub fn render(registry: &Registry) -> prometheus::Result<String> {
    let mut text = Vec::new();
    TextEncoder::new().encode(&registry.gather(), &mut text)?;
    String::from_utf8(text).map_err(|err| prometheus::Error::Msg(err.to_string()))
}

/// Why the endpoint could not start.
#[derive(Debug, thiserror::Error)]
pub enum EndpointError {
    #[error("cannot listen for metrics on {address}: {source}")]
    Bind {
        address: String,
        source: std::io::Error,
    },
    #[error("no address to listen for metrics on was given")]
    NoAddress,
}

/// A running endpoint: where it listens, and the task serving it (abort it to stop).
#[derive(Debug)]
pub struct MetricsEndpoint {
    pub address: SocketAddr,
    pub task: JoinHandle<()>,
}

/// Listens on `address` (e.g. `127.0.0.1:9464`) and serves `registry` until the task is
/// aborted. Must run inside a Tokio runtime.
pub async fn serve(address: &str, registry: Registry) -> Result<MetricsEndpoint, EndpointError> {
    let listener = TcpListener::bind(address)
        .await
        .map_err(|source| EndpointError::Bind {
            address: address.to_string(),
            source,
        })?;
    let address = listener
        .local_addr()
        .map_err(|source| EndpointError::Bind {
            address: address.to_string(),
            source,
        })?;
    tracing::info!(%address, "serving Prometheus metrics at /metrics");
    let task = tokio::spawn(accept_loop(listener, registry));
    Ok(MetricsEndpoint { address, task })
}

/// Serves `registry` on the first of `addresses` that can be bound. Several processes that
/// share one configuration (a provider's instances on several hosts of one machine) each take
/// one address of the list. Fails with the last address's error when none is free.
pub async fn serve_first<'a>(
    addresses: impl IntoIterator<Item = &'a str>,
    registry: Registry,
) -> Result<MetricsEndpoint, EndpointError> {
    let mut last = EndpointError::NoAddress;
    for address in addresses {
        match serve(address, registry.clone()).await {
            Ok(endpoint) => return Ok(endpoint),
            Err(err) => last = err,
        }
    }
    Err(last)
}

async fn accept_loop(listener: TcpListener, registry: Registry) {
    loop {
        match listener.accept().await {
            Ok((stream, _)) => {
                let registry = registry.clone();
                tokio::spawn(async move {
                    if let Err(err) = answer(stream, &registry).await {
                        tracing::debug!(%err, "metrics request failed");
                    }
                });
            }
            Err(err) => {
                tracing::warn!(%err, "metrics endpoint: accept failed");
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    }
}

async fn answer(mut stream: TcpStream, registry: &Registry) -> std::io::Result<()> {
    let head = match tokio::time::timeout(READ_TIMEOUT, read_head(&mut stream)).await {
        Ok(head) => head?,
        Err(_) => return Ok(()),
    };
    let response = respond(&head, registry);
    stream.write_all(&response).await?;
    stream.shutdown().await
}

async fn read_head(stream: &mut TcpStream) -> std::io::Result<Vec<u8>> {
    let mut head = Vec::with_capacity(512);
    let mut buffer = [0u8; 1024];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") && head.len() < MAX_HEAD_BYTES {
        let read = stream.read(&mut buffer).await?;
        if read == 0 {
            break;
        }
        head.extend_from_slice(&buffer[..read]);
    }
    Ok(head)
}

/// The whole HTTP response to a request whose head is `head`.
fn respond(head: &[u8], registry: &Registry) -> Vec<u8> {
    let request_line = head
        .split(|&byte| byte == b'\n')
        .next()
        .map(|line| String::from_utf8_lossy(line).trim_end().to_string())
        .unwrap_or_default();
    let mut parts = request_line.split_whitespace();
    let (method, target) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
    let path = target.split('?').next().unwrap_or("");
    match (method, path) {
        ("GET" | "HEAD", "/metrics") => match render(registry) {
            Ok(mut body) => {
                if method == "HEAD" {
                    body.clear();
                }
                response("200 OK", TextEncoder::new().format_type(), body.as_bytes())
            }
            Err(err) => response(
                "500 Internal Server Error",
                "text/plain",
                err.to_string().as_bytes(),
            ),
        },
        (_, "/metrics") => response("405 Method Not Allowed", "text/plain", b"use GET\n"),
        _ => response("404 Not Found", "text/plain", b"metrics are at /metrics\n"),
    }
}

fn response(status: &str, content_type: &str, body: &[u8]) -> Vec<u8> {
    let mut bytes = format!(
        "HTTP/1.1 {status}\r\ncontent-type: {content_type}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
        body.len()
    )
    .into_bytes();
    bytes.extend_from_slice(body);
    bytes
}

#[cfg(test)]
mod tests {
    use super::*;
    use prometheus::IntCounter;

    async fn fetch(address: SocketAddr, request: &str) -> String {
        let mut stream = TcpStream::connect(address).await.expect("connect");
        stream.write_all(request.as_bytes()).await.expect("send");
        let mut answer = String::new();
        stream.read_to_string(&mut answer).await.expect("read");
        answer
    }

    #[tokio::test]
    async fn each_server_of_a_shared_list_takes_the_next_free_address() {
        let taken = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let busy = taken.local_addr().expect("address").to_string();
        let free = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let open = free.local_addr().expect("address").to_string();
        drop(free);

        let endpoint = serve_first([busy.as_str(), open.as_str()], Registry::new())
            .await
            .expect("the second address is free");
        assert_eq!(endpoint.address.to_string(), open);
        let none = serve_first([busy.as_str(), open.as_str()], Registry::new()).await;
        assert!(
            matches!(none, Err(EndpointError::Bind { ref address, .. }) if *address == open),
            "{none:?}"
        );
        assert!(matches!(
            serve_first([], Registry::new()).await,
            Err(EndpointError::NoAddress)
        ));
    }

    #[tokio::test]
    async fn a_scrape_gets_the_registry_in_text_format() {
        let registry = Registry::new();
        let counter = IntCounter::new("demo_total", "a demo counter").expect("metric");
        registry
            .register(Box::new(counter.clone()))
            .expect("register");
        counter.inc_by(3);
        let endpoint = serve("127.0.0.1:0", registry).await.expect("serve");

        let answer = fetch(endpoint.address, "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n").await;
        assert!(answer.starts_with("HTTP/1.1 200 OK\r\n"), "{answer}");
        assert!(
            answer.contains("content-type: text/plain; version=0.0.4"),
            "{answer}"
        );
        assert!(answer.contains("\ndemo_total 3\n"), "{answer}");

        let missing = fetch(endpoint.address, "GET /other HTTP/1.1\r\n\r\n").await;
        assert!(missing.starts_with("HTTP/1.1 404"), "{missing}");
        let posted = fetch(endpoint.address, "POST /metrics HTTP/1.1\r\n\r\n").await;
        assert!(posted.starts_with("HTTP/1.1 405"), "{posted}");
        endpoint.task.abort();
    }

    #[tokio::test]
    async fn an_address_in_use_is_a_clear_error() {
        let taken = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let address = taken.local_addr().expect("address").to_string();
        let err = serve(&address, Registry::new()).await.expect_err("in use");
        assert!(err.to_string().contains(&address), "{err}");
    }
}
