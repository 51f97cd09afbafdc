//! A small HTTP client for the lattice ingress: raw requests and their answers, whatever the
//! status. [`crate::api::TestApp`] builds the API's routes on it.

use std::sync::OnceLock;
use std::time::Duration;

use anyhow::Context as _;

use crate::API;

/// Percent-encodes a query parameter value.
pub fn encode(value: &str) -> String {
    value
        .bytes()
        .map(|byte| match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (byte as char).to_string()
            }
            other => format!("%{other:02X}"),
        })
        .collect()
}

/// Asserts a JSON error answer: its status, and that its `error` message mentions `needle`.
#[track_caller]
pub fn assert_error(response: &HttpResponse, status: u16, needle: &str) {
    response.assert_status(status);
    let body = response.json().expect("JSON error body");
    let message = body["error"].as_str().unwrap_or_default();
    assert!(
        message.contains(needle),
        "{message:?} should mention {needle:?}"
    );
}

/// An HTTP answer, whatever its status.
#[derive(Debug)]
pub struct HttpResponse {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl HttpResponse {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }

    /// The body as JSON, after checking the status (the body is shown when it differs).
    #[track_caller]
    pub fn json_with(&self, status: u16) -> serde_json::Value {
        self.assert_status(status);
        self.json().expect("a JSON body")
    }

    /// Checks the status; the body is shown when it differs.
    #[track_caller]
    pub fn assert_status(&self, status: u16) {
        assert_eq!(
            self.status,
            status,
            "{}",
            String::from_utf8_lossy(&self.body)
        );
    }

    pub fn json(&self) -> anyhow::Result<serde_json::Value> {
        serde_json::from_slice(&self.body).with_context(|| {
            format!(
                "body is not JSON: {:?}",
                String::from_utf8_lossy(&self.body)
            )
        })
    }
}

fn agent() -> &'static ureq::Agent {
    static AGENT: OnceLock<ureq::Agent> = OnceLock::new();
    AGENT.get_or_init(|| {
        ureq::AgentBuilder::new()
            .timeout(Duration::from_secs(30))
            .build()
    })
}

/// Sends `method path` with an optional body to the API and returns the answer.
pub fn request(method: &str, path: &str, body: Option<&[u8]>) -> anyhow::Result<HttpResponse> {
    request_with_headers(method, path, &[], body)
}

/// [`request`] with extra request headers (e.g. a W3C `traceparent`).
pub fn request_with_headers(
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: Option<&[u8]>,
) -> anyhow::Result<HttpResponse> {
    let request = headers.iter().fold(
        agent()
            .request(method, &format!("{API}{path}"))
            .set("content-type", "application/json"),
        |request, (name, value)| request.set(name, value),
    );
    let result = match body {
        Some(bytes) => request.send_bytes(bytes),
        None => request.call(),
    };
    let response = match result {
        Ok(response) | Err(ureq::Error::Status(_, response)) => response,
        Err(err) => return Err(err).context(format!("{method} {path}")),
    };
    let status = response.status();
    let headers = response
        .headers_names()
        .into_iter()
        .filter_map(|name| {
            let value = response.header(&name)?.to_string();
            Some((name, value))
        })
        .collect();
    let mut body = Vec::new();
    std::io::Read::read_to_end(&mut response.into_reader(), &mut body)
        .context("reading the response body")?;
    Ok(HttpResponse {
        status,
        headers,
        body,
    })
}

pub fn get(path: &str) -> anyhow::Result<HttpResponse> {
    request("GET", path, None)
}
