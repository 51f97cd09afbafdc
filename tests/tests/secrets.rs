//! The database password as a secret, on the running lattice: nowhere in the manifest, the
//! lattice's buckets or the logs; held (sealed) by the secrets backend, which the hosts ask for
//! the Postgres provider; and rotated by `make rotate-db-secret` while the app keeps its data.

use std::time::{Duration, Instant};

use futures::TryStreamExt as _;
use movie_e2e::{bash, eventually, project_root, unique, TestApp};
use serde_json::json;

/// The tests of this file one at a time: a rotation changes what the other one checks.
fn one_at_a_time() -> std::sync::MutexGuard<'static, ()> {
    static LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());
    LOCK.lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Runs `script` in bash with the project's environment; its standard output, or a panic with
/// everything it printed.
fn in_project(script: &str) -> String {
    let output = bash()
        .arg("-c")
        .arg(format!("source scripts/env.sh && {script}"))
        .output()
        .expect("run bash");
    assert!(
        output.status.success(),
        "{script}:\n{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).trim().to_string()
}

/// This machine's password of the application's role.
fn password() -> String {
    in_project("pg_password")
}

/// Whether `psql` as the application's role, with `password`, gets in.
fn logs_in_with(password: &str) -> Result<(), String> {
    let output = bash()
        .arg("-c")
        .arg(
            r#"source scripts/env.sh && PGPASSWORD="$(cat)" psql_app movie_metadata -c "SELECT 1""#,
        )
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .and_then(|mut child| {
            use std::io::Write as _;
            child
                .stdin
                .take()
                .expect("stdin")
                .write_all(password.as_bytes())?;
            child.wait_with_output()
        })
        .expect("run psql");
    if output.status.success() {
        Ok(())
    } else {
        Err(String::from_utf8_lossy(&output.stderr).into_owned())
    }
}

/// Every value of every key-value bucket of the lattice (the hosts', wadm's and the secrets
/// backend's), with its bucket and key.
fn bucket_values() -> Vec<(String, String, Vec<u8>)> {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    runtime.block_on(async {
        let nats = movie_e2e::nats::connect().await.expect("NATS");
        let js = async_nats::jetstream::new(nats);
        let streams: Vec<String> = js.stream_names().try_collect().await.expect("streams");
        let mut values = Vec::new();
        for bucket in streams.iter().filter_map(|name| name.strip_prefix("KV_")) {
            let store = js.get_key_value(bucket).await.expect("bucket");
            let keys: Vec<String> = store
                .keys()
                .await
                .expect("keys")
                .try_collect()
                .await
                .expect("keys");
            for key in keys {
                if let Some(value) = store.get(&key).await.expect("value") {
                    values.push((bucket.to_string(), key, value.to_vec()));
                }
            }
        }
        values
    })
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack
        .windows(needle.len())
        .any(|window| window == needle)
}

#[test]
fn the_password_is_nowhere_but_in_the_secrets_backend() {
    let _serial = one_at_a_time();
    let _app = TestApp::deployed();
    let password = password();
    assert_eq!(password.len(), 48, "a password made on this machine");

    // Not in the manifest (nor in the clustered one made from it), in any form.
    for file in ["wadm.yaml", movie_e2e::shape::manifest()] {
        let manifest = std::fs::read_to_string(project_root().join(file)).expect("the manifest");
        assert!(
            !manifest.to_lowercase().contains("password"),
            "{file} names a password"
        );
        assert!(!manifest.contains(&password), "{file} holds the password");
    }

    // Not in any bucket of the lattice: the config the hosts hand out holds only a reference
    // (backend and key), and the backend's own bucket holds the secret sealed.
    let values = bucket_values();
    assert!(
        values
            .iter()
            .any(|(bucket, _, _)| bucket.starts_with("CONFIGDATA_")),
        "the lattice's config bucket was read"
    );
    for (bucket, key, value) in &values {
        assert!(
            !contains(value, password.as_bytes()),
            "the password is readable in bucket {bucket}, key {key}"
        );
    }
    let sealed = values
        .iter()
        .find(|(bucket, key, _)| bucket == "WASMCLOUD_SECRETS" && key == "movie-db-role");
    assert!(sealed.is_some(), "the backend holds the secret");
    let reference = values
        .iter()
        .find(|(bucket, key, _)| bucket.starts_with("CONFIGDATA_") && key.starts_with("SECRET_"))
        .map(|(_, _, value)| String::from_utf8_lossy(value).into_owned())
        .expect("a secret reference in the config bucket");
    assert!(
        reference.contains("movie-db-role") && reference.contains("nats-kv"),
        "{reference}"
    );

    // The backend gives back what this machine holds (with the backend's own key).
    assert_eq!(in_project("scripts/secrets.sh get"), password);

    // Not in any log of the lattice's processes, nor in any step's output (logs/steps).
    let leaked = bash()
        .arg("-c")
        .arg(r#"source scripts/env.sh && pg_password | grep -rlF -f - "$LOG_DIR" 2>/dev/null || true"#)
        .output()
        .expect("grep the logs");
    assert_eq!(
        String::from_utf8_lossy(&leaked.stdout).trim(),
        "",
        "logs holding the password"
    );
}

#[test]
fn rotating_the_password_keeps_the_app_working_and_retires_the_old_one() {
    let _serial = one_at_a_time();
    let app = TestApp::deployed();
    let before = password();
    let id = unique("rotation");
    let movie = json!({"id": id, "title": "The Conversation", "description": "", "director": "Francis Ford Coppola"});
    assert_eq!(app.put_metadata(&movie).json_with(200), movie);

    let psql = |sql: &str| in_project(&format!("psql_app movie_metadata -c \"{sql}\""));
    let rotation_began = psql("SELECT now()");
    let started = Instant::now();
    let output = in_project("scripts/secrets.sh rotate 2>&1");
    eprintln!("rotation took {:?}:\n{output}", started.elapsed());
    let after = password();
    assert_ne!(after, before, "a new password");
    assert_eq!(after.len(), 48);
    assert!(
        !output.contains(&after) && !output.contains(&before),
        "the rotation printed a password"
    );

    // Postgres takes only the new one; the backend holds it.
    let refused = logs_in_with(&before).expect_err("the old password");
    assert!(
        refused.contains("password authentication failed"),
        "{refused}"
    );
    logs_in_with(&after).expect("the new password");
    assert_eq!(in_project("scripts/secrets.sh get"), after);

    // The app works on connections made with the new password: what was written before is
    // there, and new writes land.
    eventually("the API to read again", Duration::from_secs(60), || {
        Ok(app.metadata(&id).status == 200)
    })
    .expect("the app after the rotation");
    assert_eq!(app.metadata(&id).json_with(200), movie);
    let replaced = json!({"id": id, "title": "The Conversation (1974)", "description": "", "director": "Coppola"});
    assert_eq!(app.put_metadata(&replaced).json_with(200), replaced);
    let stale = psql(&format!(
        "SELECT count(*) FILTER (WHERE backend_start < '{rotation_began}') || ' ' || count(*) \
         FROM pg_stat_activity WHERE application_name = 'movie-lattice sqldb-postgres'"
    ));
    let (old, all) = stale.split_once(' ').expect("two counts");
    assert_eq!(
        old, "0",
        "provider connections older than the rotation: {stale}"
    );
    assert_ne!(all, "0", "the provider holds connections: {stale}");
}
