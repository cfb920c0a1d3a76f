#!/usr/bin/env bash
# bench/api_callgrind.sh - instructions per HTTP send (POST /v1/messages),
# exactly.
#
#   bash bench/api_callgrind.sh BIN N OUT
#
# Runs BIN/swerved under valgrind --tool=callgrind with no providers (mail
# is only made durable, as bench/api/run.sh), sends N 1 KiB JSON messages
# from 8 keep-alive connections, stops it and prints the program total. Run
# it for N=300 and N=1300: (Ir(1300) - Ir(300)) / 1000 is the cost of one
# send without start-up; `callgrind_annotate OUT` says where it goes. The
# HTTP twin of bench/relay_callgrind.sh: it does not care how busy the
# machine is. Everything started here is stopped by PID.
set -euo pipefail
BIN=$1 N=$2 OUT=$3
W=$(mktemp -d "${TMPDIR:-/tmp}/swerve-apicg.XXXXXX")
VP=
cleanup() {
	[ -n "$VP" ] && kill "$VP" 2>/dev/null && wait "$VP" 2>/dev/null
	rm -rf "$W"
}
trap cleanup EXIT
KEY=bench-key
SHA=$(printf %s "$KEY" | sha256sum | cut -d' ' -f1)
PORT=$(/usr/bin/python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])')
cat >"$W/c.yaml" <<Y
listen: { smtp: [], http: "127.0.0.1:$PORT" }
spool: { dir: "$W/spool", min_free: "100MB" }
limits: { max_message_size: "1MB" }
api_keys:
  - { name: bench, key_sha256: "$SHA", from_domains: ["example.com"] }
log: { level: warn }
Y
valgrind --tool=callgrind --callgrind-out-file="$OUT" \
	"$BIN/swerved" -c "$W/c.yaml" 2>"$W/vg.log" &
VP=$!
for _ in $(seq 600); do
	curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && break
	sleep 0.1
done
/usr/bin/python3 - "$PORT" "$N" "$KEY" <<'PY'
import http.client, sys, threading
port, n, key = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
text = "The quick brown fox jumps over the lazy dog. " * 20
bad = []
def worker(k):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    for i in range(k, n, 8):
        body = ('{"from":"bench@example.com","to":["rcpt%d@example.net"],'
                '"subject":"bench %d","text":"%s"}' % (i, i, text))
        c.request("POST", "/v1/messages", body,
                  {"Authorization": "Bearer " + key,
                   "Content-Type": "application/json"})
        r = c.getresponse()
        r.read()
        if r.status != 202:
            bad.append(r.status)
ts = [threading.Thread(target=worker, args=(k,)) for k in range(8)]
for t in ts: t.start()
for t in ts: t.join()
if bad:
    sys.exit("%d sends refused: %s" % (len(bad), bad[:3]))
PY
kill -TERM "$VP"
wait "$VP" || true
VP=
callgrind_annotate "$OUT" 2>/dev/null | grep 'PROGRAM TOTALS'
