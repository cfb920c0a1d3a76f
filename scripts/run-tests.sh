#!/usr/bin/env bash
# run-tests.sh - run swerve's tests and print one closing line for CI.
#
#   scripts/run-tests.sh [unit|fuzz|integration]...   (default: all three)
#
# Unit tests are the cmocka binaries in build/asan/tests; fuzz replays run
# each build/asan/replay/fuzz_X over fuzz/corpus/X; integration tests are
# pytest (Debian's, via /usr/bin/python3) against the ASan binaries. The
# last line is "N passed, N failed"; the exit code is non-zero if anything
# failed or if no test ran at all.
set -uo pipefail
cd "$(dirname "$0")/.."

B=${B:-build}
suites=("$@")
[ ${#suites[@]} -eq 0 ] && suites=(unit fuzz integration)

passed=0
failed=0
failures=()
log=$(mktemp)
trap 'rm -f "$log"' EXIT

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

run_unit() {
	local t n f
	for t in "$B"/asan/tests/test_*; do
		[ -x "$t" ] || continue
		echo "== $t"
		"$t" >"$log" 2>&1
		local rc=$?
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
	local r name
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

run_integration() {
	local n f
	local dirs=()
	for d in tests/integration tests/mock tests/delivery tests/api tests/alerts tests/sdk tests/observe tests/providers; do
		[ -d "$d" ] && dirs+=("$d")
	done
	# One pytest per directory: each has its own conftest.py (several
	# test modules import helpers from it by name), and a crash in one
	# suite does not hide the others' results.
	for d in "${dirs[@]}"; do
		echo "== pytest $d"
		SWERVE_BIN=${SWERVE_BIN:-$(cd "$B" && pwd)/asan/bin} \
			/usr/bin/python3 -m pytest -q -p no:cacheprovider "$d" \
			2>&1 | tee "$log"
		local rc=${PIPESTATUS[0]}
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
	done
}

for s in "${suites[@]}"; do
	case $s in
	unit) run_unit ;;
	fuzz) run_fuzz ;;
	integration) run_integration ;;
	*) echo "run-tests: unknown suite $s" >&2; exit 2 ;;
	esac
done

echo
[ ${#failures[@]} -gt 0 ] && echo "failing: ${failures[*]}"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
