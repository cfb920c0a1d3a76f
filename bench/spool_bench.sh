#!/usr/bin/env bash
# bench/spool_bench.sh - build and run the spool group-commit benchmark.
#
#   bench/spool_bench.sh [spool_bench args...]   e.g. -n 50000 -c 8 -s 1024
#
# Builds bench/spool_bench.c with release flags against src/core and
# src/spool only (so it does not depend on the rest of the tree), into
# ${B:-build}/bench/, and runs it in a fresh directory under the current
# one (a real disk: the point is to measure fsync). With no arguments it
# runs the reference case (8 submitters x 1 KiB) and a few variations.
set -euo pipefail
cd "$(dirname "$0")/.."
B=${B:-build}
out="$B/bench/spool_bench"
mkdir -p "$(dirname "$out")"
pkgs="libevent libevent_openssl libevent_pthreads openssl sqlite3 yaml-0.1 jansson libcurl libidn2 libsystemd"
# shellcheck disable=SC2046
cc -D_GNU_SOURCE -Isrc -std=c17 -Wall -Wextra -Werror -Wshadow \
	-Wno-unused-parameter -O2 -g $(pkg-config --cflags $pkgs) \
	-o "$out" bench/spool_bench.c src/core/*.c src/spool/*.c \
	$(pkg-config --libs $pkgs) -lpthread -lm
if [ $# -gt 0 ]; then
	exec "$out" "$@"
fi
"$out" -n 50000 -c 8 -s 1024
"$out" -n 20000 -c 1 -s 1024
"$out" -n 50000 -c 64 -s 1024
"$out" -n 20000 -c 8 -s 16384
