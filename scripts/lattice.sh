#!/usr/bin/env bash
# Starts the local lattice in the shape HOSTS asks for (scripts/env.sh):
# - Postgres (with the databases and migrations), the telemetry stack (scripts/telemetry.sh)
#   and the Kafka-protocol broker, shared by every host;
# - HOSTS=1 (the default): one NATS server with JetStream, wadm and one wasmCloud host, whose
#   ingress serves the API on $HTTP_ADDR;
# - HOSTS=N > 1: a 3-node NATS cluster, the OCI registry, wadm, N hosts (each with its own
#   identity, labels, ports and caches), the lattice's buckets and streams on 3 replicas, and
#   the front door on $HTTP_ADDR in front of every host's ingress.
# Idempotent: what is already running is left alone. A running lattice keeps its shape: to
# change it, make down first.
set -euo pipefail
source "$(dirname "$0")/env.sh"

BIN="$CARGO_TARGET_DIR/release"

# --- The shape: the running lattice's, or the one asked for ----------------------------------
lattice_running() {
  local pidfile
  for pidfile in "$PID_DIR"/nats*.pid "$PID_DIR"/host-*.pid; do
    [[ -f "$pidfile" ]] && kill -0 "$(cat "$pidfile")" 2>/dev/null && return 0
  done
  return 1
}
if lattice_running && [[ -f "$SHAPE_FILE" && "$(cat "$SHAPE_FILE")" != "$HOSTS" ]]; then
  die "the running lattice has $(cat "$SHAPE_FILE") host(s), not $HOSTS: make down first"
fi
echo "$HOSTS" >"$SHAPE_FILE"

# --- What Prometheus scrapes for this shape (telemetry/prometheus.yml reads these files) -----
write_scrape_targets() {
  local dir="$STATE_DIR/scrape-targets" name i hosts=() postgres=() kafka=() frontdoor=()
  mkdir -p "$dir"
  for name in $(host_names); do
    i="$(host_index "$name")"
    hosts+=("{\"targets\": [\"127.0.0.1:$(host_metrics_port "$i")\"], \"labels\": {\"host\": \"$name\"}}")
    postgres+=("\"127.0.0.1:$(($(host_metrics_port "$i") + 1))\"")
    kafka+=("\"127.0.0.1:$(($(host_metrics_port "$i") + 2))\"")
  done
  clustered && frontdoor+=("{\"targets\": [\"$FRONTDOOR_STATS_ADDR\"]}")
  local IFS=,
  echo "[${hosts[*]}]" >"$dir/host.json"
  echo "[{\"targets\": [${postgres[*]}]}]" >"$dir/postgres-provider.json"
  echo "[{\"targets\": [${kafka[*]}]}]" >"$dir/kafka-provider.json"
  echo "[${frontdoor[*]}]" >"$dir/frontdoor.json"
}
write_scrape_targets

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

# --- NATS: one server, or a 3-node JetStream cluster, in operator mode ----------------------------
# The identities (crates/nats-auth): an operator, the lattice's account, a user per party, made
# once per machine in $NATS_AUTH_DIR; every server trusts the operator and knows the accounts
# (server.conf). Nothing connects without a user's creds, and each user may use only its
# party's subjects. A cluster's nodes route to each other with a password of their own.
"$BIN/lattice-auth" init --dir "$NATS_AUTH_DIR" --lattice "$LATTICE" \
  --secrets-topic "$SECRETS_TOPIC" --secrets-backend "$SECRETS_BACKEND" --policy-topic "$POLICY_TOPIC"
route_password() {
  local file="$NATS_AUTH_DIR/route.password"
  [[ -s "$file" ]] || (umask 077 && openssl rand -hex 24 >"$file")
  cat "$file"
}
# write_nats_config FILE BODY: a server's configuration (it holds the route password: 0600).
write_nats_config() {
  (umask 077 && printf '%s\n%s\n' "$2" "$(cat "$NATS_AUTH_DIR/server.conf")" >"$1")
}
nats_ready() { curl -fsS --max-time 2 "http://127.0.0.1:$(nats_monitor_port "$1")/healthz" >/dev/null; }
start_nats() {
  local i routes=() name password
  if ! clustered; then
    if ! running nats; then
      mkdir -p "$STATE_DIR/jetstream"
      write_nats_config "$STATE_DIR/nats.conf" "# Written by scripts/lattice.sh: the lattice's NATS server.
server_name: nats
listen: $NATS_HOST:$NATS_PORT
http: 127.0.0.1:$(nats_monitor_port 1)
jetstream { store_dir: \"$STATE_DIR/jetstream\" }"
      spawn nats nats-server --config "$STATE_DIR/nats.conf"
    fi
    wait_for "NATS on :$NATS_PORT" 30 nats_ready 1
    return
  fi
  password="$(route_password)"
  for ((i = 1; i <= NATS_NODES; i++)); do
    routes+=("nats://route:$password@127.0.0.1:$(nats_cluster_port "$i")")
  done
  for ((i = 1; i <= NATS_NODES; i++)); do
    name="nats-$i"
    running "$name" && continue
    mkdir -p "$STATE_DIR/nats/$name"
    write_nats_config "$STATE_DIR/nats/$name.conf" "# Written by scripts/lattice.sh: node $i of the lattice's NATS cluster.
server_name: $name
listen: $NATS_HOST:$(nats_port "$i")
http: 127.0.0.1:$(nats_monitor_port "$i")
jetstream { store_dir: \"$STATE_DIR/nats/$name\" }
cluster {
  name: movie-lattice
  listen: 127.0.0.1:$(nats_cluster_port "$i")
  authorization { user: route, password: \"$password\" }
  routes: [$(IFS=,; echo "${routes[*]}")]
}"
    spawn "$name" nats-server --config "$STATE_DIR/nats/$name.conf"
  done
  # /healthz answers ok once the node's JetStream is up, which needs a meta leader (a quorum).
  for ((i = 1; i <= NATS_NODES; i++)); do
    wait_for "NATS node $i on :$(nats_port "$i") with JetStream" 60 nats_ready "$i"
  done
  # After a restart, each stream elects its leader anew: a host that starts before cannot open
  # its buckets, and exits.
  "$BIN/lattice-streams" --nats "nats://$NATS_HOST:$NATS_PORT" ready --timeout-s 60 >&2
}
start_nats

# --- The registry, and every artifact in it (the clustered manifest deploys from it) --------
if clustered; then
  "$ROOT/scripts/registry.sh" start
fi

# --- The secrets backend (before any host: a provider's links name their secrets) -----------
"$ROOT/scripts/secrets.sh" start

# --- The policy service (before any host: a host denies what it gets no answer for) -----------
if ! running policy; then
  [[ -s "$PROJECT_ISSUER_KEY" ]] || die "no signing key $PROJECT_ISSUER_KEY yet (make build signs with it)"
  policy_log="$(log_offset policy)"
  spawn policy "$BIN/lattice-policy" --nats "nats://$NATS_HOST:$NATS_PORT" --topic "$POLICY_TOPIC" \
    --nats-creds "$(nats_creds policy)" \
    --issuer-key-file "$PROJECT_ISSUER_KEY"
  policy_ready() { running policy && logged_since policy "$policy_log" "answering policy requests"; }
  wait_for "the policy service" 30 policy_ready
fi

# --- wadm -----------------------------------------------------------------------------------
start_wadm() {
  WADM_CLEANUP_INTERVAL="$WADM_CLEANUP_S" WADM_NATS_CREDS_FILE="$(nats_creds wadm)" \
    spawn wadm "$BIN/wadm" --nats-server "$NATS_HOST:$NATS_PORT"
}
running wadm || start_wadm

# --- wasmCloud hosts --------------------------------------------------------------------------
# host_seed NAME: the host's identity (an nkey seed made on its first start, kept in its folder).
host_seed() {
  local file="$HOSTS_STATE_DIR/$1/seed"
  if [[ ! -s "$file" ]]; then
    (umask 077 && wash keys gen server -o json |
      python3 -c 'import json, sys; print(json.load(sys.stdin)["seed"])' >"$file")
  fi
  cat "$file"
}
start_host() {
  local name="$1" i dir
  i="$(host_index "$name")"
  dir="$HOSTS_STATE_DIR/$name"
  running "$name" && return 0
  stop_stray_providers "$name" # from an earlier run of this host that died without stopping them
  mkdir -p "$dir/tmp"
  # Its own temporary folder holds its caches: the OCI artifacts and the providers it runs.
  TMPDIR="$dir/tmp" \
  WASMCLOUD_HOST_SEED="$(host_seed "$name")" \
  WASMCLOUD_NATS_PORT="$(host_nats_port "$i")" \
  WASMCLOUD_CTL_CREDSFILE="$(nats_creds host)" \
  WASMCLOUD_ALLOW_FILE_LOAD=true \
  WASMCLOUD_OCI_ALLOWED_INSECURE="$REGISTRY_ADDR" \
  WASMCLOUD_MAX_EXECUTION_TIME_MS="${WASMCLOUD_MAX_EXECUTION_TIME_MS:-30000}" \
  WASMCLOUD_EXPERIMENTAL_FEATURES=builtin-http-server,rpc-interface \
  WASMCLOUD_LABEL_movie_lattice=local \
  WASMCLOUD_LABEL_movie_lattice_host="$name" \
  WASMCLOUD_STRUCTURED_LOGGING_ENABLED=true \
  WASMCLOUD_HTTP_ADMIN="$(host_admin "$i")" \
  WASMCLOUD_RPC_TIMEOUT_MS="$CALL_TIMEOUT_MS" \
  WASMCLOUD_SECRETS_TOPIC="$SECRETS_TOPIC" \
  WASMCLOUD_POLICY_TOPIC="$POLICY_TOPIC" \
  WASMCLOUD_HEARTBEAT_INTERVAL="$HEARTBEAT_INTERVAL_S" \
  WASMCLOUD_DRAIN_AGENT="$(host_drain_agent "$i")" \
  WASMCLOUD_DRAIN_GRACE_MS="$(if clustered; then echo "$DRAIN_GRACE_MS"; else echo 0; fi)" \
  WASMCLOUD_METRICS_ADDRESS="127.0.0.1:$(host_metrics_port "$i")" \
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT="$(traces_endpoint)" \
  OTEL_TRACES_SAMPLER="${OTEL_TRACES_SAMPLER:-}" OTEL_TRACES_SAMPLER_ARG="${OTEL_TRACES_SAMPLER_ARG:-}" \
    spawn "$name" "$BIN/wasmcloud-host" --lattice "$LATTICE"
}
host_count() { wash get hosts -o json 2>/dev/null | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["hosts"]))'; }
has_hosts() { [[ "$(host_count)" -ge "$1" ]]; }

start_host host-1
wait_for "a wasmCloud host in lattice '$LATTICE'" 60 has_hosts 1
if clustered; then
  # On a new cluster, the host and wadm have just made their buckets and streams, with one
  # replica. Each must be on every NATS node before the lattice relies on it. Raising them in
  # place under running clients was seen to stop wadm's event stream (it sources from the
  # hosts'), so wadm, the secrets backend and the first host stop, lattice-streams makes the
  # streams anew on every node (see its replicate), and they start again on them.
  streams=("$BIN/lattice-streams" --nats "nats://$NATS_HOST:$NATS_PORT" --lattice "$LATTICE")
  if ! "${streams[@]}" check --replicas "$NATS_NODES" --timeout-s 60 >&2; then
    log "moving the lattice's streams to $NATS_NODES replicas (wadm, secrets and host-1 stop meanwhile)"
    stop_pid host-1 "$HOST_STOP_S"
    stop_pid wadm
    stop_pid secrets
    "${streams[@]}" replicate --replicas "$NATS_NODES" --timeout-s 60 >&2
    "$ROOT/scripts/secrets.sh" start
    start_wadm
  fi
  for name in $(host_names); do start_host "$name"; done
  wait_for "$HOSTS wasmCloud hosts in lattice '$LATTICE'" 60 has_hosts "$HOSTS"
  "$ROOT/scripts/frontdoor.sh" start
fi
wadm_answers() { wash app list -o json >/dev/null 2>&1; }
wait_for "wadm to answer" 60 wadm_answers
log "lattice '$LATTICE' is up ($HOSTS host(s))"
