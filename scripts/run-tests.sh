#!/usr/bin/env bash
# run-tests.sh - run swerve's tests, a few suites at a time, and print one
# closing line for CI.
#
#   scripts/run-tests.sh [unit|fuzz|integration|lint]...  (default: all four)
#
# Unit tests are the cmocka binaries in build/asan/tests; fuzz replays run
# each build/asan/replay/fuzz_X over fuzz/corpus/X; integration tests are
# pytest (Debian's, via /usr/bin/python3) against the ASan binaries, one
# pytest per directory under tests/; lint is `make lint`, run at a lower
# CPU priority so that it only takes what the tests leave idle.
#
# JOBS suites (default 3) run at once, each pytest directory a suite of
# its own: they spend most of their time waiting on daemons, and they
# share no port and no file (tests/lib/swerve_harness.py: ports from the
# kernel, reserved across processes; everything else in each test's own
# temp dir). Each suite's output is kept until it ends, then printed in
# full with its wall time.
# The last line is "N passed, N failed"; the exit code is non-zero if
# anything failed or if no test ran at all.
set -uo pipefail
cd "$(dirname "$0")/.."

B=${B:-build}
JOBS=${JOBS:-3}
suites=("$@")
[ ${#suites[@]} -eq 0 ] && suites=(unit fuzz integration lint)

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export SWERVE_BIN=${SWERVE_BIN:-$(cd "$B" 2>/dev/null && pwd)/asan/bin}

# Each runner below prints its output and leaves its counts in the
# variables passed, failed and failures of its own subshell.

run_unit() {
	local t n f rc log=$tmp/unit.log
	for t in "$B"/asan/tests/test_*; do
		[ -x "$t" ] || continue
		echo "== $t"
		"$t" >"$log" 2>&1
		rc=$?
		cat "$log"
		n=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' "$log" | tail -1)
		f=$(sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' "$log" | tail -1)
		passed=$((passed + ${n:-0}))
		failed=$((failed + ${f:-0}))
		if [ $rc -ne 0 ] && [ "${f:-0}" -eq 0 ]; then
			failed=$((failed + 1))
		fi
		[ $rc -ne 0 ] && failures+=("$t")
	done
}

run_fuzz() {
	local r name log=$tmp/fuzz.log
	for r in "$B"/asan/replay/fuzz_*; do
		[ -x "$r" ] || continue
		name=${r##*/fuzz_}
		echo "== replay $name"
		if "$r" "fuzz/corpus/$name" >"$log" 2>&1; then
			passed=$((passed + 1))
			tail -1 "$log"
		else
			cat "$log"
			failed=$((failed + 1))
			failures+=("replay $name")
		fi
	done
}

# run_pytest DIR - one pytest for one directory: a crash in one suite
# does not hide the others' results.
run_pytest() {
	local d=$1 n f rc log=$tmp/pytest.${1//\//_}.log
	/usr/bin/python3 -m pytest -q -p no:cacheprovider "$d" 2>&1 | tee "$log"
	rc=${PIPESTATUS[0]}
	n=$(tail -1 "$log" | grep -o '[0-9]* passed' | grep -o '[0-9]*')
	f=$(tail -1 "$log" | grep -oE '[0-9]+ (failed|errors?)' |
		awk '{s += $1} END {print s + 0}')
	passed=$((passed + ${n:-0}))
	failed=$((failed + ${f:-0}))
	# rc 5: every test of the directory was skipped or none was
	# collected; a skip says why, and the total still must be > 0.
	if [ "$rc" -ne 0 ] && [ "$rc" -ne 5 ] && [ "${f:-0}" -eq 0 ]; then
		failed=$((failed + 1))
	fi
	[ "$rc" -ne 0 ] && [ "$rc" -ne 5 ] && failures+=("pytest $d")
}

# run_lint - make lint counts as one test. A fresh make: the caller's
# jobserver is not ours to share.
run_lint() {
	if env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL nice -n 10 \
		make --no-print-directory -s lint B="$B"; then
		echo "lint: clean"
		passed=$((passed + 1))
	else
		failed=$((failed + 1))
		failures+=("lint")
	fi
}

# The suites to run, longest first so that the short ones fill the gaps.
names=()
cmds=()
add() {
	names+=("$1")
	cmds+=("$2")
}
for s in "${suites[@]}"; do
	case $s in
	unit | fuzz | lint) ;;
	integration)
		# Known directories longest first, then any other one.
		for d in tests/delivery tests/providers tests/observe \
			tests/integration tests/sdk tests/alerts tests/mock \
			tests/api tests/*/; do
			d=${d%/}
			ls "$d"/test_*.py >/dev/null 2>&1 || continue
			case " ${names[*]} " in *" pytest $d "*) continue ;; esac
			add "pytest $d" "run_pytest $d"
		done
		;;
	*)
		echo "run-tests: unknown suite $s" >&2
		exit 2
		;;
	esac
done
for s in lint unit fuzz; do
	case " ${suites[*]} " in
	*" $s "*)
		if [ "$s" = lint ]; then
			names=("$s" "${names[@]}")
			cmds=("run_$s" "${cmds[@]}")
		else
			add "$s" "run_$s"
		fi
		;;
	esac
done

# run_one I - run suite I in a subshell; output to $tmp/I.out, counts to
# $tmp/I.res ("passed failed seconds"), failing names to $tmp/I.fail.
run_one() {
	local i=$1 start=$SECONDS
	(
		passed=0
		failed=0
		failures=()
		${cmds[$i]}
		printf '%s\n' "${failures[@]}" >"$tmp/$i.fail"
		echo "$passed $failed $((SECONDS - start))" >"$tmp/$i.res.tmp"
		mv "$tmp/$i.res.tmp" "$tmp/$i.res"
	) >"$tmp/$i.out" 2>&1 </dev/null
}

passed=0
failed=0
failures=()
shown=()
report() {
	local i p f secs
	for i in "${!names[@]}"; do
		[ -e "$tmp/$i.res" ] && [ -z "${shown[$i]:-}" ] || continue
		shown[$i]=1
		read -r p f secs <"$tmp/$i.res"
		echo "== ${names[$i]}"
		cat "$tmp/$i.out"
		echo "== ${names[$i]}: $p passed, $f failed (${secs}s)"
		echo
		passed=$((passed + p))
		failed=$((failed + f))
		mapfile -t -O ${#failures[@]} failures <"$tmp/$i.fail"
	done
}

next=0
while [ $next -lt ${#names[@]} ] || [ -n "$(jobs -rp)" ]; do
	while [ $next -lt ${#names[@]} ] &&
		[ "$(jobs -rp | wc -l)" -lt "$JOBS" ]; do
		run_one $next &
		next=$((next + 1))
	done
	wait -n
	report
done
wait
report

for i in "${!failures[@]}"; do
	[ -z "${failures[$i]}" ] && unset "failures[$i]"
done
[ ${#failures[@]} -gt 0 ] && echo "failing: ${failures[*]}"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
