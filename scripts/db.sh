#!/usr/bin/env bash
# Creates the application role and the databases of CONTRACT.md, then applies the migrations in
# migrations/<database>/NNNN_name.sql in order, each once (tracked in schema_migrations).
set -euo pipefail
source "$(dirname "$0")/env.sh"

export PGOPTIONS="-c client_min_messages=warning"

# The application's role, with this machine's password for it (made here on the first run).
# The password goes to psql on standard input, never on a command line.
if [[ ! -s "$PG_PASSWORD_FILE" ]]; then
  log "postgres: making a password for role $PG_USER ($PG_PASSWORD_FILE)"
  save_pg_password "$(new_pg_password)"
fi
[[ -s "$PGPASSFILE" ]] || save_pg_password "$(pg_password)"
app_login() { psql_app postgres -c "SELECT 1" >/dev/null 2>&1; }
if [[ -z "$(psql_admin -c "SELECT 1 FROM pg_roles WHERE rolname = '$PG_USER'")" ]]; then
  log "postgres: creating role $PG_USER"
  printf "CREATE ROLE %s LOGIN PASSWORD '%s'\n" "$PG_USER" "$(pg_password)" | psql_admin
elif ! app_login; then
  log "postgres: setting role $PG_USER's password to this machine's ($PG_PASSWORD_FILE)"
  printf "ALTER ROLE %s PASSWORD '%s'\n" "$PG_USER" "$(pg_password)" | psql_admin
fi

# The telemetry database: Phoenix owns its schema (it migrates it itself), under its own role,
# which the services' role cannot read.
if [[ -z "$(psql_admin -c "SELECT 1 FROM pg_roles WHERE rolname = '$TELEMETRY_USER'")" ]]; then
  log "postgres: creating role $TELEMETRY_USER"
  psql_admin -c "CREATE ROLE $TELEMETRY_USER LOGIN PASSWORD '$TELEMETRY_PASSWORD'"
fi
if [[ -z "$(psql_admin -c "SELECT 1 FROM pg_database WHERE datname = '$TELEMETRY_DB'")" ]]; then
  log "postgres: creating database $TELEMETRY_DB"
  psql_admin -c "CREATE DATABASE $TELEMETRY_DB OWNER $TELEMETRY_USER"
  psql_admin -c "REVOKE ALL ON DATABASE $TELEMETRY_DB FROM PUBLIC"
fi

for db in "${PG_DATABASES[@]}"; do
  if [[ -z "$(psql_admin -c "SELECT 1 FROM pg_database WHERE datname = '$db'")" ]]; then
    log "postgres: creating database $db"
    psql_admin -c "CREATE DATABASE $db OWNER $PG_USER"
  fi
  dir="$ROOT/migrations/$db"
  [[ -d "$dir" ]] || continue
  app_psql() { psql_app "$db" "$@"; }
  app_psql -c "CREATE TABLE IF NOT EXISTS schema_migrations (
      version text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())"
  for file in "$dir"/*.sql; do
    [[ -e "$file" ]] || continue
    version="$(basename "$file" .sql)"
    if [[ -z "$(app_psql -c "SELECT 1 FROM schema_migrations WHERE version = '$version'")" ]]; then
      log "postgres: applying $db/$version"
      # One transaction per migration: it and its bookkeeping row land together or not at all.
      { echo "BEGIN;"; cat "$file"; echo "INSERT INTO schema_migrations (version) VALUES ('$version');"; echo "COMMIT;"; } | app_psql
    fi
  done
done
