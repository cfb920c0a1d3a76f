#!/usr/bin/env bash
# bench/suppress/run.sh - build and run the suppression list benchmark
# (bench/suppress/suppress_bench.c) against the release library.
#
#   bench/suppress/run.sh [entries] [seconds per throughput round]
set -euo pipefail
cd "$(dirname "$0")/../.."
B=${B:-build}
make -s "$B/release/libswerve.a"
out="$B/bench/suppress_bench"
mkdir -p "$(dirname "$out")"
pkgs="libevent libevent_openssl libevent_pthreads openssl sqlite3 yaml-0.1 jansson libcurl libxml-2.0 libidn2 libsystemd"
# shellcheck disable=SC2046
cc -D_GNU_SOURCE -Isrc -std=c17 -Wall -Wextra -Werror -Wshadow \
	-Wno-unused-parameter -O2 -g $(pkg-config --cflags $pkgs) \
	-o "$out" bench/suppress/suppress_bench.c "$B/release/libswerve.a" \
	$(pkg-config --libs $pkgs) -lpthread -lm
exec "$out" "$@"
