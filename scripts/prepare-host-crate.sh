#!/usr/bin/env bash
# Derives the patched `wasmcloud-host` crate that lattice/Cargo.toml's [patch.crates-io] points at.
#
# wasmcloud-host 0.27.1 (host v1.9.2) does not compile on Rust >= 1.9x: an async block in
# src/wasmbus/ctl.rs overflows the default query depth ("queries overflow the depth limit ...
# consider increasing the recursion limit"). The fix is one crate attribute,
# `#![recursion_limit = "256"]`. We never commit the crate's source: this script takes the
# published .crate from cargo's own registry cache, unpacks it and adds the attribute.
set -euo pipefail
source "$(dirname "$0")/env.sh"

CRATE="wasmcloud-host"
VERSION="0.27.1"
DEST="$ROOT/lattice/.patched/$CRATE"
STAMP="$DEST/.movie-lattice-patched"

if [[ -f "$STAMP" ]]; then
  exit 0
fi

find_crate() { find "${CARGO_HOME:-$HOME/.cargo}/registry/cache" -name "$CRATE-$VERSION.crate" 2>/dev/null | head -n1 || true; }

archive="$(find_crate)"
if [[ -z "$archive" ]]; then
  # Let cargo download it: a throwaway package that depends on exactly this version.
  log "fetching $CRATE $VERSION through cargo"
  scratch="$(mktemp -d)"
  mkdir -p "$scratch/src"
  cat >"$scratch/Cargo.toml" <<EOF
[package]
name = "fetch-host-crate"
version = "0.0.0"
edition = "2021"
[dependencies]
$CRATE = "=$VERSION"
EOF
  : >"$scratch/src/lib.rs"
  (cd "$scratch" && cargo fetch --quiet)
  rm -rf "$scratch"
  archive="$(find_crate)"
fi
[[ -n "$archive" ]] || die "could not obtain $CRATE $VERSION"

log "patching $CRATE $VERSION (recursion_limit) into lattice/.patched"
rm -rf "$DEST"
mkdir -p "$DEST"
tar -xzf "$archive" -C "$DEST" --strip-components=1
lib="$DEST/src/lib.rs"
grep -q 'recursion_limit' "$lib" || {
  { echo '#![recursion_limit = "256"]'; cat "$lib"; } >"$lib.new"
  mv "$lib.new" "$lib"
}
touch "$STAMP"
