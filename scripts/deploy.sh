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
# Where the API answers /healthz: the API's address; in a cluster, every host's ingress too (the
# front door answers as soon as one host does, while another may still be placing workloads).
health_urls() {
  echo "http://$HTTP_ADDR/healthz"
  if clustered; then
    local n
    for ((n = 1; n <= HOSTS; n++)); do echo "http://$(host_ingress "$n")/healthz"; done
  fi
}
# Healthy: every one of them answers 200.
healthy() {
  local url
  for url in $(health_urls); do curl -fsS --max-time 2 "$url" >/dev/null || return 1; done
}
MANIFEST="$(manifest)"
manifest_version() { sed -n 's/^ *version: *//p' "$ROOT/$MANIFEST" | head -n1; }
# What the deployed app is made of: the manifest and every artifact it loads from build/.
fingerprint() { (cd "$ROOT" && sha256sum "$MANIFEST" build/*.wasm build/*.par.gz "$PG_CA_FILE" 2>/dev/null) | sha256sum | cut -d' ' -f1; }

if clustered; then
  "$ROOT/scripts/registry.sh" push
  "$VENV_DIR/bin/python" "$ROOT/scripts/cluster-manifest.py" \
    "$ROOT/wadm.yaml" "$BUILD_DIR/registry.json" "$HOSTS" "$CLUSTER_MANIFEST"
  log "wrote $MANIFEST for $HOSTS hosts"
fi

# The configuration the Postgres links name for TLS (wadm.yaml): required, verified against this
# machine's CA. Put before every deploy; it carries only the CA's certificate, no secret.
pg_tls_config() {
  local ca
  ca="$(cat "$PG_CA_FILE")"
  # Put only when it differs: a put is a change every host hears of.
  if ! wash config get "$PG_TLS_CONFIG" -o json 2>/dev/null | CA="$ca" python3 -c '
import json, os, sys
config = json.load(sys.stdin)
sys.exit(0 if config == {"POSTGRES_TLS_REQUIRED": "true", "POSTGRES_TLS_CA": os.environ["CA"]} else 1)
' 2>/dev/null; then
    wash config put "$PG_TLS_CONFIG" POSTGRES_TLS_REQUIRED=true POSTGRES_TLS_CA="$ca" >/dev/null
  fi
}

# The named configurations wadm makes for the manifest (movie_lattice-<name>).
app_configs() {
  "$VENV_DIR/bin/python" - "$ROOT/$MANIFEST" <<'PY'
import sys, yaml
app = yaml.safe_load(open(sys.argv[1]))
prefix = app["metadata"]["name"].replace("-", "_")
def configs(node):
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "config" and isinstance(value, list):
                for config in value:
                    # Without properties it is a configuration made outside wadm, used as is.
                    if config.get("properties") is not None:
                        yield f"{prefix}-{config['name'].replace('-', '_')}"
            yield from configs(value)
    elif isinstance(node, list):
        for item in node:
            yield from configs(item)
print("\n".join(sorted(set(configs(app)))))
PY
}
configs_gone() {
  local name
  for name in $(app_configs); do
    wash config get "$name" >/dev/null 2>&1 && return 1
  done
  return 0
}

# The ids of the app's components and providers that run on some host, one per line.
app_workloads_running() {
  wash get inventory -o json 2>/dev/null | python3 -c '
import json, sys
app = sys.argv[1]
for host in json.load(sys.stdin).get("inventories", []):
    for kind in ("components", "providers"):
        for workload in host.get(kind, []):
            if workload.get("annotations", {}).get("wasmcloud.dev/appspec") == app:
                print(workload.get("id"))
' "$APP_NAME"
}
workloads_gone() { [[ -z "$(app_workloads_running)" ]]; }

# undeploy: take the app down and forget it: wadm stops its workloads and deletes its links
# and configurations, which it does after answering; deploying again before that is done was
# seen to lose the new configurations (the app then stays Failed). So wait until they are gone.
undeploy() {
  wash app undeploy "$APP_NAME" >/dev/null 2>&1 || true
  wash app delete "$APP_NAME" >/dev/null 2>&1 || true
  if ! (wait_for "wadm to remove the app's configurations" 15 configs_gone); then
    # wadm left some (seen right after it restarted): nothing uses them any more.
    log "deleting the configurations wadm left behind"
    local name
    for name in $(app_configs); do wash config delete "$name" >/dev/null 2>&1 || true; done
    wait_for "the app's configurations to be gone" 15 configs_gone
  fi
  # Its providers drain before they exit (up to the hosts' shutdown delay). One still running
  # when the app is deployed again is kept as it is, and with it the binary it was started
  # from: a cluster restoring an older deployment would go on running the old provider.
  if ! (wait_for "the app's components and providers to stop" 60 workloads_gone); then
    log "some of the app's workloads still run: $(app_workloads_running | paste -sd ' ')"
  fi
  sleep 1
}

pg_tls_config
# The database password, as the secret the manifest's Postgres links name.
"$ROOT/scripts/secrets.sh" store
cd "$ROOT"
record="$STATE_DIR/deployed-$(basename "$MANIFEST" .yaml).fingerprint"
serving() { deployed && healthy; }
if [[ "$(app_field deployed_version)" == "$(manifest_version)" ]]; then
  if [[ -f "$record" && "$(cat "$record")" == "$(fingerprint)" ]]; then
    # This deployment, perhaps still placing its workloads (a host that just started).
    log "$APP_NAME $(manifest_version) is deployed from these artifacts; waiting for it to serve"
    if (wait_for "$APP_NAME to be Deployed and $(health_urls | paste -sd " ") to answer" 60 serving); then
      log "$APP_NAME answering on http://$HTTP_ADDR"
      exit 0
    fi
  else
    log "artifacts changed since $APP_NAME was deployed; deploying it afresh"
  fi
fi

for attempt in 1 2 3; do
  # An app that exists but is not this deployment (another version, or one that failed) goes
  # first, so that the deploy below starts from nothing.
  [[ -z "$(app_field name)" ]] || undeploy
  log "deploying $APP_NAME (wash app deploy $MANIFEST)"
  wash app deploy "$MANIFEST" >/dev/null
  if (wait_for "$APP_NAME to be Deployed" 120 deployed) &&
    (wait_for "$(health_urls | paste -sd " ") to answer" 60 healthy); then
    fingerprint >"$record"
    log "$APP_NAME deployed and answering on http://$HTTP_ADDR"
    exit 0
  fi
  log "$APP_NAME did not come up (attempt $attempt); deploying it again"
done
die "$APP_NAME did not come up; see the hosts' logs in $LOG_DIR (host-*.log)"
