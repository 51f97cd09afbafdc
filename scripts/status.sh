#!/usr/bin/env bash
# Shows the processes of the local lattice and its telemetry, Prometheus's targets and
# alerts, the hosts and the app's status.
set -euo pipefail
source "$(dirname "$0")/env.sh"

for name in kafka nats wadm host; do
  pidfile="$PID_DIR/$name.pid"
  if [[ -f "$pidfile" ]] && kill -0 "$(cat "$pidfile")" 2>/dev/null; then
    printf '  %-6s running (pid %s)\n' "$name" "$(cat "$pidfile")"
  else
    printf '  %-6s stopped\n' "$name"
  fi
done
echo "  telemetry:"
"$ROOT/scripts/telemetry.sh" status | sed 's/^/  /'
"$ROOT/scripts/telemetry.sh" urls
pg_lsclusters 2>/dev/null | sed 's/^/  /' || true
wash get hosts 2>/dev/null || true
wash app list 2>/dev/null || true
