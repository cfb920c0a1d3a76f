#!/usr/bin/env bash
# setup-npm.sh - install the official provider SDKs the tests/sdk tests use.
#
#   tests/sdk/setup-npm.sh     (exit 0: installed or already there;
#                               exit 2: npm or the registry is unreachable;
#                               the tests then skip, saying so)
#
# Pinned versions, installed into tests/sdk/node_modules (ignored by git).
# A second run with every package at its pinned version does nothing.
set -euo pipefail
cd "$(dirname "$0")"

PKGS=(
	@aws-sdk/client-sesv2@3.1176.0
	@aws-sdk/client-ses@3.1169.0
	@sendgrid/mail@8.1.6
	@sendgrid/client@8.1.6
	postmark@5.1.0
	mailgun.js@14.0.1
	form-data@4.0.6
	resend@6.38.0
	nodemailer@7.0.9
)

# setup-npm.sh DIR PKG...: the same for other pins in their own prefix
# tests/sdk/DIR (setup-npm-more.sh).
if [ $# -gt 0 ]; then
	mkdir -p "$1"
	cd "$1"
	shift
	PKGS=("$@")
fi

missing=()
for spec in "${PKGS[@]}"; do
	name=${spec%@*}
	ver=${spec##*@}
	have=$(node -p "require('./node_modules/$name/package.json').version" \
		2>/dev/null || true)
	[ "$have" = "$ver" ] || missing+=("$spec")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if ! command -v npm >/dev/null 2>&1; then
	echo "setup-npm: npm is not installed" >&2
	exit 2
fi
[ -f package.json ] || echo '{"private": true}' >package.json
if ! timeout 600 npm install --no-audit --no-fund --no-save \
	--loglevel=error "${PKGS[@]}" >&2; then
	echo "setup-npm: npm install failed (registry unreachable?)" >&2
	exit 2
fi
for spec in "${PKGS[@]}"; do
	node -p "require('./node_modules/${spec%@*}/package.json').version" \
		>/dev/null
done
