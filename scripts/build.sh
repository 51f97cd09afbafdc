#!/usr/bin/env bash
# Builds the lattice binaries (host, wadm) and the components, and stages what wadm.yaml loads
# into build/. Incremental: cargo's target directory lives outside the checkout.
set -euo pipefail
source "$(dirname "$0")/env.sh"

"$ROOT/scripts/prepare-host-crate.sh"

log "building the lattice binaries (wasmcloud-host, wadm)"
cargo build --release --locked --manifest-path "$ROOT/lattice/Cargo.toml"

mapfile -t components < <(component_packages)
log "building the components: ${components[*]}"
cargo build --release --locked --target wasm32-wasip2 --manifest-path "$ROOT/Cargo.toml" \
  "${components[@]/#/--package=}"
for name in "${components[@]}"; do
  install -m 0644 "$CARGO_TARGET_DIR/wasm32-wasip2/release/${name//-/_}.wasm" "$BUILD_DIR/"
done
log "artifacts staged in build/"
