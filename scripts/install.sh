#!/usr/bin/env bash
# Sets up docker-server on this machine (Debian/Ubuntu, as root) and runs it for real:
#  1. makes sure a Docker engine answers (installs docker.io with apt and starts it when none
#     does);
#  2. builds the release binary (scripts/build.sh) and installs it as $PREFIX/bin/docker-server
#     (or installs the binary given with --binary);
#  3. creates the API token /etc/docker-server/token (random, mode 0600) unless it exists;
#  4. with systemd as PID 1: installs the default units, docker-server.socket (Accept=no) and
#     docker-server.service (the spawner: one process per connection), or with
#     --per-connection the variant with one unit per connection; with --listen writes the
#     address into a drop-in; then reloads, enables and restarts them, and checks that the
#     API answers. Without systemd: runs `docker-server --listen` in the foreground.
# Re-running it upgrades in place: the binary and units are replaced, the token and an
# address chosen before are kept, connections in flight finish first (graceful stop).
#
# Usage: scripts/install.sh [--listen [ADDR:]PORT] [--per-connection] [--binary PATH]
# Environment: PREFIX (/usr/local), DS_LISTEN (the same as --listen), DOCKERD_ARGS (extra
# dockerd flags when this script has to start dockerd itself, e.g. --storage-driver=vfs).
set -euo pipefail
cd "$(dirname "$0")/.."
PREFIX=${PREFIX:-/usr/local}
LISTEN=${DS_LISTEN:-}
VARIANT=default
BINARY=
TOKEN_FILE=/etc/docker-server/token
UNIT_DIR=/etc/systemd/system
say() { echo "install: $*"; }
die() { echo "install: $*" >&2; exit 1; }
while [ $# -gt 0 ]; do
  case $1 in
    --listen) LISTEN=${2:?--listen needs [ADDR:]PORT}; shift 2 ;;
    --listen=*) LISTEN=${1#--listen=}; shift ;;
    --per-connection) VARIANT=per-connection; shift ;;
    --binary) BINARY=${2:?--binary needs a path}; shift 2 ;;
    --binary=*) BINARY=${1#--binary=}; shift ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown argument $1 (see --help)" ;;
  esac
done

[ "$(id -u)" = 0 ] || die "run as root (sudo $0): it installs packages, /etc/docker-server and $PREFIX/bin"
[ -n "$BINARY" ] || command -v swift >/dev/null || die "the Swift toolchain (swift) is not on PATH; see https://www.swift.org/install/linux/"
systemd_pid1=false
[ -d /run/systemd/system ] && systemd_pid1=true
apt_install() {
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "$@" >/dev/null
}
command -v curl >/dev/null || { say "installing curl (apt)"; apt_install curl; }

# 1. Docker engine: its API answers on the socket, or it is installed and started.
ENGINE_SOCKET=${DOCKER_HOST:-unix:///var/run/docker.sock}
ENGINE_SOCKET=${ENGINE_SOCKET#unix://}
engine_answers() { curl -fsS --max-time 5 --unix-socket "$ENGINE_SOCKET" http://docker/_ping >/dev/null 2>&1; }
if ! engine_answers; then
  if ! command -v dockerd >/dev/null; then
    say "installing docker.io (apt)"
    apt_install docker.io
  fi
  if $systemd_pid1; then
    say "starting docker.service"
    systemctl enable --now docker.service
  else
    say "starting dockerd ${DOCKERD_ARGS:-} (log: /var/log/dockerd.log)"
    # shellcheck disable=SC2086  # DOCKERD_ARGS is a list of flags
    nohup dockerd ${DOCKERD_ARGS:-} >>/var/log/dockerd.log 2>&1 &
  fi
  for _ in $(seq 60); do engine_answers && break; sleep 1; done
  engine_answers || die "the Docker engine does not answer on $ENGINE_SOCKET (see /var/log/dockerd.log or journalctl -u docker;
  in a container without overlayfs try DOCKERD_ARGS=--storage-driver=vfs)"
fi

# 2. Binary, replaced by a rename (a running spawner keeps its own copy until it restarts).
if [ -z "$BINARY" ]; then
  say "building (scripts/build.sh)"
  scripts/build.sh >/dev/null
  BINARY=.build/release/docker-server
fi
[ -x "$BINARY" ] || die "no executable at $BINARY"
install -D -m 0755 "$BINARY" "$PREFIX/bin/docker-server.new"
mv -f "$PREFIX/bin/docker-server.new" "$PREFIX/bin/docker-server"
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
if ! $systemd_pid1; then
  LISTEN=${LISTEN:-1717}
  say "no systemd here: serving with the built-in spawner on $LISTEN (Ctrl-C stops it gracefully)"
  say "try (as root): curl -u x:\$(cat $TOKEN_FILE) http://127.0.0.1:${LISTEN##*:}/"
  exec "$PREFIX/bin/docker-server" --listen "$LISTEN" --token_file "$TOKEN_FILE" --folder /var/lib/docker-server
fi

if [ "$VARIANT" = default ]; then
  SOCKET=docker-server.socket; OTHER_SOCKET=docker-server-per-connection.socket
  UNITS=(docker-server.socket docker-server.service)
else
  SOCKET=docker-server-per-connection.socket; OTHER_SOCKET=docker-server.socket
  UNITS=(docker-server-per-connection.socket docker-server-per-connection@.service)
fi
# The cluster heartbeat is installed too, not enabled (README "Cluster").
UNITS+=(docker-server-heartbeat.service docker-server-heartbeat.timer)
for unit in "${UNITS[@]}"; do
  sed "s|/usr/local/bin/docker-server|$PREFIX/bin/docker-server|" "systemd/$unit" >"$UNIT_DIR/$unit.new"
  mv -f "$UNIT_DIR/$unit.new" "$UNIT_DIR/$unit"
done
# The two variants listen on the same address: only one is enabled.
if systemctl is-enabled --quiet "$OTHER_SOCKET" 2>/dev/null || systemctl is-active --quiet "$OTHER_SOCKET"; then
  say "disabling $OTHER_SOCKET (the other variant)"
  systemctl disable --now "$OTHER_SOCKET" >/dev/null 2>&1 || true
  systemctl stop docker-server.service 2>/dev/null || true
fi
# Switching variants keeps the address chosen for the other one (a loopback-only API must
# not become reachable from everywhere).
if [ -z "$LISTEN" ] && [ ! -e "$UNIT_DIR/$SOCKET.d/listen.conf" ] && [ -e "$UNIT_DIR/$OTHER_SOCKET.d/listen.conf" ]; then
  install -d "$UNIT_DIR/$SOCKET.d"
  cp "$UNIT_DIR/$OTHER_SOCKET.d/listen.conf" "$UNIT_DIR/$SOCKET.d/listen.conf"
  say "keeping the address of $OTHER_SOCKET ($(grep -m1 '^ListenStream=.' "$UNIT_DIR/$SOCKET.d/listen.conf" | cut -d= -f2))"
fi
if [ -n "$LISTEN" ]; then
  install -d "$UNIT_DIR/$SOCKET.d"
  printf '# Written by scripts/install.sh --listen.\n[Socket]\nListenStream=\nListenStream=%s\n' "$LISTEN" >"$UNIT_DIR/$SOCKET.d/listen.conf"
  say "listening on $LISTEN ($UNIT_DIR/$SOCKET.d/listen.conf)"
fi
systemctl daemon-reload
systemctl enable --quiet "$SOCKET"
# The spawner of an earlier install finishes its connections and exits; the socket is
# re-created so that a new address takes effect.
# (systemctl warns that the socket can start it again: that is the point.)
[ "$VARIANT" = default ] && systemctl stop docker-server.service 2>/dev/null
systemctl restart "$SOCKET"
systemctl is-active --quiet "$SOCKET" || die "$SOCKET did not start: systemctl status $SOCKET"
# The first address the socket listens on, as a URL host reachable from here.
ADDRESS=$(systemctl show -P Listen "$SOCKET" | awk '{print $1; exit}')
HOST=${ADDRESS%:*}
case $HOST in ""|"[::]"|0.0.0.0) HOST=127.0.0.1 ;; esac
URL="http://$HOST:${ADDRESS##*:}/"
code=
for _ in $(seq 50); do
  code=$(curl -s -o /dev/null -w '%{http_code}' -u "x:$(cat "$TOKEN_FILE")" "$URL" || true)
  [ "$code" = 200 ] && break
  sleep 0.2
done
[ "$code" = 200 ] || die "the API at $URL answered ${code:-nothing} (journalctl -u docker-server)"
LOGS=docker-server; [ "$VARIANT" = default ] || LOGS="'docker-server-per-connection@*'"
say "$SOCKET listens on $ADDRESS and the API answers (systemctl status $SOCKET; logs: journalctl -u $LOGS)"
say "try (as root): curl -u x:\$(cat $TOKEN_FILE) $URL"
