#!/usr/bin/env bash
# `make test`: every test of the project. Lint, native unit tests of both workspaces, then the
# end-to-end tests against a real lattice (started here when it is not running, and stopped
# again afterwards).
set -euo pipefail
source "$(dirname "$0")/env.sh"

"$ROOT/scripts/install.sh"
"$ROOT/scripts/build.sh"
"$ROOT/scripts/lint.sh"

# Every cargo test's output is kept, so that the run ends with one line counting all tests.
results="$STATE_DIR/test-results.log"
: >"$results"
run_tests() { "$@" 2>&1 | tee -a "$results"; }
summary() {
  awk '/^test result:/ {passed += $4; failed += $6} END {printf "%d passed, %d failed\n", passed, failed}' "$results"
}

log "unit tests (lattice binaries)"
run_tests cargo test --release --locked --manifest-path "$ROOT/lattice/Cargo.toml"

started_here=false
if [[ ! -f "$PID_DIR/host.pid" ]] || ! kill -0 "$(cat "$PID_DIR/host.pid")" 2>/dev/null; then
  started_here=true
fi
stop_if_started() { if $started_here; then "$ROOT/scripts/down.sh"; fi; }
trap 'stop_if_started; summary' EXIT
"$ROOT/scripts/lattice.sh"

log "unit, component and end-to-end tests"
run_tests cargo test --release --locked --manifest-path "$ROOT/Cargo.toml" -- --test-threads=4
