//! `GET /healthz`: the gateway's view of itself and its dependencies.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::{Catalog, Response};

/// `GET /healthz`: pings both services.
pub fn get(catalog: &impl Catalog) -> Response {
    let outcome = |ping: Result<(), catalog_types::ServiceError>| {
        ping.map_err(|failure| failure.message().to_string())
    };
    HealthReport::from_checks([
        ("metadata", outcome(catalog.ping_metadata())),
        ("rating", outcome(catalog.ping_rating())),
    ])
    .into_response()
}

/// Outcome of probing each dependency; `ok` only when every probe passed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct HealthReport {
    status: &'static str,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    checks: BTreeMap<String, String>,
}

impl HealthReport {
    /// Builds the report from named probe results (`Err` carries why a probe failed).
    pub fn from_checks<'a>(
        checks: impl IntoIterator<Item = (&'a str, Result<(), String>)>,
    ) -> Self {
        let mut healthy = true;
        let checks = checks
            .into_iter()
            .map(|(name, outcome)| {
                let state = match outcome {
                    Ok(()) => "ok".to_string(),
                    Err(why) => {
                        healthy = false;
                        why
                    }
                };
                (name.to_string(), state)
            })
            .collect();
        Self {
            status: if healthy { "ok" } else { "degraded" },
            checks,
        }
    }

    pub fn is_healthy(&self) -> bool {
        self.status == "ok"
    }

    /// 200 `{"status":"ok"}` when healthy; 503 when degraded, naming each check's state.
    pub fn into_response(mut self) -> Response {
        if self.is_healthy() {
            self.checks.clear();
            Response::json(200, &self)
        } else {
            Response::json(503, &self)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn json(response: &Response) -> serde_json::Value {
        serde_json::from_slice(&response.body).expect("health bodies are JSON")
    }

    #[test]
    fn no_checks_is_plain_ok() {
        let response = HealthReport::from_checks([]).into_response();
        assert_eq!(response.status, 200);
        assert_eq!(json(&response), serde_json::json!({"status": "ok"}));
    }

    #[test]
    fn passing_checks_answer_plain_ok() {
        let response =
            HealthReport::from_checks([("metadata", Ok(())), ("rating", Ok(()))]).into_response();
        assert_eq!(response.status, 200);
        assert_eq!(json(&response), serde_json::json!({"status": "ok"}));
    }

    #[test]
    fn one_failing_check_degrades() {
        let report = HealthReport::from_checks([
            ("metadata", Ok(())),
            ("rating", Err("timed out".to_string())),
        ]);
        assert!(!report.is_healthy());
        let response = report.into_response();
        assert_eq!(response.status, 503);
        assert_eq!(
            json(&response),
            serde_json::json!({
                "status": "degraded",
                "checks": {"metadata": "ok", "rating": "timed out"}
            })
        );
    }
}
