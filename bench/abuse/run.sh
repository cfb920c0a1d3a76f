#!/usr/bin/env bash
# bench/abuse/run.sh - legitimate clients' success under abuse from one
# address (issue 12, item 3). See README.md here. Needs `make` first.
#   N=500 IDLE=10000 bash bench/abuse/run.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
exec /usr/bin/python3 bench/abuse/abuse.py --n "${N:-500}" \
	--idle "${IDLE:-10000}" --bin "${BIN:-$PWD/bin}"
