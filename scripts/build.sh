#!/usr/bin/env bash
# Builds everything `make up` runs and stages what wadm.yaml loads into build/:
# - in one cargo command, the host, wadm, wash, the providers and the ingester, so that they
#   share one compiled wasmtime, cranelift, tokio, async-nats, wRPC, rustls and the rest;
# - the components (wasm32-wasip2), signed as `wash build` signs them;
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

# Components: what `wash build` does in each component's folder (its wasmcloud.toml), except
# that a component is signed again only when it changed, so that an unchanged build leaves
# build/ as it was (and the deployed app alone).
build_components() {
  local dir name file
  for dir in "$ROOT"/components/*/; do
    name="$(sed -n 's/^name = "\(.*\)"/\1/p' "$dir/wasmcloud.toml")"
    file="${name//-/_}.wasm"
    "$ROOT/scripts/build-component.sh" "$name"
    if [[ ! -f "$BUILD_DIR/$file" || "$BUILD_DIR/unsigned/$file" -nt "$BUILD_DIR/$file" ]]; then
      (cd "$dir" && wash build --sign-only) >/dev/null
      echo "signed build/$file"
    fi
  done
}
step "cargo + wash build: components" build_components

# Every crate under providers/NAME builds a binary NAME-provider, packed into a provider
# archive build/NAME-provider.par.gz (repacked only when the binary changed): what `wash build`
# makes in the provider's folder, except that the binary comes from the one cargo command above.
mapfile -t providers < <(provider_packages)
pack_providers() {
  local name binary archive
  for name in "${providers[@]}"; do
    binary="$CARGO_TARGET_DIR/release/$name-provider"
    archive="$BUILD_DIR/$name-provider.par.gz"
    if [[ ! -f "$archive" || "$binary" -nt "$archive" ]]; then
      rm -f "$archive"
      echo "packing $archive"
      wash par create --vendor movie-lattice --name "$name" --version 0.1.0 \
        --binary "$binary" --destination "$archive" --compress
    fi
  done
}
step "wash par create: provider archives" pack_providers
