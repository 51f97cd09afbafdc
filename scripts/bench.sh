#!/usr/bin/env bash
# `make bench`: brings the lattice up (or uses the running one), builds the native baseline,
# then bench/run.py measures both and writes bench/RESULTS.md and bench/results.json.
# Extra arguments go to bench/run.py (e.g. `make bench ARGS="--seconds 5 --events 20000"`).
set -euo pipefail
source "$(dirname "$0")/env.sh"

if ! command -v wrk >/dev/null; then
  log "apt: installing wrk (the HTTP load generator)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq wrk >/dev/null
fi

"$ROOT/scripts/up.sh" >/dev/null
log "building the native baseline (bench/native)"
cargo build --release --locked --manifest-path "$ROOT/Cargo.toml" --package movie-native

cd "$ROOT"
exec python3 "$ROOT/bench/run.py" "$@"
