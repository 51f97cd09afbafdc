#!/usr/bin/env bash
# `make fuzz`: schemathesis against the running API (make up first) with every check, the
# stateful phase, EXAMPLES cases per operation (1000 by default) and a fresh seed each run
# (SEED=N repeats one). The test command runs the same with a fixed seed and 150 examples
# (tests/tests/openapi.rs); this is the longer search. Prints the seed, so a find can be
# replayed.
set -euo pipefail
source "$(dirname "$0")/env.sh"
"$ROOT/scripts/install.sh" test-tools
curl -fsS --max-time 5 "http://$HTTP_ADDR/healthz" >/dev/null ||
  die "the API does not answer on http://$HTTP_ADDR: run make up first"
seed="${SEED:-$(od -An -N4 -tu4 /dev/urandom | tr -d ' ')}"
log "schemathesis: every check, stateful phase, ${EXAMPLES:-1000} examples, seed $seed"
exec "$VENV_DIR/bin/schemathesis" run "http://$HTTP_ADDR/openapi.json" --url "http://$HTTP_ADDR" \
  --checks all --phases examples,coverage,fuzzing,stateful --max-examples "${EXAMPLES:-1000}" \
  --seed "$seed" --workers 1 --request-timeout 10 --generation-database none --no-color \
  --header "traceparent: $UNTRACED_TRACEPARENT"
