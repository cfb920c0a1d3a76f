#!/usr/bin/env bash
# setup-npm-more.sh - install the second client per ESP that
# tests/sdk/test_sdk_more.py uses, beside the ones setup-npm.sh installs.
#
#   tests/sdk/setup-npm-more.sh   (exit codes as setup-npm.sh's)
#
# Its own prefix, tests/sdk/more/node_modules (ignored by git): the Resend
# transport wants nodemailer 9 as its peer while setup-npm.sh pins
# nodemailer 7 for the SMTP tests. setup-npm.sh does the work.
set -euo pipefail
exec bash "$(dirname "$0")/setup-npm.sh" more \
	@sendgrid/client@8.1.6 \
	nodemailer-mailgun-transport@2.1.5 \
	@documenso/nodemailer-resend@5.0.0 \
	nodemailer@9.1.1
