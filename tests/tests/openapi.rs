//! The OpenAPI document and the running API agree: schemathesis (from PyPI) reads the document
//! the gateway serves at `/openapi.json`, generates requests for every operation (valid ones,
//! boundary values, and invalid ones), sends them through the lattice ingress, and checks each
//! answer: no 5xx, only documented status codes, content types and headers, bodies that match
//! the response schemas, 4xx for schema-invalid input, and 405 with `Allow` for other methods.

use movie_e2e::{project_root, tool, TestApp, API};
use serde_json::json;

/// The document as kept in the repository.
fn document_in_repo() -> String {
    std::fs::read_to_string(project_root().join("crates/api/openapi.json"))
        .expect("crates/api/openapi.json")
}

const CHECKS: &str = "not_a_server_error,status_code_conformance,content_type_conformance,\
response_headers_conformance,response_schema_conformance,negative_data_rejection,\
unsupported_method";

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
            "--checks",
            CHECKS,
            "--phases",
            "examples,coverage,fuzzing",
            "--max-examples",
            "40",
            "--seed",
            "20261124",
            // One worker: with two, hypothesis describes its filters with `ast.parse` from two
            // threads at once, which CPython 3.11.7 can fail ("AST constructor recursion depth
            // mismatch"), reported as errors of the run rather than of the API.
            "--workers",
            "1",
            "--request-timeout",
            "10",
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
    assert!(output.contains("No issues found"), "{output}");
}
