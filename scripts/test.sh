#!/usr/bin/env bash
# The test command (README, .ci/run): prepares the machine (apt packages, dockerd, local
# registry, test image), builds, then runs the unit tests, the canned-request fixtures and
# the end-to-end suite against the release binary that ships.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/test-env.sh
echo "== build (release, static, stripped: scripts/build.sh)"
scripts/build.sh
echo "== unit tests and canned-request fixtures"
DS_BINARY="$PWD/.build/release/docker-server" swift test
echo "== end-to-end suite"
Tests/e2e/run.sh .build/release/docker-server
