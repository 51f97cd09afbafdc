#!/usr/bin/env bash
# TLS for the local Postgres cluster, idempotent (scripts/postgres.sh runs it):
# - a CA of this machine's own, made once, in $PG_TLS_DIR (never in the checkout);
# - a server certificate it signs for 127.0.0.1, ::1 and localhost, made again when it is
#   missing, no longer signed by the CA, or within 30 days of its end;
# - the cluster serving it (conf.d/movie-lattice-tls.conf), and pg_hba letting the role
#   $PG_USER in over TCP only with TLS (hostssl; a plain connection is rejected).
# Other roles keep the rules they had. The cluster reloads only when something changed.
set -euo pipefail
source "$(dirname "$0")/env.sh"

CONF_DIR="/etc/postgresql/$PG_VERSION/$PG_CLUSTER"
[[ -d "$CONF_DIR" ]] || die "no postgres cluster $PG_VERSION/$PG_CLUSTER (scripts/postgres.sh makes it)"
INSTALL_DIR="$CONF_DIR/movie-lattice-tls"   # the server's copy, owned by postgres
TLS_CONF="$CONF_DIR/conf.d/movie-lattice-tls.conf"
HBA="$CONF_DIR/pg_hba.conf"
HBA_BEGIN="# BEGIN movie-lattice: role $PG_USER over TCP only with TLS (scripts/postgres-tls.sh)"
HBA_END="# END movie-lattice"

install -d -m 0700 "$CREDENTIALS_DIR" "$PG_TLS_DIR"
cd "$PG_TLS_DIR"
umask 077

new_key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:prime256v1 -out "$1" 2>/dev/null; }

if [[ ! -s ca.key || ! -s ca.pem ]]; then
  log "postgres TLS: making this machine's CA ($PG_TLS_DIR/ca.pem)"
  new_key ca.key
  openssl req -x509 -new -key ca.key -sha256 -days 3650 -out ca.pem \
    -subj "/O=movie-lattice/CN=movie-lattice local CA $(hostname)" \
    -addext "basicConstraints=critical,CA:TRUE,pathlen:0" \
    -addext "keyUsage=critical,keyCertSign,cRLSign"
  rm -f server.pem server.key
fi

server_valid() {
  [[ -s server.key && -s server.pem ]] &&
    openssl verify -CAfile ca.pem server.pem >/dev/null 2>&1 &&
    openssl x509 -in server.pem -noout -checkend $((30 * 24 * 3600)) >/dev/null
}
if ! server_valid; then
  log "postgres TLS: signing a server certificate for 127.0.0.1, ::1 and localhost"
  new_key server.key
  openssl req -new -key server.key -out server.csr -subj "/O=movie-lattice/CN=127.0.0.1"
  openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -sha256 \
    -days 825 -out server.pem 2>/dev/null -extfile <(printf '%s\n' \
      "subjectAltName=IP:127.0.0.1,IP:::1,DNS:localhost" \
      "basicConstraints=critical,CA:FALSE" \
      "keyUsage=critical,digitalSignature" \
      "extendedKeyUsage=serverAuth")
  rm -f server.csr
fi
chmod 0644 ca.pem

changed=0
# install_file SRC DEST MODE: copies SRC to DEST for the postgres user when it differs.
install_file() {
  if ! cmp -s "$1" "$2"; then
    install -o postgres -g postgres -m "$3" "$1" "$2"
    changed=1
  fi
}
install -d -o postgres -g postgres -m 0700 "$INSTALL_DIR"
install_file server.pem "$INSTALL_DIR/server.pem" 0644
install_file server.key "$INSTALL_DIR/server.key" 0600

umask 022
wanted_conf="$(printf '%s\n' \
  "# movie-lattice (scripts/postgres-tls.sh): the server certificate the project's CA signed." \
  "ssl = on" \
  "ssl_cert_file = '$INSTALL_DIR/server.pem'" \
  "ssl_key_file = '$INSTALL_DIR/server.key'" \
  "ssl_min_protocol_version = 'TLSv1.2'")"
if [[ "$(cat "$TLS_CONF" 2>/dev/null)" != "$wanted_conf" ]]; then
  install -d -o postgres -g postgres "$(dirname "$TLS_CONF")"
  printf '%s\n' "$wanted_conf" >"$TLS_CONF"
  chown postgres:postgres "$TLS_CONF"
  changed=1
fi

# pg_hba: our block first (the first matching rule wins), the rest as it was.
wanted_block="$(printf '%s\n' \
  "$HBA_BEGIN" \
  "hostssl all $PG_USER 127.0.0.1/32 scram-sha-256" \
  "hostssl all $PG_USER ::1/128 scram-sha-256" \
  "host all $PG_USER all reject" \
  "$HBA_END")"
rest="$(awk -v begin="$HBA_BEGIN" -v end="$HBA_END" '
  $0 == begin { skip = 1; next }
  skip && $0 == end { skip = 0; next }
  !skip { print }' "$HBA")"
if [[ "$(cat "$HBA")" != "$(printf '%s\n%s' "$wanted_block" "$rest")" ]]; then
  printf '%s\n%s\n' "$wanted_block" "$rest" >"$HBA.movie-lattice"
  chown postgres:postgres "$HBA.movie-lattice"
  chmod 0640 "$HBA.movie-lattice"
  mv "$HBA.movie-lattice" "$HBA"
  changed=1
fi

admin_sql() { psql_admin -c "$1"; }
if ((changed)); then
  log "postgres TLS: reloading cluster $PG_VERSION/$PG_CLUSTER"
  pg_ctlcluster "$PG_VERSION" "$PG_CLUSTER" reload
fi
problems="$(admin_sql "SELECT line_number || ': ' || error FROM pg_hba_file_rules WHERE error IS NOT NULL")"
[[ -z "$problems" ]] || die "pg_hba.conf of $PG_VERSION/$PG_CLUSTER has errors: $problems"
tls_on() { [[ "$(admin_sql "SHOW ssl_cert_file")" == "$INSTALL_DIR/server.pem" ]]; }
wait_for "postgres to serve the project's certificate" 10 tls_on
