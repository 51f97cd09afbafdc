#!/usr/bin/env bash
# Starts Debian's Postgres cluster if it is not running, then makes sure it serves TLS with the
# project's certificate (scripts/postgres-tls.sh) and that the role, the databases and their
# migrations are in place (scripts/db.sh). Idempotent.
set -euo pipefail
source "$(dirname "$0")/env.sh"

pg_online() {
  pg_lsclusters -h 2>/dev/null | awk -v v="$PG_VERSION" -v c="$PG_CLUSTER" '$1==v && $2==c {print $4}' | grep -q online
}

if ! pg_online; then
  if [[ ! -d /etc/postgresql/$PG_VERSION/$PG_CLUSTER ]]; then
    log "creating postgres cluster $PG_VERSION/$PG_CLUSTER on port $PG_PORT"
    pg_createcluster "$PG_VERSION" "$PG_CLUSTER" --port "$PG_PORT" >/dev/null
  fi
  log "starting postgres cluster $PG_VERSION/$PG_CLUSTER"
  pg_ctlcluster "$PG_VERSION" "$PG_CLUSTER" start
  touch "$PID_DIR/postgres.started"
fi
wait_for "postgres on :$PG_PORT" 30 tcp_open 127.0.0.1 "$PG_PORT"
"$ROOT/scripts/postgres-tls.sh"
"$ROOT/scripts/db.sh"
