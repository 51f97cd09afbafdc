#!/usr/bin/env bash
# Deploys wadm.yaml to the running lattice and waits until the app is Deployed and the HTTP
# ingress answers. Redeploys when the HTTP port does not come up (seen once after a restart).
set -euo pipefail
source "$(dirname "$0")/env.sh"

app_status() {
  wash app list -o json 2>/dev/null | python3 -c '
import json, sys
name = sys.argv[1]
for app in json.load(sys.stdin).get("applications", []):
    if app.get("name") == name:
        print(app.get("detailed_status", {}).get("status", {}).get("type", "unknown"))
' "$APP_NAME"
}
deployed() { [[ "$(app_status)" == "deployed" ]]; }
healthy() { curl -fsS --max-time 2 "http://$HTTP_ADDR/healthz" >/dev/null; }

cd "$ROOT"
for attempt in 1 2 3; do
  log "deploying $APP_NAME (wash app deploy wadm.yaml)"
  wash app deploy wadm.yaml --replace >/dev/null
  wait_for "$APP_NAME to be Deployed" 60 deployed
  if (wait_for "http://$HTTP_ADDR/healthz" 20 healthy) ; then
    log "$APP_NAME deployed and answering on http://$HTTP_ADDR"
    exit 0
  fi
  log "HTTP ingress did not answer (attempt $attempt); redeploying"
  wash app undeploy "$APP_NAME" >/dev/null 2>&1 || true
  sleep 2
done
die "$APP_NAME did not come up; see $LOG_DIR/host.log"
