#!/usr/bin/env bash
# Sets up docker-server on this machine (Debian/Ubuntu, as root) and runs it for real:
#  1. installs Docker (apt: docker.io) when missing and makes sure the engine answers;
#  2. builds the release binary (scripts/build.sh) and installs it as $PREFIX/bin/docker-server;
#  3. creates the API token /etc/docker-server/token (random, mode 0600) unless it exists;
#  4. with systemd as PID 1: installs systemd/docker-server.socket and docker-server@.service
#     and enables the socket (port 1717); otherwise runs `docker-server --listen` in the
#     foreground (the built-in inetd; stop it with Ctrl-C).
# Environment: PREFIX (/usr/local), DS_LISTEN ([ADDR:]PORT for --listen, 1717),
# DOCKERD_ARGS (extra dockerd flags when this script has to start dockerd itself).
set -euo pipefail
cd "$(dirname "$0")/.."
PREFIX=${PREFIX:-/usr/local}
LISTEN=${DS_LISTEN:-1717}
TOKEN_FILE=/etc/docker-server/token
say() { echo "install: $*"; }
die() { echo "install: $*" >&2; exit 1; }

[ "$(id -u)" = 0 ] || die "run as root (sudo $0): it installs packages, /etc/docker-server and $PREFIX/bin"
command -v swift >/dev/null || die "the Swift toolchain (swift) is not on PATH; see https://www.swift.org/install/linux/"
systemd_pid1=false
[ -d /run/systemd/system ] && systemd_pid1=true

# 1. Docker engine.
if ! command -v dockerd >/dev/null; then
  say "installing docker.io (apt)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq docker.io >/dev/null
fi
if ! docker info >/dev/null 2>&1; then
  if $systemd_pid1; then
    say "starting docker.service"
    systemctl enable --now docker.service
  else
    say "starting dockerd ${DOCKERD_ARGS:-} (log: /var/log/dockerd.log)"
    # shellcheck disable=SC2086  # DOCKERD_ARGS is a list of flags
    nohup dockerd ${DOCKERD_ARGS:-} >>/var/log/dockerd.log 2>&1 &
  fi
  for _ in $(seq 60); do docker info >/dev/null 2>&1 && break; sleep 1; done
  docker info >/dev/null 2>&1 || die "the Docker engine does not answer (see /var/log/dockerd.log or journalctl -u docker;
  in a container without overlayfs try DOCKERD_ARGS=--storage-driver=vfs)"
fi

# 2. Binary.
say "building (scripts/build.sh)"
scripts/build.sh >/dev/null
install -D -m 0755 .build/release/docker-server "$PREFIX/bin/docker-server"
say "installed $PREFIX/bin/docker-server ($("$PREFIX/bin/docker-server" --version))"

# 3. Token.
install -d -m 0700 /etc/docker-server
if [ ! -s "$TOKEN_FILE" ]; then
  (umask 077; od -An -N32 -tx1 /dev/urandom | tr -d ' \n' >"$TOKEN_FILE")
  say "created the API token in $TOKEN_FILE (mode 0600)"
else
  say "keeping the existing token in $TOKEN_FILE"
fi
chmod 0600 "$TOKEN_FILE"

# 4. Run.
if $systemd_pid1; then
  sed "s|/usr/local/bin/docker-server|$PREFIX/bin/docker-server|" systemd/docker-server@.service \
    >/etc/systemd/system/docker-server@.service
  install -m 0644 systemd/docker-server.socket /etc/systemd/system/docker-server.socket
  systemctl daemon-reload
  systemctl enable --now docker-server.socket
  systemctl restart docker-server.socket
  say "docker-server.socket listens on port 1717 (systemctl status docker-server.socket)"
  say "try (as root): curl -u x:\$(cat $TOKEN_FILE) http://127.0.0.1:1717/"
else
  say "no systemd here: serving with the built-in inetd on $LISTEN (Ctrl-C stops it)"
  say "try (as root): curl -u x:\$(cat $TOKEN_FILE) http://127.0.0.1:${LISTEN##*:}/"
  exec "$PREFIX/bin/docker-server" --listen "$LISTEN" --token_file "$TOKEN_FILE" --folder /var/lib/docker-server
fi
