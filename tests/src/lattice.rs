//! The lattice under test: starting it through the project's scripts, deploying `wadm.yaml`
//! with `wash app deploy`, and waiting until wadm and the ingress say it serves.

use std::collections::BTreeMap;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use anyhow::{bail, Context as _};

use crate::scripts::{project_root, script, wash};
use crate::APP;

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
    // What `make up` does: deploy unless this deployment runs already (on a cluster, after
    // pushing the artifacts and making the clustered manifest), and wait until it serves.
    script("deploy")?;
    wait_until_serving()
}

/// Deploys the manifest this shape deploys (wadm.yaml on one host, build/wadm.cluster.yaml
/// on a cluster) with wash, as a user would: see [`deploy_file`].
pub fn deploy_manifest() -> anyhow::Result<()> {
    deploy_file(&project_root().join(crate::shape::manifest()))
}

/// `wash app deploy FILE` from nothing: the app is undeployed and deleted first, and its
/// configurations are waited out. wadm deletes them after it answers, and a deploy (or a
/// `--replace`) that comes before that was seen to lose the new ones, leaving the app Failed.
pub fn deploy_file(file: &std::path::Path) -> anyhow::Result<()> {
    let configs = config_names(file)?;
    if app_entry()?.is_some() {
        let _ = wash(&["app", "undeploy", APP]);
        let _ = wash(&["app", "delete", APP]);
    }
    let gone = || {
        Ok(configs
            .iter()
            .all(|name| wash(&["config", "get", name]).is_err()))
    };
    if eventually(
        "wadm to remove the app's configurations",
        Duration::from_secs(15),
        gone,
    )
    .is_err()
    {
        // wadm left some (seen right after it restarted): nothing uses them any more.
        for name in &configs {
            let _ = wash(&["config", "delete", name]);
        }
        eventually(
            "the app's configurations to be gone",
            Duration::from_secs(15),
            gone,
        )?;
    }
    wash(&["app", "deploy", &file.to_string_lossy()]).map(|_| ())
}

/// The named configurations wadm makes for a manifest: `<app>-<config name>`, with `-` as `_`.
fn config_names(file: &std::path::Path) -> anyhow::Result<Vec<String>> {
    fn collect(node: &serde_yaml_ng::Value, prefix: &str, names: &mut Vec<String>) {
        match node {
            serde_yaml_ng::Value::Mapping(map) => {
                for (key, value) in map {
                    if key.as_str() == Some("config") {
                        // One without properties is made outside wadm and used as is.
                        let managed = value
                            .as_sequence()
                            .into_iter()
                            .flatten()
                            .filter(|config| config.get("properties").is_some());
                        for config in managed {
                            if let Some(name) = config["name"].as_str() {
                                names.push(format!("{prefix}-{}", name.replace('-', "_")));
                            }
                        }
                    }
                    collect(value, prefix, names);
                }
            }
            serde_yaml_ng::Value::Sequence(items) => {
                for item in items {
                    collect(item, prefix, names);
                }
            }
            _ => {}
        }
    }
    let manifest: serde_yaml_ng::Value = serde_yaml_ng::from_str(&std::fs::read_to_string(file)?)?;
    let prefix = manifest["metadata"]["name"]
        .as_str()
        .context("the manifest has no name")?
        .replace('-', "_");
    let mut names = Vec::new();
    collect(&manifest, &prefix, &mut names);
    names.sort();
    names.dedup();
    Ok(names)
}

/// Waits until wadm reports the app Deployed and the ingress answers `/healthz` with 200 three
/// times in a row: right after a deploy, components that are about to be restarted can still
/// answer once.
pub fn wait_until_serving() -> anyhow::Result<()> {
    // On 3 hosts under a loaded machine, placing every instance again was seen to take longer
    // than 90 s; when it does not come, the failure shows what wadm says of the app.
    eventually("the app to be Deployed", Duration::from_secs(180), || {
        Ok(app_status()?.as_deref() == Some("deployed"))
    })
    .with_context(|| {
        let status = wash(&["app", "status", APP]).unwrap_or_else(|err| format!("{err:#}"));
        format!("wash app status {APP}:\n{status}")
    })?;
    let mut healthy_in_a_row = 0;
    eventually(
        "the HTTP ingress to answer /healthz with 200, three times in a row",
        Duration::from_secs(60),
        || {
            if crate::http::get("/healthz")
                .map(|r| r.status == 200)
                .unwrap_or(false)
            {
                healthy_in_a_row += 1;
            } else {
                healthy_in_a_row = 0;
            }
            Ok(healthy_in_a_row >= 3)
        },
    )
}

/// The version annotation of the manifest this shape deploys.
pub fn manifest_version() -> anyhow::Result<String> {
    let manifest = std::fs::read_to_string(project_root().join(crate::shape::manifest()))?;
    manifest
        .lines()
        .find_map(|line| line.trim().strip_prefix("version:"))
        .map(|version| version.trim().to_string())
        .context("the manifest has no version annotation")
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

/// What runs where, from `wash get inventory`: host name (its `movie_lattice_host` label) ->
/// the ids of the components and providers it runs.
pub fn placements() -> anyhow::Result<BTreeMap<String, Vec<String>>> {
    let inventory: serde_json::Value =
        serde_json::from_str(&wash(&["get", "inventory", "-o", "json"])?)
            .context("inventory JSON")?;
    Ok(inventory["inventories"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .map(|host| {
            let name = host["labels"]["movie_lattice_host"]
                .as_str()
                .unwrap_or("unlabelled")
                .to_string();
            let ids = ["components", "providers"]
                .iter()
                .flat_map(|kind| host[kind].as_array().cloned().unwrap_or_default())
                .filter_map(|workload| workload["id"].as_str().map(str::to_string))
                .collect();
            (name, ids)
        })
        .collect())
}
