#!/usr/bin/env bash
# bench/webhooks/callgrind.sh - what a webhook on every event costs per
# relayed message, in instructions (exact on a shared machine).
#
#   bash bench/webhooks/callgrind.sh BIN [N1 N2]
#
# Four runs of bench/relay_callgrind.sh (N1 and N2 x 1 KiB, default 500
# and 2500): without webhooks, and with one webhook subscribed to every
# type (accepted and sent per message) answered 200 by a local receiver;
# the webhook runs wait until the receiver has 2 x N requests. Prints
# instructions per message for both and the difference. The receiver is
# bench/webhooks/receiver.py; everything is stopped by PID.
set -euo pipefail
BIN=$1 N1=${2:-500} N2=${3:-2500}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
W=$(mktemp -d "${TMPDIR:-/tmp}/swerve-whcg.XXXXXX")
RP=
cleanup() {
	[ -n "$RP" ] && kill "$RP" 2>/dev/null && wait "$RP" 2>/dev/null || true
	rm -rf "$W"
}
trap cleanup EXIT
PORT=$(/usr/bin/python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])')
/usr/bin/python3 "$ROOT/bench/webhooks/receiver.py" "$PORT" "$W/count" &
RP=$!
echo "whsec_$(printf 'swerve-webhook-bench-key-32bytes' | base64)" >"$W/secret"
chmod 644 "$W/secret"
total() { awk '{gsub(",","",$1); print $1}' <<<"$1"; }
run() { # label n extra
	local out
	out=$(bash "$ROOT/bench/relay_callgrind.sh" "$BIN" "$2" "$W/cg.$1.$2")
	total "$out"
}
plain1=$(run plain "$N1")
plain2=$(run plain "$N2")
export EXTRA_YAML="events:
  timeout: 5s
  webhooks:
    - url: http://127.0.0.1:$PORT/h
      secret_file: $W/secret"
: >"$W/count"
export AFTER="/usr/bin/python3 $ROOT/bench/webhooks/receiver.py --wait $W/count $((2 * N1)) 600"
hook1=$(run hook "$N1")
: >"$W/count"
export AFTER="/usr/bin/python3 $ROOT/bench/webhooks/receiver.py --wait $W/count $((2 * N2)) 600"
hook2=$(run hook "$N2")
p=$(( (plain2 - plain1) / (N2 - N1) ))
h=$(( (hook2 - hook1) / (N2 - N1) ))
echo "instructions per relayed 1 KiB message: no webhook $p, webhook on every event $h (+$(( h - p )), +$(( (h - p) * 100 / p ))%)"
