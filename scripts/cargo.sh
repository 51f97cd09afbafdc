#!/usr/bin/env bash
# cargo with the project's settings (scripts/env.sh: the shared target directory outside the
# checkout, the patched crates in place). The `cargo_path` of providers/*/wasmcloud.toml, so
# that `wash build` in a provider's folder builds where `make build` does.
set -euo pipefail
source "$(dirname "$0")/env.sh"
"$ROOT/scripts/install.sh" patched-crates >&2
exec cargo "$@"
