#!/usr/bin/env bash
# Stops every process `make up` started, by the PIDs it recorded. Data (Postgres, JetStream) is kept.
set -euo pipefail
source "$(dirname "$0")/env.sh"

# Reverse start order: the host first (it stops its providers), then wadm, then NATS.
for name in host wadm nats kafka; do
  pidfile="$PID_DIR/$name.pid"
  [[ -f "$pidfile" ]] || continue
  pid="$(cat "$pidfile")"
  if kill -0 "$pid" 2>/dev/null; then
    log "stopping $name (pid $pid)"
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 100); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then
      log "$name did not stop within 10s; killing it"
      kill -KILL "$pid" 2>/dev/null || true
    fi
  fi
  rm -f "$pidfile"
done

# Providers the host started run from its cache under .lattice/tmp. The host asks them to stop;
# one still finishing its deliveries gets their bound (15 s), then is killed, so that no
# orphan stays in the lattice (it would answer for its provider id after the next start).
stop_stray_providers

# Postgres is Debian's cluster; stop it only if `make up` was the one that started it.
if [[ -f "$PID_DIR/postgres.started" ]]; then
  log "stopping postgres cluster $PG_VERSION/$PG_CLUSTER"
  pg_ctlcluster "$PG_VERSION" "$PG_CLUSTER" stop || true
  rm -f "$PID_DIR/postgres.started"
fi
log "lattice stopped"
