#!/usr/bin/env bash
# setup-npm.sh - install the npm packages the provider tests use, once.
#
#   tests/providers/setup-npm.sh        (exit 0: installed or already there;
#                                        exit 2: npm or the registry is
#                                        unreachable; the tests then skip)
#
# aws-ses-v2-local is an SES v2 emulator nobody on this project wrote; the
# interop test points a type: ses provider at it. It goes into
# tests/providers/npm/ (ignored by git), pinned, so the result is the same
# on every machine; a second run with the package present does nothing.
set -euo pipefail
cd "$(dirname "$0")"

PKG=aws-ses-v2-local
VER=2.10.2
DIR=npm

have=$(node -p "require('./$DIR/node_modules/$PKG/package.json').version" \
	2>/dev/null || true)
if [ "$have" = "$VER" ]; then
	exit 0
fi
if ! command -v npm >/dev/null 2>&1; then
	echo "setup-npm: npm is not installed" >&2
	exit 2
fi
mkdir -p "$DIR"
[ -f "$DIR/package.json" ] || echo '{"private": true}' >"$DIR/package.json"
if ! timeout 300 npm install --prefix "$DIR" --no-audit --no-fund \
	--no-save --loglevel=error "$PKG@$VER" >&2; then
	echo "setup-npm: npm install $PKG@$VER failed (registry unreachable?)" >&2
	exit 2
fi
node -p "require('./$DIR/node_modules/$PKG/package.json').version" >/dev/null
