#!/usr/bin/env bash
# bench/http/run.sh - delivery through each HTTP provider adapter (SES,
# SendGrid, Mailgun, Postmark, Resend) and through the SMTP relay adapter,
# to swerve-mock on loopback, in the same run. See bench/http/README.md.
#
#   bash bench/http/run.sh                    full run, writes bench/results/http-<date>.txt
#   QUICK=1 bash bench/http/run.sh            a tenth of the messages, nothing saved
#   ONLY='^1k/(smtp|ses)$' bash bench/http/run.sh   a subset, nothing saved
#   BIN=/tmp/b-me/release/bin bash bench/http/run.sh binaries from another tree
#
# Needs smtp-source (Debian package postfix) and python3. Everything listens
# on 127.0.0.1; every process started is stopped by PID.
set -euo pipefail
cd "$(dirname "$0")/../.."
exec /usr/bin/python3 bench/http/http_bench.py "$@"
