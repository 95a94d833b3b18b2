#!/usr/bin/env bash
# Whole-flow benchmarks through the real agent binary (events/s, MiB/s, CPU s, peak RSS), each
# next to the machine's limit for the same input (cat, dd with fsync, kcat -P: Debian package
# kcat). Figures are reported, never asserted.
# Usage: bash bench/run.sh [-only NAME,NAME] [-repeat N] [-compression none,lz4,zstd] [-events N]
set -euo pipefail
cd "$(dirname "$0")/.."
exec go run ./bench/flowbench "$@"
