#!/usr/bin/env bash
# bench/feedback_bench.sh - build and run the provider webhook verifier
# benchmark (bench/feedback_bench.c) against the release library.
#
#   bench/feedback_bench.sh [seconds per case]   (default 2)
exec bash "$(dirname "$0")/cbuild.sh" feedback_bench "$@"
