#!/usr/bin/env bash
# setup-npm-webhooks.sh - install the official Standard Webhooks library
# that tests/observe/test_webhooks_out.py verifies swerve's outbound
# webhooks with (standardwebhooks 1.0.0 runs on Node 20).
#
#   tests/sdk/setup-npm-webhooks.sh   (exit codes as setup-npm.sh's)
#
# Its own prefix, tests/sdk/webhooks/node_modules (ignored by git).
set -euo pipefail
exec bash "$(dirname "$0")/setup-npm.sh" webhooks standardwebhooks@1.0.0
