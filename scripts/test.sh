#!/usr/bin/env bash
# `make test`: every test of the project. Lint, native unit tests, then the end-to-end tests
# against a real lattice in both shapes: one host, then a cluster (HOSTS=3). The lattice is
# started here when it is not running, and stopped again afterwards.
set -euo pipefail
source "$(dirname "$0")/env.sh"
source "$ROOT/scripts/steps.sh"

"$ROOT/scripts/setup.sh"
"$ROOT/scripts/install.sh" test-tools
step "lint: cargo fmt --check, clippy -D warnings" "$ROOT/scripts/lint.sh"
step_visible "alert rules and telemetry configs: promtool check + test rules, amtool" \
  "$ROOT/scripts/check-telemetry.sh"
step_visible "the front door's configuration: haproxy -c" env HOSTS=3 "$ROOT/scripts/frontdoor.sh" check

# Every cargo test's output is kept, so that the run ends with one line counting all tests.
results="$STATE_DIR/test-results.log"
: >"$results"
run_tests() { "$@" 2>&1 | tee -a "$results"; }
# cargo_tests ARGS...: the workspace's tests (release, every failure reported), ARGS added.
cargo_tests() { run_tests cargo test --release --locked --no-fail-fast --manifest-path "$ROOT/Cargo.toml" "$@"; }
summary() {
  awk '/^test result:/ {passed += $4; failed += $6} END {printf "%d passed, %d failed\n", passed, failed}' "$results"
}

# The same packages as scripts/build.sh, so that the tests reuse its compiled dependencies
# (cargo resolves features over the packages it is given); only the lattice binaries' own
# unit tests run here (the providers' and the ingester's run with the rest below).
mapfile -t native < <(native_packages)
step_visible "unit tests (lattice binaries)" \
  cargo_tests "${native[@]/#/--package=}" --bin=wasmcloud-host --bin=wadm --bin=lattice-streams --bin=lattice-policy

# The lattice shapes under test: the single host (every test but the cluster's), then the
# clustered lattice of $CLUSTER_HOSTS hosts (every end-to-end test that uses the lattice, the
# cluster's own among them). What was running before is running again afterwards; when
# nothing was, nothing is.
CLUSTER_HOSTS="${MOVIE_LATTICE_TEST_HOSTS:-3}"
before=""
if [[ -f "$SHAPE_FILE" ]] && compgen -G "$PID_DIR/host-*.pid" >/dev/null; then
  before="$(cat "$SHAPE_FILE")"
fi
restore() {
  local now
  now="$(cat "$SHAPE_FILE" 2>/dev/null || true)"
  if [[ -z "$before" ]]; then
    "$ROOT/scripts/down.sh"
  elif [[ "$now" != "$before" ]]; then
    "$ROOT/scripts/down.sh"
    log "starting the lattice again as it was ($before host(s))"
    HOSTS="$before" "$ROOT/scripts/lattice.sh" && HOSTS="$before" "$ROOT/scripts/deploy.sh"
  fi
}
on_exit restore
on_exit summary

# shape HOSTS: make the running lattice that shape (starting it if needed) and deploy the app.
shape() {
  export HOSTS="$1"
  if [[ -f "$SHAPE_FILE" && "$(cat "$SHAPE_FILE")" != "$HOSTS" ]]; then
    step "make down (the lattice changes shape)" "$ROOT/scripts/down.sh"
  fi
  step "start the lattice with $HOSTS host(s)" "$ROOT/scripts/lattice.sh"
  step "wait for the telemetry stack" "$ROOT/scripts/telemetry.sh" wait
  step "deploy $(manifest) and wait for the API" "$ROOT/scripts/deploy.sh"
}

# A failing step does not stop the run: every later step still runs, so that one run reports
# every failure, and the run fails at the end.
failed=0
shape 1
step_visible "unit, component and end-to-end tests (one host)" \
  cargo_tests -- --test-threads=4 --skip clustered_ ||
  failed=1

# Against the cluster: the end-to-end tests, but for those that do not use the lattice (a fresh
# machine's installs, the step clock, wash build). The same packages as above (no --package),
# so that cargo resolves the same features and rebuilds nothing.
shape "$CLUSTER_HOSTS"
mapfile -t lattice_tests < <(cd "$ROOT/tests/tests" && ls ./*.rs | sed 's|^\./||; s|\.rs$||' |
  grep -vx -e fresh_machine -e steps -e wash_build -e chaos -e soak -e telemetry)
# The trace tests first, while the trace store is idle: on 3 hosts the other tests make spans
# faster than Phoenix ingests them (~60 a second), and a trace would reach it minutes late.
step_visible "trace and telemetry tests ($CLUSTER_HOSTS hosts, first)" \
  cargo_tests --test=telemetry -- --test-threads=4 || failed=1
step_visible "end-to-end tests ($CLUSTER_HOSTS hosts)" \
  cargo_tests "${lattice_tests[@]/#/--test=}" -- --test-threads=4 || failed=1
# Slow: the chaos tests (~6 min) and the soak's short form (~4 min) break the lattice the
# others use, so they run last, alone, one test at a time.
step_visible "slow: chaos tests, short soak ($CLUSTER_HOSTS hosts, one at a time)" \
  cargo_tests --test=chaos --test=soak -- --test-threads=1 || failed=1
exit "$failed"
