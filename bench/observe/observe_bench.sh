#!/usr/bin/env bash
# bench/observe/observe_bench.sh - the cost of observability (issue 7).
# See bench/observe/README.md for what is measured and the figures.
#
#   smtp-source ──SMTP──► swerved ──SMTP──► smtp-sink
#
# The relay of bench/relay.sh's "1k-reuse" scenario (20,000 x 1 KiB over
# 8 sessions with connection reuse, one SMTP provider: the sink), with
# swerved in three set-ups, interleaved round by round in one run so a
# busy machine disturbs them alike:
#   off       log.level warn, text; nobody scrapes /metrics
#   text      log.level info, text (the default); nobody scrapes
#   json      log.level info, log.format json (one JSON line per event on
#             top of the modules' own lines); nobody scrapes
#   on        json, and /metrics scraped every second
# Per run: end-to-end messages/s (first submission until the sink counted
# all), swerved's CPU per message (its whole process, from /proc), and for
# "on" the scrape times curl saw. The medians per set-up and the
# difference on vs off are printed and written to
# bench/results/observe-<date>.txt.
#
# Then the scrape benchmark (bench/observe/scrape_bench.c): /metrics with
# 20 providers, 10 streams and 1 M messages processed, rendered in-process.
#
# Environment: BIN (default bin/), ROUNDS (3), MSGS (20000), MODES
# (default "off text json on"), TMPDIR (a
# real disk), NO_RESULTS=1 (do not write the results file), B (build dir
# with release/libswerve.a; default build). Reuses bench/relay_util.py.
# Everything started here is stopped by PID on exit.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
BIN=${BIN:-$ROOT/bin}
B=${B:-build}
ROUNDS=${ROUNDS:-3}
MSGS=${MSGS:-20000}
HZ=$(getconf CLK_TCK)
UTIL="/usr/bin/python3 $ROOT/bench/relay_util.py"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/swerve-observe.XXXXXX")

# The admin plane (status, metrics) needs an admin key: one for the run.
ADMIN_KEY_FILE=$WORK/admin.key
(umask 077 && printf 'bench-admin-key-%s\n' "$$" >"$ADMIN_KEY_FILE")
PIDS=()

cleanup() {
	local p
	for p in "${PIDS[@]}"; do
		kill "$p" 2>/dev/null || true
	done
	for p in "${PIDS[@]}"; do
		wait "$p" 2>/dev/null || true
	done
	rm -rf "$WORK"
}
trap cleanup EXIT
die() { echo "observe: $*" >&2; exit 1; }
say() { echo "observe: $*" >&2; }

PATH=$PATH:/usr/sbin
for f in smtp-source smtp-sink curl; do
	command -v "$f" >/dev/null || die "$f missing"
done
[ -x "$BIN/swerved" ] || die "$BIN/swerved missing: make all"
[ "$(stat -f -c %T "$WORK")" != tmpfs ] || die "TMPDIR is tmpfs"

free_port() {
	/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

wait_port() {
	for _ in $(seq 200); do
		(exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
		kill -0 "$2" 2>/dev/null || break
		sleep 0.05
	done
	die "$3 did not listen on $1"
}

stop_pid() {
	kill -TERM "$1" 2>/dev/null || true
	for _ in $(seq 300); do
		kill -0 "$1" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL "$1" 2>/dev/null || true
	wait "$1" 2>/dev/null || true
}

kv() { sed -nE "s/(^|.* )$1=([^ ]*).*/\\2/p" <<<"$2"; }

SINK_PORT=$(free_port)
SINK_OUT=$WORK/sink.out
smtp-sink -u nobody -c "127.0.0.1:$SINK_PORT" 1024 >"$SINK_OUT" 2>/dev/null &
SINK_PID=$!
PIDS+=("$SINK_PID")
wait_port "$SINK_PORT" "$SINK_PID" smtp-sink

# one_run MODE ROUND - one relay run; appends "mode rate cpu_ms" to RUNS.
one_run() {
	local mode=$1 dir=$WORK/$1-$2 smtp http pid level=warn fmt=text
	local scr="" before cpu0 cpu1 t0 w tend count rate cpu_ms
	smtp=$(free_port)
	http=$(free_port)
	case $mode in
	text) level=info ;;
	json | on) level=info fmt=json ;;
	esac
	cat >"$dir.yaml" <<EOF
listen:
  smtp: "127.0.0.1:$smtp"
  http: "127.0.0.1:$http"
spool:
  dir: "$dir"
  min_free: "100MB"
submitters:
  networks: ["127.0.0.0/8"]
limits:
  max_message_size: "25MB"
  max_sessions: 1000
providers:
  - name: sink
    type: smtp
    host: 127.0.0.1
    port: $SINK_PORT
    tls: none
    max_connections: 8
    max_msgs_per_conn: 1000
admin_keys:
  - { name: bench, key_file: "$ADMIN_KEY_FILE" }
log:
  level: $level
  format: $fmt
EOF
	"$BIN/swerved" -c "$dir.yaml" >"$dir.log" 2>&1 &
	pid=$!
	PIDS+=("$pid")
	wait_port "$smtp" "$pid" swerved
	wait_port "$http" "$pid" "swerved http"
	if [ "$mode" = on ]; then
		(while :; do
			curl -s -o /dev/null -w '%{time_total}\n' \
				-H "Authorization: Bearer $(cat "$ADMIN_KEY_FILE")" \
				"http://127.0.0.1:$http/metrics" || true
			sleep 1
		done) >>"$WORK/scrapes.txt" &
		scr=$!
		PIDS+=("$scr")
	fi
	before=$($UTIL count "$SINK_OUT")
	cpu0=$($UTIL cpu "$pid")
	t0=$(date +%s.%N)
	smtp-source -d -s 8 -m "$MSGS" -l 1024 -f bench@sender.example \
		-t user@rcpt.example "127.0.0.1:$smtp" >/dev/null 2>&1 ||
		die "smtp-source failed ($mode)"
	w=$($UTIL wait "$SINK_OUT" $((before + MSGS)) 600 0)
	[ "$(kv reached "$w")" = 1 ] || die "sink did not get $MSGS ($mode)"
	tend=$(kv at "$w")
	count=$(( $(kv count "$w") - before ))
	cpu1=$($UTIL cpu "$pid")
	[ -z "$scr" ] || { kill "$scr" 2>/dev/null; wait "$scr" 2>/dev/null || true; }
	rate=$(awk -v n="$count" -v a="$t0" -v b="$tend" 'BEGIN { printf "%.0f", n / (b - a) }')
	cpu_ms=$(awk -v d=$((cpu1 - cpu0)) -v hz="$HZ" -v n="$MSGS" \
		'BEGIN { printf "%.4f", d / hz * 1e3 / n }')
	if [ "$mode" = on ]; then
		grep -c '"event":"sent"' "$dir.log" >"$WORK/on-sent-lines" || true
	fi
	stop_pid "$pid"
	say "round $2 $mode: $rate msg/s, $cpu_ms ms CPU/msg"
	echo "$mode $rate $cpu_ms" >>"$WORK/runs.txt"
	rm -rf "$dir"
}

for r in $(seq "$ROUNDS"); do
	for mode in ${MODES:-off text json on}; do
		one_run "$mode" "$r"
	done
done

# The scrape benchmark, built against the release library.
pkgs="libevent libevent_openssl libevent_pthreads openssl sqlite3 yaml-0.1 jansson libcurl libxml-2.0 libidn2 libsystemd hiredis"
[ -f "$B/release/libswerve.a" ] || make -s B="$B" "$B/release/libswerve.a" >/dev/null
# shellcheck disable=SC2046
cc -D_GNU_SOURCE -Isrc -std=c17 -Wall -Wextra -Werror -Wshadow \
	-Wno-unused-parameter -O2 -g $(pkg-config --cflags $pkgs) \
	-o "$WORK/scrape_bench" bench/observe/scrape_bench.c \
	"$B/release/libswerve.a" $(pkg-config --libs $pkgs) -lpthread -lm
SCRAPE=$("$WORK/scrape_bench")

REPORT=$(
	echo "observe benchmark $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)"
	echo "relay: $MSGS x 1 KiB, 8 sessions, reuse; $ROUNDS rounds interleaved"
	echo "runs (mode msg/s ms-CPU/msg):"
	sed 's/^/  /' "$WORK/runs.txt"
	/usr/bin/python3 - "$WORK/runs.txt" "$WORK/scrapes.txt" <<'PY'
import statistics, sys
runs = {}
for line in open(sys.argv[1]):
    m, r, c = line.split()
    runs.setdefault(m, []).append((float(r), float(c)))
med = {m: (statistics.median(r for r, _ in v), statistics.median(c for _, c in v))
       for m, v in runs.items()}
for m in ("off", "text", "json", "on"):
    if m in med:
        print("median %-4s %7.0f msg/s  %.4f ms CPU/msg" % (m, *med[m]))
if "off" in med and "on" in med:
    print("on vs off: throughput %+.1f%%, CPU per message %+.1f%%" % (
        100 * (med["on"][0] / med["off"][0] - 1),
        100 * (med["on"][1] / med["off"][1] - 1)))
if "text" in med and "on" in med:
    print("on vs text: throughput %+.1f%%, CPU per message %+.1f%%" % (
        100 * (med["on"][0] / med["text"][0] - 1),
        100 * (med["on"][1] / med["text"][1] - 1)))
try:
    t = sorted(float(x) * 1e3 for x in open(sys.argv[2]) if x.strip())
    if t:
        print("live /metrics scrapes during 'on' runs (curl, wall): n=%d median %.2f ms, max %.2f ms"
              % (len(t), t[len(t) // 2], t[-1]))
except FileNotFoundError:
    pass
PY
	echo "scrape benchmark (in-process):"
	echo "$SCRAPE" | sed 's/^/  /'
)
echo "$REPORT"
if [ "${NO_RESULTS:-0}" != 1 ]; then
	mkdir -p bench/results
	echo "$REPORT" >"bench/results/observe-$(date -u +%Y%m%d-%H%M).txt"
fi
