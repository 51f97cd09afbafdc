#!/usr/bin/env bash
# Builds everything `make up` runs and stages what wadm.yaml loads into build/:
# - in one cargo command, the host, wadm, wash, the providers and the ingester, so that they
#   share one compiled wasmtime, cranelift, tokio, async-nats, wRPC, rustls and the rest;
# - the components (wasm32-wasip2);
# - a provider archive per provider (wash par create).
# Incremental: cargo's target directory lives outside the checkout and cargo rebuilds only
# what changed; unchanged artifacts keep their files in build/.
set -euo pipefail
source "$(dirname "$0")/env.sh"
source "$ROOT/scripts/steps.sh"

"$ROOT/scripts/install.sh" patched-crates

mapfile -t native < <(native_packages)
step "cargo: host, wadm, wash, providers and ingester" \
  cargo build --release --locked --manifest-path "$ROOT/Cargo.toml" "${native[@]/#/--package=}"
mkdir -p "$CARGO_TOOLS_ROOT/bin"
ln -sfn "$CARGO_TARGET_DIR/release/wash" "$CARGO_TOOLS_ROOT/bin/wash"

mapfile -t components < <(component_packages)
step "cargo: components (${components[*]})" \
  cargo build --profile component --locked --target wasm32-wasip2 --manifest-path "$ROOT/Cargo.toml" \
  "${components[@]/#/--package=}"
for name in "${components[@]}"; do
  src="$CARGO_TARGET_DIR/wasm32-wasip2/component/${name//-/_}.wasm"
  cmp -s "$src" "$BUILD_DIR/${name//-/_}.wasm" || install -m 0644 "$src" "$BUILD_DIR/"
done

# Every crate under providers/NAME builds a binary NAME-provider, packed into a provider
# archive build/NAME.par.gz (repacked only when the binary changed).
mapfile -t providers < <(provider_packages)
pack_providers() {
  local name binary archive
  for name in "${providers[@]}"; do
    binary="$CARGO_TARGET_DIR/release/$name-provider"
    archive="$BUILD_DIR/$name.par.gz"
    if [[ ! -f "$archive" || "$binary" -nt "$archive" ]]; then
      rm -f "$archive"
      echo "packing $archive"
      wash par create --vendor movie-lattice --name "$name" --version 0.1.0 \
        --binary "$binary" --destination "$archive" --compress
    fi
  done
}
step "wash par create: provider archives" pack_providers
