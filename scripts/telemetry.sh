#!/usr/bin/env bash
# The telemetry stack of the local lattice, all on 127.0.0.1:
#   phoenix          trace store and UI; OTLP/HTTP at /v1/traces; keeps spans, and the log
#                    events inside them, in Postgres database movie_telemetry. It runs at the
#                    lowest CPU priority: on a busy machine it falls behind (spans wait in its
#                    queue) rather than take CPU from the services it watches.
#   prometheus       scrapes the host, the providers, the exporters; evaluates telemetry/rules
#   alertmanager     routes firing alerts to the alert inbox
#   alert-inbox      the webhook receiver (scripts/alert-inbox.py)
#   pg-exporter-DB   postgres-exporter, one per database
#   blackbox         probes GET /healthz of the API and of the trace store
#
#   telemetry.sh start    start what is not running (does not wait for Phoenix)
#   telemetry.sh wait     wait until every part answers
#   telemetry.sh stop     stop them all
#   telemetry.sh reconnect-exporters
#                         restart the exporters of the application's databases (they connect
#                         with role movie's password, which `make rotate-db-secret` changes)
#   telemetry.sh status   one line per part
#   telemetry.sh urls     where to look
set -euo pipefail
source "$(dirname "$0")/env.sh"

CONFIG="$ROOT/telemetry"
parts() {
  echo phoenix prometheus alertmanager alert-inbox blackbox
  local entry
  for entry in "${PG_EXPORTERS[@]}"; do echo "pg-exporter-${entry%%:*}"; done
}

start() {
  if ! running phoenix; then
    mkdir -p "$STATE_DIR/phoenix"
    PHOENIX_HOST="${PHOENIX_ADDR%:*}" PHOENIX_PORT="${PHOENIX_ADDR##*:}" \
    PHOENIX_GRPC_PORT="$PHOENIX_GRPC_PORT" \
    PHOENIX_WORKING_DIR="$STATE_DIR/phoenix" \
    PHOENIX_SQL_DATABASE_URL="postgresql://$TELEMETRY_USER:$TELEMETRY_PASSWORD@127.0.0.1:$PG_PORT/$TELEMETRY_DB" \
    PHOENIX_TELEMETRY_ENABLED=false \
      spawn phoenix bash -c 'echo 19 >/proc/self/autogroup 2>/dev/null; exec nice -n 19 "$@"' \
      phoenix "$PHOENIX_VENV/bin/phoenix" serve
  fi
  local entry db port
  for entry in "${PG_EXPORTERS[@]}"; do
    db="${entry%%:*}" port="${entry##*:}"
    running "pg-exporter-$db" && continue
    local user="$PG_USER" password
    if [[ "$db" == "$TELEMETRY_DB" ]]; then
      user="$TELEMETRY_USER" password="$TELEMETRY_PASSWORD"
    else
      password="$(pg_password)"
    fi
    DATA_SOURCE_NAME="postgresql://$user:$password@127.0.0.1:$PG_PORT/$db?sslmode=verify-full&sslrootcert=$PG_CA_FILE" \
      spawn "pg-exporter-$db" prometheus-postgres-exporter \
      --web.listen-address="127.0.0.1:$port" --disable-settings-metrics
  done
  running blackbox ||
    spawn blackbox prometheus-blackbox-exporter --config.file="$CONFIG/blackbox.yml" \
      --web.listen-address="$BLACKBOX_ADDR"
  running alert-inbox ||
    spawn alert-inbox python3 "$ROOT/scripts/alert-inbox.py" --listen "$ALERT_INBOX_ADDR" \
      --log "$LOG_DIR/alerts.jsonl"
  if ! running alertmanager; then
    # A fresh notification log each start: one kept from a lattice stopped while an alert
    # fired (never resolved) counts that alert as notified, and the next time it fires, the
    # same labels reach nobody for repeat_interval (4 h). Prometheus re-sends what is firing,
    # so nothing is lost but a duplicate notification; the stack keeps no silences.
    rm -rf "$STATE_DIR/alertmanager"
    mkdir -p "$STATE_DIR/alertmanager"
    spawn alertmanager prometheus-alertmanager --config.file="$CONFIG/alertmanager.yml" \
      --storage.path="$STATE_DIR/alertmanager" --web.listen-address="$ALERTMANAGER_ADDR" \
      --cluster.listen-address=""
  fi
  if ! running prometheus; then
    mkdir -p "$STATE_DIR/prometheus"
    spawn prometheus prometheus --config.file="$CONFIG/prometheus.yml" \
      --storage.tsdb.path="$STATE_DIR/prometheus" --storage.tsdb.retention.time=2d \
      --web.listen-address="$PROMETHEUS_ADDR" --web.enable-lifecycle
  fi
}

answers() { curl -fsS -o /dev/null --max-time 2 "$1"; }

wait_ready() {
  wait_for "Prometheus on $PROMETHEUS_ADDR" 60 answers "http://$PROMETHEUS_ADDR/-/ready"
  wait_for "Alertmanager on $ALERTMANAGER_ADDR" 60 answers "http://$ALERTMANAGER_ADDR/-/ready"
  wait_for "the alert inbox on $ALERT_INBOX_ADDR" 30 answers "http://$ALERT_INBOX_ADDR/healthz"
  wait_for "the blackbox exporter on $BLACKBOX_ADDR" 30 answers "http://$BLACKBOX_ADDR/metrics"
  local entry
  for entry in "${PG_EXPORTERS[@]}"; do
    wait_for "postgres-exporter of ${entry%%:*}" 30 answers "http://127.0.0.1:${entry##*:}/metrics"
  done
  # Phoenix migrates its database on first start: give it time.
  wait_for "Phoenix on $PHOENIX_ADDR" 180 answers "http://$PHOENIX_ADDR/healthz"
}

stop() {
  local name
  # Prometheus first (no alerts about the others going away), Phoenix last.
  for name in prometheus alertmanager alert-inbox blackbox $(parts | tr ' ' '\n' | grep pg-exporter) phoenix; do
    stop_pid "$name"
  done
}

status() {
  local name
  for name in $(parts); do
    if running "$name"; then
      printf '  %-26s running (pid %s)\n' "$name" "$(cat "$PID_DIR/$name.pid")"
    else
      printf '  %-26s stopped\n' "$name"
    fi
  done
  if answers "http://$PROMETHEUS_ADDR/-/ready"; then
    curl -fsS --max-time 2 "http://$PROMETHEUS_ADDR/api/v1/targets?state=active" | python3 -c '
import json, sys
targets = json.load(sys.stdin)["data"]["activeTargets"]
down = [t for t in targets if t["health"] != "up"]
print("  prometheus targets: %d of %d up" % (len(targets) - len(down), len(targets)))
for t in down:
    print("    down: %s %s: %s" % (t["labels"]["job"], t["labels"]["instance"], t["lastError"]))'
    curl -fsS --max-time 2 "http://$PROMETHEUS_ADDR/api/v1/alerts" | python3 -c '
import json, sys
alerts = json.load(sys.stdin)["data"]["alerts"]
print("  alerts: %d%s" % (len(alerts), "" if alerts else " (none pending or firing)"))
for a in alerts:
    print("    %s: %s %s" % (a["state"], a["labels"]["alertname"], a["annotations"].get("summary", "")))'
  fi
}

urls() {
  cat <<MSG
    Traces:   http://$PHOENIX_ADDR   (trace store UI; spans in Postgres database $TELEMETRY_DB)
    Metrics:  http://$PROMETHEUS_ADDR   (targets: /classic/targets, alerts: /classic/alerts)
    Alerts:   http://$ALERTMANAGER_ADDR   (received by http://$ALERT_INBOX_ADDR/alerts)
MSG
}

case "${1:-}" in
  start) start ;;
  wait) wait_ready ;;
  stop) stop ;;
  reconnect-exporters)
    for db in "${PG_DATABASES[@]}"; do stop_pid "pg-exporter-$db"; done
    start
    ;;
  status) status ;;
  urls) urls ;;
  *) die "usage: telemetry.sh start|wait|stop|status|urls" ;;
esac
