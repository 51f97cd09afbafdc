#!/usr/bin/env bash
# Derives wit/gateway/deps/catalog/catalog.wit, the gateway's fallible view of
# wit/catalog.wit: the same package and types, every function's result wrapped in
# `result<_, rpc-error>` (wrpc:rpc/error), so that a failed wRPC call reaches the gateway as a
# value instead of trapping it. `--check` fails when the committed view is out of date.
set -euo pipefail
source "$(dirname "$0")/env.sh"

view="$ROOT/wit/gateway/deps/catalog/catalog.wit"
generated="$(python3 - "$ROOT/wit/catalog.wit" <<'PY'
import re, sys
source = open(sys.argv[1]).read()
header = """// DERIVED from wit/catalog.wit by scripts/wit-views.sh; do not edit by hand.
// The gateway's view of movie:catalog: the same package and types, with every function's
// result wrapped in `result<_, rpc-error>`. Over wRPC the bytes are the same; the wrapper makes
// the host hand a failed call (no link, callee not running, callee trapped, timeout) back to
// the gateway as a value instead of trapping it.
"""
body = re.sub(r"^(//.*\n)+", "", source)
body = re.sub(r"(: func\([^)]*\) -> )(.*);", r"\1result<\2, rpc-error>;", body)
body = re.sub(r"(\ninterface (?:metadata|rating|rating-events) \{\n)",
              r"\1  use wrpc:rpc/error@0.1.0.{error as rpc-error};\n", body)
sys.stdout.write(header + body)
PY
)"
if [[ "${1:-}" == "--check" ]]; then
  if ! diff -u "$view" <(printf '%s\n' "$generated"); then
    die "wit/gateway/deps/catalog/catalog.wit is out of date: run scripts/wit-views.sh"
  fi
else
  printf '%s\n' "$generated" >"$view"
fi
