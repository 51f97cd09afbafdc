#!/usr/bin/env bash
# Builds one component for wasm32-wasip2 (profile `component`) and stages it, unsigned, in
# build/unsigned/ (rewritten only when it changed). It is the `build_command` of
# components/*/wasmcloud.toml: `wash build` in a component's folder runs it, then signs the
# staged file into build/, where wadm.yaml loads it. `make build` signs the same way.
# Usage: scripts/build-component.sh PACKAGE
set -euo pipefail
source "$(dirname "$0")/env.sh"

name="${1:?usage: build-component.sh PACKAGE}"
"$ROOT/scripts/install.sh" patched-crates >&2
cargo build --profile component --locked --target wasm32-wasip2 \
  --manifest-path "$ROOT/Cargo.toml" --package="$name" >&2
file="${name//-/_}.wasm"
mkdir -p "$BUILD_DIR/unsigned"
cmp -s "$CARGO_TARGET_DIR/wasm32-wasip2/component/$file" "$BUILD_DIR/unsigned/$file" ||
  install -m 0644 "$CARGO_TARGET_DIR/wasm32-wasip2/component/$file" "$BUILD_DIR/unsigned/"
