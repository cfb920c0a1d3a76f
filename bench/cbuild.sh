#!/usr/bin/env bash
# bench/cbuild.sh - build one C benchmark, bench/NAME.c, against the
# release library and run it with the remaining arguments.
#
#   bench/cbuild.sh NAME [ARGS...]
set -euo pipefail
cd "$(dirname "$0")/.."
name=$1
shift
B=${B:-build}
make -s "$B/release/libswerve.a"
out="$B/bench/$name"
mkdir -p "$(dirname "$out")"
pkgs="libevent libevent_openssl libevent_pthreads openssl sqlite3 yaml-0.1 jansson libcurl libxml-2.0 libidn2 libsystemd"
# shellcheck disable=SC2046
cc -D_GNU_SOURCE -Isrc -std=c17 -Wall -Wextra -Werror -Wshadow \
	-Wno-unused-parameter -O2 -g $(pkg-config --cflags $pkgs) \
	-o "$out" "bench/$name.c" "$B/release/libswerve.a" \
	$(pkg-config --libs $pkgs) -lpthread -lm
exec "$out" "$@"
