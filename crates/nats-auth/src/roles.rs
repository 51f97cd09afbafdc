//! Who connects to the lattice's NATS, and on which subjects each may publish and subscribe.
//! Everything not listed is refused: nats-server drops a publish outside the list (the client
//! sees a "Permissions Violation" and, for a request, no answer) and refuses a subscription.
//!
//! Subjects, for lattice `L`:
//! - control interface `wasmbus.ctl.v1.L.>`, host and provider events `wasmbus.evt.L.>`,
//!   provider control (links, health, shutdown) `wasmbus.rpc.L.>`;
//! - wRPC calls between components and providers: `L.>`;
//! - wadm's API `wadm.api.L.>` and its own streams' subjects (`wadm.>`);
//! - JetStream's API (`$JS.API.>`), key-value writes (`$KV.<bucket>.>`), acks and flow control;
//! - the secrets backend's API (`<secrets topic>.<version>.<backend>.<operation>`) and its lock
//!   stream (`SECRETS_<backend>_state_lock.>`), and the policy service's topic;
//! - replies, on `_INBOX.>`.

use crate::{Subject, SubjectError, Token};

/// The subjects a user may use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Permissions {
    pub publish: Vec<String>,
    pub subscribe: Vec<String>,
}

/// A party that connects, and what it may do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Role {
    /// Its user's name, and its creds file's (`<name>.creds`).
    pub name: &'static str,
    pub purpose: &'static str,
    pub permissions: Permissions,
}

/// The names the subjects are made of.
#[derive(Debug, Clone)]
pub struct Topics {
    pub lattice: Token,
    /// The secrets backend's subject base (the hosts' `--secrets-topic`).
    pub secrets: Subject,
    /// The secrets backend's name (its subjects and lock stream carry it).
    pub secrets_backend: Token,
    /// The policy service's topic (the hosts' `--policy-topic`).
    pub policy: Subject,
}

impl Topics {
    /// Checks each name: the lattice and the backend are single tokens, the topics literal
    /// subjects.
    pub fn parse(
        lattice: &str,
        secrets: &str,
        secrets_backend: &str,
        policy: &str,
    ) -> Result<Self, SubjectError> {
        Ok(Self {
            lattice: Token::parse("the lattice's name", lattice)?,
            secrets: Subject::parse("the secrets topic", secrets)?,
            secrets_backend: Token::parse("the secrets backend's name", secrets_backend)?,
            policy: Subject::parse("the policy topic", policy)?,
        })
    }
}

fn strings<const N: usize>(subjects: [String; N]) -> Vec<String> {
    subjects.into()
}

/// Every role, in the order their creds are written.
pub fn roles(topics: &Topics) -> Vec<Role> {
    let Topics {
        lattice: l,
        secrets: s,
        secrets_backend: backend,
        policy: p,
    } = topics;
    let inbox = || "_INBOX.>".to_string();
    let ctl = || format!("wasmbus.ctl.v1.{l}.>");
    let events = || format!("wasmbus.evt.{l}.>");
    let js_api = || "$JS.API.>".to_string();
    vec![
        Role {
            name: "host",
            purpose: "a wasmCloud host (its control and RPC connections) and the providers it starts",
            permissions: Permissions {
                publish: strings([
                    ctl(),
                    events(),
                    format!("wasmbus.rpc.{l}.>"),
                    format!("{l}.>"),
                    js_api(),
                    format!("$KV.LATTICEDATA_{l}.>"),
                    format!("$KV.CONFIGDATA_{l}.>"),
                    "$JS.ACK.>".into(),
                    "$JS.FC.>".into(),
                    // Only the operations a secrets client uses: its own secrets, the key to seal
                    // its request with.
                    format!("{s}.*.*.get"),
                    format!("{s}.*.*.server_xkey"),
                    p.to_string(),
                    inbox(),
                ]),
                subscribe: strings([
                    ctl(),
                    events(),
                    format!("wasmbus.rpc.{l}.>"),
                    format!("{l}.>"),
                    inbox(),
                ]),
            },
        },
        Role {
            name: "wadm",
            purpose: "wadm: serves its API, reads the hosts' events, drives them over the control interface",
            permissions: Permissions {
                publish: strings([
                    ctl(),
                    "wadm.>".into(),
                    js_api(),
                    "$KV.>".into(),
                    "$JS.ACK.>".into(),
                    "$JS.FC.>".into(),
                    inbox(),
                ]),
                // wadm watches every lattice's events, to find the lattices it serves.
                subscribe: strings(["wadm.>".into(), "wasmbus.evt.*.>".into(), inbox()]),
            },
        },
        Role {
            name: "ops",
            purpose: "operators: wash, the project's scripts and tests (control interface, wadm's API, \
                      calls into the lattice, JetStream administration); not the secrets backend",
            permissions: Permissions {
                publish: strings([
                    ctl(),
                    format!("wadm.api.{l}.>"),
                    format!("{l}.>"),
                    js_api(),
                    "$KV.>".into(),
                    "$JS.ACK.>".into(),
                    inbox(),
                ]),
                subscribe: strings([events(), format!("wadm.evt.{l}.>"), inbox()]),
            },
        },
        Role {
            name: "secrets",
            purpose: "the secrets backend (secrets-nats-kv) and its administration (scripts/secrets.sh)",
            permissions: Permissions {
                publish: strings([
                    format!("{s}.>"),
                    // Its lock stream, which one instance holds while it writes.
                    format!("SECRETS_{backend}_state_lock.>"),
                    js_api(),
                    "$KV.>".into(),
                    "$JS.ACK.>".into(),
                    "$JS.FC.>".into(),
                    inbox(),
                ]),
                subscribe: strings([format!("{s}.>"), inbox()]),
            },
        },
        Role {
            name: "policy",
            purpose: "the policy service: answers the hosts' policy requests",
            permissions: Permissions {
                publish: strings([inbox()]),
                subscribe: strings([p.to_string(), format!("{p}.>")]),
            },
        },
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn role(name: &str) -> Role {
        let topics = Topics::parse(
            "default",
            "wasmcloud.secrets",
            "nats-kv",
            "wasmcloud.policy",
        )
        .expect("valid names");
        roles(&topics)
            .into_iter()
            .find(|role| role.name == name)
            .expect("role")
    }

    /// Whether NATS subject `pattern` (with `*` and `>`) matches literal `subject`.
    fn matches(pattern: &str, subject: &str) -> bool {
        let mut pattern = pattern.split('.');
        let mut subject = subject.split('.');
        loop {
            match (pattern.next(), subject.next()) {
                (Some(">"), Some(_)) => return true,
                (Some("*"), Some(_)) => {}
                (Some(p), Some(s)) if p == s => {}
                (None, None) => return true,
                _ => return false,
            }
        }
    }
    fn may_publish(role: &Role, subject: &str) -> bool {
        role.permissions.publish.iter().any(|p| matches(p, subject))
    }

    #[test]
    fn names_that_would_widen_a_permission_are_refused() {
        assert!(Topics::parse("a.b", "wasmcloud.secrets", "nats-kv", "wasmcloud.policy").is_err());
        assert!(Topics::parse("default", "wasmcloud.>", "nats-kv", "wasmcloud.policy").is_err());
        assert!(Topics::parse("default", "wasmcloud.secrets", "*", "wasmcloud.policy").is_err());
    }

    #[test]
    fn only_the_secrets_backend_administers_secrets_and_hosts_only_fetch_theirs() {
        let put = "wasmcloud.secrets.v1alpha1.nats-kv.put_secret";
        let get = "wasmcloud.secrets.v1alpha1.nats-kv.get";
        assert!(may_publish(&role("secrets"), put));
        for name in ["host", "wadm", "ops", "policy"] {
            assert!(!may_publish(&role(name), put), "{name} may put secrets");
        }
        assert!(may_publish(&role("host"), get));
        for name in ["wadm", "ops", "policy"] {
            assert!(!may_publish(&role(name), get), "{name} may fetch secrets");
        }
    }

    #[test]
    fn the_control_interface_is_for_hosts_wadm_and_operators() {
        let start = "wasmbus.ctl.v1.default.component.scale.NHOST";
        for name in ["host", "wadm", "ops"] {
            assert!(may_publish(&role(name), start), "{name} cannot");
        }
        for name in ["secrets", "policy"] {
            assert!(!may_publish(&role(name), start), "{name} may drive hosts");
        }
        assert!(!may_publish(
            &role("ops"),
            "wasmbus.ctl.v1.other.component.scale.NHOST"
        ));
    }

    #[test]
    fn wadm_and_the_policy_service_cannot_call_components() {
        let call = "default.movie_lattice-metadata.wrpc.0.0.1.movie:metadata/store.get";
        assert!(may_publish(&role("host"), call));
        assert!(may_publish(&role("ops"), call));
        assert!(!may_publish(&role("wadm"), call));
        assert!(!may_publish(&role("policy"), call));
    }
}
