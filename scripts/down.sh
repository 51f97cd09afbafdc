#!/usr/bin/env bash
# Stops every process `make up` started, by the PIDs it recorded. Data (Postgres, JetStream) is kept.
set -euo pipefail
source "$(dirname "$0")/env.sh"

# Reverse start order: the front door, the hosts (each drains: its invocations in flight and
# its providers' work finish; all at once), wadm, the secrets backend, the policy service, the registry, NATS (every node), the broker.
# Whatever the shape, every pid file is visited.
pid_names() { local f; for f in "$PID_DIR"/$1.pid; do [[ -f "$f" ]] && basename "$f" .pid; done; }
stop_pid frontdoor
for name in $(pid_names 'host*'); do
  stop_pid "$name" "$HOST_STOP_S" &
done
wait
for name in wadm secrets policy registry $(pid_names 'nats*') kafka; do
  stop_pid "$name"
done
rm -f "$SHAPE_FILE"

# Providers the host started run from its cache under .lattice/tmp. The host asks them to stop;
# one still finishing its deliveries gets their bound (15 s), then is killed, so that no
# orphan stays in the lattice (it would answer for its provider id after the next start).
stop_stray_providers

# The telemetry stack, after the host has flushed its last spans; Postgres after Phoenix.
"$ROOT/scripts/telemetry.sh" stop

# Postgres is Debian's cluster; stop it only if `make up` was the one that started it.
if [[ -f "$PID_DIR/postgres.started" ]]; then
  log "stopping postgres cluster $PG_VERSION/$PG_CLUSTER"
  pg_ctlcluster "$PG_VERSION" "$PG_CLUSTER" stop || true
  rm -f "$PID_DIR/postgres.started"
fi
log "lattice stopped"
