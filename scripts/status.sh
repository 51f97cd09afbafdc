#!/usr/bin/env bash
# Shows the processes of the local lattice and its telemetry, Prometheus's targets and
# alerts, the hosts and the app's status.
set -euo pipefail
source "$(dirname "$0")/env.sh"

# The processes this shape runs (HOSTS: the running lattice's), and any other left running.
expected=(kafka)
if clustered; then
  for ((i = 1; i <= NATS_NODES; i++)); do expected+=("nats-$i"); done
  expected+=(registry secrets policy wadm $(host_names) frontdoor)
else
  expected+=(nats secrets policy wadm host-1)
fi
others=()
for pidfile in "$PID_DIR"/nats*.pid "$PID_DIR"/host*.pid "$PID_DIR"/registry.pid "$PID_DIR"/frontdoor.pid; do
  [[ -f "$pidfile" ]] || continue
  name="$(basename "$pidfile" .pid)"
  [[ " ${expected[*]} " == *" $name "* ]] || others+=("$name")
done
echo "  lattice: $HOSTS host(s)$(clustered && echo ", $NATS_NODES NATS nodes, registry $REGISTRY_ADDR, front door $HTTP_ADDR")"
for name in "${expected[@]}" "${others[@]}"; do
  pidfile="$PID_DIR/$name.pid"
  if [[ -f "$pidfile" ]] && kill -0 "$(cat "$pidfile")" 2>/dev/null; then
    printf '  %-10s running (pid %s)\n' "$name" "$(cat "$pidfile")"
  else
    printf '  %-10s stopped\n' "$name"
  fi
done
echo "  telemetry:"
"$ROOT/scripts/telemetry.sh" status | sed 's/^/  /'
"$ROOT/scripts/telemetry.sh" urls
pg_lsclusters 2>/dev/null | sed 's/^/  /' || true
wash get hosts 2>/dev/null || true
wash app list 2>/dev/null || true
if clustered; then
  echo "  front door backends (health checks of each host's ingress):"
  curl -fsS --max-time 2 "http://$FRONTDOOR_STATS_ADDR/;csv" 2>/dev/null |
    awk -F, '$1 == "hosts" && $2 != "BACKEND" { printf "    %-8s %s\n", $2, $18 }' || echo "    (front door not answering)"
  echo "  JetStream streams (replicas current / configured):"
  "$CARGO_TARGET_DIR/release/lattice-streams" show 2>/dev/null | python3 -c '
import json, sys
for s in json.load(sys.stdin):
    current = 1 + sum(1 for f in (s["cluster"] or {}).get("followers", []) if f["current"])
    print("    %-28s %d / %d  leader %s" % (s["name"], current, s["configured_replicas"], (s["cluster"] or {}).get("leader")))
' || echo "    (NATS not answering)"
fi
