#!/usr/bin/env bash
# setup-npm-sns.sh - install the SNS message validator that
# tests/sdk/test_sns_validator.py cross-checks swerve's SNS verification
# with (aws-js-sns-message-validator; 0.3.5 runs on Node 20).
#
#   tests/sdk/setup-npm-sns.sh   (exit codes as setup-npm.sh's)
#
# Its own prefix, tests/sdk/sns/node_modules (ignored by git).
set -euo pipefail
exec bash "$(dirname "$0")/setup-npm.sh" sns sns-validator@0.3.5
