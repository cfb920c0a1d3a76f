#!/usr/bin/env bash
# bench/relay_callgrind.sh - instructions per relayed message, exactly.
#
#   bash bench/relay_callgrind.sh BIN N OUT
#
# Runs BIN/swerved under valgrind --tool=callgrind relaying N x 1 KiB
# messages (smtp-source, 8 sessions with connection reuse) to a private
# smtp-sink, stops it, and prints the program total. Run it for N=500 and
# N=2500: (Ir(2500) - Ir(500)) / 2000 is the cost of one message without
# start-up, and `callgrind_annotate OUT` says where it goes. Unlike the
# wall-clock benchmarks it does not care how busy the machine is, so it is
# the way to compare two builds on a shared machine (issue 12's regression
# hunt used it). SIZE=N sets the body size in bytes (default 1024; issue
# 20 measured 102400 too). LOG_LEVEL and LOG_FORMAT (default warn, text)
# set log.level and log.format: LOG_LEVEL=info LOG_FORMAT=json prices the
# JSON log lines (their write(2)s are kernel time, which callgrind does not
# count). Everything started here is stopped by PID.
set -euo pipefail
BIN=$1 N=$2 OUT=$3
SIZE=${SIZE:-1024}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
UTIL="/usr/bin/python3 $ROOT/bench/relay_util.py"
W=$(mktemp -d "${TMPDIR:-/tmp}/swerve-cg.XXXXXX")
chmod 755 "$W"
SP= VP=
cleanup() {
	[ -n "$VP" ] && kill "$VP" 2>/dev/null && wait "$VP" 2>/dev/null
	[ -n "$SP" ] && kill "$SP" 2>/dev/null && wait "$SP" 2>/dev/null
	rm -rf "$W"
}
trap cleanup EXIT
fp() { /usr/bin/python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'; }
SINK=$(fp) SMTP=$(fp) HTTP=$(fp)
smtp-sink -u nobody -c "127.0.0.1:$SINK" 1024 >"$W/sink.out" 2>"$W/sink.err" &
SP=$!
cat >"$W/c.yaml" <<Y
listen:
  smtp: "127.0.0.1:$SMTP"
  http: "127.0.0.1:$HTTP"
spool:
  dir: "$W/spool"
  min_free: "100MB"
submitters:
  networks: ["127.0.0.0/8"]
limits:
  max_message_size: "25MB"
  max_recipients: 100
  max_sessions: 1000
providers:
  - name: sink
    type: smtp
    host: 127.0.0.1
    port: $SINK
    tls: none
    priority: 1
    max_connections: 8
    max_msgs_per_conn: 1000
log:
  level: ${LOG_LEVEL:-warn}
  format: ${LOG_FORMAT:-text}
Y
# EXTRA_YAML: more top-level configuration (bench/webhooks/callgrind.sh
# adds events.webhooks); AFTER: a command run once the sink has N, before
# the daemon is stopped (waiting for what else the run must finish).
[ -n "${EXTRA_YAML:-}" ] && printf '%s\n' "$EXTRA_YAML" >>"$W/c.yaml"
valgrind --tool=callgrind --callgrind-out-file="$OUT" "$BIN/swerved" -c "$W/c.yaml" >"$W/sw.log" 2>&1 &
VP=$!
for _ in $(seq 600); do
	(echo >"/dev/tcp/127.0.0.1/$SMTP") 2>/dev/null && break
	sleep 0.1
done
smtp-source -d -s 8 -m "$N" -l "$SIZE" -f bench@sender.example -t user@rcpt.example "127.0.0.1:$SMTP"
$UTIL wait "$W/sink.out" "$N" 900 1 >/dev/null
[ -n "${AFTER:-}" ] && eval "$AFTER"
sleep 1
kill -TERM "$VP"
wait "$VP" || true
VP=
callgrind_annotate "$OUT" 2>/dev/null | grep -m1 "PROGRAM TOTALS"
