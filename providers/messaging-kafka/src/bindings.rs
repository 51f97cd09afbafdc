//! `wasmcloud:messaging@0.2.0` as the provider serves it (`consumer`) and calls it
//! (`handler`), bound by wit-bindgen-wrpc.

wit_bindgen_wrpc::generate!({
    path: "../../wit",
    world: "messaging-kafka-provider",
    generate_all,
});
