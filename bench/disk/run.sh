#!/bin/sh
# bench/disk/run.sh - the disk-full burst on a 20 MiB tmpfs, with figures.
#
# Runs tests/integration/test_disk_full.py (needs root for mount) against
# the ASan build (or SWERVE_BIN) and prints what it measured: messages
# accepted and refused, accepted below spool.min_free, the least free
# space seen during the burst, and seconds from freeing space to the
# first 250. Usage: bench/disk/run.sh [REPORT.json]
set -eu
cd "$(dirname "$0")/../.."
report=${1:-$(mktemp /tmp/disk-full.XXXXXX.json)}
: "${SWERVE_BIN:=$PWD/build/asan/bin}"
export SWERVE_BIN
log=$(mktemp /tmp/disk-full.XXXXXX.log)
if ! DISK_FULL_REPORT=$report /usr/bin/python3 -m pytest -q \
	-p no:cacheprovider tests/integration/test_disk_full.py \
	-k burst_stops_at_min_free >"$log" 2>&1; then
	tail -30 "$log"
	exit 1
fi
rm -f "$log"
cat "$report"
echo
