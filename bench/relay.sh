#!/usr/bin/env bash
# bench/relay.sh - end-to-end relay benchmark (issue 3, delivery engine).
# See bench/RELAY.md for what is measured, how, and how to read it.
#
#   smtp-source ──SMTP──► relay ──SMTP──► smtp-sink
#
# The relay is, side by side in the same run and for every scenario:
#   direct   no relay: smtp-source straight into the sink (the ceiling)
#   swerved  a fresh swerved (spool on the real disk) with one SMTP
#            provider: the sink
#   postfix  a fresh private stock Postfix instance (temp config and queue
#            directory) with relayhost = [127.0.0.1]:SINKPORT
# Scenarios: 20,000 x 1 KiB over 8 sessions with connection reuse (-d),
# 20,000 x 1 KiB with a connection per message, 2,000 x 100 KiB reuse.
#
# Per relay and scenario: end-to-end messages/s (first submission until
# the sink has counted all of them), submission-only messages/s, CPU per
# relayed message of the relay's whole process tree, the relay's peak RSS,
# and the sink's count (must equal the number submitted; for swerved its
# status must also say all sent). Then: swerved's RSS with 100,000 1 KiB
# messages queued behind a dark provider (then the provider comes back:
# every one of them must arrive, once), and the demo's failover time.
#
# Environment:
#   BIN=DIR         swerved/swervectl/swerve-mock (default: bin/)
#   QUICK=1         one tenth of the messages (smoke test; not saved)
#   ONLY=REGEX      only the scenarios whose name matches (not saved)
#   RELAYS="..."    subset of "direct swerved postfix"
#   RSS_MSGS=N      messages for the dark-provider RSS test (100000; 0 = skip)
#   RSS_SIZE=B      their body size in bytes (1024; issue 20 used 102400 to
#                   compare the drain of large messages with their fill)
#   DRAIN=0         after the RSS test, do not bring the provider back to
#                   check that the whole backlog gets delivered
#   DEMO=0          skip the demo failover run
#   PROFILE=1       perf record -g swerved during the 1k-reuse run (or
#   PROFILE=NAME    during scenario NAME); the top of the report goes into
#                   the results
#   NO_RESULTS=1    do not write bench/results/relay-<date>.txt
#   NICE=N          niceness for everything this script starts (default
#                   -10, so that other jobs on a shared machine disturb
#                   less; 0 = do not renice)
#   TMPDIR          where spools and queues go (must be a real disk)
# Everything started here is stopped by PID on exit (Postfix through
# `postfix -c DIR stop`, which signals its master by its pid file).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
BIN=${BIN:-$ROOT/bin}
QUICK=${QUICK:-0}
ONLY=${ONLY:-.}
RELAYS=${RELAYS:-direct swerved postfix}
RSS_MSGS=${RSS_MSGS:-100000}
RSS_SIZE=${RSS_SIZE:-1024}
DRAIN=${DRAIN:-1}
DEMO=${DEMO:-1}
NICE=${NICE:--10}
NICE_RUN=()
[ "$NICE" = 0 ] || NICE_RUN=(nice -n "$NICE")
PROFILE=${PROFILE:-0}
[ "$PROFILE" != 1 ] || PROFILE=1k-reuse
TMPBASE=${TMPDIR:-/tmp}
HZ=$(getconf CLK_TCK)
UTIL="/usr/bin/python3 $ROOT/bench/relay_util.py"
SENDER=bench@sender.example
RCPT=user@rcpt.example

WORK=$(mktemp -d "$TMPBASE/swerve-relay.XXXXXX")

# The admin plane (status, metrics) needs an admin key: one for the run.
ADMIN_KEY_FILE=$WORK/admin.key
(umask 077 && printf 'bench-admin-key-%s\n' "$$" >"$ADMIN_KEY_FILE")
chmod 755 "$WORK" # Postfix's daemons (user postfix) need to reach their dirs
PIDS=()
PF_DIRS=()

# cleanup - stop every process we started (by PID), every Postfix
# instance we started (by its config dir), and remove temp dirs.
cleanup() {
	local p
	for p in "${PF_DIRS[@]}"; do
		postfix -c "$p" stop >/dev/null 2>&1 || true
	done
	for p in "${PIDS[@]}"; do
		kill "$p" 2>/dev/null || true
	done
	for p in "${PIDS[@]}"; do
		wait "$p" 2>/dev/null || true
	done
	rm -rf "$WORK"
}
trap cleanup EXIT

die() { echo "relay: $*" >&2; exit 1; }
say() { echo "relay: $*" >&2; }

for f in "$BIN/swerved" "$BIN/swervectl"; do
	[ -x "$f" ] || die "$f missing: run 'make all' first"
done
PATH=$PATH:/usr/sbin
for f in smtp-source smtp-sink postfix jq; do
	command -v "$f" >/dev/null || die "$f missing (apt-get install postfix jq)"
done
if [ "$(stat -f -c %T "$WORK")" = tmpfs ]; then
	die "$WORK is on tmpfs; set TMPDIR to a directory on a real disk"
fi

# free_port - print a TCP port nobody listens on at the moment.
free_port() {
	/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# wait_port PORT PID WHAT - wait until PORT accepts, PID still alive.
wait_port() {
	for _ in $(seq 200); do
		if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then
			return 0
		fi
		[ -z "$2" ] || kill -0 "$2" 2>/dev/null || break
		sleep 0.05
	done
	die "$3 did not start listening on 127.0.0.1:$1"
}

# stop_pid PID - SIGTERM, wait up to 30 s, then SIGKILL.
stop_pid() {
	kill -TERM "$1" 2>/dev/null || true
	for _ in $(seq 300); do
		kill -0 "$1" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$1" 2>/dev/null; then
		say "process $1 did not stop in 30 s; killing it"
		kill -KILL "$1" 2>/dev/null || true
	fi
	wait "$1" 2>/dev/null || true
}

# kv KEY LINE - the value of KEY=VALUE in a line of such pairs.
kv() { sed -nE "s/(^|.* )$1=([^ ]*).*/\\2/p" <<<"$2"; }

# status_json PORT - swerved's status, or {} if it does not answer.
status_json() {
	"$BIN/swervectl" --url "http://127.0.0.1:$1" --key-file "$ADMIN_KEY_FILE" \
		status --json 2>/dev/null || echo '{}'
}

# --- the sink (one for the whole run; counts are taken as differences) ---
SINK_PORT=$(free_port)
SINK_OUT=$WORK/sink.out
"${NICE_RUN[@]}" smtp-sink -u nobody -c "127.0.0.1:$SINK_PORT" 1024 >"$SINK_OUT" 2>"$WORK/sink.err" &
SINK_PID=$!
PIDS+=("$SINK_PID")
wait_port "$SINK_PORT" "$SINK_PID" smtp-sink

# --- swerved ---------------------------------------------------------------
SW_PID="" SW_SMTP="" SW_HTTP=""

# swerved_start DIR PROVIDER_PORT [YAML] - write DIR.yaml (plus the extra
# top-level YAML, if given), start swerved on it.
swerved_start() {
	local dir=$1 conf=$1.yaml
	SW_SMTP=$(free_port)
	SW_HTTP=$(free_port)
	while [ "$SW_HTTP" = "$SW_SMTP" ]; do SW_HTTP=$(free_port); done
	cat >"$conf" <<EOF
listen:
  smtp: "127.0.0.1:$SW_SMTP"
  http: "127.0.0.1:$SW_HTTP"
spool:
  dir: "$dir"
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
    port: $2
    tls: none
    priority: 1
    max_connections: 8
    max_msgs_per_conn: 1000
admin_keys:
  - { name: bench, key_file: "$ADMIN_KEY_FILE" }
log:
  level: warn
${3:-}
EOF
	"$BIN/swerved" --check -c "$conf" >/dev/null || die "swerved --check -c $conf failed"
	"${NICE_RUN[@]}" "$BIN/swerved" -c "$conf" >"$dir.log" 2>&1 &
	SW_PID=$!
	PIDS+=("$SW_PID")
	wait_port "$SW_SMTP" "$SW_PID" swerved
	wait_port "$SW_HTTP" "$SW_PID" "swerved (http)"
}

# --- postfix ---------------------------------------------------------------
PF_PID="" PF_SMTP="" PF_DIR=""

# postfix_start DIR - a private stock Postfix in DIR (conf, queue, data),
# relaying everything to the sink. Only the settings a private instance
# needs are changed; everything about queueing and delivery is default.
postfix_start() {
	local d=$1
	PF_DIR=$d
	PF_SMTP=$(free_port)
	mkdir -p "$d/conf" "$d/queue" "$d/data"
	chown postfix "$d/data"
	# master.cf: stock, but smtpd on our port and nothing chrooted (a
	# chroot would need copies of /etc files in the temp queue dir).
	awk -v port="127.0.0.1:$PF_SMTP" '
		/^[a-z]/ && NF >= 8 {
			if ($1 == "smtp" && $2 == "inet") $1 = port
			$5 = "n"
		}
		{ print }' /etc/postfix/master.cf >"$d/conf/master.cf"
	cat >"$d/conf/main.cf" <<EOF
compatibility_level = 3.6
queue_directory = $d/queue
data_directory = $d/data
mail_owner = postfix
setgid_group = postdrop
myhostname = relay.bench.invalid
mydomain = bench.invalid
mydestination =
alias_maps =
alias_database =
biff = no
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
relayhost = [127.0.0.1]:$SINK_PORT
maillog_file_prefixes = $d
maillog_file = $d/maillog
EOF
	postfix -c "$d/conf" check >"$d/check.log" 2>&1 ||
		{ cat "$d/check.log" >&2; die "postfix -c $d/conf check failed"; }
	PF_DIRS+=("$d/conf")
	"${NICE_RUN[@]}" postfix -c "$d/conf" start >"$d/start.log" 2>&1 ||
		{ cat "$d/start.log" "$d/maillog" >&2; die "postfix start failed"; }
	for _ in $(seq 100); do
		PF_PID=$(tr -d ' ' <"$d/queue/pid/master.pid" 2>/dev/null || true)
		[ -n "$PF_PID" ] && break
		sleep 0.05
	done
	[ -n "$PF_PID" ] || die "postfix master did not write its pid file"
	wait_port "$PF_SMTP" "$PF_PID" postfix
}

# postfix_stop - stop the instance and wait for its master to exit.
postfix_stop() {
	postfix -c "$PF_DIR/conf" stop >/dev/null 2>&1 || true
	for _ in $(seq 300); do
		kill -0 "$PF_PID" 2>/dev/null || break
		sleep 0.1
	done
	kill -0 "$PF_PID" 2>/dev/null && say "postfix master $PF_PID still running"
	unset 'PF_DIRS[-1]'
}

# postfix_queued DIR - messages still in the Postfix queue.
postfix_queued() {
	find "$1/queue/incoming" "$1/queue/active" "$1/queue/deferred" \
		"$1/queue/hold" "$1/queue/maildrop" -type f 2>/dev/null | wc -l
}

# --- scenarios ---------------------------------------------------------------
# name | smtp-source arguments (-l is the body alone; smtp-source adds
# ~150 bytes of headers).
SCENARIOS=(
	"1k-reuse|-d -s 8 -m 20000 -l 1024"
	"1k-newconn|-s 8 -m 20000 -l 1024"
	"100k-reuse|-d -s 8 -m 2000 -l 102400"
)

TABLE=$WORK/table.txt
VERDICTS=$WORK/verdicts.txt
: >"$VERDICTS"
printf '%-11s %-8s %6s %6s %8s %8s %8s %8s %7s %6s\n' \
	scenario relay msgs sunk submit_s e2e_s e2e_msg/s sub_msg/s cpu_ms/m rss_MB >"$TABLE"
FAILED=0
declare -A RATE

# one_run NAME RELAY ARGS N - run one scenario through one relay.
one_run() {
	local name=$1 relay=$2 args=$3 want=$4 port root dir
	local before cpu0 cpu1 t0 t1 rc w reached tend count final
	local rss_kb=0 st='{}' verdict=ok perf_pid="" sent=- qn=- pf_procs=
	dir=$WORK/$name-$relay
	case $relay in
	direct)
		port=$SINK_PORT root=""
		;;
	swerved)
		swerved_start "$dir" "$SINK_PORT"
		port=$SW_SMTP root=$SW_PID
		;;
	postfix)
		postfix_start "$dir"
		port=$PF_SMTP root=$PF_PID
		sleep 1 # let pickup/qmgr settle before the clock starts
		;;
	esac
	before=$($UTIL count "$SINK_OUT")
	cpu0=0
	[ -z "$root" ] || cpu0=$($UTIL cpu "$root")
	if [ "$relay" = swerved ] && [ "$name" = "$PROFILE" ]; then
		perf record -F 999 -g -o "$WORK/perf.data" -p "$SW_PID" >/dev/null 2>"$WORK/perf.err" &
		perf_pid=$!
		PIDS+=("$perf_pid")
		sleep 0.5
	fi
	say "$name via $relay: smtp-source $args"
	t0=$(date +%s.%N)
	rc=0
	# shellcheck disable=SC2086
	timeout 900 "${NICE_RUN[@]}" smtp-source $args -f "$SENDER" -t "$RCPT" "127.0.0.1:$port" \
		>"$dir.client" 2>&1 || rc=$?
	t1=$(date +%s.%N)
	w=$($UTIL wait "$SINK_OUT" $((before + want)) 900 1)
	reached=$(kv reached "$w")
	tend=$(kv at "$w")
	count=$(( $(kv count "$w") - before ))
	final=$(( $(kv final "$w") - before ))
	if [ -n "$perf_pid" ]; then
		kill -INT "$perf_pid" 2>/dev/null || true
		wait "$perf_pid" 2>/dev/null || true
	fi
	[ -z "$root" ] || cpu1=$($UTIL cpu "$root")
	case $relay in
	swerved)
		rss_kb=$(awk '/^VmHWM:/ { print $2 }' "/proc/$SW_PID/status")
		# The sink counts at ".", swerved marks sent at the 250: give the
		# status a moment to catch up.
		for _ in $(seq 50); do
			st=$(status_json "$SW_HTTP")
			sent=$(jq -r '.queue.sent // 0' <<<"$st")
			[ "$sent" -ge "$want" ] && break
			sleep 0.1
		done
		jq -c '{queue, delivery, spool}' <<<"$st" >"$dir.status"
		stop_pid "$SW_PID"
		;;
	postfix)
		# Peak RSS of a multi-process tree has no single figure; report
		# the sum of Pss (shared pages split among their users) over the
		# master and its live daemons right now.
		rss_kb=$(for p in $(pgrep -P "$PF_PID") "$PF_PID"; do
			awk '/^Pss:/ { print $2 }' "/proc/$p/smaps_rollup" 2>/dev/null
		done | awk '{ s += $1 } END { print s + 0 }')
		pf_procs=$(( $(pgrep -c -P "$PF_PID") + 1 ))
		qn=$(postfix_queued "$dir")
		postfix_stop
		;;
	esac

	local submit_s e2e_s rate sub_rate cpu_ms rss_mb
	submit_s=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }')
	e2e_s=$(awk -v a="$t0" -v b="$tend" 'BEGIN { printf "%.2f", b - a }')
	rate=$(awk -v n="$count" -v s="$e2e_s" 'BEGIN { printf "%.0f", (s > 0 ? n / s : 0) }')
	sub_rate=$(awk -v n="$want" -v s="$submit_s" 'BEGIN { printf "%.0f", n / s }')
	cpu_ms=-
	[ -z "$root" ] || cpu_ms=$(awk -v d=$((cpu1 - cpu0)) -v hz="$HZ" -v n="$want" \
		'BEGIN { printf "%.3f", d / hz * 1e3 / n }')
	rss_mb=-
	[ "$rss_kb" = 0 ] || rss_mb=$(awk -v k="$rss_kb" 'BEGIN { printf "%.1f", k / 1024 }')
	RATE[$name/$relay]=$rate

	if [ "$rc" != 0 ]; then
		verdict="FAILED (smtp-source exit $rc: $(tail -1 "$dir.client"))"
	elif [ "$reached" != 1 ]; then
		verdict="FAILED (sink got $count of $want in 900 s)"
	elif [ "$final" != "$want" ]; then
		verdict="FAILED (sink got $final, expected $want: duplicates)"
	elif [ "$relay" = swerved ] && [ "$sent" != "$want" ]; then
		verdict="FAILED (swerved status: sent $sent, expected $want; $(cat "$dir.status"))"
	elif [ "$relay" = postfix ] && [ "$qn" != 0 ]; then
		verdict="FAILED ($qn messages left in the Postfix queue)"
	fi
	[ "$verdict" = ok ] || FAILED=1
	printf '%-11s %-8s %6s %6s %8s %8s %8s %8s %7s %6s\n' "$name" "$relay" \
		"$want" "$final" "$submit_s" "$e2e_s" "$rate" "$sub_rate" "$cpu_ms" \
		"$rss_mb" >>"$TABLE"
	local extra=""
	[ "$relay" != swerved ] || extra=" status $(cat "$dir.status")"
	[ "$relay" != postfix ] || extra=" ($pf_procs postfix processes at the end)"
	echo "$name/$relay: $verdict (sink got $final of $want)$extra" >>"$VERDICTS"
	say "$name via $relay: $verdict; e2e $rate msg/s, cpu $cpu_ms ms/msg"
	rm -rf "$dir"
}

for sc in "${SCENARIOS[@]}"; do
	IFS='|' read -r name args <<<"$sc"
	[[ $name =~ $ONLY ]] || continue
	if [ "$QUICK" = 1 ]; then
		args=$(awk '{ for (i = 2; i <= NF; i++) if ($(i-1) == "-m") $i = int($i / 10); print }' <<<"$args")
	fi
	want=$(awk '{ for (i = 1; i < NF; i++) if ($i == "-m") print $(i+1) }' <<<"$args")
	for relay in $RELAYS; do
		one_run "$name" "$relay" "$args" "$want"
	done
done

# --- RSS with a queue behind a dark provider --------------------------------
RSS_LINE="(skipped)"
DRAIN_LINE="(skipped)"

# drain_run N PORT - the dark provider comes back: start a second sink on
# PORT and wait until it has all N messages and swerved says N sent.
drain_run() {
	local n=$1 port=$2 out=$WORK/sink-drain.out pid t_up w1 w2 w99 t_first t_99 t_all
	local first all final sent st2 dcpu0 dcpu1
	dcpu0=$($UTIL cpu "$SW_PID")
	"${NICE_RUN[@]}" smtp-sink -u nobody -c "127.0.0.1:$port" 1024 >"$out" 2>"$WORK/sink-drain.err" &
	pid=$!
	PIDS+=("$pid")
	t_up=$(date +%s.%N)
	say "drain: provider back on port $port; waiting for $n messages"
	w1=$($UTIL wait "$out" 1 900 0)
	first=$(kv reached "$w1") t_first=$(kv at "$w1")
	w99=$($UTIL wait "$out" $((n * 99 / 100)) 1200 0)
	t_99=$(kv at "$w99")
	w2=$($UTIL wait "$out" "$n" 1200 2)
	all=$(kv reached "$w2") t_all=$(kv at "$w2") final=$(kv final "$w2")
	sent=0
	for _ in $(seq 100); do
		st2=$(status_json "$SW_HTTP")
		sent=$(jq -r '.queue.sent // 0' <<<"$st2")
		[ "$sent" -ge "$n" ] && break
		sleep 0.1
	done
	dcpu1=$($UTIL cpu "$SW_PID")
	DRAIN_LINE=$(printf 'provider back: first message after %.1f s (the cool-down running out), 99%% after %.1f s (%.0f msg/s from the first), all %s after %.1f s;\n  swerved CPU %.3f ms per delivered message (delivery alone); sink got %s; status %s' \
		"$(awk -v a="$t_up" -v b="$t_first" 'BEGIN { print b - a }')" \
		"$(awk -v a="$t_up" -v b="$t_99" 'BEGIN { print b - a }')" \
		"$(awk -v a="$t_first" -v b="$t_99" -v n="$n" 'BEGIN { print (b > a ? n * 0.99 / (b - a) : 0) }')" "$n" \
		"$(awk -v a="$t_up" -v b="$t_all" 'BEGIN { print b - a }')" \
		"$(awk -v d=$((dcpu1 - dcpu0)) -v hz="$HZ" -v n="$n" 'BEGIN { print d / hz * 1e3 / n }')" \
		"$final" "$(jq -c '{queue, delivery, spool}' <<<"$st2")")
	if [ "$first" != 1 ] || [ "$all" != 1 ] || [ "$final" != "$n" ] || [ "$sent" != "$n" ]; then
		FAILED=1
		DRAIN_LINE="FAILED (sink got $final of $n, swerved says $sent sent): $DRAIN_LINE"
	fi
	say "drain: $DRAIN_LINE"
	stop_pid "$pid"
}
if [ "$RSS_MSGS" != 0 ] && [[ rss =~ $ONLY || $ONLY = . ]]; then
	n=$RSS_MSGS
	[ "$QUICK" = 1 ] && n=$((n / 10))
	dark=$(free_port) # nothing listens there: connection refused
	dir=$WORK/rss-dark
	# Short retry back-off so that, once the provider is back, the few
	# messages that were deferred do not wait the default 30 s .. 1 h.
	swerved_start "$dir" "$dark" 'retry: {min_backoff: "1s", max_backoff: "10s"}'
	idle_kb=$(awk '/^VmRSS:/ { print $2 }' "/proc/$SW_PID/status")
	say "rss: $n x $RSS_SIZE B into swerved whose only provider refuses connections"
	t0=$(date +%s.%N)
	rc=0
	timeout 1800 "${NICE_RUN[@]}" smtp-source -d -s 8 -m "$n" -l "$RSS_SIZE" -f "$SENDER" -t "$RCPT" \
		"127.0.0.1:$SW_SMTP" >"$dir.client" 2>&1 || rc=$?
	t1=$(date +%s.%N)
	sleep 3 # let delivery attempts on the last arrivals run and fail
	rss_kb=$(awk '/^VmRSS:/ { print $2 }' "/proc/$SW_PID/status")
	hwm_kb=$(awk '/^VmHWM:/ { print $2 }' "/proc/$SW_PID/status")
	st=$(status_json "$SW_HTTP")
	q=$(jq -c '.queue' <<<"$st")
	queued=$(jq -r '(.queue.ready // 0) + (.queue.deferred // 0) + (.queue.inflight // 0)' <<<"$st")
	if [ "$DRAIN" = 1 ]; then
		drain_run "$n" "$dark"
	fi
	stop_pid "$SW_PID"
	per10k=$(awk -v r="$rss_kb" -v n="$n" 'BEGIN { printf "%.2f", r / 1024 / (n / 10000) }')
	hper10k=$(awk -v r="$hwm_kb" -v n="$n" 'BEGIN { printf "%.2f", r / 1024 / (n / 10000) }')
	gper10k=$(awk -v r="$rss_kb" -v i="$idle_kb" -v n="$n" 'BEGIN { printf "%.2f", (r - i) / 1024 / (n / 10000) }')
	fill=$(awk -v a="$t0" -v b="$t1" -v n="$n" 'BEGIN { printf "%.0f", n / (b - a) }')
	RSS_LINE=$(printf 'queued %s of %s (queue %s), filled at %s msg/s;\n  VmRSS idle %.1f MiB, with the queue full %.1f MiB (%s MiB per 10k queued; growth over idle %s MiB per 10k); VmHWM %.1f MiB (%s MiB per 10k)' \
		"$queued" "$n" "$q" "$fill" "$(awk -v k="$idle_kb" 'BEGIN{print k/1024}')" \
		"$(awk -v k="$rss_kb" 'BEGIN{print k/1024}')" "$per10k" "$gper10k" \
		"$(awk -v k="$hwm_kb" 'BEGIN{print k/1024}')" "$hper10k")
	if [ "$rc" != 0 ] || [ "$queued" != "$n" ]; then
		FAILED=1
		RSS_LINE="FAILED (smtp-source exit $rc, $queued queued of $n): $RSS_LINE"
	fi
	say "rss: $RSS_LINE"
fi

# --- demo failover time --------------------------------------------------------
DEMO_LINE="(skipped)"
if [ "$DEMO" = 1 ] && [ "$ONLY" = . ]; then
	say "demo: scripts/demo.py --bin $BIN"
	if "${NICE_RUN[@]}" /usr/bin/python3 scripts/demo.py --bin "$BIN" >"$WORK/demo.out" 2>&1; then
		DEMO_LINE=$(grep -m1 'failover time' "$WORK/demo.out" | sed 's/^ *//' || true)
		[ -n "$DEMO_LINE" ] || DEMO_LINE="(no failover time line in the demo output)"
	else
		DEMO_LINE="FAILED: $(tail -3 "$WORK/demo.out" | tr '\n' ' ')"
	fi
fi

# --- profile ---------------------------------------------------------------------
PROFILE_TXT=""
if [ -f "$WORK/perf.data" ]; then
	PROFILE_TXT=$(
		echo "by shared object:"
		perf report -i "$WORK/perf.data" --stdio --no-children --sort dso \
			-g none 2>/dev/null | grep -v '^#' | grep -v '^$' | head -12
		echo "by symbol (self time, >= 0.7%):"
		perf report -i "$WORK/perf.data" --stdio --no-children \
			--sort dso,sym --percent-limit 0.7 -g none 2>/dev/null |
			grep -v '^#' | grep -v '^$' | head -60
	)
fi

# --- report ----------------------------------------------------------------------
ratio() {
	awk -v a="${RATE[$1/swerved]:-}" -v b="${RATE[$1/postfix]:-}" \
		'BEGIN { if (a > 0 && b > 0) printf "%.1fx", a / b; else print "-" }'
}
RESULTS=$WORK/results.txt
{
	echo "swerve relay benchmark (end to end) - $(date -u '+%Y-%m-%d %H:%M UTC')"
	echo "commit:  $(git rev-parse --short HEAD 2>/dev/null || echo '?')$(git diff --quiet -- src 2>/dev/null || echo ' (+uncommitted src changes in the checkout)')"
	echo "machine: $(nproc) cores, $(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo), kernel $(uname -r); load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
	echo "postfix: $(postconf -d -h mail_version 2>/dev/null) (stock, private instance); spool/queue on $(stat -f -c %T "$WORK") under $TMPBASE$( [ "$QUICK" = 1 ] && echo '; QUICK=1 (1/10 of the messages)')"
	echo "chain:   smtp-source -> relay -> smtp-sink, all on 127.0.0.1, same machine, all under nice -n ${NICE}"
	echo
	cat "$TABLE"
	echo
	echo "ratios swerved/postfix, end to end:"
	for sc in "${SCENARIOS[@]}"; do
		name=${sc%%|*}
		[[ $name =~ $ONLY ]] || continue
		echo "  $name: $(ratio "$name")"
	done
	echo
	echo "rss (dark provider): $RSS_LINE"
	echo "drain (provider back): $DRAIN_LINE"
	echo "demo: $DEMO_LINE"
	echo
	echo "columns: sunk = messages the sink counted (must equal msgs); submit_s = smtp-source"
	echo "  wall time; e2e_s = first submission until the sink counted the last message;"
	echo "  e2e_msg/s = msgs / e2e_s; sub_msg/s = msgs / submit_s; cpu_ms/m = CPU"
	echo "  (utime+stime, whole process tree incl. reaped children) of the relay per message;"
	echo "  rss_MB = swerved VmHWM; postfix: sum of Pss over master + live daemons at the end"
	echo
	cat "$VERDICTS"
	if [ -n "$PROFILE_TXT" ]; then
		echo
		echo "perf profile of swerved during $PROFILE (perf record -F 999 -g; self time):"
		echo "$PROFILE_TXT"
	fi
} >"$RESULTS"
cat "$RESULTS"
if [ "${NO_RESULTS:-0}" != 1 ] && [ "$ONLY" = . ] && [ "$QUICK" != 1 ]; then
	mkdir -p bench/results
	out=bench/results/relay-$(date -u +%Y%m%d-%H%M).txt
	cp "$RESULTS" "$out"
	say "results written to $out"
fi
exit "$FAILED"
