#!/usr/bin/env bash
# bench/run.sh - swerve's benchmarks (see bench/README.md). `make bench`
# builds bin/ and runs this; it only runs bench/ingest.sh today.
set -euo pipefail
cd "$(dirname "$0")/.."
exec bash bench/ingest.sh "$@"
