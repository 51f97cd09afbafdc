#!/usr/bin/env bash
# `make soak`: the chaos tests' mixed load against the clustered lattice for a long time
# (DURATION, 60m by default), with a random fault every FAULT_EVERY (90s), then the report:
# errors and latency percentiles per minute, each fault's error window, every process's
# memory at the start and the end. Written to bench/SOAK.md; fails if anything was lost, a
# request broke its bound, a failure came outside a fault's window, or memory grew unbounded.
# Brings up (or reshapes) the lattice to HOSTS hosts (3 by default).
set -euo pipefail
export HOSTS="${HOSTS:-3}"
source "$(dirname "$0")/env.sh"
clustered || die "the soak needs a cluster: HOSTS must be more than 1"

if [[ -f "$SHAPE_FILE" && "$(cat "$SHAPE_FILE")" != "$HOSTS" ]]; then
  "$ROOT/scripts/down.sh"
fi
"$ROOT/scripts/up.sh" >/dev/null
log "building the soak (tests/src/bin/movie-soak.rs)"
cargo build --release --locked --manifest-path "$ROOT/Cargo.toml" --package movie-e2e --bin movie-soak
cd "$ROOT"
exec "$CARGO_TARGET_DIR/release/movie-soak" --duration "${DURATION:-60m}" \
  --fault-every "${FAULT_EVERY:-90s}" ${SEED:+--seed "$SEED"} --out "$ROOT/bench/SOAK.md"
