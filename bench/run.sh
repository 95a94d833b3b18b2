#!/usr/bin/env bash
# Whole-flow benchmarks through the real agent binary (events/s, MiB/s, CPU s, peak RSS).
# Figures are reported, never asserted. Usage: bash bench/run.sh [-only NAME] [-events N]
set -euo pipefail
cd "$(dirname "$0")/.."
exec go run ./bench/flowbench "$@"
