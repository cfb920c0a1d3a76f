#!/usr/bin/env bash
# setup-npm.sh - install the reference template engines the differential
# test renders with: npm handlebars and mustache, pinned in
# node/package.json and node/package-lock.json, into node/node_modules
# (ignored by git).
#
#   tests/tmpl/setup-npm.sh   (exit 0: installed or already there;
#                              exit 2: npm or the registry is unreachable,
#                              the tests then skip, saying so)
set -euo pipefail
cd "$(dirname "$0")/node"

want_hbs=$(node -p "require('./package.json').dependencies.handlebars")
want_mus=$(node -p "require('./package.json').dependencies.mustache")
have_hbs=$(node -p "require('./node_modules/handlebars/package.json').version" 2>/dev/null || true)
have_mus=$(node -p "require('./node_modules/mustache/package.json').version" 2>/dev/null || true)
[ "$have_hbs" = "$want_hbs" ] && [ "$have_mus" = "$want_mus" ] && exit 0
if ! command -v npm >/dev/null 2>&1; then
	echo "setup-npm: npm is not installed" >&2
	exit 2
fi
if ! timeout 600 npm ci --no-audit --no-fund --loglevel=error >&2; then
	echo "setup-npm: npm ci failed (registry unreachable?)" >&2
	exit 2
fi
