#!/usr/bin/env bash
# Installs what is missing and builds everything `make up` runs, in two lanes: Tansu (the
# Kafka broker, a build graph of its own) compiles in the background at a lower priority,
# filling the cores the main build leaves idle, while the host, wadm, wash, the components and
# the providers build in the foreground. Both lanes are done when this returns.
set -euo pipefail
source "$(dirname "$0")/env.sh"
source "$ROOT/scripts/steps.sh"

"$ROOT/scripts/install.sh" system wasm-target nats-server pyyaml phoenix patched-crates
# The second lane (install.sh only checks when Tansu and the secrets backend are there already). A session of its own,
# so that it can be stopped as a whole. The kernel schedules each session as one group
# (autogroup), where `nice` alone does not reach across groups: lower the whole group's
# priority, so that the main lane keeps the cores it can use.
setsid bash -c 'echo 10 >/proc/self/autogroup 2>/dev/null; exec "$@"' lane \
  "$ROOT/scripts/install.sh" tansu secrets-backend &
tansu_pid=$!
# Should the main lane fail, stop the second one too (cargo keeps what it compiled).
on_exit 'if [[ -n "$tansu_pid" ]]; then kill -TERM -- "-$tansu_pid" 2>/dev/null; wait "$tansu_pid"; fi'
"$ROOT/scripts/build.sh"
pid="$tansu_pid"
tansu_pid=""
wait "$pid"
