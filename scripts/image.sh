#!/usr/bin/env bash
# Builds the container image docker-server:<version> (and :latest) without network access,
# like the original's evgy/dockerserver: a minimal root file system holding the static binary
# (a plain `swift build -c release`) and what HTTPS and names need at run time, loaded with
# `docker import`:
#   - this machine's shared glibc (libc.so.6 and the dynamic loader): OpenSSL, loaded with
#     dlopen only for --https and https:// cluster nodes, brings it, and host names resolve
#     through it (NSS; /etc/nsswitch.conf);
#   - libssl.so.3 and libcrypto.so.3 (OpenSSL 3), the system's openssl.cnf and its CA
#     certificates (/etc/ssl/certs/ca-certificates.crt, /usr/lib/ssl/cert.pem);
#   - /tmp (the default log and rate-limit folder), /certs (where --https looks).
# Entry point: docker-server --listen 1717, logging to stderr (docker logs), a shutdown grace
# of 5 s (docker stop kills after 10 s: connections are ended cleanly before that); arguments
# given to `docker run` after the image are passed on (--https, --cluster, …).
# Usage: scripts/image.sh [BINARY]   (default: builds .build/release/docker-server)
# Prints the image's tag. Needs docker (the engine), tar, and the OpenSSL 3 libraries.
set -euo pipefail
cd "$(dirname "$0")/.."
fail() { echo "image: $*" >&2; exit 1; }
command -v docker >/dev/null || fail "docker is not installed"
if [ $# -ge 1 ]; then
  BIN=$1
else
  swift build -c release >&2
  BIN=.build/release/docker-server
fi
[ -x "$BIN" ] || fail "no docker-server binary at $BIN"
case $(file -b "$BIN" 2>/dev/null || echo unknown) in
  *"statically linked"*) ;;
  unknown) ;;
  *) fail "$BIN is not a static executable (build it with swift build -c release)" ;;
esac
VERSION=$(sed -n 's/.*static let current = "\(.*\)".*/\1/p' Sources/DockerServerCore/Version.swift)
[ -n "$VERSION" ] || fail "cannot read the version from Sources/DockerServerCore/Version.swift"
TAG=docker-server:$VERSION

# The OpenSSL libraries as the dynamic loader finds them, and everything they need.
libssl=$(ldconfig -p | awk '$1 == "libssl.so.3" && /x86-64|x86_64|64bit/ {print $NF; exit}')
[ -n "$libssl" ] || libssl=$(ldconfig -p | awk '$1 == "libssl.so.3" {print $NF; exit}')
[ -n "$libssl" ] && [ -e "$libssl" ] || fail "libssl.so.3 not found (apt-get install libssl3)"
ROOT=$(mktemp -d /tmp/ds-image.XXXXXX)
trap 'rm -rf "$ROOT"' EXIT
# copy PATH: the file at its path in the image, and every symbolic link on the way to it.
copy() {
  local path=$1
  while [ -L "$path" ]; do
    mkdir -p "$ROOT$(dirname "$path")"
    cp -P "$path" "$ROOT$path"
    local target
    target=$(readlink "$path")
    case $target in /*) path=$target ;; *) path=$(dirname "$path")/$target ;; esac
  done
  mkdir -p "$ROOT$(dirname "$path")"
  cp "$path" "$ROOT$path"
}
# The directories of the merged /usr layout, as links, before anything is copied through them.
for dir in bin lib lib64 sbin; do
  if [ -L "/$dir" ]; then cp -P "/$dir" "$ROOT/$dir"; mkdir -p "$ROOT/$(dirname "/$dir")/$(readlink "/$dir")"; fi
done
copy "$libssl"
libcrypto=$(dirname "$libssl")/libcrypto.so.3
copy "$libcrypto"
for lib in $(ldd "$libssl" "$libcrypto" | awk '/=> \// {print $3} /^[ \t]*\/[^ ]*ld-linux/ {print $1}' | sort -u); do
  copy "$lib"
done
# The shared libc's name service switch: host names from /etc/hosts (docker provides it) and DNS.
mkdir -p "$ROOT/etc"
printf 'hosts: files dns\n' >"$ROOT/etc/nsswitch.conf"
printf 'root:x:0:0:root:/root:/usr/sbin/nologin\n' >"$ROOT/etc/passwd"
printf 'root:x:0:\n' >"$ROOT/etc/group"
# OpenSSL's configuration and the CA certificates, where OpenSSL 3 on Debian looks.
[ -e /etc/ssl/certs/ca-certificates.crt ] || fail "no CA certificates (apt-get install ca-certificates)"
copy /etc/ssl/certs/ca-certificates.crt
copy /usr/lib/ssl/openssl.cnf
mkdir -p "$ROOT/usr/lib/ssl"
ln -sfn /etc/ssl/certs/ca-certificates.crt "$ROOT/usr/lib/ssl/cert.pem"
ln -sfn /etc/ssl/certs "$ROOT/usr/lib/ssl/certs"
mkdir -p "$ROOT/usr/local/bin" "$ROOT/certs" "$ROOT/tmp"
chmod 1777 "$ROOT/tmp"
chmod 755 "$ROOT"   # mktemp made it owner-only: the image's / must be readable by every user
install -m 0755 "$BIN" "$ROOT/usr/local/bin/docker-server"

tar -C "$ROOT" --numeric-owner --owner=0 --group=0 -c . | docker import \
  -c 'ENTRYPOINT ["/usr/local/bin/docker-server", "--listen", "1717"]' \
  -c 'ENV DS_LOG_FILE=stderr' \
  -c 'ENV DS_SHUTDOWN_GRACE=5' \
  -c 'EXPOSE 1717' \
  -c "LABEL org.opencontainers.image.title=docker-server org.opencontainers.image.version=$VERSION" \
  -m "docker-server $VERSION (scripts/image.sh)" - "$TAG" >/dev/null
docker tag "$TAG" docker-server:latest
echo "$TAG"
