#!/usr/bin/env bash
# bench/curves/curves.sh - the scaling curves (issue 20), as PNG.
#
#   SCALE=1 bash bench/curves/curves.sh      # full scale, ~10-15 min quiet
#   SCALE=0.05 bash bench/curves/curves.sh   # a sketch in ~3 min
#
# Three figures, written to bench/results/curves/ with their data:
#   sessions.png  messages/s and p99 (final dot -> 250) vs concurrent SMTP
#                 sessions 1..256, 1 KiB messages, connection reuse;
#   sizes.png     messages/s, MB/s and p99 vs message size 1 KiB..10 MiB,
#                 8 sessions;
#   rss.png       swerved's RSS vs messages queued (stored, nothing
#                 delivering) up to RSS_MAX (rss.dat: queued, RSS MB, and
#                 the p99 and worst dot-to-250 ms of each fill step).
# swerved and a stock Postfix 3.7 (Debian, accept and hold) are on the
# same axes, measured in the same run by bench/ingest.sh (same client,
# bench/smtp_lat.c; same disk; fresh spool per point; every point checks
# that the store holds exactly the messages acknowledged, or the run
# fails). The RSS curve is swerved only: Postfix's memory is spread over
# short-lived processes and does not grow with its queue.
#
# Environment:
#   SCALE=F       multiplies every message count (default 1). Run time is
#                 roughly proportional; counts never go below 16 per point.
#   RSS_MAX=N     queued messages at the end of the RSS curve (default
#                 1,000,000 x SCALE); sampled in 20 steps.
#   POSTFIX=0     swerved only.
#   BENCH_NICE=N  as bench/ingest.sh (servers and clients under nice).
#   RSS_ONLY=1    only the RSS curve; the other figures are redrawn from
#                 the data files already in OUT.
#   OUT=DIR       where figures and data go (default bench/results/curves).
# Needs what bench/ingest.sh needs, plus gnuplot (Debian gnuplot-nox, a
# bench-only dependency). Everything started here is stopped by PID.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
BIN=${BIN:-$ROOT/bin}
SCALE=${SCALE:-1}
OUT=${OUT:-$ROOT/bench/results/curves}
RSS_MAX=${RSS_MAX:-$(awk -v s="$SCALE" 'BEGIN { printf "%d", 1000000 * s }')}
command -v gnuplot >/dev/null ||
	{ echo "curves: gnuplot missing (apt-get install gnuplot-nox)" >&2; exit 1; }
mkdir -p "$OUT"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/swerve-curves.XXXXXX")
PID=
cleanup() {
	[ -n "$PID" ] && kill "$PID" 2>/dev/null && wait "$PID" 2>/dev/null
	rm -rf "$WORK"
}
trap cleanup EXIT
T0=$(date +%s)
LOAD0=$(cut -d' ' -f1-3 /proc/loadavg)

# count BASE - BASE x SCALE messages, at least 16.
count() { awk -v b="$1" -v s="$SCALE" 'BEGIN { n = int(b * s); print n < 16 ? 16 : n }'; }

servers=(disk)
[ "${POSTFIX:-1}" = 0 ] || servers+=(postfix)

# 1. Sessions and sizes: scenarios for bench/ingest.sh, one per point.
SESSIONS=(1 2 4 8 16 32 64 128 256)
SIZES=(1024 10240 102400 1048576 10485760)
{
	for s in "${servers[@]}"; do
		for c in "${SESSIONS[@]}"; do
			base=$((200 * c < 2000 ? 2000 : (200 * c > 20000 ? 20000 : 200 * c)))
			echo "sess-$s-$c|smtp_lat|$s|-c $c -m $(count "$base") -s 1024"
		done
		for z in "${SIZES[@]}"; do
			# About 20 MB per point, 10,000 messages at most.
			base=$((20000000 / z > 10000 ? 10000 : 20000000 / z))
			echo "size-$s-$z|smtp_lat|$s|-c 8 -m $(count "$base") -s $z"
		done
	done
} >"$WORK/scenarios"
rc=0
if [ "${RSS_ONLY:-0}" = 1 ]; then
	# Keep the sweeps' table of the last full run.
	sed -n '/^scenario /,/^$/p' "$OUT/summary.txt" >"$WORK/table" || true
else
	SCENARIOS_FILE=$WORK/scenarios TABLE_OUT=$WORK/table NO_RESULTS=1 \
		bash bench/ingest.sh >"$WORK/ingest.out" 2>"$WORK/ingest.err" || rc=$?
	if [ ! -s "$WORK/table" ]; then
		tail -20 "$WORK/ingest.err" >&2
		exit 1
	fi
	cp "$WORK/ingest.out" "$OUT/ingest.txt"
	cp "$WORK/ingest.err" "$OUT/ingest.log"
fi

# Table columns (bench/ingest.sh): 1 scenario, 5 msg/s, 8 p99ms.
for s in "${servers[@]}"; do
	[ "${RSS_ONLY:-0}" = 1 ] && break
	awk -v p="sess-$s-" 'index($1, p) == 1 { sub(p, "", $1); print $1, $5, $8 }' \
		"$WORK/table" >"$OUT/sessions-$s.dat"
	awk -v p="size-$s-" 'index($1, p) == 1 {
		sub(p, "", $1); print $1, $5, $8, $5 * $1 / 1048576 }' \
		"$WORK/table" >"$OUT/sizes-$s.dat"
done

# 2. RSS vs queued messages: one swerved, no provider (nothing leaves),
# filled in 20 steps by smtp_lat over 64 sessions; VmRSS after each.
cc -O2 -std=c17 -Wall -Wextra -Werror -o "$WORK/smtp_lat" bench/smtp_lat.c
PORT=$(/usr/bin/python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])')
cat >"$WORK/rss.yaml" <<YAML
listen: { smtp: "127.0.0.1:$PORT", http: [] }
spool: { dir: "$WORK/spool", min_free: "1GB" }
submitters: { networks: ["127.0.0.0/8"] }
log: { level: warn }
YAML
NICE=()
[ -z "${BENCH_NICE:-}" ] || NICE=(nice -n "$BENCH_NICE")
"${NICE[@]}" "$BIN/swerved" -c "$WORK/rss.yaml" 2>"$WORK/rss.log" &
PID=$!
for _ in $(seq 100); do
	(exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && break
	sleep 0.1
done
step=$((RSS_MAX / 20 < 16 ? 16 : RSS_MAX / 20))
queued=0
rss() { awk '/^VmRSS:/ { printf "%.1f", $2 / 1024 }' "/proc/$PID/status"; }
echo "0 $(rss)" >"$OUT/rss.dat"
while [ "$queued" -lt "$RSS_MAX" ]; do
	"${NICE[@]}" "$WORK/smtp_lat" -T 600 -c 64 -m "$step" -s 1024 \
		"127.0.0.1:$PORT" >"$WORK/rss.client" || {
		echo "curves: the RSS fill failed at $queued messages" >&2
		rc=1
		break
	}
	queued=$((queued + step))
	# Also the fill's p99 and worst dot-to-250 (ms) at this queue size.
	echo "$queued $(rss) $(tail -1 "$WORK/rss.client" | awk '{
		for (i = 1; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
		printf "%.2f %.2f", v["p99_us"] / 1000, v["max_us"] / 1000 }')" >>"$OUT/rss.dat"
done
kill -TERM "$PID"
wait "$PID" || true
PID=
stored=$(sqlite3 "$WORK/spool/spool.db" 'select count(*) from messages;')
if [ "$stored" != "$queued" ]; then
	echo "curves: the spool holds $stored messages, $queued were acknowledged" >&2
	rc=1
fi

# 3. Figures.
plot_pair() { # plot_pair FILE.png TITLE XLABEL DATA_STEM [extra]
	local png=$1 title=$2 xl=$3 stem=$4 cmds=() s label
	for s in "${servers[@]}"; do
		label=swerved
		[ "$s" = postfix ] && label="Postfix 3.7"
		cmds+=("'$OUT/$stem-$s.dat' using 1:COL with linespoints title '$label'")
	done
	local joined
	joined=$(IFS=,; echo "${cmds[*]}")
	gnuplot <<GP
set terminal pngcairo size 900,900 font ",10"
set output '$png'
set multiplot layout 2,1 title "$title"
set logscale x 2
set grid
set xlabel "$xl"
set key top left
set ylabel "messages/s"
plot ${joined//COL/2}
set logscale y
set ylabel "p99 dot-to-250 (ms)"
plot ${joined//COL/3}
unset multiplot
GP
}
plot_pair "$OUT/sessions.png" "1 KiB messages, connection reuse (scale $SCALE)" \
	"concurrent SMTP sessions" sessions
plot_pair "$OUT/sizes.png" "8 sessions, connection reuse (scale $SCALE)" \
	"message size (bytes)" sizes
gnuplot <<GP
set terminal pngcairo size 900,500 font ",10"
set output '$OUT/rss.png'
set title "swerved RSS vs messages queued (1 KiB, nothing delivering)"
set grid
set xlabel "messages queued"
set ylabel "RSS (MB)"
set format x "%.0s%c"
plot '$OUT/rss.dat' using 1:2 with linespoints title 'swerved VmRSS'
GP

{
	echo "swerve scaling curves - $(date -u '+%Y-%m-%d %H:%M UTC'), SCALE=$SCALE, RSS_MAX=$RSS_MAX$([ "${RSS_ONLY:-0}" = 1 ] && echo ' (RSS_ONLY: the sweeps are from the previous run)')"
	echo "commit:  $(git rev-parse --short HEAD 2>/dev/null || echo '?')"
	echo "load:    $LOAD0 before, $(cut -d' ' -f1-3 /proc/loadavg) after (1/5/15 min; $(nproc) cores)"
	echo "time:    $(($(date +%s) - T0)) s"
	echo
	cat "$WORK/table"
	echo
	echo "rss (queued MB):"
	cat "$OUT/rss.dat"
} >"$OUT/summary.txt"
cat "$OUT/summary.txt"
exit "$rc"
