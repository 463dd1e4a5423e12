#!/usr/bin/env bash
# Builds the shipped binary, .build/release/docker-server, exactly as a plain
# `swift build -c release` does: Package.swift links a release build as a static executable
# (no dynamic loader, no shared Swift runtime to map: the process starts per connection),
# stripped (fewer pages to map and fault in at each start). See docs/BENCHMARKS.md.
# Extra arguments go to swift build (--scratch-path, -Xswiftc -DDS_NO_TLS, …).
set -euo pipefail
cd "$(dirname "$0")/.."
swift build -c release "$@"
