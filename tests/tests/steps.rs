//! The progress `make up` and `make test` print (scripts/steps.sh): every step names itself
//! with the elapsed time, a long step says what it is compiling, a failed step names itself,
//! shows the end of its output and its log file, and the run ends with a table of step times.

use std::process::Output;

use movie_e2e::{bash, Scratch};

/// Runs STEPS (bash, with env.sh and steps.sh sourced) as a run of its own, with its state in a
/// scratch folder and progress reported every second. Returns the output and the scratch folder.
fn run_steps(steps: &str) -> (Output, Scratch) {
    let scratch = Scratch::new("steps");
    let output = bash()
        .arg("-c")
        .arg(format!(
            "set -euo pipefail; source scripts/env.sh; source scripts/steps.sh; {steps}"
        ))
        .env("MOVIE_LATTICE_STATE", scratch.path("state"))
        .env("MOVIE_LATTICE_PROGRESS_EVERY", "1")
        .output()
        .expect("run bash");
    (output, scratch)
}

#[test]
fn a_failed_step_names_itself_shows_its_output_and_its_log() {
    let (output, scratch) = run_steps(
        r#"step "probe that fails" bash -c 'for i in $(seq 1 40); do echo "line $i"; done; exit 3'"#,
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(3), "{stderr}");
    assert!(stderr.contains("] probe that fails"), "{stderr}");
    assert!(
        stderr.contains(r#"step "probe that fails" failed after"#),
        "{stderr}"
    );
    // The last lines of its output, not the first ones.
    assert!(
        stderr.contains("line 40") && stderr.contains("line 11"),
        "{stderr}"
    );
    assert!(!stderr.contains("line 10\n"), "{stderr}");
    let log = scratch.path("state/logs/steps/probe-that-fails.log");
    assert!(stderr.contains(&log.display().to_string()), "{stderr}");
    let kept = std::fs::read_to_string(&log).expect("the step's log");
    assert!(
        kept.contains("line 1\n") && kept.contains("line 40"),
        "{kept}"
    );
    // The table ends the run even when it failed.
    assert!(stderr.contains("step times"), "{stderr}");
    assert!(
        stderr
            .lines()
            .any(|line| line.contains("probe that fails") && line.ends_with("failed")),
        "{stderr}"
    );
}

#[test]
fn a_long_step_reports_what_it_compiles_and_the_table_times_every_step() {
    let (output, _scratch) = run_steps(
        r#"step "quick probe" true
           step "slow probe" bash -c 'echo "   Compiling alpha v1.0.0"; sleep 1.5; echo "   Compiling beta v2.0.0"; sleep 1.5'"#,
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert!(
        stderr.contains("slow probe, 0:0") && stderr.contains("crates compiled; last: Compiling"),
        "a progress line names the step, its time and what cargo compiles:\n{stderr}"
    );
    let table: Vec<&str> = stderr
        .lines()
        .skip_while(|line| !line.contains("step times"))
        .collect();
    for step in ["quick probe", "slow probe", "total"] {
        assert!(
            table.iter().any(|line| line.trim_start().starts_with(step)),
            "{step} in the table:\n{stderr}"
        );
    }
    let slow = table
        .iter()
        .find(|line| line.contains("slow probe"))
        .expect("slow probe row");
    assert!(slow.contains("0:03") || slow.contains("0:04"), "{slow}");
}
