#!/usr/bin/env bash
# The test command (README, .ci/run): prepares the machine (apt packages, dockerd, local
# registry, test image, PyPI tools), builds, then runs the unit tests, the canned-request
# fixtures, the fuzz targets (libFuzzer), the end-to-end suite, the cluster suites (shared folder, S3), the contract test
# (schemathesis), the fault suite, the systemd suite (a real systemd as PID 1) and the load
# suite against the release binary that ships.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/test-env.sh
echo "== build: a plain swift build -c release is the shipped binary, static and stripped (Package.swift)"
swift build -c release
kind=$(file -b .build/release/docker-server)
case $kind in
  *"statically linked"*stripped*) echo "build: $kind" ;;
  *) echo "build: swift build -c release did not make a static, stripped executable: $kind" >&2; exit 1 ;;
esac
echo "== docs/openapi.yaml is a valid OpenAPI 3.1 document (openapi-spec-validator)"
python3 -c "import yaml; from openapi_spec_validator import validate; validate(yaml.safe_load(open('docs/openapi.yaml'))); print('docs/openapi.yaml: valid')"
echo "== Signature Version 4 vectors from botocore, with a new seed each run (scripts/sigv4-vectors.py)"
VECTORS=$(mktemp /tmp/ds-sigv4-vectors.XXXXXX.json)
trap 'rm -f "$VECTORS"' EXIT
python3 scripts/sigv4-vectors.py "$(od -An -N4 -tu4 /dev/urandom | tr -d ' ')" 400 "$VECTORS"
echo "== unit tests and canned-request fixtures (the OpenAPI document is checked against the code there)"
DS_SIGV4_VECTORS="$VECTORS" DS_BINARY="$PWD/.build/release/docker-server" swift test
echo "== coverage-guided fuzzing: every parser, 60 s per target (scripts/fuzz.sh, docs/FUZZING.md)"
scripts/fuzz.sh 60
echo "== end-to-end suite"
Tests/e2e/run.sh .build/release/docker-server
echo "== cluster mode: three nodes, each with its own engine in its own network namespace"
Tests/e2e/cluster.sh .build/release/docker-server
echo "== cluster mode on the S3 store: a local S3 API (moto) that checks signatures"
Tests/e2e/s3.sh .build/release/docker-server
echo "== contract: schemathesis against docs/openapi.yaml and a live server on the real engine"
Tests/e2e/contract.sh .build/release/docker-server
echo "== the container image (scripts/image.sh): list, run, exec, logs, rm and HTTPS through it"
Tests/e2e/image.sh .build/release/docker-server
echo "== faults: the engine stopped, killed, silent; folders unusable; clients gone; hung nodes; big answers"
Tests/e2e/faults.sh .build/release/docker-server
echo "== the shipped systemd units under a real systemd as PID 1"
Tests/e2e/systemd.sh .build/release/docker-server
echo "== load: 32 clients for 30 s through --listen and the default units, nothing left behind"
Tests/e2e/load.sh .build/release/docker-server
