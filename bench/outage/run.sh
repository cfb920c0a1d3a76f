#!/usr/bin/env bash
# bench/outage/run.sh - the outage matrix (issue 4): every outage shape,
# swerved and a stock Postfix side by side, one table. See README.md.
#
#   BIN=DIR       swerved/swervectl/swerve-mock to use (default: bin/);
#                 e.g. BIN=/tmp/b-outage/release/bin after
#                 `make B=/tmp/b-outage /tmp/b-outage/release/bin/swerved ...`
#   SHAPES="..."  subset of: refuse hang 421 451 5xx-account throttle slow
#                 flap statuspage (default: all)
#   RELAYS="..."  subset of "swerved postfix" (default: both)
#   RATE=200 DURATION=30 BREAK_AT=5 HEAL_AT=20 DRAIN=60 SESSIONS=32
#   NICE=N        niceness of everything started (default -10; 0 = none)
#   NO_RESULTS=1  do not write bench/results/outage-<date>.txt
#   TMPDIR        where spools and Postfix queues go (a real disk)
# Each run is one `bench/outage/outage.py` process that starts and stops
# (by PID; Postfix by `postfix -c DIR stop`) everything it needs.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
BIN=${BIN:-$ROOT/bin}
SHAPES=${SHAPES:-refuse hang 421 451 5xx-account throttle slow flap statuspage}
RELAYS=${RELAYS:-swerved postfix}
RATE=${RATE:-200}
DURATION=${DURATION:-30}
BREAK_AT=${BREAK_AT:-5}
HEAL_AT=${HEAL_AT:-20}
DRAIN=${DRAIN:-60}
SESSIONS=${SESSIONS:-32}
NICE=${NICE:--10}
NICE_RUN=()
[ "$NICE" = 0 ] || NICE_RUN=(nice -n "$NICE")
PATH=$PATH:/usr/sbin

die() { echo "outage: $*" >&2; exit 1; }
for f in "$BIN/swerved" "$BIN/swerve-mock"; do
	[ -x "$f" ] || die "$f missing: build the release binaries first"
done
case " $RELAYS " in *" postfix "*)
	command -v postfix >/dev/null || die "postfix missing (scripts/setup-deps.sh)";;
esac

WORK=$(mktemp -d "${TMPDIR:-/tmp}/swerve-outage-run.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
JSONL=$WORK/results.jsonl
STAMP=$(date -u +%Y%m%d-%H%M)
START_LOAD=$(cut -d' ' -f1-3 /proc/loadavg)
fails=0
for shape in $SHAPES; do
	for relay in $RELAYS; do
		echo "outage: $shape / $relay ..." >&2
		"${NICE_RUN[@]}" /usr/bin/python3 bench/outage/outage.py \
			--bin "$BIN" --relay "$relay" --shape "$shape" \
			--rate "$RATE" --duration "$DURATION" --break-at "$BREAK_AT" \
			--heal-at "$HEAL_AT" --drain "$DRAIN" --sessions "$SESSIONS" \
			--json "$JSONL" >/dev/null || fails=$((fails + 1))
	done
done
TABLE=$(/usr/bin/python3 bench/outage/outage.py --table "$JSONL")
echo "$TABLE"

if [ "${NO_RESULTS:-0}" != 1 ]; then
	out=bench/results/outage-$STAMP.txt
	{
		echo "# outage matrix, $(date -u '+%Y-%m-%d %H:%M UTC')"
		echo "# commit $(git rev-parse --short HEAD)$(git diff --quiet HEAD -- src 2>/dev/null || echo ' (src/ differs from HEAD in the checkout; binaries from BIN)')"
		echo "# binaries: $BIN ($(stat -c %y "$BIN/swerved" | cut -d. -f1))"
		echo "# postfix: $(postconf -d mail_version 2>/dev/null | sed 's/.*= //')"
		echo "# machine: $(nproc) cores, load average at start $START_LOAD, at end $(cut -d' ' -f1-3 /proc/loadavg)"
		echo "# command: BIN=$BIN SHAPES=\"$SHAPES\" RELAYS=\"$RELAYS\" RATE=$RATE DURATION=$DURATION BREAK_AT=$BREAK_AT HEAL_AT=$HEAL_AT DRAIN=$DRAIN SESSIONS=$SESSIONS NICE=$NICE bash bench/outage/run.sh"
		echo "# timeline: load ${DURATION} s at ${RATE} msg/s (10% critical, 30% transactional, 60% bulk);"
		echo "#   the primary breaks at ${BREAK_AT} s and heals at ${HEAL_AT} s; times in the table are from the break / the heal"
		echo
		echo "$TABLE"
		echo
		echo "# raw results (one JSON object per run)"
		cat "$JSONL"
	} >"$out"
	echo "outage: wrote $out" >&2
fi
[ "$fails" = 0 ] || die "$fails runs failed"
