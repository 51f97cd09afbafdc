#!/usr/bin/env bash
# `make screenshots`: the README's pictures, taken from the running system (make up) by
# headless Chromium: docs/trace.png (the slowest GET /movie of the last 10 minutes in the trace
# store's UI), docs/prometheus-graph.png, docs/prometheus-alerts.png. Installs Debian's
# Chromium and playwright-core (npm, into the tools folder) when missing.
set -euo pipefail
source "$(dirname "$0")/env.sh"

PLAYWRIGHT_VERSION="1.64.1"
PLAYWRIGHT_DIR="$TOOLS_DIR/playwright"
if [[ ! -x /usr/bin/chromium ]]; then
  log "apt: installing chromium (headless screenshots)"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends chromium >/dev/null
fi
if [[ ! -f "$PLAYWRIGHT_DIR/node_modules/playwright-core/package.json" ]] ||
   ! grep -q "\"version\": \"$PLAYWRIGHT_VERSION\"" "$PLAYWRIGHT_DIR/node_modules/playwright-core/package.json"; then
  log "npm: installing playwright-core $PLAYWRIGHT_VERSION into $PLAYWRIGHT_DIR"
  mkdir -p "$PLAYWRIGHT_DIR"
  (cd "$PLAYWRIGHT_DIR" && npm install --no-audit --no-fund "playwright-core@$PLAYWRIGHT_VERSION" >/dev/null)
fi

telemetry_sql() {
  PGPASSWORD="$TELEMETRY_PASSWORD" psql -h 127.0.0.1 -p "$PG_PORT" -U "$TELEMETRY_USER" \
    -d "$TELEMETRY_DB" -qAtX -c "$1"
}
# Some traffic to look at, then the slowest GET /movie of the last 10 minutes.
for i in $(seq 1 40); do curl -s -o /dev/null "http://$HTTP_ADDR/movie?id=bench-movie-$(printf %05d "$i")"; done
sleep 6 # the exporters' batches
row="$(telemetry_sql "SELECT t.trace_id, t.project_rowid FROM spans s JOIN traces t ON t.id = s.trace_rowid
  WHERE s.name = 'GET /movie' AND s.start_time > now() - interval '10 minutes'
  ORDER BY s.end_time - s.start_time DESC LIMIT 1")"
[[ -n "$row" ]] || die "no GET /movie trace in the last 10 minutes: is make up running with tracing on?"
trace_id="${row%%|*}" project="${row##*|}"
# The UI addresses a project by its GraphQL id, base64 of "Project:<row id>".
project_id="$(printf 'Project:%s' "$project" | base64)"
trace_url="http://$PHOENIX_ADDR/projects/$project_id/traces/$trace_id"
log "slowest recent GET /movie: trace $trace_id"

mkdir -p "$ROOT/docs"
# Run from the folder with node_modules: ES modules resolve imports from their own location.
cp "$ROOT/scripts/screenshots.mjs" "$PLAYWRIGHT_DIR/screenshots.mjs"
node "$PLAYWRIGHT_DIR/screenshots.mjs" "$ROOT/docs" "$trace_url"
