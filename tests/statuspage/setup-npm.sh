#!/usr/bin/env bash
# setup-npm.sh - install the Statuspage API v2 client the status page
# tests read swerve's page with: statuspage.io (npm), pinned to 3.3.8,
# the newest release that runs on Node 20 (3.4.x needs Node 21).
#
#   tests/statuspage/setup-npm.sh   (exit 0: installed or already there;
#                                    exit 2: npm or the registry is
#                                    unreachable: the test then skips)
#
# Its own prefix, tests/statuspage/npm/node_modules (ignored by git).
set -euo pipefail
exec bash "$(dirname "$0")/../sdk/setup-npm.sh" ../statuspage/npm \
	statuspage.io@3.3.8
