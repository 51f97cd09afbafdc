#!/usr/bin/env bash
# Starts the local lattice: Postgres (with the databases and migrations), the telemetry stack
# (scripts/telemetry.sh), NATS with JetStream, wadm and one wasmCloud host. Idempotent: what is already running is left alone.
set -euo pipefail
source "$(dirname "$0")/env.sh"

BIN="$CARGO_TARGET_DIR/release"

# --- Postgres -------------------------------------------------------------------------------
"$ROOT/scripts/postgres.sh"

# --- Telemetry: the trace store first, so that the host's first spans have somewhere to go ---
"$ROOT/scripts/telemetry.sh" start

# --- Kafka-protocol broker (Tansu, SQLite storage: a restart loses no event) -----------------
if ! running kafka; then
  mkdir -p "$STATE_DIR/kafka"
  (cd "$STATE_DIR/kafka" && spawn kafka tansu broker \
    --listener-url "tcp://$KAFKA_HOST:$KAFKA_PORT" \
    --advertised-listener-url "tcp://$KAFKA_HOST:$KAFKA_PORT" \
    --storage-engine "sqlite://tansu.db")
fi
wait_for "Kafka on :$KAFKA_PORT" 30 tcp_open "$KAFKA_HOST" "$KAFKA_PORT"
"$BIN/movie-ingester" --brokers "$KAFKA_HOST:$KAFKA_PORT" topics >/dev/null

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
  stop_stray_providers # from a host that died without stopping them
  WASMCLOUD_ALLOW_FILE_LOAD=true \
  WASMCLOUD_MAX_EXECUTION_TIME_MS="${WASMCLOUD_MAX_EXECUTION_TIME_MS:-30000}" \
  WASMCLOUD_EXPERIMENTAL_FEATURES=builtin-http-server,rpc-interface \
  WASMCLOUD_LABEL_movie_lattice=local \
  WASMCLOUD_STRUCTURED_LOGGING_ENABLED=true \
  WASMCLOUD_METRICS_ADDRESS="$HOST_METRICS_ADDR" \
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT="$(traces_endpoint)" \
  OTEL_TRACES_SAMPLER="${OTEL_TRACES_SAMPLER:-}" OTEL_TRACES_SAMPLER_ARG="${OTEL_TRACES_SAMPLER_ARG:-}" \
    spawn host "$BIN/wasmcloud-host" --lattice "$LATTICE"
fi

host_count() { wash get hosts -o json 2>/dev/null | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["hosts"]))'; }
has_host() { [[ "$(host_count)" -ge 1 ]]; }
wait_for "a wasmCloud host in lattice '$LATTICE'" 60 has_host
log "lattice '$LATTICE' is up"
