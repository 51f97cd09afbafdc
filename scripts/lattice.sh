#!/usr/bin/env bash
# Starts the local lattice: Postgres (with the databases and migrations), NATS with JetStream,
# wadm and one wasmCloud host. Idempotent: what is already running is left alone.
set -euo pipefail
source "$(dirname "$0")/env.sh"

BIN="$CARGO_TARGET_DIR/release"

running() { [[ -f "$PID_DIR/$1.pid" ]] && kill -0 "$(cat "$PID_DIR/$1.pid")" 2>/dev/null; }

# spawn NAME COMMAND...: start COMMAND in its own session, logging to logs/NAME.log.
spawn() {
  local name="$1"; shift
  log "starting $name"
  setsid "$@" >>"$LOG_DIR/$name.log" 2>&1 </dev/null &
  echo $! >"$PID_DIR/$name.pid"
}

tcp_open() { (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; }

# --- Postgres -------------------------------------------------------------------------------
pg_online() { pg_lsclusters -h 2>/dev/null | awk -v v="$PG_VERSION" '$1==v && $2=="main" {print $4}' | grep -q online; }
if ! pg_online; then
  [[ -d /etc/postgresql/$PG_VERSION/main ]] || pg_createcluster "$PG_VERSION" main >/dev/null
  log "starting postgres cluster $PG_VERSION/main"
  pg_ctlcluster "$PG_VERSION" main start
  touch "$PID_DIR/postgres.started"
fi
wait_for "postgres on :$PG_PORT" 30 tcp_open 127.0.0.1 "$PG_PORT"
"$ROOT/scripts/db.sh"

# --- NATS -----------------------------------------------------------------------------------
if ! running nats; then
  mkdir -p "$STATE_DIR/jetstream"
  spawn nats nats-server --jetstream --addr "$NATS_HOST" --port "$NATS_PORT" \
    --store_dir "$STATE_DIR/jetstream"
fi
wait_for "NATS on :$NATS_PORT" 30 tcp_open "$NATS_HOST" "$NATS_PORT"

# --- wadm -----------------------------------------------------------------------------------
if ! running wadm; then
  spawn wadm "$BIN/wadm" --nats-server "$NATS_HOST:$NATS_PORT"
fi

# --- wasmCloud host -------------------------------------------------------------------------
if ! running host; then
  WASMCLOUD_ALLOW_FILE_LOAD=true \
  WASMCLOUD_EXPERIMENTAL_FEATURES=builtin-http-server \
  WASMCLOUD_LABEL_movie_lattice=local \
    spawn host "$BIN/wasmcloud-host" --lattice "$LATTICE"
fi

host_count() { wash get hosts -o json 2>/dev/null | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["hosts"]))'; }
has_host() { [[ "$(host_count)" -ge 1 ]]; }
wait_for "a wasmCloud host in lattice '$LATTICE'" 60 has_host
log "lattice '$LATTICE' is up"
