#!/usr/bin/env bash
# Derives the two patched crates that [patch.crates-io] in Cargo.toml and lattice/Cargo.toml
# point at. We never commit their source: each is taken from the published .crate in cargo's
# registry cache (downloaded through cargo when missing), unpacked into .patched/ (ignored by
# git) and changed by the smallest edit that fixes it. A stamp makes reruns free.
#
# - wasmcloud-host 0.27.1 (host v1.9.2) does not compile on Rust >= 1.9x: an async block in
#   src/wasmbus/ctl.rs overflows the default query depth. Fix: `#![recursion_limit = "256"]`.
# - wasmcloud-host 0.27.1 also builds a new wRPC client for every call a component makes
#   (src/wasmbus/handler.rs): a NATS wildcard SUB, a demultiplexing task and an UNSUB per call,
#   which under load costs NATS and the host more than the call itself. Fix: one client per
#   (NATS connection, lattice, target), built on first use and shared by every later call.
# - wrpc-transport-nats 0.29.0 (the version wasmcloud-host 0.27.1 and wasmcloud-provider-sdk
#   0.17.1 are built on) loses wRPC messages under load: its demultiplexing task `select!`s at
#   random between "register a subscription" commands and incoming NATS messages, so a reply can
#   be routed before its inbox is registered, is dropped as having "no subscriber", and the
#   caller waits forever. Fix (as released upstream in 0.31, whose API the host cannot take):
#   make that `select!` `biased` with the command branch first.
set -euo pipefail
source "$(dirname "$0")/env.sh"

PATCHED_DIR="$ROOT/.patched"
# Bump when an edit below changes, so that existing checkouts re-derive their copy.
PATCH_REVISION=3

crate_archive() {
  find "${CARGO_HOME:-$HOME/.cargo}/registry/cache" -name "$1-$2.crate" 2>/dev/null | head -n1 || true
}

# unpack NAME VERSION: fresh copy of the published crate in .patched/NAME.
unpack() {
  local name="$1" version="$2" archive
  archive="$(crate_archive "$name" "$version")"
  if [[ -z "$archive" ]]; then
    log "fetching $name $version through cargo"
    local scratch
    scratch="$(mktemp -d)"
    mkdir -p "$scratch/src"
    printf '[package]\nname = "fetch-crate"\nversion = "0.0.0"\nedition = "2021"\n[dependencies]\n%s = { version = "=%s", default-features = false }\n' \
      "$name" "$version" >"$scratch/Cargo.toml"
    : >"$scratch/src/lib.rs"
    (cd "$scratch" && cargo fetch --quiet)
    rm -rf "$scratch"
    archive="$(crate_archive "$name" "$version")"
  fi
  [[ -n "$archive" ]] || die "could not obtain $name $version"
  rm -rf "${PATCHED_DIR:?}/$name"
  mkdir -p "$PATCHED_DIR/$name"
  tar -xzf "$archive" -C "$PATCHED_DIR/$name" --strip-components=1
}

# replace FILE OLD NEW: exact, single-occurrence text replacement; fails loudly otherwise.
replace() {
  python3 - "$@" <<'PY'
import sys
path, old, new = sys.argv[1:4]
text = open(path, encoding="utf-8").read()
if text.count(old) != 1:
    sys.exit(f"patch-crates: expected exactly one match in {path}, found {text.count(old)}")
open(path, "w", encoding="utf-8").write(text.replace(old, new))
PY
}

stamp="$PATCHED_DIR/.revision"
if [[ -f "$stamp" && "$(cat "$stamp")" == "$PATCH_REVISION" ]]; then
  exit 0
fi
rm -rf "$ROOT/lattice/.patched" # where an earlier layout kept the host crate

log "patching wasmcloud-host 0.27.1 (recursion_limit, shared wRPC clients) into .patched/"
unpack wasmcloud-host 0.27.1
lib="$PATCHED_DIR/wasmcloud-host/src/lib.rs"
{ echo '#![recursion_limit = "256"]'; cat "$lib"; } >"$lib.new"
mv "$lib.new" "$lib"

handler="$PATCHED_DIR/wasmcloud-host/src/wasmbus/handler.rs"
replace "$handler" \
'        let nats = wrpc_transport_nats::Client::new(
            Arc::clone(&self.nats),
            format!("{}.{id}", &self.lattice),
            None,
        )
        .await
        .map_err(Error::Handler)?;' \
'        let nats = shared_wrpc_client(&self.nats, format!("{}.{id}", &self.lattice))
            .await
            .map_err(Error::Handler)?;'
cat >>"$handler" <<'RUST'

/// One wRPC client per (NATS connection, lattice, target), shared by every call to that
/// target (added by movie-lattice's scripts/patch-crates.sh; upstream builds one per call).
async fn shared_wrpc_client(
    nats: &Arc<async_nats::Client>,
    prefix: String,
) -> anyhow::Result<wrpc_transport_nats::Client> {
    type Clients = tokio::sync::Mutex<HashMap<(usize, String), wrpc_transport_nats::Client>>;
    static CLIENTS: std::sync::OnceLock<Clients> = std::sync::OnceLock::new();
    let key = (Arc::as_ptr(nats) as usize, prefix);
    let mut clients = CLIENTS.get_or_init(Default::default).lock().await;
    if let Some(client) = clients.get(&key) {
        return Ok(client.clone());
    }
    let client = wrpc_transport_nats::Client::new(Arc::clone(nats), key.1.clone(), None).await?;
    clients.insert(key, client.clone());
    Ok(client)
}
RUST

log "patching wrpc-transport-nats 0.29.0 (ordered subscription demux) into .patched/"
unpack wrpc-transport-nats 0.29.0
replace "$PATCHED_DIR/wrpc-transport-nats/src/lib.rs" \
'                    select! {
                        Some(msg) = sub.next() => handle_message(&mut subs, msg).await,
                        Some(cmd) = cmd_rx.recv() => handle_command(&mut subs, cmd),' \
'                    select! {
                        biased;
                        Some(cmd) = cmd_rx.recv() => handle_command(&mut subs, cmd),
                        Some(msg) = sub.next() => handle_message(&mut subs, msg).await,'

echo "$PATCH_REVISION" >"$stamp"
