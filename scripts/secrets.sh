#!/usr/bin/env bash
# The lattice's secrets: wasmCloud's NATS KV secrets backend (secrets-nats-kv), and what it
# holds. The hosts ask it for the secrets a link names (wadm.yaml's `secrets:`), with the
# identity of the provider that is to get them; it answers only what that identity is mapped to.
#
#   secrets.sh start    run the backend on the lattice (its keys are made once per machine)
#   secrets.sh stop
#   secrets.sh store    put role $PG_USER's password in it (when it changed), and map the
#                       Postgres provider's identity (from its signed archive) to it
#   secrets.sh rotate   a new password for role $PG_USER: in the backend, in Postgres, in the
#                       credentials files; then each Postgres provider restarts, one after the
#                       other, to connect with it, and so do the databases' exporters (README,
#                       "Rotating the database password")
#   secrets.sh get      prints the password the backend holds (for tests and checks)
#
# Secret values travel on standard input or in the environment, never on a command line.
set -euo pipefail
source "$(dirname "$0")/env.sh"

BACKEND="$CARGO_TOOLS_ROOT/bin/secrets-nats-kv"
ENCRYPTION_KEY="$SECRETS_KEYS_DIR/encryption.xkey"   # seals the secrets at rest in NATS KV
TRANSIT_KEY="$SECRETS_KEYS_DIR/transit.xkey"         # opens what clients send the backend
POSTGRES_PROVIDER_ARCHIVE="$BUILD_DIR/sqldb-postgres-provider.par.gz"
POSTGRES_PROVIDER_ID="sqldb-postgres"                # its id in wadm.yaml

[[ -x "$BACKEND" ]] || die "secrets-nats-kv is not installed (scripts/install.sh secrets-backend)"
# The backend and its administration connect as the lattice's secrets user (NATS_CREDSFILE is
# secrets-nats-kv's own variable): the only one that may put, map or serve secrets.
export NATS_CREDSFILE
NATS_CREDSFILE="$(nats_creds secrets)"

# key_seed FILE: the xkey seed in FILE, made on first use.
key_seed() {
  if [[ ! -s "$1" ]]; then
    install -d -m 0700 "$CREDENTIALS_DIR" "$SECRETS_KEYS_DIR"
    log "secrets: making the backend's $(basename "$1" .xkey) key ($1)"
    (umask 077 && wash keys gen curve -o json |
      python3 -c 'import json, sys; print(json.load(sys.stdin)["seed"])' >"$1.new" && mv "$1.new" "$1")
  fi
  cat "$1"
}

# backend ARGS...: a client command of secrets-nats-kv against the lattice's NATS.
backend() {
  ENCRYPTION_XKEY_SEED="$(key_seed "$ENCRYPTION_KEY")" TRANSIT_XKEY_SEED="$(key_seed "$TRANSIT_KEY")" \
    "$BACKEND" "$@"
}
nats_address() { echo "$NATS_HOST:$NATS_PORT"; }

stored_password() { backend get --nats-address "$(nats_address)" "$PG_PASSWORD_SECRET" 2>/dev/null; }
# put_password PASSWORD: a new version of the password's secret.
put_password() {
  SECRET_STRING_VALUE="$1" backend put --nats-address "$(nats_address)" \
    --subject-base "$SECRETS_TOPIC" "$PG_PASSWORD_SECRET" >/dev/null
}
answers() { "$BACKEND" add-mapping --nats-address "$(nats_address)" --subject-base "$SECRETS_TOPIC" \
  "$(provider_identity)" --secret "$PG_PASSWORD_SECRET" >/dev/null 2>&1; }

# The Postgres provider's identity: the subject key its archive was signed for.
provider_identity() {
  wash inspect "$POSTGRES_PROVIDER_ARCHIVE" -o json |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["service"])'
}

start() {
  running secrets && return 0
  local encryption transit offset
  encryption="$(key_seed "$ENCRYPTION_KEY")" transit="$(key_seed "$TRANSIT_KEY")"
  offset="$(log_offset secrets)"
  ENCRYPTION_XKEY_SEED="$encryption" TRANSIT_XKEY_SEED="$transit" RUST_LOG=info \
    spawn secrets "$BACKEND" run --nats-address "$(nats_address)" \
    --subject-base "$SECRETS_TOPIC" --name "$SECRETS_BACKEND"
  ready() { running secrets && logged_since secrets "$offset" "Starting secrets backend"; }
  wait_for "the secrets backend '$SECRETS_BACKEND'" 30 ready
}

store() {
  [[ -s "$PG_PASSWORD_FILE" ]] || die "no password for role $PG_USER yet (scripts/postgres.sh makes it)"
  [[ -f "$POSTGRES_PROVIDER_ARCHIVE" ]] || die "no $POSTGRES_PROVIDER_ARCHIVE (make build)"
  # The backend answers once it has subscribed: the mapping is the first request it takes.
  wait_for "the secrets backend to answer" 30 answers
  if [[ "$(stored_password)" != "$(pg_password)" ]]; then
    log "secrets: storing role $PG_USER's password as '$PG_PASSWORD_SECRET'"
    put_password "$(pg_password)"
  fi
  [[ "$(stored_password)" == "$(pg_password)" ]] || die "the secrets backend does not hold the password just put"
}

# The hosts running the Postgres provider, one id per line.
postgres_provider_hosts() {
  wash get inventory -o json | python3 -c '
import json, sys
provider = sys.argv[1]
for host in json.load(sys.stdin).get("inventories", []):
    if any(p.get("id") == provider for p in host.get("providers", [])):
        print(host["host_id"])
' "$POSTGRES_PROVIDER_ID"
}
provider_on() {
  wash get inventory "$1" -o json 2>/dev/null | python3 -c '
import json, sys
provider = sys.argv[1]
inventories = json.load(sys.stdin).get("inventories", [])
sys.exit(0 if any(p.get("id") == provider for h in inventories for p in h.get("providers", [])) else 1)
' "$POSTGRES_PROVIDER_ID"
}
api_works() { curl -fsS --max-time 3 "http://$HTTP_ADDR/healthz" >/dev/null; }

rotate() {
  store
  local password hosts host
  password="$(new_pg_password)"
  hosts="$(postgres_provider_hosts)"
  [[ -n "$hosts" ]] || die "no host runs the Postgres provider ($POSTGRES_PROVIDER_ID): is the app deployed?"
  log "secrets: rotating role $PG_USER's password"
  local began
  began="$(psql_admin -c "SELECT now()")"
  # 1. The backend holds the new password (a new version of the secret).
  put_password "$password"
  # 2. Postgres takes it. Sessions already open stay open; new ones need the new password.
  printf "ALTER ROLE %s PASSWORD '%s'\n" "$PG_USER" "$password" | psql_admin >/dev/null
  # 3. This machine's files (psql, tests and the native baseline read them).
  save_pg_password "$password"
  # 4. Each Postgres provider drains and stops; wadm starts it again, and the host hands the
  #    new instance its links with the secret fetched anew. A host may answer the stop late:
  #    the provider's acknowledgement of its shutdown can be lost as its process exits, and the
  #    host then waits out its shutdown delay (20 s) before it stops it anyway. So the outcome is
  #    what counts, below: every connection of the providers is newer than the rotation.
  for host in $hosts; do
    log "secrets: restarting the Postgres provider on host $host"
    if ! wash stop provider "$POSTGRES_PROVIDER_ID" --host-id "$host" --timeout-ms 30000 >/dev/null 2>&1; then
      log "secrets: host $host did not acknowledge the stop in time; waiting for its provider to come back"
    fi
    back() { provider_on "$host"; }
    wait_for "the Postgres provider on $host to start again" 60 back
  done
  wait_for "the API to answer" 60 api_works
  # 5. The exporters of the application's databases connect anew, with the new password.
  "$ROOT/scripts/telemetry.sh" reconnect-exporters
  # 6. No connection of a Postgres provider is older than the rotation: every one restarted.
  renewed() {
    [[ "$(psql_admin -c "SELECT count(*) FROM pg_stat_activity
      WHERE application_name = 'movie-lattice sqldb-postgres' AND backend_start < '$began'")" == 0 ]]
  }
  wait_for "every Postgres provider's connection to be newer than the rotation" 60 renewed
  log "secrets: role $PG_USER has a new password; the providers connect with it"
}

case "${1:-}" in
  start) start ;;
  stop) stop_pid secrets ;;
  store) store ;;
  rotate) rotate ;;
  get) stored_password ;;
  *) die "usage: secrets.sh start|stop|store|rotate|get" ;;
esac
