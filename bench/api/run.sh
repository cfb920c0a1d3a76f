#!/usr/bin/env bash
# bench/api/run.sh - HTTP ingestion of the native send API (issue 6).
#
# Starts bin/swerved (no providers: mail is only made durable) with one API
# key, its spool on the real disk (TMPDIR, default /tmp), and drives
# POST /v1/messages with wrk (Debian's package; installed here on demand)
# using 32 keep-alive connections and 1 KiB JSON messages, then the batch
# endpoint with 100 messages per request. Records messages/s (every 202
# came after the spool's fsync), wrk's p50/p99 latency, swerved's CPU per
# message (utime+stime from /proc/PID/stat), and checks that the spool
# holds as many messages as were answered 202.
#
#   DURATION=10s CONNS=32 bash bench/api/run.sh
# A third row runs the batches over BATCH_CONNS (default 4) connections:
# by Little's law a request's mean latency is the messages in flight over
# the rate, so 32 connections x 100 messages at 40,000 msg/s cannot
# average under 80 ms whatever the server does; 4 x 100 can (10 ms).
# Everything started here is stopped by PID on exit.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
BIN=${BIN:-$ROOT/bin}
DURATION=${DURATION:-10s}
CONNS=${CONNS:-32}
BATCH_CONNS=${BATCH_CONNS:-4}
HZ=$(getconf CLK_TCK)
if ! command -v wrk >/dev/null; then
	sudo -n true 2>/dev/null && SUDO=sudo || SUDO=
	DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q wrk >/dev/null
fi
WORK=$(mktemp -d "${TMPDIR:-/tmp}/swerve-api-bench.XXXXXX")
PID=
cleanup() {
	[ -n "$PID" ] && kill "$PID" 2>/dev/null && wait "$PID" 2>/dev/null
	rm -rf "$WORK"
}
trap cleanup EXIT
KEY=bench-key
SHA=$(printf %s "$KEY" | sha256sum | cut -d' ' -f1)
ADMIN_SHA=$(printf %s "$KEY-admin" | sha256sum | cut -d' ' -f1)
PORT=$(/usr/bin/python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])')

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
spooled() {
	curl -s -H "Authorization: Bearer $KEY-admin" "http://127.0.0.1:$PORT/v1/status" |
		/usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["spool"]["committed_messages"])'
}

run() { # run NAME BATCH [CONNECTIONS]
	local name=$1 batch=$2 conns=${3:-$CONNS} before after t0 t1 out reqs mps p50 p99 cpu got
	cat >"$WORK/swerve.yaml" <<YAML
listen: { smtp: [], http: "127.0.0.1:$PORT" }
spool: { dir: "$WORK/spool-$name", min_free: "100MB" }
limits: { max_message_size: "1MB" }
api_keys:
  - { name: bench, key_sha256: "$SHA", from_domains: ["example.com"] }
admin_keys:
  - { name: bench, key_sha256: "$ADMIN_SHA" }
log: { level: warn }
YAML
	"$BIN/swerved" -c "$WORK/swerve.yaml" 2>"$WORK/swerved-$name.log" &
	PID=$!
	for _ in $(seq 100); do
		curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && break
		sleep 0.05
	done
	if ! curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null; then
		cat "$WORK/swerved-$name.log" >&2
		exit 1
	fi
	before=$(spooled)
	t0=$(cpu_ticks "$PID")
	out=$(BATCH=$batch API_KEY=$KEY wrk -t2 -c"$conns" -d"$DURATION" \
		--latency -s bench/api/send.lua "http://127.0.0.1:$PORT" 2>&1)
	t1=$(cpu_ticks "$PID")
	after=$(spooled)
	got=$((after - before))
	reqs=$(echo "$out" | awk '/^Requests\/sec/ {print $2}')
	p50=$(echo "$out" | awk '$1 == "50%" {print $2}')
	p99=$(echo "$out" | awk '$1 == "99%" {print $2}')
	secs=$(echo "$DURATION" | tr -d s)
	mps=$(awk -v n="$got" -v s="$secs" 'BEGIN {printf "%.0f", n / s}')
	cpu=$(awk -v t=$((t1 - t0)) -v hz="$HZ" -v n="$got" \
		'BEGIN {printf "%.1f", n ? t / hz * 1e6 / n : 0}')
	if echo "$out" | grep -q "Non-2xx"; then
		echo "$out" >&2
		echo "bench/api: $name: some requests were not answered 2xx" >&2
		exit 1
	fi
	printf "%-22s %8s %10s %9s %9s %11s %9s\n" "$name" "$conns" "$mps" \
		"$p50" "$p99" "$cpu" "$reqs"
	kill "$PID"
	wait "$PID" 2>/dev/null || true
	PID=
}

echo "# bench/api $(date -u +%Y-%m-%dT%H:%MZ) $(nproc) cpus, load $(cut -d' ' -f1-3 /proc/loadavg), duration $DURATION"
printf "%-22s %8s %10s %9s %9s %11s %9s\n" scenario conns "msgs/s" p50 p99 \
	"cpu_us/msg" "req/s"
run single-1KiB 0
run batch100-1KiB 100
run "batch100-1KiB-c$BATCH_CONNS" 100 "$BATCH_CONNS"
