#!/usr/bin/env bash
# bench/tmpl/send.sh - rendered sends per second through the HTTP API
# against plain sends of the same message (issue 19; target >= 80%).
#
# Starts bin/swerved (release build; no providers: mail is only made
# durable) with one API key, stores a receipt template (about 40
# variables, a loop over 10 line items; handlebars) through
# /v1/templates, then drives POST /v1/messages with wrk over CONNS
# keep-alive connections for DURATION, alternating ROUNDS times:
#   plain     the rendered message given as subject/html/text
#   template  {"template": {"name": "receipt", "data": {...}}}
# Prints msgs/s (committed by the spool, each 202 after its fsync) and
# swerved's CPU per message for each run, and the ratio of the medians.
#
#   DURATION=8s CONNS=32 ROUNDS=3 nice bash bench/tmpl/send.sh
# Everything started here is stopped by PID on exit.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
BIN=${BIN:-$ROOT/bin}
DURATION=${DURATION:-8s}
CONNS=${CONNS:-32}
ROUNDS=${ROUNDS:-3}
HZ=$(getconf CLK_TCK)
command -v wrk >/dev/null || { echo "send.sh: needs wrk (apt-get install wrk)" >&2; exit 2; }
WORK=$(mktemp -d "${TMPDIR:-/tmp}/swerve-tmpl-bench.XXXXXX")
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

cat >"$WORK/swerve.yaml" <<YAML
listen: { smtp: [], http: "127.0.0.1:$PORT" }
spool: { dir: "$WORK/spool", min_free: "100MB" }
limits: { max_message_size: "1MB" }
api_keys:
  - { name: bench, key_sha256: "$SHA", tenant: shop, from_domains: ["example.com"] }
admin_keys:
  - { name: bench, key_sha256: "$ADMIN_SHA" }
log: { level: warn }
YAML
"$BIN/swerved" -c "$WORK/swerve.yaml" 2>"$WORK/swerved.log" &
PID=$!
for _ in $(seq 100); do
	curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && break
	sleep 0.05
done

# The receipt: ~40 variables, one {{#each}} over 10 items of 4 fields.
/usr/bin/python3 - "$PORT" "$KEY" <<'PY'
import json, sys, urllib.request
port, key = sys.argv[1], sys.argv[2]
vs = "".join("<p>{{v%d}}</p>" % i for i in range(1, 29))
tpl = {
    "dialect": "handlebars",
    "subject": "Your receipt {{order}}",
    "html": "<h1>Receipt {{order}}</h1><p>Hello {{name}} ({{email}})</p>"
            "<p>{{date}} {{street}} {{city}} {{zip}} {{country}}</p><table>"
            "{{#each items}}<tr><td>{{sku}}</td><td>{{name}}</td>"
            "<td>{{qty}}</td><td>{{price}}</td></tr>{{/each}}</table>"
            "<p>Total {{total}} {{currency}} (tax {{tax}}, shipping "
            "{{shipping}})</p>" + vs,
    "text": "Receipt {{order}} for {{name}}\n{{#each items}}{{sku}} "
            "{{qty}} x {{price}}\n{{/each}}" + "".join(
                "{{v%d}}\n" % i for i in range(1, 29)),
}
req = urllib.request.Request(
    "http://127.0.0.1:%s/v1/templates/receipt" % port,
    json.dumps(tpl).encode(), {"Authorization": "Bearer " + key,
                               "Content-Type": "application/json"})
print("template:", urllib.request.urlopen(req).read().decode())
PY

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
spooled() {
	curl -s -H "Authorization: Bearer $KEY-admin" "http://127.0.0.1:$PORT/v1/status" |
		/usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["spool"]["committed_messages"])'
}
secs=$(echo "$DURATION" | tr -d s)
declare -A RES
for r in $(seq "$ROUNDS"); do
	for mode in plain template; do
		before=$(spooled)
		t0=$(cpu_ticks "$PID")
		out=$(MODE=$mode API_KEY=$KEY wrk -t2 -c"$CONNS" -d"$DURATION" \
			--latency -s bench/tmpl/send.lua "http://127.0.0.1:$PORT" 2>&1)
		t1=$(cpu_ticks "$PID")
		after=$(spooled)
		if echo "$out" | grep -q "Non-2xx\|status "; then
			echo "$out" >&2
			exit 1
		fi
		got=$((after - before))
		mps=$(awk -v n="$got" -v s="$secs" 'BEGIN {printf "%.0f", n / s}')
		cpu=$(awk -v t=$((t1 - t0)) -v hz="$HZ" -v n="$got" \
			'BEGIN {printf "%.1f", n ? t / hz * 1e6 / n : 0}')
		p99=$(echo "$out" | awk '$1 == "99%" {print $2}')
		echo "round $r $mode: $mps msgs/s, p99 $p99, $cpu us CPU/msg"
		RES[$mode]="${RES[$mode]:-} $mps"
	done
done
med() { tr ' ' '\n' | grep . | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
p=$(echo "${RES[plain]}" | med)
t=$(echo "${RES[template]}" | med)
awk -v p="$p" -v t="$t" 'BEGIN {printf "median: plain %d msgs/s, template %d msgs/s: %.0f%% of plain\n", p, t, 100 * t / p}'
