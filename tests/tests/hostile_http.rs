//! Hostile HTTP, byte by byte, at the API's address (the host's ingress on one host, the front
//! door on a cluster): oversized heads, huge and badly encoded request targets, bodies that are
//! not UTF-8, request smuggling, slow clients. Each gets a 4xx (or, for a stalled client, a
//! closed connection) in bounded time; nothing is stored; the API keeps answering others.
//!
//! What answers depends on where the request is refused. Our gateway's refusals are JSON. A
//! request too malformed to reach it is refused by the HTTP server in front: hyper (an empty
//! body) or HAProxy 2.6 (its built-in HTML page: it ignores `errorfile` for parse errors, a bug
//! fixed in 3.2, haproxy/haproxy#3032). Those are asserted by status and a closed connection.

use std::io::{ErrorKind, Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use movie_e2e::{require_app, unique, API};

/// The API's `host:port`.
fn address() -> String {
    API.trim_start_matches("http://").to_string()
}

/// One raw exchange: what the server sent back until it closed the connection or `wait` passed
/// without a byte, and whether it closed.
struct Exchange {
    reply: Vec<u8>,
    closed: bool,
}

impl Exchange {
    fn status(&self) -> Option<u16> {
        let line = self.reply.split(|b| *b == b'\n').next()?;
        std::str::from_utf8(line)
            .ok()?
            .split_whitespace()
            .nth(1)?
            .parse()
            .ok()
    }

    fn text(&self) -> String {
        String::from_utf8_lossy(&self.reply).into_owned()
    }

    /// How many responses the reply holds (status lines at the start of a line).
    fn responses(&self) -> usize {
        let text = self.text();
        text.match_indices("HTTP/1.1 ")
            .filter(|(at, _)| *at == 0 || text[..*at].ends_with('\n'))
            .count()
    }
}

fn exchange(request: &[u8], wait: Duration) -> Exchange {
    let mut stream = TcpStream::connect(address()).expect("connect to the API");
    stream.set_read_timeout(Some(wait)).expect("read timeout");
    // The server may refuse before the whole request is written (a huge head): that is an
    // answer too, read below.
    let _ = stream.write_all(request);
    let mut reply = Vec::new();
    let mut buffer = [0u8; 65536];
    let closed = loop {
        match stream.read(&mut buffer) {
            Ok(0) => break true,
            Ok(n) => reply.extend_from_slice(&buffer[..n]),
            Err(err) if matches!(err.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                break false
            }
            // Reset after the answer (the server closed with unread input): closed.
            Err(_) => break true,
        }
    };
    Exchange { reply, closed }
}

/// A refusal by the server in front of the gateway: a 4xx, and the connection closed.
fn assert_refused_before_the_gateway(what: &str, exchange: &Exchange, allowed: &[u16]) {
    let status = exchange.status();
    assert!(
        status.is_some_and(|status| allowed.contains(&status)),
        "{what}: expected one of {allowed:?}, got {:?}",
        exchange.text().chars().take(300).collect::<String>()
    );
    assert!(
        exchange.closed,
        "{what}: the connection is closed after the refusal"
    );
}

/// A refusal by the gateway: the status, and a JSON error mentioning `needle`.
fn assert_gateway_error(what: &str, exchange: &Exchange, status: u16, needle: &str) {
    let text = exchange.text();
    assert_eq!(exchange.status(), Some(status), "{what}: {text}");
    assert!(
        text.to_ascii_lowercase()
            .contains("content-type: application/json"),
        "{what}: JSON: {text}"
    );
    assert!(text.contains(needle), "{what}: {needle:?} in {text}");
}

fn api_still_answers() {
    let health = movie_e2e::http::get("/healthz").expect("GET /healthz");
    assert_eq!(health.status, 200, "the API still answers");
}

#[test]
fn oversized_heads_and_targets_are_refused_and_the_connection_closed() {
    require_app();
    let quick = Duration::from_secs(10);
    let big_header = [
        &b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: "[..],
        &vec![b'a'; 1 << 20],
        b"\r\n\r\n",
    ]
    .concat();
    assert_refused_before_the_gateway("a 1 MiB header", &exchange(&big_header, quick), &[400, 431]);
    let many_headers = [
        &b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n"[..],
        &(0..10_000)
            .flat_map(|i| format!("X-{i}: y\r\n").into_bytes())
            .collect::<Vec<u8>>(),
        b"\r\n",
    ]
    .concat();
    assert_refused_before_the_gateway(
        "10,000 headers",
        &exchange(&many_headers, quick),
        &[400, 431],
    );
    let huge_target = [
        &b"GET /metadata?id="[..],
        &vec![b'a'; 1 << 20],
        b" HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
    ]
    .concat();
    assert_refused_before_the_gateway(
        "a 1 MiB request target",
        &exchange(&huge_target, quick),
        &[400, 414, 431],
    );
    // Long, but within what the servers in front take: the gateway's own rule answers.
    let long_id = format!(
        "GET /metadata?id={} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n",
        "a".repeat(8_000)
    );
    assert_gateway_error(
        "an 8,000-character id",
        &exchange(long_id.as_bytes(), quick),
        400,
        "id must be at most 128 characters",
    );
    api_still_answers();
}

#[test]
fn bytes_that_are_not_utf8_are_refused_wherever_they_are() {
    require_app();
    let quick = Duration::from_secs(10);
    let raw_target = b"GET /metadata?id=\xff\xfe HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
    assert_refused_before_the_gateway(
        "raw 0xFF in the target",
        &exchange(raw_target, quick),
        &[400],
    );
    let encoded =
        b"GET /metadata?id=%FF%FE HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
    assert_gateway_error(
        "%FF%FE in the query",
        &exchange(encoded, quick),
        400,
        "query parameter id is not UTF-8",
    );
    let id = unique("not-utf8");
    let body = format!(r#"{{"id":"{id}","title":"T","director":"D","description":"x"#)
        .into_bytes()
        .into_iter()
        .chain(*b"\xc3\x28\"}")
        .collect::<Vec<u8>>();
    let request = [
        format!(
            "PUT /metadata HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
            body.len()
        )
        .into_bytes(),
        body,
    ]
    .concat();
    assert_gateway_error(
        "a body that is not UTF-8",
        &exchange(&request, quick),
        400,
        "not UTF-8 text",
    );
    let stored = movie_e2e::http::get(&format!("/metadata?id={id}")).expect("GET /metadata");
    assert_eq!(stored.status, 404, "nothing was stored");
    api_still_answers();
}

#[test]
fn smuggling_attempts_get_one_answer_and_a_closed_connection() {
    require_app();
    let quick = Duration::from_secs(10);
    // Content-Length and Transfer-Encoding both: the chunked body is what counts (and is
    // empty); the bytes after it must not be taken for a second request.
    let smuggled = unique("smuggled");
    let both = format!(
        "POST /metadata HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 60\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nPUT /metadata HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 48\r\n\r\n{{\"id\":\"{smuggled}\",\"title\":\"T\",\"director\":\"D\"}}"
    );
    let answer = exchange(both.as_bytes(), quick);
    assert_eq!(answer.status(), Some(400), "{}", answer.text());
    assert_eq!(answer.responses(), 1, "one answer only: {}", answer.text());
    assert!(answer.closed, "the connection is closed: {}", answer.text());
    // Two different Content-Lengths: which body is meant is unknowable.
    let two_lengths = b"PUT /metadata HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 2\r\nContent-Length: 5\r\n\r\n{}";
    assert_refused_before_the_gateway("two Content-Lengths", &exchange(two_lengths, quick), &[400]);
    // A chunk size that is not hex.
    let bad_chunk = b"PUT /metadata HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n";
    let answer = exchange(bad_chunk, quick);
    assert!(
        answer
            .status()
            .is_some_and(|status| (400..500).contains(&status))
            || answer.closed && answer.reply.is_empty(),
        "a bad chunk is refused: {}",
        answer.text()
    );
    std::thread::sleep(Duration::from_secs(1));
    let stored = movie_e2e::http::get(&format!("/metadata?id={smuggled}")).expect("GET /metadata");
    assert_eq!(stored.status, 404, "the smuggled request was never run");
    api_still_answers();
}

#[test]
fn a_stalled_client_is_dropped_and_others_are_served_meanwhile() {
    require_app();
    // Twenty clients each send a request head one header line a second, for ever.
    let started = Instant::now();
    let mut stalled: Vec<TcpStream> = (0..20)
        .map(|_| {
            let mut stream = TcpStream::connect(address()).expect("connect");
            stream
                .write_all(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n")
                .expect("write");
            stream
                .set_read_timeout(Some(Duration::from_millis(100)))
                .expect("timeout");
            stream
        })
        .collect();
    let mut dropped_after = vec![None; stalled.len()];
    while started.elapsed() < Duration::from_secs(30) && dropped_after.iter().any(Option::is_none) {
        for (n, stream) in stalled.iter_mut().enumerate() {
            if dropped_after[n].is_some() {
                continue;
            }
            let mut byte = [0u8; 512];
            let closed = match stream.read(&mut byte) {
                // An answer (408) or the end of the connection: dropped either way.
                Ok(_) => true,
                Err(err) if matches!(err.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                    stream.write_all(b"X-Slow: 1\r\n").is_err()
                }
                Err(_) => true,
            };
            if closed {
                dropped_after[n] = Some(started.elapsed());
            }
        }
        // Meanwhile, everyone else is served.
        let health = movie_e2e::http::get("/healthz").expect("GET /healthz while clients stall");
        assert_eq!(health.status, 200);
    }
    let slowest = dropped_after.iter().flatten().max().copied();
    assert!(
        dropped_after.iter().all(Option::is_some),
        "every stalled client is dropped within 30 s: {dropped_after:?}"
    );
    eprintln!("stalled clients dropped after at most {slowest:?}");
    api_still_answers();
}
