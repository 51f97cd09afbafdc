//! The OpenAPI document and the running API agree: schemathesis (from PyPI) reads the document
//! the gateway serves at `/openapi.json`, generates requests for every operation (valid ones,
//! boundary values, and invalid ones), sends them through the lattice ingress, and checks each
//! answer with every check it has (no 5xx, only documented status codes, content types and
//! headers, bodies that match the response schemas, 4xx for schema-invalid input and 2xx for
//! valid input, 405 with `Allow` for other methods, ...), then runs stateful sequences that
//! follow the document's links. A fixed seed, so that CI is repeatable.

use movie_e2e::load::UNTRACED_TRACEPARENT;
use movie_e2e::{project_root, tool, TestApp, API};
use serde_json::json;

/// The document as kept in the repository.
fn document_in_repo() -> String {
    std::fs::read_to_string(project_root().join("crates/api/openapi.json"))
        .expect("crates/api/openapi.json")
}

#[test]
fn the_running_api_conforms_to_its_openapi_document() {
    let app = TestApp::deployed();
    let document_text = document_in_repo();
    // The document's examples name movie tt0068646 rated by alice: make them exist, so that the
    // example requests reach the 200 answers and not only the 404s.
    let godfather =
        json!({"id": "tt0068646", "title": "The Godfather", "director": "Francis Ford Coppola"});
    app.put_metadata(&godfather).assert_status(200);
    app.rate("tt0068646", "alice", 5).assert_status(204);

    let served = app.get("/openapi.json");
    assert_eq!(
        String::from_utf8_lossy(&served.body),
        document_text,
        "the gateway serves the document kept in the repository"
    );

    let schema = format!("{API}/openapi.json");
    let report = project_root().join(".lattice/tmp/schemathesis");
    let report = report.to_string_lossy();
    let result = tool(
        "schemathesis",
        &[
            "run",
            &schema,
            "--url",
            API,
            // Every check schemathesis has, and its stateful phase (sequences of calls that
            // follow the document's links: create, then read, rate, delete).
            "--checks",
            "all",
            "--phases",
            "examples,coverage,fuzzing,stateful",
            "--max-examples",
            "150",
            "--seed",
            "20261124",
            // One worker: with two, hypothesis describes its filters with `ast.parse` from two
            // threads at once, which CPython 3.11.7 can fail ("AST constructor recursion depth
            // mismatch"), reported as errors of the run rather than of the API.
            "--workers",
            "1",
            "--request-timeout",
            "10",
            // Untraced: two thousand requests would bury
            // the trace store, and the traces later tests look for.
            "--header",
            &format!("traceparent: {UNTRACED_TRACEPARENT}"),
            "--generation-database",
            "none",
            "--no-color",
            "--report",
            "junit",
            "--report-dir",
            &report,
        ],
    );
    let output = match result {
        Ok(output) => output,
        Err(err) => panic!("schemathesis found disagreements:\n{err:#}"),
    };
    // Every operation but the document's own was exercised.
    let document: serde_json::Value =
        serde_json::from_str(&document_text).expect("the document is JSON");
    let operations: usize = document["paths"]
        .as_object()
        .map(|paths| {
            paths
                .values()
                .filter_map(|item| item.as_object())
                .map(|ops| ops.len())
                .sum()
        })
        .unwrap_or_default();
    let tested = format!("Tested: {}", operations - 1);
    assert!(output.contains(&tested), "expected {tested:?}:\n{output}");
    // Every generated case passed: "N generated, N passed", nothing failed or errored.
    let cases = output
        .lines()
        .find(|line| line.contains(" generated, "))
        .unwrap_or_else(|| panic!("no test-case count:\n{output}"));
    let counts: Vec<&str> = cases
        .split(|c: char| !c.is_ascii_digit())
        .filter(|n| !n.is_empty())
        .collect();
    assert!(
        counts.len() == 2 && counts[0] == counts[1] && cases.trim_end().ends_with("passed"),
        "every case passes: {cases}\n{output}"
    );
}
