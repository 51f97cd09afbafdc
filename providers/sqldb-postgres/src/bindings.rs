//! `wasmcloud:postgres@0.1.1-draft` as the provider serves it (`query`, `prepared`), bound by
//! wit-bindgen-wrpc.

wit_bindgen_wrpc::generate!({
    path: "../../wit",
    world: "sqldb-postgres-provider",
    generate_all,
});
