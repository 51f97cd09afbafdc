#!/usr/bin/env bash
# Builds the lattice binaries (host, wadm) and the components, and stages what wadm.yaml loads
# into build/. Incremental: cargo's target directory lives outside the checkout.
set -euo pipefail
source "$(dirname "$0")/env.sh"

"$ROOT/scripts/patch-crates.sh"

log "building the lattice binaries (wasmcloud-host, wadm)"
cargo build --release --locked --manifest-path "$ROOT/lattice/Cargo.toml"

mapfile -t components < <(component_packages)
log "building the components: ${components[*]}"
cargo build --profile component --locked --target wasm32-wasip2 --manifest-path "$ROOT/Cargo.toml" \
  "${components[@]/#/--package=}"
for name in "${components[@]}"; do
  install -m 0644 "$CARGO_TARGET_DIR/wasm32-wasip2/component/${name//-/_}.wasm" "$BUILD_DIR/"
done
# Providers: every crate under providers/NAME builds a binary NAME-provider, packed into a
# provider archive build/NAME.par.gz (repacked only when the binary changed).
mapfile -t providers < <(provider_packages)
log "building the native binaries: ${providers[*]} movie-ingester"
cargo build --release --locked --manifest-path "$ROOT/Cargo.toml" \
  "${providers[@]/#/--package=}" --package=movie-ingester
for name in "${providers[@]}"; do
  binary="$CARGO_TARGET_DIR/release/$name-provider"
  archive="$BUILD_DIR/$name.par.gz"
  if [[ ! -f "$archive" || "$binary" -nt "$archive" ]]; then
    rm -f "$archive"
    wash par create --vendor movie-lattice --name "$name" --version 0.1.0 \
      --binary "$binary" --destination "$archive" --compress >/dev/null
  fi
done
log "artifacts staged in build/"
