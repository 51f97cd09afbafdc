#!/usr/bin/env bash
# The clustered lattice's front door: HAProxy (Debian's) on $HTTP_ADDR, in front of every
# host's ingress (frontdoor/haproxy.cfg says how it balances, checks, retries and limits).
#
#   scripts/frontdoor.sh start     write the backend for $HOSTS hosts, start unless running, wait
#   scripts/frontdoor.sh restart   the same after a stop (picks up a changed configuration)
#   scripts/frontdoor.sh check     haproxy -c on the configuration (make test runs it)
#   scripts/frontdoor.sh stop
set -euo pipefail
source "$(dirname "$0")/env.sh"

export FRONTDOOR_CONFIG="$ROOT/frontdoor"
export FRONTDOOR_STATE="$STATE_DIR/frontdoor"
export FRONTDOOR_API="$HTTP_ADDR"
export FRONTDOOR_STATS="$FRONTDOOR_STATS_ADDR"
BACKENDS="$FRONTDOOR_STATE/backends.cfg"

# write_backends [FILE]: the backend section for $HOSTS hosts (into $BACKENDS by default).
write_backends() {
  local name agent
  mkdir -p "$FRONTDOOR_STATE"
  {
    echo "# Written by scripts/frontdoor.sh for $HOSTS hosts."
    echo "backend hosts"
    echo "    balance leastconn"
    echo "    option httpchk"
    # Checks carry an unsampled trace context, so they leave no trace: at one a second per
    # host they would be most of what the trace store ingests.
    echo "    http-check send meth GET uri /healthz ver HTTP/1.1 hdr Host 127.0.0.1 hdr traceparent $UNTRACED_TRACEPARENT"
    echo "    http-check expect rstatus ^(200|503)\$"
    echo "    default-server inter 1s fastinter 500ms fall 2 rise 2"
    for name in $(host_names); do
      agent="$(host_drain_agent "$(host_index "$name")")"
      echo "    server $name $(host_ingress "$(host_index "$name")") check agent-check agent-port ${agent##*:} agent-inter 500ms"
    done
  } >"${1:-$BACKENDS}"
}

haproxy_args() { echo -f "$FRONTDOOR_CONFIG/haproxy.cfg" -f "$BACKENDS"; }
answers() { curl -fsS --max-time 2 "http://$FRONTDOOR_STATS_ADDR/livez" >/dev/null; }

start() {
  write_backends
  if ! running frontdoor; then
    # shellcheck disable=SC2046
    haproxy -c -q $(haproxy_args) || die "the front door's configuration is invalid"
    # shellcheck disable=SC2046
    spawn frontdoor haproxy -db $(haproxy_args)
  fi
  wait_for "the front door on $HTTP_ADDR" 30 answers
}

case "${1:-}" in
  start) start ;;
  restart) stop_pid frontdoor; start ;;
  # shellcheck disable=SC2046
  check)
    BACKENDS="$TMPDIR/frontdoor-check-backends.cfg"
    write_backends "$BACKENDS"
    haproxy -c $(haproxy_args)
    ;;
  stop) stop_pid frontdoor ;;
  *) die "usage: scripts/frontdoor.sh start|restart|check|stop" ;;
esac
