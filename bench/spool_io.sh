#!/usr/bin/env bash
# bench/spool_io.sh - bytes swerved writes to its spool per relayed message
# (issue 20, item 4: are large bodies written twice, WAL then checkpoint?).
#
#   bash bench/spool_io.sh BIN N SIZE
#
# Starts BIN/swerved (spool under TMPDIR, one SMTP provider: a private
# smtp-sink), relays N messages of SIZE body bytes with smtp-source (8
# sessions, reuse), waits until the sink has them all and the spool's
# checkpointer has caught up (a clean stop checkpoints the rest), and
# prints /proc/PID/io's write_bytes and cancelled_write_bytes of swerved
# (every thread: the writer's WAL appends and the checkpointer's copies
# into spool.db) per message and as a multiple of the body bytes. Disk
# bytes, not wall time: it does not care how busy the machine is.
# Everything started here is stopped by PID.
set -euo pipefail
BIN=$1 N=$2 SIZE=$3
ROOT=$(cd "$(dirname "$0")/.." && pwd)
UTIL="/usr/bin/python3 $ROOT/bench/relay_util.py"
W=$(mktemp -d "${TMPDIR:-/tmp}/swerve-io.XXXXXX")
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
  level: warn
Y
"$BIN/swerved" -c "$W/c.yaml" >"$W/sw.log" 2>&1 &
VP=$!
for _ in $(seq 600); do
	(echo >"/dev/tcp/127.0.0.1/$SMTP") 2>/dev/null && break
	sleep 0.1
done
io() { awk -v k="$1" '$1 == k":" {print $2}' "/proc/$VP/io"; }
w0=$(io write_bytes) c0=$(io cancelled_write_bytes)
smtp-source -d -s 8 -m "$N" -l "$SIZE" -f bench@sender.example -t user@rcpt.example "127.0.0.1:$SMTP"
$UTIL wait "$W/sink.out" "$N" 900 1 >/dev/null
sleep 1
w1=$(io write_bytes) c1=$(io cancelled_write_bytes)
# A clean stop checkpoints what is left in the WAL; count that too (the
# process is gone then, so read it just before it exits: sync first).
kill -TERM "$VP"
last_w=$w1 last_c=$c1
while kill -0 "$VP" 2>/dev/null; do
	x=$(io write_bytes 2>/dev/null) && [ -n "$x" ] && last_w=$x
	x=$(io cancelled_write_bytes 2>/dev/null) && [ -n "$x" ] && last_c=$x
	sleep 0.02
done
wait "$VP" || true
VP=
body=$((N * SIZE))
/usr/bin/python3 - "$N" "$SIZE" "$w0" "$w1" "$c0" "$c1" "$last_w" "$last_c" <<'P'
import sys
n, size, w0, w1, c0, c1, lw, lc = map(int, sys.argv[1:])
body = n * size
run = (w1 - w0) - (c1 - c0)
allw = (lw - w0) - (lc - c0)
print("spool_io: %d x %d B: written while relaying %.1f KiB/msg (%.2f x the body), "
      "with the final checkpoint %.1f KiB/msg (%.2f x the body)"
      % (n, size, run / n / 1024, run / body, allw / n / 1024, allw / body))
P
