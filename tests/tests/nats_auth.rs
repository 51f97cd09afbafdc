//! The lattice's NATS takes only its own users (crates/nats-auth): an anonymous client is
//! refused, wash works with the operators' creds (which `source scripts/env.sh` gives it) and
//! not without them, each user is held to its party's subjects, and the lattice's own parties
//! (hosts and their providers, wadm, the secrets backend, the policy service) never hit a
//! permission they lack in what they do.

use std::collections::BTreeMap;
use std::time::Duration;

use movie_e2e::{bash, nats, require_app, shape};
use nats_auth::creds::Creds;
use nats_auth::roles::{roles, Topics};
use nats_auth::Identities;

const NO_ANSWER_WITHIN: Duration = Duration::from_secs(2);

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Runtime::new().expect("runtime")
}

/// Creds with `role`'s permissions for a user of their own, signed by the lattice's account as
/// `make up` signs each party's: what such a user is refused is logged under its key, not under
/// the party's, whose log lines the last test checks.
fn probe_creds(role: &str) -> String {
    let lattice = std::env::var("LATTICE").unwrap_or_else(|_| "default".to_string());
    let topics = Topics::parse(&lattice, "wasmcloud.secrets", "nats-kv", "wasmcloud.policy")
        .expect("valid names");
    let role = roles(&topics)
        .into_iter()
        .find(|candidate| candidate.name == role)
        .expect("a role");
    let identities = Identities::open(&nats::identities_dir()).expect("the identities");
    identities
        .issue(&role, &nkeys::KeyPair::new_user(), 0)
        .expect("creds")
        .to_file_text()
}

/// Whether a request from a user with `role`'s permissions on `subject` is answered.
fn answered(role: &str, subject: &str) -> bool {
    runtime().block_on(async {
        let client = async_nats::ConnectOptions::new()
            .credentials(&probe_creds(role))
            .expect("creds")
            .connect(nats::ADDRESS)
            .await
            .expect("connect");
        let reply = tokio::time::timeout(
            NO_ANSWER_WITHIN,
            client.request(subject.to_string(), "".into()),
        )
        .await;
        matches!(reply, Ok(Ok(_)))
    })
}

#[test]
fn a_client_without_credentials_is_refused() {
    require_app();
    let refused = runtime().block_on(async {
        async_nats::ConnectOptions::new()
            .connection_timeout(Duration::from_secs(3))
            .connect(nats::ADDRESS)
            .await
    });
    let error = refused.expect_err("an anonymous connection was taken");
    assert!(
        format!("{error:?}")
            .to_lowercase()
            .contains("authorization"),
        "refused, but not for authorization: {error:?}"
    );
    // A user's creds that NATS does not know (another operator's account) fail the same way.
    let stranger = nkeys::KeyPair::new_user();
    let forged = runtime().block_on(async {
        let jwt = nats_auth::jwt::encode(
            &nkeys::KeyPair::new_account(),
            &nats_auth::jwt::Claims {
                subject: stranger.public_key(),
                name: "stranger".into(),
                nats: serde_json::json!({"type": "user", "version": 2}),
            },
            0,
        )
        .expect("jwt");
        let creds = Creds {
            jwt,
            seed: stranger.seed().expect("seed"),
        };
        async_nats::ConnectOptions::new()
            .credentials(&creds.to_file_text())
            .expect("creds")
            .connection_timeout(Duration::from_secs(3))
            .connect(nats::ADDRESS)
            .await
    });
    assert!(forged.is_err(), "a user of an unknown account connected");
}

#[test]
fn wash_works_with_the_operators_creds_from_env_sh_and_not_without() {
    require_app();
    let run = |unset: bool| {
        bash()
            .arg("-c")
            .arg(format!(
                "source scripts/env.sh && {} wash get hosts -o json --timeout-ms 3000",
                if unset { "unset WASH_CTL_CREDS &&" } else { "" }
            ))
            .output()
            .expect("run wash")
    };
    let with = run(false);
    assert!(
        with.status.success(),
        "{}",
        String::from_utf8_lossy(&with.stderr)
    );
    let hosts: serde_json::Value = serde_json::from_slice(&with.stdout).expect("JSON");
    assert_eq!(
        hosts["hosts"].as_array().map(Vec::len),
        Some(shape::hosts()),
        "{hosts}"
    );
    let without = run(true);
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&without.stdout),
        String::from_utf8_lossy(&without.stderr)
    );
    assert!(
        !without.status.success() || !said.contains("\"hosts\":[{"),
        "wash listed the hosts without credentials: {said}"
    );
}

#[test]
fn each_user_may_use_only_its_partys_subjects() {
    require_app();
    let lattice = std::env::var("LATTICE").unwrap_or_else(|_| "default".to_string());
    let ping = format!("wasmbus.ctl.v1.{lattice}.host.ping");
    let secrets_key = "wasmcloud.secrets.v1alpha1.nats-kv.server_xkey";
    // The control interface answers the operators, not the policy service or the secrets backend.
    assert!(
        answered("ops", &ping),
        "the hosts did not answer the operators"
    );
    assert!(
        !answered("policy", &ping),
        "the policy service's user drove the hosts"
    );
    assert!(
        !answered("secrets", &ping),
        "the secrets backend's user drove the hosts"
    );
    // The secrets backend answers the hosts, not the operators or wadm.
    assert!(
        answered("host", secrets_key),
        "the backend did not answer a host"
    );
    assert!(
        !answered("ops", secrets_key),
        "the operators' user reached the secrets backend"
    );
    assert!(
        !answered("wadm", secrets_key),
        "wadm's user reached the secrets backend"
    );
    // A user's permissions are for this lattice only.
    assert!(!answered("ops", "wasmbus.ctl.v1.another-lattice.host.ping"));
}

/// The public key of each user, from its creds file.
fn users() -> BTreeMap<String, String> {
    ["host", "wadm", "ops", "secrets", "policy"]
        .into_iter()
        .map(|role| {
            let text = std::fs::read_to_string(nats::creds(role)).expect("creds file");
            let creds = Creds::parse(&text).expect("creds");
            let key = nkeys::KeyPair::from_seed(&creds.seed).expect("seed");
            (key.public_key(), role.to_string())
        })
        .collect()
}

#[test]
fn the_lattices_own_parties_never_hit_a_permission_they_lack() {
    require_app();
    // Give this run's traffic (the deploy, requests, heartbeats) a moment to reach the logs.
    std::thread::sleep(Duration::from_secs(1));
    let users = users();
    let mut violations = Vec::new();
    for log in shape::nats_logs() {
        let text = std::fs::read_to_string(&log).unwrap_or_default();
        // Logs are kept across restarts: only the running server's part counts.
        let current = text
            .rfind("Starting nats-server")
            .map_or(text.as_str(), |start| &text[start..]);
        for line in current.lines().filter(|line| {
            line.contains("Publish Violation") || line.contains("Subscription Violation")
        }) {
            // The probes' users, refused on purpose, are none of these.
            if let Some((_, role)) = users.iter().find(|(key, _)| line.contains(key.as_str())) {
                violations.push(format!("{role}: {line}"));
            }
        }
    }
    assert!(violations.is_empty(), "{}", violations.join("\n"));
}
