//! The API's self-description: the OpenAPI 3 document (`GET /openapi.json`) and the index
//! (`GET /`). The document is hand-written in `crates/api/openapi.json`; the tests below keep
//! it and the router in step, and the e2e conformance test keeps it and the running API in step.

use serde::Serialize;

use crate::{routes, Response};

/// The OpenAPI 3 document of the API, as served.
pub const OPENAPI_JSON: &str = include_str!("../../openapi.json");

/// `GET /openapi.json`.
pub fn document() -> Response {
    Response {
        status: 200,
        headers: vec![("content-type".into(), crate::JSON_CONTENT_TYPE.into())],
        body: OPENAPI_JSON.as_bytes().to_vec(),
    }
}

#[derive(Serialize)]
struct Index {
    service: &'static str,
    openapi: &'static str,
    endpoints: Vec<String>,
}

/// `GET /`: what the API offers, for a human with curl (or `wash call`).
pub fn index() -> Response {
    let index = Index {
        service: "movie-lattice gateway",
        openapi: "/openapi.json",
        endpoints: routes::operations()
            .map(|(method, path)| format!("{method} {path}"))
            .collect(),
    };
    Response::json(200, &index)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use serde_json::Value;

    use super::*;

    fn document() -> Value {
        serde_json::from_str(OPENAPI_JSON).expect("openapi.json is JSON")
    }

    #[test]
    fn the_document_lists_exactly_the_routed_operations() {
        let doc = document();
        let paths = doc["paths"].as_object().expect("paths");
        let documented: BTreeSet<(String, String)> = paths
            .iter()
            .flat_map(|(path, item)| {
                item.as_object()
                    .expect("path item")
                    .keys()
                    .map(move |method| (method.to_ascii_uppercase(), path.clone()))
            })
            .collect();
        let routed: BTreeSet<(String, String)> = routes::operations()
            .map(|(method, path)| (method.to_string(), path.to_string()))
            .collect();
        assert_eq!(documented, routed);
    }

    #[test]
    fn every_reference_resolves() {
        let doc = document();
        let mut refs = Vec::new();
        collect_refs(&doc, &mut refs);
        assert!(!refs.is_empty());
        for reference in refs {
            let pointer = reference.strip_prefix('#').expect("local reference");
            assert!(doc.pointer(pointer).is_some(), "dangling {reference}");
        }
    }

    fn collect_refs(value: &Value, out: &mut Vec<String>) {
        match value {
            Value::Object(map) => {
                if let Some(Value::String(reference)) = map.get("$ref") {
                    out.push(reference.clone());
                }
                map.values().for_each(|v| collect_refs(v, out));
            }
            Value::Array(items) => items.iter().for_each(|v| collect_refs(v, out)),
            _ => {}
        }
    }

    #[test]
    fn the_documented_limits_are_the_domains() {
        use movie_domain::{
            DESCRIPTION_MAX_CHARS, KEY_MAX_CHARS, NAME_MAX_CHARS, RECORD_TYPE_MAX_CHARS,
        };
        let schemas = &document()["components"]["schemas"];
        assert_eq!(schemas["Key"]["maxLength"], KEY_MAX_CHARS);
        assert_eq!(schemas["Name"]["maxLength"], NAME_MAX_CHARS);
        assert_eq!(schemas["Description"]["maxLength"], DESCRIPTION_MAX_CHARS);
        assert_eq!(
            schemas["RecordType"]["pattern"],
            format!("^[a-z0-9_-]{{1,{RECORD_TYPE_MAX_CHARS}}}$")
        );
        // The prose says the same numbers.
        let described = |schema: &str| {
            schemas[schema]["description"]
                .as_str()
                .unwrap_or_default()
                .replace(',', "")
        };
        assert!(described("Key").contains(&format!("1-{KEY_MAX_CHARS}")));
        assert!(described("RecordType").contains(&format!("1-{RECORD_TYPE_MAX_CHARS}")));
        assert!(described("Name").contains(&format!("1-{NAME_MAX_CHARS}")));
        assert!(described("Description").contains(&DESCRIPTION_MAX_CHARS.to_string()));
        assert_eq!(
            schemas["RatingValue"]["minimum"],
            movie_domain::RatingValue::MIN
        );
        assert_eq!(
            schemas["RatingValue"]["maximum"],
            movie_domain::RatingValue::MAX
        );
    }

    #[test]
    fn the_index_names_every_operation_and_the_document() {
        let response = index();
        assert_eq!(response.status, 200);
        let index: Value = serde_json::from_slice(&response.body).expect("JSON");
        assert_eq!(index["openapi"], "/openapi.json");
        let endpoints = index["endpoints"].as_array().expect("endpoints");
        assert!(endpoints.iter().any(|e| e == "PUT /rating"));
        assert_eq!(endpoints.len(), routes::operations().count());
    }
}
