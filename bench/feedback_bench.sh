#!/usr/bin/env bash
# bench/feedback_bench.sh - build and run the provider webhook verifier
# benchmark (bench/feedback_bench.c) against the release library.
#
#   bench/feedback_bench.sh [seconds per case]   (default 2)
set -euo pipefail
cd "$(dirname "$0")/.."
B=${B:-build}
make -s "$B/release/libswerve.a"
out="$B/bench/feedback_bench"
mkdir -p "$(dirname "$out")"
pkgs="libevent libevent_openssl libevent_pthreads openssl sqlite3 yaml-0.1 jansson libcurl libxml-2.0 libidn2 libsystemd"
# shellcheck disable=SC2046
cc -D_GNU_SOURCE -Isrc -std=c17 -Wall -Wextra -Werror -Wshadow \
	-Wno-unused-parameter -O2 -g $(pkg-config --cflags $pkgs) \
	-o "$out" bench/feedback_bench.c "$B/release/libswerve.a" \
	$(pkg-config --libs $pkgs) -lpthread -lm
exec "$out" "$@"
