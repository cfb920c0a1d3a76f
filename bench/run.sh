#!/usr/bin/env bash
# bench/run.sh - swerve's benchmarks (see bench/README.md). `make bench`
# builds bin/ and runs this: the ingestion benchmark (bench/ingest.sh,
# issue 2), then the end-to-end relay benchmark (bench/relay.sh, issue 3).
# Each writes its own bench/results/*.txt; the run fails if either does.
set -euo pipefail
cd "$(dirname "$0")/.."
rc=0
bash bench/ingest.sh "$@" || rc=1
bash bench/relay.sh || rc=1
exit $rc
