#!/usr/bin/env bash
# `make up`: install what is missing, build, start the lattice, deploy the app, print the URL.
# Every step names itself with the time elapsed; the run ends with a table of step times.
set -euo pipefail
source "$(dirname "$0")/env.sh"
source "$ROOT/scripts/steps.sh"

"$ROOT/scripts/setup.sh"
if clustered; then
  step "start the lattice: $HOSTS hosts, 3 NATS nodes, registry, front door (and postgres, telemetry, tansu, secrets, policy, wadm)" "$ROOT/scripts/lattice.sh"
else
  step "start the lattice (postgres, telemetry, tansu, nats, secrets, policy, wadm, host)" "$ROOT/scripts/lattice.sh"
fi
step "deploy $(manifest) and wait for the API" "$ROOT/scripts/deploy.sh"
step "wait for the telemetry stack" "$ROOT/scripts/telemetry.sh" wait
step_table

if clustered; then
  shape_lines="    Shape:    $HOSTS hosts (ingress $(host_ingress 1) .. $(host_ingress "$HOSTS")), behind the front door
    NATS:     nats://$NATS_HOST:$(nats_port 1), :$(nats_port 2), :$(nats_port 3)  (lattice '$LATTICE'; try: wash get inventory)
    Registry: http://$REGISTRY_ADDR  (every artifact; the app: $(manifest))
    Front door stats: http://$FRONTDOOR_STATS_ADDR  (backends, rate limits; /metrics)"
else
  shape_lines="    NATS:     nats://$NATS_HOST:$NATS_PORT  (lattice '$LATTICE'; try: wash get hosts)"
fi
cat <<MSG
  movie-lattice is running.
    API:      http://$HTTP_ADDR   (try: curl -s http://$HTTP_ADDR/healthz)
$shape_lines
$("$ROOT/scripts/telemetry.sh" urls)
    Logs:     $LOG_DIR (each step's output: $STEP_LOG_DIR)
  See it all with: make status. Stop it with: make down

MSG
