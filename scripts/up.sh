#!/usr/bin/env bash
# `make up`: install what is missing, build, start the lattice, deploy the app, print the URL.
set -euo pipefail
source "$(dirname "$0")/env.sh"

"$ROOT/scripts/install.sh"
"$ROOT/scripts/build.sh"
"$ROOT/scripts/lattice.sh"
"$ROOT/scripts/deploy.sh"

cat <<MSG

  movie-lattice is running.
    API:      http://$HTTP_ADDR   (try: curl -s http://$HTTP_ADDR/healthz)
    NATS:     nats://$NATS_HOST:$NATS_PORT  (lattice '$LATTICE'; try: wash get hosts)
    Logs:     $LOG_DIR
  Stop it with: make down

MSG
