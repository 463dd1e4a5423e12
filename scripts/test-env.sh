#!/usr/bin/env bash
# Prepares this machine for the test suite (Debian 12, root): apt packages, a running dockerd
# (vfs storage), a local registry on 127.0.0.1:5000, and the busybox test image
# `ds-test/busybox:1` imported locally and pushed as `127.0.0.1:5000/ds-test/busybox:1`, and the
# PyPI tools the tests use (openapi-spec-validator, PyYAML, botocore, moto and schemathesis).
# Idempotent: whatever already runs is reused. Logs go to ${DS_TEST_STATE:-/tmp/ds-test}.
set -euo pipefail
state=${DS_TEST_STATE:-/tmp/ds-test}
mkdir -p "$state"

need=()
for pair in docker:docker.io dockerd:docker.io busybox:busybox-static docker-registry:docker-registry \
            xinetd:xinetd curl:curl socat:socat hyperfine:hyperfine wrk:wrk openssl:openssl python3:python3 \
            debootstrap:debootstrap systemd-nspawn:systemd-container ip:iproute2 file:file; do
  command -v "${pair%%:*}" >/dev/null 2>&1 || need+=("${pair#*:}")
done
dpkg -s busybox-static >/dev/null 2>&1 || need+=(busybox-static)
# --https loads the system's OpenSSL 3 at run time; a test checks our copies of its constants
# against its headers (libssl-dev), compiled with cc.
[ -e /usr/lib/x86_64-linux-gnu/libssl.so.3 ] || [ -e /lib/x86_64-linux-gnu/libssl.so.3 ] || ldconfig -p | grep -q 'libssl.so.3 ' || need+=(libssl3)
[ -e /usr/include/openssl/ssl.h ] || need+=(libssl-dev)
command -v cc >/dev/null 2>&1 || need+=(gcc libc6-dev)
command -v systemd-socket-activate >/dev/null 2>&1 || need+=(systemd)
if [ ${#need[@]} -gt 0 ]; then
  echo "test-env: installing ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${need[@]}" >/dev/null
fi

# PyPI: the OpenAPI document is validated with openapi-spec-validator; the S3 store is
# checked against botocore's signer and a moto server (scripts/s3-server.sh); schemathesis
# checks the live server against the document (Tests/e2e/contract.sh).
if ! python3 -c 'import openapi_spec_validator, yaml, botocore, moto.server, schemathesis' 2>/dev/null; then
  echo "test-env: installing openapi-spec-validator, PyYAML, moto[server] and schemathesis (pip)"
  command -v pip3 >/dev/null 2>&1 || python3 -m pip --version >/dev/null 2>&1 || {
    export DEBIAN_FRONTEND=noninteractive; apt-get update -qq; apt-get install -y -qq python3-pip >/dev/null; }
  python3 -m pip install -q openapi-spec-validator pyyaml 'moto[server]' schemathesis 2>/dev/null ||
    python3 -m pip install -q --break-system-packages openapi-spec-validator pyyaml 'moto[server]' schemathesis
fi

if ! docker info >/dev/null 2>&1; then
  echo "test-env: starting dockerd (vfs storage)"
  nohup dockerd --storage-driver=vfs >"$state/dockerd.log" 2>&1 &
  for _ in $(seq 60); do docker info >/dev/null 2>&1 && break; sleep 1; done
  docker info >/dev/null 2>&1 || { echo "test-env: dockerd did not start, see $state/dockerd.log" >&2; exit 1; }
fi

if ! curl -fsS -o /dev/null http://127.0.0.1:5000/v2/ 2>/dev/null; then
  echo "test-env: starting a local registry on 127.0.0.1:5000"
  mkdir -p "$state/registry"
  cat >"$state/registry.yml" <<YML
version: 0.1
log: {level: warn}
storage:
  filesystem: {rootdirectory: $state/registry}
  delete: {enabled: true}
http:
  addr: 127.0.0.1:5000
YML
  nohup docker-registry serve "$state/registry.yml" >"$state/registry.log" 2>&1 &
  for _ in $(seq 30); do curl -fsS -o /dev/null http://127.0.0.1:5000/v2/ 2>/dev/null && break; sleep 0.5; done
  curl -fsS -o /dev/null http://127.0.0.1:5000/v2/ || { echo "test-env: registry did not start, see $state/registry.log" >&2; exit 1; }
fi

# The image's version label: a machine with an older test image gets the current one.
IMAGE_VERSION=2
pushed=
if [ "$(docker image inspect -f '{{index .Config.Labels "ds-test.version"}}' ds-test/busybox:1 2>/dev/null)" != "$IMAGE_VERSION" ]; then
  echo "test-env: importing the busybox test image ds-test/busybox:1"
  root=$(mktemp -d)
  mkdir -p "$root/bin" "$root/data" "$root/tmp" "$root/www"
  # Readable by every user (runs with user=1000), /tmp writable by all as usual.
  chmod 755 "$root" "$root/bin" "$root/data" "$root/www"
  chmod 1777 "$root/tmp"
  cp /bin/busybox "$root/bin/busybox"
  for cmd in sh echo cat sleep ls httpd touch printf false true wc head env id mkdir rm; do
    ln -s busybox "$root/bin/$cmd"
  done
  echo "hello from busybox httpd" >"$root/www/index.html"
  tar -C "$root" -c . | docker import -c 'ENV PATH=/bin' -c "LABEL ds-test.version=$IMAGE_VERSION" - ds-test/busybox:1 >/dev/null
  rm -rf "$root"
  pushed=no
fi
if [ "$pushed" = no ] || ! curl -fsS -o /dev/null http://127.0.0.1:5000/v2/ds-test/busybox/manifests/1 \
     -H 'Accept: application/vnd.docker.distribution.manifest.v2+json' 2>/dev/null; then
  echo "test-env: pushing 127.0.0.1:5000/ds-test/busybox:1"
  docker tag ds-test/busybox:1 127.0.0.1:5000/ds-test/busybox:1
  docker push -q 127.0.0.1:5000/ds-test/busybox:1 >/dev/null
fi
echo "test-env: ready (dockerd $(docker version -f '{{.Server.APIVersion}}'), registry 127.0.0.1:5000, image ds-test/busybox:1)"
