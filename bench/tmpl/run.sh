#!/usr/bin/env bash
# bench/tmpl/run.sh - build and run the template render benchmark
# (bench/tmpl/tmpl_bench.c) against the release library.
#
#   bench/tmpl/run.sh [N]          wall clock: us per parse and per render
#   bench/tmpl/run.sh callgrind    instructions per render under callgrind,
#                                  per dialect (N=2000 and N=4000; the
#                                  difference / 2000: renders only, the
#                                  1000 parses of each run cancel out)
set -euo pipefail
cd "$(dirname "$0")/../.."
B=${B:-build}
make -s "$B/release/libswerve.a"
out="$B/bench/tmpl_bench"
mkdir -p "$(dirname "$out")"
pkgs=$(sed -n '/^PKGS/,/[^\\]$/p' Makefile | sed 's/^PKGS *:= *//; s/\\//g' | tr '\n' ' ')
# shellcheck disable=SC2046,SC2086
cc -D_GNU_SOURCE -Isrc -std=c17 -Wall -Wextra -Werror -Wshadow \
	-Wno-unused-parameter -O2 -g $(pkg-config --cflags $pkgs) \
	-o "$out" bench/tmpl/tmpl_bench.c "$B/release/libswerve.a" \
	$(pkg-config --libs $pkgs) -lpthread -lm
if [ "${1:-}" != callgrind ]; then
	exec nice "$out" "$@"
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
count() { # count N DIALECT: total instructions of a run with N renders
	valgrind --tool=callgrind --callgrind-out-file="$tmp/cg.$1.$2" \
		"$out" "$1" "$2" >/dev/null 2>"$tmp/err.$1.$2"
	sed -n 's/^summary: //p' "$tmp/cg.$1.$2"
}
for d in handlebars mustache; do
	a=$(count 2000 "$d")
	b=$(count 4000 "$d")
	echo "$d: $(( (b - a) / 2000 )) instructions per render"
done
