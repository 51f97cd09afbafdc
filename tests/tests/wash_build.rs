//! wasmCloud's own convention: `wash build` in a component's folder builds and signs the
//! component, and what it makes is the file `wadm.yaml` deploys — the same file `make build`
//! makes. Its own test binary: it rewrites build/metadata_service.wasm.

use std::path::{Path, PathBuf};

use movie_e2e::{bash, project_root, tool};

/// The file wadm.yaml loads for component `name` (`image: file://./...`).
fn deployed_image(name: &str) -> PathBuf {
    let text = std::fs::read_to_string(project_root().join("wadm.yaml")).expect("wadm.yaml");
    let manifest: serde_yaml_ng::Value = serde_yaml_ng::from_str(&text).expect("YAML");
    let component = manifest["spec"]["components"]
        .as_sequence()
        .and_then(|components| components.iter().find(|c| c["name"] == name))
        .unwrap_or_else(|| panic!("wadm.yaml has no component {name}"));
    let image = component["properties"]["image"].as_str().expect("an image");
    let relative = image.strip_prefix("file://").expect("a file:// image");
    project_root().join(relative)
}

/// `[component] destination` of a folder's wasmcloud.toml, resolved from that folder.
fn wash_destination(folder: &Path) -> PathBuf {
    let text = std::fs::read_to_string(folder.join("wasmcloud.toml")).expect("wasmcloud.toml");
    let destination = text
        .lines()
        .find_map(|line| line.trim().strip_prefix("destination = "))
        .expect("a destination")
        .trim_matches('"');
    folder.join(destination)
}

/// Runs `wash build ARGS` in `folder` (relative to the checkout) as a developer would: with
/// none of the project's settings in the environment beyond wash on the PATH. Its stdout.
fn wash_build_in(folder: &str, args: &[&str]) -> String {
    let output = bash()
        .arg("-c")
        // Not even what `cargo test` sets for this test: some build scripts rerun when it
        // differs, which would rebuild the provider on every run.
        .arg(
            r#"for name in $(compgen -e | grep -E '^(CARGO|RUST)'); do unset "$name"; done
               source scripts/env.sh && cd "$1" && shift &&
               env -u WASH_KEYS -u CARGO_TARGET_DIR wash build "$@""#,
        )
        .arg("wash-build")
        .arg(folder)
        .args(args)
        .output()
        .expect("run wash build");
    assert!(
        output.status.success(),
        "wash build in {folder} failed:\n{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn canonical(path: &Path) -> PathBuf {
    path.canonicalize()
        .unwrap_or_else(|err| panic!("{}: {err}", path.display()))
}

#[test]
fn wash_build_in_a_component_folder_makes_what_wadm_yaml_deploys() {
    let folder = project_root().join("components/metadata");
    let image = deployed_image("metadata");
    assert_eq!(
        canonical(&wash_destination(&folder)),
        canonical(&image),
        "wash build writes where wadm.yaml loads from"
    );
    let before = std::fs::metadata(&image).and_then(|m| m.modified()).ok();

    wash_build_in("components/metadata", &[]);
    let after = std::fs::metadata(&image).and_then(|m| m.modified()).ok();
    assert_ne!(before, after, "wash build wrote {}", image.display());

    // Signed, with the component's name and version as claims.
    let inspected: serde_json::Value = serde_json::from_str(
        &tool("wash", &["inspect", &image.to_string_lossy(), "-o", "json"]).expect("inspect"),
    )
    .expect("inspect JSON");
    assert_eq!(inspected["name"], "metadata-service", "{inspected}");
    assert_eq!(inspected["version"], "0.1.0", "{inspected}");

    // And it is cargo's component with the claims appended: the same build `make build` runs.
    let target_dir = tool("bash", &["-c", "echo -n $CARGO_TARGET_DIR"]).expect("target dir");
    let built =
        std::fs::read(Path::new(&target_dir).join("wasm32-wasip2/component/metadata_service.wasm"))
            .expect("cargo's component");
    let signed = std::fs::read(&image).expect("signed component");
    assert!(
        signed.len() > built.len() && signed.starts_with(&built),
        "{} is cargo's build plus its claims",
        image.display()
    );
}

/// `wash build` in `providers/FOLDER` packs the archive wadm.yaml loads for its component
/// `component`, signed, with the provider's name and our vendor.
fn assert_wash_build_packs_provider(folder: &str, component: &str) {
    let archive = deployed_image(component);
    let stdout = wash_build_in(&format!("providers/{folder}"), &["-o", "json"]);
    // wash prints its build's progress, then the JSON result.
    let built: serde_json::Value = stdout
        .find('{')
        .and_then(|start| serde_json::from_str(&stdout[start..]).ok())
        .unwrap_or_else(|| panic!("no JSON from wash build: {stdout}"));
    let path = PathBuf::from(built["path"].as_str().expect("the archive's path"));
    assert_eq!(canonical(&path), canonical(&archive), "{built}");

    let inspected: serde_json::Value = serde_json::from_str(
        &tool(
            "wash",
            &["inspect", &archive.to_string_lossy(), "-o", "json"],
        )
        .expect("inspect"),
    )
    .expect("inspect JSON");
    assert_eq!(inspected["name"], folder, "{inspected}");
    assert_eq!(inspected["vendor"], "movie-lattice", "{inspected}");
}

/// Slow on a fresh machine: wash compiles each provider on its own, with its own feature set
/// (2–3 minutes the first time, seconds after).
#[test]
fn wash_build_in_a_provider_folder_packs_the_archive_wadm_yaml_deploys() {
    assert_wash_build_packs_provider("sqldb-postgres", "postgres");
    assert_wash_build_packs_provider("messaging-kafka", "kafka");
}
