#!/usr/bin/env bash
# Deploys the app to the running lattice and waits until it is Deployed and the API answers.
# Redeploys when the HTTP port does not come up (seen once after a restart).
# - One host: wadm.yaml, loading the artifacts from build/ (file://).
# - A cluster: every artifact is pushed to the registry, and build/wadm.cluster.yaml (made
#   from wadm.yaml by scripts/cluster-manifest.py) is deployed from there.
#
# What runs is left alone when it is already this wadm.yaml built from these artifacts: after
# `make down` + `make up`, wadm restores the app by itself as the host comes back, and a second
# deploy on top of that restart was seen to leave the HTTP ingress without its link. When a
# component or provider was rebuilt since the last deploy, the app is deployed afresh, so that
# the new build runs.
set -euo pipefail
source "$(dirname "$0")/env.sh"

app_field() {
  wash app list -o json 2>/dev/null | python3 -c '
import json, sys
name, field = sys.argv[1:3]
for app in json.load(sys.stdin).get("applications", []):
    if app.get("name") == name:
        value = app.get("detailed_status", {}).get("status", {}).get("type", "unknown") if field == "status" else app.get(field)
        print(value or "")
' "$APP_NAME" "$1"
}
deployed() { [[ "$(app_field status)" == "deployed" ]]; }
healthy() { curl -fsS --max-time 2 "http://$HTTP_ADDR/healthz" >/dev/null; }
MANIFEST="$(manifest)"
manifest_version() { sed -n 's/^ *version: *//p' "$ROOT/$MANIFEST" | head -n1; }
# What the deployed app is made of: the manifest and every artifact it loads from build/.
fingerprint() { (cd "$ROOT" && sha256sum "$MANIFEST" build/*.wasm build/*.par.gz 2>/dev/null) | sha256sum | cut -d' ' -f1; }

if clustered; then
  "$ROOT/scripts/registry.sh" push
  "$VENV_DIR/bin/python" "$ROOT/scripts/cluster-manifest.py" \
    "$ROOT/wadm.yaml" "$BUILD_DIR/registry.json" "$HOSTS" "$CLUSTER_MANIFEST"
  log "wrote $MANIFEST for $HOSTS hosts"
fi

# undeploy: take the app down, and give the host a moment to stop its workloads.
undeploy() {
  wash app undeploy "$APP_NAME" >/dev/null 2>&1 || true
  sleep 2
}

cd "$ROOT"
record="$STATE_DIR/deployed-$(basename "$MANIFEST" .yaml).fingerprint"
if deployed && [[ "$(app_field deployed_version)" == "$(manifest_version)" ]]; then
  if [[ -f "$record" && "$(cat "$record")" == "$(fingerprint)" ]]; then
    log "$APP_NAME $(manifest_version) is deployed from these artifacts; waiting for the API"
    if (wait_for "http://$HTTP_ADDR/healthz" 20 healthy); then
      log "$APP_NAME answering on http://$HTTP_ADDR"
      exit 0
    fi
  else
    log "artifacts changed since $APP_NAME was deployed; deploying it afresh"
  fi
  undeploy
fi

for attempt in 1 2 3; do
  log "deploying $APP_NAME (wash app deploy $MANIFEST)"
  wash app deploy "$MANIFEST" --replace >/dev/null
  wait_for "$APP_NAME to be Deployed" 120 deployed
  if (wait_for "http://$HTTP_ADDR/healthz" 20 healthy); then
    fingerprint >"$record"
    log "$APP_NAME deployed and answering on http://$HTTP_ADDR"
    exit 0
  fi
  log "HTTP ingress did not answer (attempt $attempt); redeploying"
  undeploy
done
die "$APP_NAME did not come up; see the hosts' logs in $LOG_DIR (host-*.log)"
