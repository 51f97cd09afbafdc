//! Conversions between `wasi:http` and the transport-free types of `movie-api`.

use movie_api::{Method, Response};
use wasi::http::types::{
    Fields, IncomingRequest, Method as WasiMethod, OutgoingBody, OutgoingResponse,
    ResponseOutparam,
};

/// Largest chunk `blocking-write-and-flush` accepts in one call.
const WRITE_CHUNK: usize = 4096;

pub fn method(request: &IncomingRequest) -> Method {
    match request.method() {
        WasiMethod::Get => Method::Get,
        WasiMethod::Head => Method::Head,
        WasiMethod::Post => Method::Post,
        WasiMethod::Put => Method::Put,
        WasiMethod::Delete => Method::Delete,
        WasiMethod::Connect => Method::Other("CONNECT".into()),
        WasiMethod::Options => Method::Other("OPTIONS".into()),
        WasiMethod::Trace => Method::Other("TRACE".into()),
        WasiMethod::Patch => Method::Other("PATCH".into()),
        WasiMethod::Other(name) => Method::Other(name),
    }
}

/// The request's path and its query string (without `?`), if any.
pub fn path_and_query(request: &IncomingRequest) -> (String, Option<String>) {
    let target = request.path_with_query().unwrap_or_else(|| "/".to_string());
    match target.split_once('?') {
        Some((path, query)) => (path.to_string(), Some(query.to_string())),
        None => (target, None),
    }
}

/// Sends `response`; with `head_only` the body is left out (HEAD requests).
pub fn respond(out: ResponseOutparam, response: Response, head_only: bool) {
    let entries: Vec<(String, Vec<u8>)> = response
        .headers
        .into_iter()
        .map(|(name, value)| (name, value.into_bytes()))
        .collect();
    let headers = match Fields::from_list(&entries) {
        Ok(headers) => headers,
        // Our own header names are static and valid; fall back to none rather than fail.
        Err(_) => Fields::new(),
    };
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
