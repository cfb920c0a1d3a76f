#!/usr/bin/env bash
# bench/anomaly_cost.sh - build and run the anomaly detector's cost
# benchmark (bench/anomaly_cost.c) against the release library.
#
#   bench/anomaly_cost.sh [messages per second]   (default 200)
exec bash "$(dirname "$0")/cbuild.sh" anomaly_cost "$@"
