# Sourced by the scripts that derive patched copies of published crates (patch-crates.sh,
# patch-tansu.sh): fetch a published .crate, unpack it into $PATCHED_DIR, edit it exactly.
# Needs env.sh sourced and PATCHED_DIR set.

CRATE_DOWNLOADS="$CACHE_DIR/crates"

# crate_archive NAME VERSION: path of the published .crate, from cargo's registry cache or
# from crates.io (verified against the index's sha256).
crate_archive() {
  local name="$1" version="$2" cached
  cached="$(find "${CARGO_HOME:-$HOME/.cargo}/registry/cache" -name "$name-$version.crate" 2>/dev/null | head -n1 || true)"
  if [[ -n "$cached" ]]; then
    echo "$cached"
    return
  fi
  local archive="$CRATE_DOWNLOADS/$name-$version.crate"
  if [[ ! -f "$archive" ]]; then
    log "downloading $name $version from crates.io"
    mkdir -p "$CRATE_DOWNLOADS"
    python3 "$ROOT/scripts/fetch-crate.py" "$name" "$version" "$archive" ||
      die "could not download $name $version from crates.io"
  fi
  echo "$archive"
}

# unpack NAME VERSION: fresh copy of the published crate in $PATCHED_DIR/NAME.
unpack() {
  local name="$1" version="$2" archive
  archive="$(crate_archive "$name" "$version")"
  rm -rf "${PATCHED_DIR:?}/$name"
  mkdir -p "$PATCHED_DIR/$name"
  tar -xzf "$archive" -C "$PATCHED_DIR/$name" --strip-components=1
}

# replace FILE OLD NEW: exact, single-occurrence text replacement; fails loudly otherwise.
replace() {
  python3 - "$@" <<'PY'
import sys
path, old, new = sys.argv[1:4]
text = open(path, encoding="utf-8").read()
if text.count(old) != 1:
    sys.exit(f"replace: expected exactly one match in {path}, found {text.count(old)}")
open(path, "w", encoding="utf-8").write(text.replace(old, new))
PY
}
