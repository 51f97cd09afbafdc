#!/usr/bin/env bash
# Formatting and clippy (warnings are errors) on both workspaces and the components.
set -euo pipefail
source "$(dirname "$0")/env.sh"

"$ROOT/scripts/patch-crates.sh"
mapfile -t components < <(component_packages)

"$ROOT/scripts/wit-views.sh" --check
cargo fmt --all --manifest-path "$ROOT/Cargo.toml" -- --check
cargo fmt --all --manifest-path "$ROOT/lattice/Cargo.toml" -- --check
cargo clippy --locked --manifest-path "$ROOT/Cargo.toml" --all-targets -- -D warnings
cargo clippy --profile component --locked --manifest-path "$ROOT/Cargo.toml" --target wasm32-wasip2 \
  "${components[@]/#/--package=}" -- -D warnings
cargo clippy --release --locked --manifest-path "$ROOT/lattice/Cargo.toml" --all-targets -- -D warnings
