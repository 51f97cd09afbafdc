//! Harness for the end-to-end tests: a real lattice (NATS, wadm, a wasmCloud host, Postgres)
//! with `wadm.yaml` deployed by `wash app deploy`, and a small HTTP client for the ingress.
//!
//! The lattice is started through the project's own scripts when it is not running, so a
//! plain `cargo test` works as well as `make test`.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use anyhow::{bail, Context as _};

pub mod kafka;
pub mod wrpc;

/// The HTTP API's address (CONTRACT.md).
pub const API: &str = "http://127.0.0.1:8000";
/// The application's name in wadm.yaml.
pub const APP: &str = "movie-lattice";

/// The project's root (the folder holding wadm.yaml).
///
/// Read at run time (cargo runs tests from, and with CARGO_MANIFEST_DIR set to, the package's
/// folder): checkouts that share one target directory can end up running each other's test
/// binaries, and the path baked in at compile time would then name the other checkout.
pub fn project_root() -> PathBuf {
    let package = std::env::var_os("CARGO_MANIFEST_DIR")
        .map(PathBuf::from)
        .or_else(|| std::env::current_dir().ok())
        .filter(|dir| dir.join("../wadm.yaml").exists())
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")));
    package
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from(".."))
}

/// `bash` in the project root, outside the step clock of a `make test` that runs us, so that
/// the steps of the scripts it runs do not land in that run's table of step times.
pub fn bash() -> Command {
    let mut command = Command::new("bash");
    command
        .current_dir(project_root())
        .env_remove("MOVIE_LATTICE_RUN_START")
        .env_remove("STEP_TIMES");
    command
}

/// A scratch folder inside the checkout's run state (where a fresh machine's scripts write
/// too), removed when the test ends.
pub struct Scratch(PathBuf);

impl Scratch {
    pub fn new(name: &str) -> Self {
        let dir = project_root()
            .join(".lattice/fresh-machine")
            .join(unique(name));
        std::fs::create_dir_all(&dir).expect("create scratch folder");
        Scratch(dir)
    }

    /// NAME inside the scratch folder.
    pub fn path(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Runs a project script (scripts/NAME.sh) and fails with its output if it fails.
pub fn script(name: &str) -> anyhow::Result<()> {
    run_script(name, &[], &[]).map(|_| ())
}

/// Runs scripts/NAME.sh with ARGS and extra environment (see [`bash`]), and fails with its
/// output if it fails.
pub fn run_script(
    name: &str,
    args: &[&str],
    env: &[(&str, &Path)],
) -> anyhow::Result<std::process::Output> {
    let path = project_root().join("scripts").join(format!("{name}.sh"));
    let output = bash()
        .arg(&path)
        .args(args)
        .envs(env.iter().copied())
        .output()
        .with_context(|| format!("failed to run {}", path.display()))?;
    if !output.status.success() {
        bail!(
            "{} {} failed ({}):\n{}{}",
            path.display(),
            args.join(" "),
            output.status,
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }
    Ok(output)
}

/// Runs a tool the project installed (wash, schemathesis, ...) with the project's environment
/// (scripts/env.sh) from the project root, and fails with its output if it fails.
pub fn tool(program: &str, args: &[&str]) -> anyhow::Result<String> {
    let output = bash()
        .arg("-c")
        .arg(r#"source scripts/env.sh && "$@""#)
        .arg("tool")
        .arg(program)
        .args(args)
        .output()
        .with_context(|| format!("failed to run {program}"))?;
    if !output.status.success() {
        bail!(
            "{program} {} failed:\n{}{}",
            args.join(" "),
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}

/// Runs `wash` (see [`tool`]).
pub fn wash(args: &[&str]) -> anyhow::Result<String> {
    tool("wash", args)
}

/// What `wash app list` says of the app, if it exists.
fn app_entry() -> anyhow::Result<Option<serde_json::Value>> {
    let listing: serde_json::Value =
        serde_json::from_str(&wash(&["app", "list", "-o", "json"])?).context("app list JSON")?;
    Ok(listing["applications"]
        .as_array()
        .and_then(|apps| apps.iter().find(|app| app["name"] == APP))
        .cloned())
}

/// The deployment status wadm reports for the app (e.g. "deployed"), if the app exists.
pub fn app_status() -> anyhow::Result<Option<String>> {
    Ok(app_entry()?.and_then(|app| {
        app["detailed_status"]["status"]["type"]
            .as_str()
            .map(str::to_string)
    }))
}

/// Polls `check` until it returns `Ok(true)` or `timeout` passes.
pub fn eventually(
    what: &str,
    timeout: Duration,
    mut check: impl FnMut() -> anyhow::Result<bool>,
) -> anyhow::Result<()> {
    let deadline = Instant::now() + timeout;
    let mut last = None;
    loop {
        match check() {
            Ok(true) => return Ok(()),
            Ok(false) => {}
            Err(err) => last = Some(err),
        }
        if Instant::now() >= deadline {
            let why = last
                .map(|err| format!(": last error: {err:#}"))
                .unwrap_or_default();
            bail!("timed out after {timeout:?} waiting for {what}{why}");
        }
        std::thread::sleep(Duration::from_millis(250));
    }
}

/// Starts the lattice if needed and deploys wadm.yaml with `wash app deploy`, once per test
/// binary. Every test that talks to the API calls this first.
pub fn deployed_app() -> &'static Result<(), String> {
    static DEPLOYED: OnceLock<Result<(), String>> = OnceLock::new();
    DEPLOYED.get_or_init(|| deploy().map_err(|err| format!("{err:#}")))
}

fn deploy() -> anyhow::Result<()> {
    script("lattice")?;
    // Deploying the same manifest again restarts its workloads: only deploy when what runs is
    // not this wadm.yaml (tests/tests/deploy.rs redeploys on purpose).
    if deployed_version()? != Some(manifest_version()?) {
        deploy_manifest()?;
    }
    wait_until_serving()
}

/// `wash app deploy wadm.yaml --replace`, as a user would.
pub fn deploy_manifest() -> anyhow::Result<()> {
    wash(&["app", "deploy", "wadm.yaml", "--replace"]).map(|_| ())
}

/// Waits until wadm reports the app Deployed and the ingress answers `/healthz` with 200 three
/// times in a row: right after a deploy, components that are about to be restarted can still
/// answer once.
pub fn wait_until_serving() -> anyhow::Result<()> {
    eventually("the app to be Deployed", Duration::from_secs(90), || {
        Ok(app_status()?.as_deref() == Some("deployed"))
    })?;
    let mut healthy_in_a_row = 0;
    eventually(
        "the HTTP ingress to answer /healthz with 200, three times in a row",
        Duration::from_secs(60),
        || {
            if get("/healthz").map(|r| r.status == 200).unwrap_or(false) {
                healthy_in_a_row += 1;
            } else {
                healthy_in_a_row = 0;
            }
            Ok(healthy_in_a_row >= 3)
        },
    )
}

/// The version annotation of wadm.yaml.
pub fn manifest_version() -> anyhow::Result<String> {
    let manifest = std::fs::read_to_string(project_root().join("wadm.yaml"))?;
    manifest
        .lines()
        .find_map(|line| line.trim().strip_prefix("version:"))
        .map(|version| version.trim().to_string())
        .context("wadm.yaml has no version annotation")
}

/// The version of the app wadm has deployed, if any.
pub fn deployed_version() -> anyhow::Result<Option<String>> {
    if app_status()?.as_deref() != Some("deployed") {
        return Ok(None);
    }
    Ok(app_entry()?.and_then(|app| app["deployed_version"].as_str().map(str::to_string)))
}

/// Panics with the deployment error, for use at the top of a test.
pub fn require_app() {
    if let Err(err) = deployed_app() {
        panic!("the app could not be deployed: {err}");
    }
}

/// A key no other test run has used (tests share the databases).
pub fn unique(prefix: &str) -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|elapsed| elapsed.as_nanos())
        .unwrap_or_default();
    format!(
        "{prefix}-{}-{nanos}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::SeqCst)
    )
}

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
    assert_eq!(
        response.status,
        status,
        "{}",
        String::from_utf8_lossy(&response.body)
    );
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
    let request = agent()
        .request(method, &format!("{API}{path}"))
        .set("content-type", "application/json");
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
