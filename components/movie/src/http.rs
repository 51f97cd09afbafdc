//! Conversions between `wasi:http` and the transport-free types of `movie-api`.

use movie_api::{Method, Request, Response, MAX_BODY_BYTES};
use wasi::http::types::{
    Fields, IncomingBody, IncomingRequest, Method as WasiMethod, OutgoingBody, OutgoingResponse,
    ResponseOutparam,
};
use wasi::io::streams::StreamError;

/// Largest chunk `blocking-write-and-flush` accepts in one call.
const WRITE_CHUNK: usize = 4096;

fn method(request: &IncomingRequest) -> Method {
    match request.method() {
        WasiMethod::Get => Method::Get,
        WasiMethod::Head => Method::Head,
        WasiMethod::Post => Method::Post,
        WasiMethod::Put => Method::Put,
        WasiMethod::Delete => Method::Delete,
        WasiMethod::Connect
        | WasiMethod::Options
        | WasiMethod::Trace
        | WasiMethod::Patch
        | WasiMethod::Other(_) => Method::Other,
    }
}

/// Reads the request line and, for methods that carry one, the body (at most
/// [`MAX_BODY_BYTES`]; `None` past that).
pub fn read_request(request: &IncomingRequest) -> Request {
    let method = method(request);
    let target = request.path_with_query().unwrap_or_else(|| "/".to_string());
    let (path, query) = match target.split_once('?') {
        Some((path, query)) => (path.to_string(), Some(query.to_string())),
        None => (target, None),
    };
    let body = match method {
        Method::Put | Method::Post => read_body(request),
        _ => Some(Vec::new()),
    };
    Request {
        method,
        path,
        query,
        body,
    }
}

fn declared_length(request: &IncomingRequest) -> Option<u64> {
    let values = request.headers().get("content-length");
    let raw = values.first()?;
    std::str::from_utf8(raw).ok()?.trim().parse().ok()
}

/// How much of an over-limit body is still read (and thrown away) before answering 413.
/// Answering while the client is still sending makes the server close the connection under
/// it, and many clients then report a broken pipe instead of the 413.
const DRAIN_LIMIT: usize = 1024 * 1024;

fn read_body(request: &IncomingRequest) -> Option<Vec<u8>> {
    if declared_length(request).is_some_and(|length| length > DRAIN_LIMIT as u64) {
        // Too large to be worth reading even to throw away.
        return None;
    }
    let Ok(body) = request.consume() else {
        return Some(Vec::new());
    };
    let mut bytes = Vec::new();
    let mut received = 0usize;
    if let Ok(stream) = body.stream() {
        loop {
            match stream.blocking_read(16 * 1024) {
                Ok(chunk) => {
                    received += chunk.len();
                    if received > DRAIN_LIMIT {
                        break;
                    }
                    if received <= MAX_BODY_BYTES {
                        bytes.extend_from_slice(&chunk);
                    }
                }
                Err(StreamError::Closed) => break,
                Err(StreamError::LastOperationFailed(_)) => break,
            }
        }
    }
    if received > MAX_BODY_BYTES {
        // The answer is 413 whatever the body says.
        return None;
    }
    let _trailers = IncomingBody::finish(body);
    Some(bytes)
}

/// Sends `response`; with `head_only` the body is left out (HEAD requests).
pub fn respond(out: ResponseOutparam, response: Response, head_only: bool) {
    let entries: Vec<(String, Vec<u8>)> = response
        .headers
        .into_iter()
        .map(|(name, value)| (name, value.into_bytes()))
        .collect();
    // Header names are our own constants and values are escaped ids; should one ever be
    // refused, answer without headers rather than not at all.
    let headers = Fields::from_list(&entries).unwrap_or_else(|_| Fields::new());
    let outgoing = OutgoingResponse::new(headers);
    // Status codes come from our own table of valid codes.
    let _ = outgoing.set_status_code(response.status);
    let Ok(body) = outgoing.body() else {
        return;
    };
    ResponseOutparam::set(out, Ok(outgoing));
    if !head_only {
        if let Ok(stream) = body.write() {
            for chunk in response.body.chunks(WRITE_CHUNK) {
                if stream.blocking_write_and_flush(chunk).is_err() {
                    // The client went away; nothing left to do.
                    return;
                }
            }
        }
    }
    let _ = OutgoingBody::finish(body, None);
}
