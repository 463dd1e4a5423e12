#!/usr/bin/env bash
# The test command (README, .ci/run): prepares the machine (apt packages, dockerd, local
# registry, test image), builds, then runs the unit tests, the canned-request fixtures, the
# end-to-end suite, the cluster suite and the systemd suite (a real systemd as PID 1) against the release
# binary that ships.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/test-env.sh
echo "== build (release, static, stripped: scripts/build.sh)"
scripts/build.sh
echo "== docs/openapi.yaml is a valid OpenAPI 3.1 document (openapi-spec-validator)"
python3 -c "import yaml; from openapi_spec_validator import validate; validate(yaml.safe_load(open('docs/openapi.yaml'))); print('docs/openapi.yaml: valid')"
echo "== unit tests and canned-request fixtures (the OpenAPI document is checked against the code there)"
DS_BINARY="$PWD/.build/release/docker-server" swift test
echo "== end-to-end suite"
Tests/e2e/run.sh .build/release/docker-server
echo "== cluster mode: three nodes, each with its own engine in its own network namespace"
Tests/e2e/cluster.sh .build/release/docker-server
echo "== the shipped systemd units under a real systemd as PID 1"
Tests/e2e/systemd.sh .build/release/docker-server
