#!/usr/bin/env bash
# Formatting and clippy (warnings are errors) on our crates: the native ones, the lattice
# binaries and the components. wash, a member only so that it shares the build, is published
# code we do not edit, so neither check covers it.
set -euo pipefail
source "$(dirname "$0")/env.sh"

"$ROOT/scripts/install.sh" patched-crates
mapfile -t components < <(component_packages)
mapfile -t ours < <(cargo metadata --locked --no-deps --format-version 1 --manifest-path "$ROOT/Cargo.toml" |
  python3 -c 'import json, sys; print("\n".join(p["name"] for p in json.load(sys.stdin)["packages"] if p["name"] != "wash"))')

"$ROOT/scripts/wit-views.sh" --check
cargo fmt --manifest-path "$ROOT/Cargo.toml" "${ours[@]/#/--package=}" -- --check
# Native crates: the default members plus the lattice binaries.
cargo clippy --locked --manifest-path "$ROOT/Cargo.toml" --all-targets \
  --workspace --exclude=wash "${components[@]/#/--exclude=}" -- -D warnings
cargo clippy --profile component --locked --manifest-path "$ROOT/Cargo.toml" --target wasm32-wasip2 \
  "${components[@]/#/--package=}" -- -D warnings
