#!/usr/bin/env bash
# bench/dash_bench.sh - build and run the dashboard rendering benchmark
# (bench/dash_bench.c) against the release library.
#
#   bench/dash_bench.sh [providers] [seconds]   (default 8, 2)
exec bash "$(dirname "$0")/cbuild.sh" dash_bench "$@"
