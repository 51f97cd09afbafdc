//! Running the project's own scripts and tools from a test: the checkout's root, `bash` outside
//! the step clock, scratch folders, `scripts/NAME.sh`, and tools such as `wash`.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, Context as _};

use crate::unique;

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
/// the steps of the scripts it runs do not land in that run's table of step times, and in the
/// lattice shape under test (`HOSTS`, see [`crate::shape::hosts`]).
pub fn bash() -> Command {
    let mut command = Command::new("bash");
    command
        .current_dir(project_root())
        .env("HOSTS", crate::shape::hosts().to_string())
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
