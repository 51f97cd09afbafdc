#!/usr/bin/env bash
# `make up`: install what is missing, build, start the lattice, deploy the app, print the URL.
# Every step names itself with the time elapsed; the run ends with a table of step times.
set -euo pipefail
source "$(dirname "$0")/env.sh"
source "$ROOT/scripts/steps.sh"

"$ROOT/scripts/setup.sh"
step "start the lattice (postgres, telemetry, tansu, nats, wadm, host)" "$ROOT/scripts/lattice.sh"
step "deploy wadm.yaml and wait for the API" "$ROOT/scripts/deploy.sh"
step "wait for the telemetry stack" "$ROOT/scripts/telemetry.sh" wait
step_table

cat <<MSG
  movie-lattice is running.
    API:      http://$HTTP_ADDR   (try: curl -s http://$HTTP_ADDR/healthz)
    NATS:     nats://$NATS_HOST:$NATS_PORT  (lattice '$LATTICE'; try: wash get hosts)
$("$ROOT/scripts/telemetry.sh" urls)
    Logs:     $LOG_DIR (each step's output: $STEP_LOG_DIR)
  See it all with: make status. Stop it with: make down

MSG
