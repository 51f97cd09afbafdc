#!/usr/bin/env bash
# `make test`: every test of the project. Lint, native unit tests of both workspaces, then the
# end-to-end tests against a real lattice (started here when it is not running, and stopped
# again afterwards).
set -euo pipefail
source "$(dirname "$0")/env.sh"
source "$ROOT/scripts/steps.sh"

"$ROOT/scripts/setup.sh"
"$ROOT/scripts/install.sh" test-tools
step "lint: cargo fmt --check, clippy -D warnings" "$ROOT/scripts/lint.sh"
step_visible "alert rules and telemetry configs: promtool check + test rules, amtool" \
  "$ROOT/scripts/check-telemetry.sh"

# Every cargo test's output is kept, so that the run ends with one line counting all tests.
results="$STATE_DIR/test-results.log"
: >"$results"
run_tests() { "$@" 2>&1 | tee -a "$results"; }
summary() {
  awk '/^test result:/ {passed += $4; failed += $6} END {printf "%d passed, %d failed\n", passed, failed}' "$results"
}

# The same packages as scripts/build.sh, so that the tests reuse its compiled dependencies
# (cargo resolves features over the packages it is given); only the lattice binaries' own
# unit tests run here (the providers' and the ingester's run with the rest below).
mapfile -t native < <(native_packages)
step_visible "unit tests (lattice binaries)" \
  run_tests cargo test --release --locked --manifest-path "$ROOT/Cargo.toml" \
  "${native[@]/#/--package=}" --bin=wasmcloud-host --bin=wadm

started_here=false
if [[ ! -f "$PID_DIR/host.pid" ]] || ! kill -0 "$(cat "$PID_DIR/host.pid")" 2>/dev/null; then
  started_here=true
fi
stop_if_started() { if $started_here; then "$ROOT/scripts/down.sh"; fi; }
on_exit stop_if_started
on_exit summary
step "start the lattice (postgres, telemetry, tansu, nats, wadm, host)" "$ROOT/scripts/lattice.sh"
step "wait for the telemetry stack" "$ROOT/scripts/telemetry.sh" wait

step_visible "unit, component and end-to-end tests" \
  run_tests cargo test --release --locked --manifest-path "$ROOT/Cargo.toml" -- --test-threads=4
