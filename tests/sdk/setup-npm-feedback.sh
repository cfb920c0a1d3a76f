#!/usr/bin/env bash
# setup-npm-feedback.sh - install the providers' own webhook verifiers
# that tests/sdk/test_feedback_sigs.py checks swerve's verifiers against:
# SendGrid's @sendgrid/eventwebhook (ECDSA, on starkbank-ecdsa) and the
# Standard Webhooks reference library that Resend's (Svix) scheme is.
#
#   tests/sdk/setup-npm-feedback.sh   (exit codes as setup-npm.sh's)
#
# Its own prefix, tests/sdk/feedback/node_modules (ignored by git), so
# the pins here never move the SDKs' tree. Both run on Node 20.
# setup-npm.sh does the work.
set -euo pipefail
exec bash "$(dirname "$0")/setup-npm.sh" feedback \
	@sendgrid/eventwebhook@8.0.0 \
	standardwebhooks@1.0.0
