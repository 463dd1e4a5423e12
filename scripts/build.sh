#!/usr/bin/env bash
# Builds the shipped binary, .build/release/docker-server: release mode, a static executable
# (no dynamic loader, no shared Swift runtime to map: the process starts per connection) and
# stripped (fewer pages to map and fault in at each start). See docs/BENCHMARKS.md.
set -euo pipefail
cd "$(dirname "$0")/.."
swift build -c release -Xswiftc -static-executable -Xlinker -s "$@"
