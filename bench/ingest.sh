#!/usr/bin/env bash
# bench/ingest.sh - SMTP ingestion benchmark (issue 2).
#
# For each scenario: start a fresh bin/swerved on free loopback ports with
# its spool in a new temp dir on the real disk (TMPDIR, default /tmp; the
# script refuses tmpfs there), drive it with bench/smtp_lat (latency) or
# Postfix's smtp-source, and record
#   - messages/s accepted (every 250 came after the spool's fsync),
#   - p50/p90/p99/max from the final dot to the 250 (smtp_lat only),
#   - swerved's CPU per message (utime+stime from /proc/PID/stat),
#   - swerved's peak RSS (VmHWM),
#   - fsync/fdatasync calls made by swerved (perf tracepoints, if usable),
#   - group commits and messages per commit (swervectl status --json),
# then stop swerved and check that the spool holds exactly the messages
# the client was told were accepted. Any client error, timeout or count
# mismatch fails the run (exit 1), after printing the table.
#
# Environment:
#   QUICK=1         one tenth of the messages (smoke test)
#   ONLY=REGEX      run only the scenarios whose name matches
#   NO_RESULTS=1    do not write bench/results/ingest-<date>.txt
#   TMPDIR          where the spool dirs go (must be a real disk)
#   BENCH_NICE=N    run servers and clients under `nice -n N` (e.g. -10 on
#                   a shared machine; recorded in the results header)
#   SCENARIOS_FILE  run these scenarios instead of the built-in list (one
#                   "name|client|server|arguments" line each, the format
#                   of SCENARIOS below; bench/curves/curves.sh uses it)
#   TABLE_OUT=FILE  also copy the results table (one row per scenario) to FILE
#   GATHER_US=N     spool.commit_gather_us for swerved (default 0)
# Everything started here is stopped by PID on exit.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
BIN=${BIN:-$ROOT/bin}
QUICK=${QUICK:-0}
ONLY=${ONLY:-.}
TMPBASE=${TMPDIR:-/tmp}
HZ=$(getconf CLK_TCK)
NICE=()
if [ -n "${BENCH_NICE:-}" ]; then
	NICE=(nice -n "$BENCH_NICE")
fi

WORK=$(mktemp -d "$TMPBASE/swerve-bench.XXXXXX")

# The admin plane (status, metrics) needs an admin key: one for the run.
ADMIN_KEY_FILE=$WORK/admin.key
(umask 077 && printf 'bench-admin-key-%s\n' "$$" >"$ADMIN_KEY_FILE")
chmod 0755 "$WORK" # the throwaway Postfix runs as user postfix
PIDS=()

# cleanup - stop every process we started (by PID) and remove temp dirs.
cleanup() {
	local p
	for p in "${PIDS[@]}"; do
		kill "$p" 2>/dev/null || true
	done
	for p in "${PIDS[@]}"; do
		wait "$p" 2>/dev/null || true
	done
	for p in "${PF_DIRS[@]}"; do
		if [ -s "$p/queue/pid/master.pid" ]; then
			kill "$(tr -d ' ' <"$p/queue/pid/master.pid")" 2>/dev/null || true
		fi
	done
	rm -f "/var/tmp/swerve-bench-postfix.$$.log"
	rm -rf "$WORK" /dev/shm/swerve-bench.$$
}
trap cleanup EXIT

die() { echo "bench: $*" >&2; exit 1; }

for f in "$BIN/swerved" "$BIN/swervectl"; do
	[ -x "$f" ] || die "$f missing: run 'make bench' (or 'make all') first"
done
command -v sqlite3 >/dev/null || die "sqlite3 CLI missing (apt-get install sqlite3)"
command -v smtp-source >/dev/null || PATH=$PATH:/usr/sbin
command -v smtp-source >/dev/null || die "smtp-source missing (apt-get install postfix)"
if [ "$(stat -f -c %T "$WORK")" = tmpfs ]; then
	die "$WORK is on tmpfs; set TMPDIR to a directory on a real disk"
fi

# Build the latency client.
cc -O2 -std=c17 -Wall -Wextra -Werror -o "$WORK/smtp_lat" bench/smtp_lat.c

# free_port - print a TCP port nobody listens on at the moment.
free_port() {
	/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# fsync counting with perf tracepoints, when the kernel lets us.
PERF_OK=0
if command -v perf >/dev/null &&
	perf stat -x, -e syscalls:sys_enter_fsync -- true >/dev/null 2>&1; then
	PERF_OK=1
fi

# fsync_probe DIR - p50/p99 of 200 x (4 KiB write + fdatasync) in DIR: the
# floor under any durable 250 on this disk, printed with the results.
fsync_probe() {
	/usr/bin/python3 - "$1" <<'EOF'
import os, sys, time
path = os.path.join(sys.argv[1], "fsync-probe")
fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
ts = []
for i in range(200):
    os.write(fd, b"x" * 4096)
    t = time.perf_counter()
    os.fdatasync(fd)
    ts.append(time.perf_counter() - t)
os.close(fd)
os.unlink(path)
ts.sort()
print("fdatasync p50 %.2f ms, p99 %.2f ms" % (ts[100] * 1e3, ts[198] * 1e3))
EOF
}

# spool_count DIR - messages stored in the spool at DIR.
spool_count() {
	sqlite3 "$1/spool.db" 'select count(*) from messages;' 2>/dev/null || echo "?"
}

# cpu_ticks PID - utime+stime of the whole process, in clock ticks.
cpu_ticks() {
	awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$1/stat"
}

SWERVED_PID=""
PF_DIRS=()
SMTP_PORT=""
HTTP_PORT=""

# swerved_start SPOOLDIR - write a config, start swerved, wait for SMTP.
swerved_start() {
	local spool=$1 conf=$1.yaml
	SMTP_PORT=$(free_port)
	HTTP_PORT=$(free_port)
	while [ "$HTTP_PORT" = "$SMTP_PORT" ]; do HTTP_PORT=$(free_port); done
	cat >"$conf" <<EOF
listen:
  smtp: "127.0.0.1:$SMTP_PORT"
  http: "127.0.0.1:$HTTP_PORT"
spool:
  dir: "$spool"
  min_free: "100MB"
  commit_gather_us: ${GATHER_US:-0}
limits:
  max_message_size: "11MB"
  max_recipients: 100
  max_sessions: 1000
  max_sessions_per_ip: 1000
submitters:
  networks: ["127.0.0.0/8"]
admin_keys:
  - { name: bench, key_file: "$ADMIN_KEY_FILE" }
log:
  level: warn
EOF
	"${NICE[@]}" "$BIN/swerved" -c "$conf" >"$spool.log" 2>&1 &
	SWERVED_PID=$!
	PIDS+=("$SWERVED_PID")
	for _ in $(seq 100); do
		if (exec 3<>"/dev/tcp/127.0.0.1/$SMTP_PORT") 2>/dev/null; then
			return 0
		fi
		kill -0 "$SWERVED_PID" 2>/dev/null || break
		sleep 0.1
	done
	cat "$spool.log" >&2
	die "swerved did not start listening on 127.0.0.1:$SMTP_PORT"
}

# sink_start - start Postfix's smtp-sink instead of swerved: the ceiling
# of client + loopback on this machine, with no durability at all.
sink_start() {
	local spool=$1
	SMTP_PORT=$(free_port)
	HTTP_PORT=""
	"${NICE[@]}" smtp-sink -u nobody "127.0.0.1:$SMTP_PORT" 256 >"$spool.log" 2>&1 &
	SWERVED_PID=$!
	PIDS+=("$SWERVED_PID")
	for _ in $(seq 100); do
		if (exec 3<>"/dev/tcp/127.0.0.1/$SMTP_PORT") 2>/dev/null; then
			return 0
		fi
		sleep 0.1
	done
	die "smtp-sink did not start"
}

# postfix_start DIR - a throwaway Postfix (the Debian package's binaries)
# with its queue in DIR, smtpd on a free loopback port, no qmgr delivery:
# every accepted message is put on hold (check_client_access static:HOLD),
# so Postfix does the same work as swerved here: receive, fsync, say 250.
postfix_start() {
	local d=$1
	SMTP_PORT=$(free_port)
	HTTP_PORT=""
	mkdir -p "$d/etc" "$d/queue" "$d/data"
	chown postfix "$d/data"
	cat >"$d/etc/main.cf" <<EOF
compatibility_level = 3.6
queue_directory = $d/queue
data_directory = $d/data
myhostname = bench.example
mydomain = example
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
mydestination = bench.example, localhost
smtpd_relay_restrictions = permit_mynetworks, reject
smtpd_recipient_restrictions = check_client_access static:HOLD
smtpd_peername_lookup = no
master_service_disable = pickup.unix
maillog_file = /var/tmp/swerve-bench-postfix.$$.log
alias_maps =
alias_database =
local_recipient_maps =
message_size_limit = 11534336
EOF
	sed -E "s/^smtp +inet .*/$SMTP_PORT inet n - n - - smtpd/" \
		/etc/postfix/master.cf >"$d/etc/master.cf"
	"${NICE[@]}" postfix -c "$d/etc" start >/dev/null 2>&1 ||
		die "postfix did not start"
	for _ in $(seq 100); do
		[ -s "$d/queue/pid/master.pid" ] && break
		sleep 0.1
	done
	SWERVED_PID=$(tr -d ' ' <"$d/queue/pid/master.pid")
	PF_DIRS+=("$d")
	for _ in $(seq 100); do
		if (exec 3<>"/dev/tcp/127.0.0.1/$SMTP_PORT") 2>/dev/null; then
			return 0
		fi
		sleep 0.1
	done
	die "postfix did not listen on 127.0.0.1:$SMTP_PORT"
}

# postfix_stop - stop the throwaway master by PID (it stops its children).
postfix_stop() {
	kill -TERM "$SWERVED_PID" 2>/dev/null || true
	for _ in $(seq 100); do
		kill -0 "$SWERVED_PID" 2>/dev/null || break
		sleep 0.1
	done
	rm -f "/var/tmp/swerve-bench-postfix.$$.log"
}

# swerved_stop - SIGTERM, wait up to 30 s, then SIGKILL (that is a failure).
swerved_stop() {
	kill -TERM "$SWERVED_PID" 2>/dev/null || true
	for _ in $(seq 300); do
		kill -0 "$SWERVED_PID" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$SWERVED_PID" 2>/dev/null; then
		echo "bench: swerved did not stop in 30 s; killing it" >&2
		kill -KILL "$SWERVED_PID" 2>/dev/null || true
	fi
	wait "$SWERVED_PID" 2>/dev/null || true
}

# Scenarios: name | client | server | client arguments.
# server: disk = swerved, spool under TMPDIR; tmpfs = swerved, spool in
# /dev/shm (labelled, for comparison only); sink = smtp-sink (baseline);
# postfix = a throwaway stock Postfix, accept and hold (POSTFIX=0 skips).
# Sizes: smtp_lat -s is the whole message (headers included); smtp-source
# -l is the body alone (it adds ~150 bytes of headers).
SCENARIOS=(
	"lat-1k-reuse|smtp_lat|disk|-c 8 -m 20000 -s 1024"
	"lat-1k-newconn|smtp_lat|disk|-c 8 -m 20000 -s 1024 -n"
	"lat-100k-reuse|smtp_lat|disk|-c 8 -m 2000 -s 102400"
	"src-1k-reuse|smtp-source|disk|-d -s 8 -m 20000 -l 1024"
	"src-1k-newconn|smtp-source|disk|-s 8 -m 20000 -l 1024"
	"src-100k-reuse|smtp-source|disk|-d -s 8 -m 2000 -l 102400"
	"lat-1k-reuse-64s|smtp_lat|disk|-c 64 -m 20000 -s 1024"
	"lat-1k-reuse-tmpfs|smtp_lat|tmpfs|-c 8 -m 20000 -s 1024"
	"lat-1k-reuse-pipe|smtp_lat|disk|-c 8 -m 20000 -s 1024 -P"
	"sink-1k-reuse|smtp_lat|sink|-c 8 -m 20000 -s 1024"
	"sink-1k-newconn|smtp_lat|sink|-c 8 -m 20000 -s 1024 -n"
	"sink-100k-reuse|smtp_lat|sink|-c 8 -m 2000 -s 102400"
	"postfix-1k-reuse|smtp_lat|postfix|-c 8 -m 20000 -s 1024"
	"postfix-1k-newconn|smtp_lat|postfix|-c 8 -m 20000 -s 1024 -n"
	"postfix-100k-reuse|smtp_lat|postfix|-c 8 -m 2000 -s 102400"
)
if [ -n "${SCENARIOS_FILE:-}" ]; then
	mapfile -t SCENARIOS <"$SCENARIOS_FILE"
fi

RESULTS=$WORK/results.txt
FSYNC_BEFORE=$(fsync_probe "$WORK")
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
FAILED=0
printf '%-20s %6s %4s %7s %9s %7s %7s %7s %7s %8s %6s %6s %5s %7s %7s %6s %5s\n' \
	scenario msgs err secs msg/s p50ms p90ms p99ms maxms cpu_us/m sys/m \
	cs/m rssMB fsyncs commits m/c load >"$RESULTS.table"

for sc in "${SCENARIOS[@]}"; do
	IFS='|' read -r name client fs args <<<"$sc"
	[[ $name =~ $ONLY ]] || continue
	if [ "$fs" = postfix ] && { [ "${POSTFIX:-1}" = 0 ] || ! command -v postfix >/dev/null; }; then
		continue
	fi
	# Scale down for QUICK runs: divide -m by 10.
	if [ "$QUICK" = 1 ]; then
		args=$(awk '{ for (i = 2; i <= NF; i++) if ($(i-1) == "-m") $i = int($i / 10); print }' <<<"$args")
	fi
	want=$(awk '{ for (i = 1; i < NF; i++) if ($i == "-m") print $(i+1) }' <<<"$args")
	if [ "$fs" = tmpfs ]; then
		mkdir -p "/dev/shm/swerve-bench.$$"
		spool=/dev/shm/swerve-bench.$$/$name
	else
		spool=$WORK/$name
	fi
	echo "== $name: $client $args (spool on $fs: $spool)" >&2
	case $fs in
	sink) sink_start "$spool" ;;
	postfix) postfix_start "$spool" ;;
	*) swerved_start "$spool" ;;
	esac
	cpu0=$(cpu_ticks "$SWERVED_PID")
	perf_pid=""
	if [ "$PERF_OK" = 1 ] && [ "$fs" != postfix ]; then
		perf stat -x, -o "$spool.perf" \
			-e syscalls:sys_enter_fsync,syscalls:sys_enter_fdatasync \
			-e raw_syscalls:sys_enter,context-switches \
			-p "$SWERVED_PID" >/dev/null 2>&1 &
		perf_pid=$!
		PIDS+=("$perf_pid")
		sleep 0.3
	fi
	t0=$(date +%s.%N)
	rc=0
	if [ "$client" = smtp_lat ]; then
		# shellcheck disable=SC2086
		"${NICE[@]}" "$WORK/smtp_lat" -T 600 $args "127.0.0.1:$SMTP_PORT" \
			>"$spool.client" 2>"$spool.client.err" || rc=$?
	else
		# shellcheck disable=SC2086
		"${NICE[@]}" timeout 600 smtp-source $args "127.0.0.1:$SMTP_PORT" \
			>"$spool.client" 2>"$spool.client.err" || rc=$?
	fi
	t1=$(date +%s.%N)
	cpu1=$(cpu_ticks "$SWERVED_PID")
	rss_kb=$(awk '/^VmHWM:/ { print $2 }' "/proc/$SWERVED_PID/status")
	status_json='{}'
	if [ "$fs" = disk ] || [ "$fs" = tmpfs ]; then
		status_json=$("$BIN/swervectl" --url "http://127.0.0.1:$HTTP_PORT" \
			--key-file "$ADMIN_KEY_FILE" status --json 2>/dev/null || echo '{}')
	fi
	if [ -n "$perf_pid" ]; then
		kill -INT "$perf_pid" 2>/dev/null || true
		wait "$perf_pid" 2>/dev/null || true
	fi
	case $fs in
	sink) swerved_stop; stored=$want ;;
	postfix)
		postfix_stop
		stored=$(find "$spool/queue/hold" -type f | wc -l) ;;
	*) swerved_stop; stored=$(spool_count "$spool") ;;
	esac

	cat "$spool.client.err" >&2
	# Figures.
	secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }')
	if [ "$client" = smtp_lat ]; then
		line=$(cat "$spool.client")
		kv() { sed -nE "s/.*(^| )$1=([^ ]*).*/\\2/p" <<<"$line"; }
		ok=$(kv msgs)
		err=$(( $(kv errors) + $(kv session_errors) ))
		secs=$(kv secs)
		rate=$(kv rate)
		ms() { awk -v u="$(kv "$1")" 'BEGIN { printf "%.2f", u / 1000 }'; }
		p50=$(ms p50_us) p90=$(ms p90_us) p99=$(ms p99_us) pmax=$(ms max_us)
	else
		# smtp-source aborts on the first non-2xx reply (no -A).
		if [ "$rc" = 0 ]; then ok=$want err=0; else ok=0 err=1; fi
		rate=$(awk -v n="$ok" -v s="$secs" 'BEGIN { printf "%.1f", n / s }')
		p50=- p90=- p99=- pmax=-
	fi
	cpu_us=$(awk -v d=$((cpu1 - cpu0)) -v hz="$HZ" -v n="$ok" \
		'BEGIN { if (n > 0) printf "%.1f", d / hz * 1e6 / n; else print "-" }')
	rss_mb=$(awk -v k="$rss_kb" 'BEGIN { printf "%.1f", k / 1024 }')
	if [ "$fs" = postfix ]; then
		cpu_us=- rss_mb=- # spread over short-lived smtpd/cleanup processes
	fi
	fsyncs=- sysm=- csm=-
	if [ -f "$spool.perf" ]; then
		fsyncs=$(awk -F, '/sys_enter_f(data)?sync/ { n += $1 } END { print n + 0 }' "$spool.perf")
		sysm=$(awk -F, -v n="$ok" '/raw_syscalls:sys_enter/ && n > 0 { printf "%.1f", $1 / n }' "$spool.perf")
		csm=$(awk -F, -v n="$ok" '/context-switches/ && n > 0 { printf "%.1f", $1 / n }' "$spool.perf")
	fi
	commits=$(jq -r '.spool.commits // "-"' <<<"$status_json" 2>/dev/null || echo -)
	committed=$(jq -r '.spool.committed_messages // "-"' <<<"$status_json" 2>/dev/null || echo -)
	mpc=$(awk -v m="$committed" -v c="$commits" \
		'BEGIN { if (c + 0 > 0) printf "%.1f", m / c; else print "-" }')

	verdict=ok
	if [ "$rc" != 0 ] || [ "$err" != 0 ]; then
		verdict="FAILED (client exit $rc, $err errors)"
	elif [ "$stored" != "$want" ]; then
		verdict="FAILED (spool holds $stored messages, expected $want)"
	fi
	[ "$verdict" = ok ] || FAILED=1
	label=$name
	printf '%-20s %6s %4s %7s %9s %7s %7s %7s %7s %8s %6s %6s %5s %7s %7s %6s %5s\n' \
		"$label" "$ok" "$err" "$secs" "$rate" "$p50" "$p90" "$p99" "$pmax" \
		"$cpu_us" "$sysm" "$csm" "$rss_mb" "$fsyncs" "$commits" "$mpc" \
		"$(cut -d' ' -f1 /proc/loadavg)" >>"$RESULTS.table"
	echo "   $verdict; spool holds $stored; swerved cpu $((cpu1 - cpu0)) ticks, VmHWM ${rss_kb} kB" >&2
	echo "$name: $verdict (stored $stored of $want)" >>"$RESULTS.verdicts"
	rm -rf "$spool" "$spool"-*
done

{
	echo "swerve ingestion benchmark - $(date -u '+%Y-%m-%d %H:%M UTC')"
	echo "commit:  $(git rev-parse --short HEAD 2>/dev/null || echo '?')$(git diff --quiet -- src 2>/dev/null || echo ' (+uncommitted src changes)')"
	echo "machine: $(nproc) cores, $(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo), $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo) RAM, kernel $(uname -r)"
	echo "spool:   $(stat -f -c %T "$WORK") at $TMPBASE (scenarios marked -tmpfs: /dev/shm; sink-*: smtp-sink, no spool)$( [ "$QUICK" = 1 ] && echo '; QUICK=1 (1/10 of the messages)')"
	echo "disk:    $FSYNC_BEFORE before the run; $(fsync_probe "$WORK") after"
	echo "load:    $LOAD_BEFORE before the run (1/5/15 min), $(cut -d' ' -f1-3 /proc/loadavg) after; the machine is shared${BENCH_NICE:+; servers and clients ran under nice -n $BENCH_NICE}"
	echo "client and server share the machine; smtp_lat = bench/smtp_lat.c, src = Postfix smtp-source"
	echo
	cat "$RESULTS.table"
	echo
	echo "columns: msg/s = accepted (fsynced) messages per second of client wall time;"
	echo "  pNNms = final dot to 250 reply; cpu_us/m = swerved utime+stime per message;"
	echo "  sys/m, cs/m = swerved's syscalls and context switches per message (perf);"
	echo "  rssMB = swerved VmHWM; fsyncs = fsync+fdatasync calls by swerved;"
	echo "  commits, m/c = spool group commits and messages per commit (swervectl status);"
	echo "  load = 1-minute load average when the scenario ended (2 cores)"
	echo
	cat "$RESULTS.verdicts"
} >"$RESULTS"
cat "$RESULTS"
if [ -n "${TABLE_OUT:-}" ]; then
	cp "$RESULTS.table" "$TABLE_OUT"
fi
if [ "${NO_RESULTS:-0}" != 1 ] && [ -z "${SCENARIOS_FILE:-}" ] && [ "$ONLY" = . ] && [ "$QUICK" != 1 ]; then
	mkdir -p bench/results
	out=bench/results/ingest-$(date -u +%Y%m%d-%H%M).txt
	cp "$RESULTS" "$out"
	echo "bench: results written to $out" >&2
fi
exit "$FAILED"
