#!/usr/bin/env bash
# Checks the telemetry configuration: Prometheus's (with its rule files), the alert rules'
# unit tests (telemetry/rules/*.test.yml), Alertmanager's and the blackbox exporter's.
set -euo pipefail
source "$(dirname "$0")/env.sh"

cd "$ROOT/telemetry"
promtool check config prometheus.yml
promtool check rules rules/movie-lattice.yml
promtool test rules rules/*.test.yml
amtool check-config alertmanager.yml
prometheus-blackbox-exporter --config.check --config.file=blackbox.yml
