//! What the policy permits: a start or an invocation of an artifact whose embedded claims were
//! issued by a trusted key (the project's), unexpired; the host's builtin providers, which
//! carry no claims because they are compiled into the host. Everything else is denied, with
//! the reason in words.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

/// The providers compiled into the host (`wasmcloud+builtin://<name>` in a manifest; the host
/// asks with the bare name). A provider the host fetched always carries claims (a provider
/// archive is signed), so a claimless start of one of these names is the builtin.
const BUILTIN_PROVIDERS: &[&str] = &["http-server", "http-client", "messaging-nats"];
const BUILTIN_PREFIX: &str = "wasmcloud+builtin://";

fn is_builtin_provider(image_ref: &str) -> bool {
    let name = image_ref.strip_prefix(BUILTIN_PREFIX).unwrap_or(image_ref);
    BUILTIN_PROVIDERS.contains(&name)
}

/// A host's policy request (wasmCloud host 1.x, version `v1`), as far as the decision needs it.
#[derive(Debug, Deserialize)]
pub struct Request {
    #[serde(rename = "requestId")]
    pub request_id: String,
    pub kind: String,
    #[serde(default)]
    pub request: serde_json::Value,
}

/// The answer the host waits for.
#[derive(Debug, PartialEq, Eq, Serialize)]
pub struct Response {
    #[serde(rename = "requestId")]
    pub request_id: String,
    pub permitted: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

/// The claims a host found embedded in an artifact.
#[derive(Debug, Deserialize)]
struct Claims {
    #[serde(rename = "publicKey", default)]
    public_key: String,
    #[serde(default)]
    issuer: String,
    #[serde(default)]
    expired: bool,
}

/// The artifact a request is about.
#[derive(Debug, Deserialize)]
struct Artifact {
    #[serde(rename = "componentId", alias = "providerId", default)]
    id: String,
    #[serde(rename = "imageRef", default)]
    image_ref: String,
    #[serde(default)]
    claims: Option<Claims>,
}

/// An account public key (`A...`, 56 characters) that may issue what runs here.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Issuer(String);

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("{0:?} is not an account public key (A..., 56 characters)")]
pub struct NotAnIssuer(String);

impl Issuer {
    pub fn parse(raw: &str) -> Result<Self, NotAnIssuer> {
        let key = raw.trim();
        let valid = key.len() == 56
            && key.starts_with('A')
            && key
                .chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
            && nkeys::KeyPair::from_public_key(key).is_ok();
        if valid {
            Ok(Self(key.to_string()))
        } else {
            Err(NotAnIssuer(raw.to_string()))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The trusted issuers; at least one.
#[derive(Debug, Clone)]
pub struct Policy {
    trusted: BTreeSet<Issuer>,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("a policy needs at least one trusted issuer")]
pub struct NoIssuer;

impl Policy {
    pub fn new(trusted: impl IntoIterator<Item = Issuer>) -> Result<Self, NoIssuer> {
        let trusted: BTreeSet<Issuer> = trusted.into_iter().collect();
        if trusted.is_empty() {
            return Err(NoIssuer);
        }
        Ok(Self { trusted })
    }

    /// The decision on one request.
    pub fn decide(&self, request: &Request) -> Response {
        let verdict = self.verdict(request);
        Response {
            request_id: request.request_id.clone(),
            permitted: verdict.is_ok(),
            message: verdict.err(),
        }
    }

    fn verdict(&self, request: &Request) -> Result<(), String> {
        let (action, artifact) = match request.kind.as_str() {
            "startComponent" => ("start component", &request.request),
            "startProvider" => ("start provider", &request.request),
            // The component invoked: the same rule as for its start.
            "performInvocation" => ("invoke component", &request.request["target"]),
            other => return Err(format!("unknown policy request kind {other:?}")),
        };
        let artifact = Artifact::deserialize(artifact)
            .map_err(|err| format!("unreadable {action} request: {err}"))?;
        let what = format!("{action} {} ({})", artifact.id, artifact.image_ref);
        if request.kind == "startProvider"
            && artifact.claims.is_none()
            && is_builtin_provider(&artifact.image_ref)
        {
            return Ok(());
        }
        let Some(claims) = artifact.claims else {
            return Err(format!(
                "{what}: it is not signed (no embedded claims); only artifacts signed by the \
                 project's key run here"
            ));
        };
        if claims.expired {
            return Err(format!(
                "{what}: its claims ({}) have expired",
                claims.public_key
            ));
        }
        if self
            .trusted
            .iter()
            .any(|issuer| issuer.as_str() == claims.issuer)
        {
            return Ok(());
        }
        let trusted: Vec<&str> = self.trusted.iter().map(Issuer::as_str).collect();
        Err(format!(
            "{what}: signed by issuer {}, which is not the project's key ({})",
            claims.issuer,
            trusted.join(", ")
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn account() -> String {
        nkeys::KeyPair::new_account().public_key()
    }

    fn policy(issuer: &str) -> Policy {
        Policy::new([Issuer::parse(issuer).expect("an account key")]).expect("one issuer")
    }

    fn request(kind: &str, body: serde_json::Value) -> Request {
        serde_json::from_value(json!({
            "requestId": "r-1", "kind": kind, "version": "v1", "request": body,
            "host": {"publicKey": "N...", "lattice": "default", "labels": {}}
        }))
        .expect("a request")
    }

    fn component(issuer: Option<&str>, expired: bool) -> serde_json::Value {
        let claims = issuer.map(|issuer| {
            json!({"publicKey": "MABC", "issuer": issuer, "issuedAt": "0", "expired": expired})
        });
        json!({"componentId": "metadata-service", "imageRef": "file://./build/m.wasm",
               "maxInstances": 100, "annotations": {}, "claims": claims})
    }

    #[test]
    fn the_projects_artifacts_are_permitted() {
        let ours = account();
        let policy = policy(&ours);
        let started = policy.decide(&request("startComponent", component(Some(&ours), false)));
        assert_eq!(
            started,
            Response {
                request_id: "r-1".into(),
                permitted: true,
                message: None
            }
        );
        let provider = json!({"providerId": "sqldb-postgres", "imageRef": "127.0.0.1:5000/p:0.1.0",
                              "annotations": {}, "claims": {"publicKey": "VX", "issuer": ours,
                              "issuedAt": "0", "expired": false}});
        assert!(policy.decide(&request("startProvider", provider)).permitted);
        let invocation = json!({"interface": "movie:catalog/metadata", "function": "get",
                                "target": component(Some(&ours), false)});
        assert!(
            policy
                .decide(&request("performInvocation", invocation))
                .permitted
        );
    }

    #[test]
    fn builtin_providers_need_no_claims() {
        let policy = policy(&account());
        for image_ref in [
            "http-server",
            "wasmcloud+builtin://http-server",
            "messaging-nats",
        ] {
            let provider = json!({"providerId": "http-ingress", "imageRef": image_ref,
                                  "annotations": {}, "claims": null});
            assert!(
                policy.decide(&request("startProvider", provider)).permitted,
                "{image_ref}"
            );
        }
        // Only providers are builtins, and only those names.
        let other = json!({"providerId": "p", "imageRef": "file:///tmp/p.par.gz", "claims": null});
        assert!(!policy.decide(&request("startProvider", other)).permitted);
        let component = json!({"componentId": "c", "imageRef": "http-server", "claims": null});
        assert!(
            !policy
                .decide(&request("startComponent", component))
                .permitted
        );
    }

    #[test]
    fn foreign_unsigned_and_expired_artifacts_are_denied_with_the_reason() {
        let (ours, theirs) = (account(), account());
        let policy = policy(&ours);
        let foreign = policy.decide(&request("startComponent", component(Some(&theirs), false)));
        assert!(!foreign.permitted);
        let message = foreign.message.expect("a reason");
        assert!(
            message.contains(&theirs) && message.contains(&ours),
            "{message}"
        );
        assert!(message.contains("metadata-service"), "{message}");

        let unsigned = policy.decide(&request("startComponent", component(None, false)));
        assert!(!unsigned.permitted);
        assert!(unsigned.message.unwrap_or_default().contains("not signed"));

        let expired = policy.decide(&request("startComponent", component(Some(&ours), true)));
        assert!(!expired.permitted);
        assert!(expired.message.unwrap_or_default().contains("expired"));
    }

    #[test]
    fn unknown_kinds_and_unreadable_bodies_are_denied() {
        let policy = policy(&account());
        assert!(
            !policy
                .decide(&request("startAnything", json!({})))
                .permitted
        );
        let odd = policy.decide(&request("startComponent", json!({"claims": 7})));
        assert!(!odd.permitted);
        assert!(odd.message.unwrap_or_default().contains("unreadable"));
    }

    #[test]
    fn only_account_keys_are_issuers() {
        assert!(Issuer::parse(&account()).is_ok());
        let server = nkeys::KeyPair::new_server().public_key();
        assert!(Issuer::parse(&server).is_err());
        assert!(Issuer::parse("Anot-a-key").is_err());
        assert_eq!(Policy::new([]).err(), Some(NoIssuer));
    }
}
