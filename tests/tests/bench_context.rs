//! `make bench` records what it ran on; that part reads the checkout (the lock file, the
//! tools), so it is checked here, where a moved file shows up in `make test` instead of in the
//! next benchmark run. The benchmark itself prints figures and is not a test.

use movie_e2e::tool;

#[test]
fn the_benchmark_reads_the_versions_it_ran() {
    let printed = tool(
        "python3",
        &[
            "-c",
            "import json, sys; sys.path.insert(0, 'bench'); import run; print(json.dumps(run.context()))",
        ],
    )
    .expect("bench/run.py context");
    let context: serde_json::Value = serde_json::from_str(&printed).expect("JSON context");
    let versions = &context["versions"];
    assert_eq!(versions["wasmcloud-host"], "0.27.1", "{context}");
    assert_eq!(versions["wadm"], "0.21.1", "{context}");
    assert_eq!(versions["wash"], "0.43.0", "{context}");
}
