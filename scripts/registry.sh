#!/usr/bin/env bash
# The clustered lattice's OCI registry (Debian's docker-registry, the CNCF distribution server)
# on $REGISTRY_ADDR, plain HTTP on loopback only, its blobs under .lattice/registry.
#
#   scripts/registry.sh start    start it unless it runs; wait until it answers
#   scripts/registry.sh push     wash push every component and provider archive of build/
#                                under its version; writes build/registry.json (file -> ref)
#   scripts/registry.sh stop
set -euo pipefail
source "$(dirname "$0")/env.sh"

REGISTRY_DIR="$STATE_DIR/registry"
REFS_FILE="$BUILD_DIR/registry.json"
REPOSITORY="movie-lattice" # every artifact is REGISTRY_ADDR/movie-lattice/NAME:VERSION

answers() { curl -fsS --max-time 2 "http://$REGISTRY_ADDR/v2/" >/dev/null; }

start() {
  if ! running registry; then
    mkdir -p "$REGISTRY_DIR/data"
    cat >"$REGISTRY_DIR/config.yml" <<YAML
# Written by scripts/registry.sh.
version: 0.1
log:
  level: info
  formatter: text
  accesslog:
    disabled: false
storage:
  filesystem:
    rootdirectory: $REGISTRY_DIR/data
  delete:
    enabled: true
http:
  addr: $REGISTRY_ADDR
YAML
    spawn registry docker-registry serve "$REGISTRY_DIR/config.yml"
  fi
  wait_for "the registry on $REGISTRY_ADDR" 30 answers
}

# artifacts: "FILE NAME VERSION" per component and provider archive in build/.
artifacts() {
  local dir name version
  for dir in "$ROOT"/components/*/; do
    name="$(sed -n 's/^name = "\(.*\)"/\1/p' "$dir/wasmcloud.toml")"
    version="$(sed -n 's/^version = "\(.*\)"/\1/p' "$dir/wasmcloud.toml")"
    echo "${name//-/_}.wasm $name $version"
  done
  for dir in "$ROOT"/providers/*/; do
    name="$(sed -n 's/^name = "\(.*\)"/\1/p' "$dir/wasmcloud.toml")"
    version="$(sed -n 's/^version = "\(.*\)"/\1/p' "$dir/wasmcloud.toml" | head -n1)"
    echo "$name-provider.par.gz $name $version"
  done
}

# push: each artifact under its version. A tag pushed again with new content moves to it;
# hosts compare the registry's digest with their cache's and pull what changed.
push() {
  local file name version ref refs=() pushed="$REGISTRY_DIR/pushed.sha256" now
  answers || die "the registry on $REGISTRY_ADDR is not running (scripts/registry.sh start)"
  # What is in the registry already: nothing to do (the registry keeps its blobs on disk).
  now="$( (cd "$ROOT" && sha256sum build/*.wasm build/*.par.gz components/*/wasmcloud.toml providers/*/wasmcloud.toml) | sha256sum)"
  if [[ -f "$REFS_FILE" && -f "$pushed" && "$(cat "$pushed")" == "$now" ]]; then
    log "the registry has these artifacts already"
    return 0
  fi
  while read -r file name version; do
    [[ -f "$BUILD_DIR/$file" ]] || die "build/$file is missing (make build)"
    ref="$REGISTRY_ADDR/$REPOSITORY/$name:$version"
    wash push "$ref" "$BUILD_DIR/$file" --insecure >/dev/null
    log "pushed build/$file as $ref"
    refs+=("file://./build/$file=$ref")
  done < <(artifacts)
  python3 - "$REFS_FILE" "${refs[@]}" <<'PY'
import json, sys
path, pairs = sys.argv[1], sys.argv[2:]
with open(path, "w") as out:
    json.dump(dict(pair.split("=", 1) for pair in pairs), out, indent=2)
    out.write("\n")
PY
  echo "$now" >"$pushed"
}

case "${1:-}" in
  start) start ;;
  push) push ;;
  stop) stop_pid registry ;;
  *) die "usage: scripts/registry.sh start|push|stop" ;;
esac
