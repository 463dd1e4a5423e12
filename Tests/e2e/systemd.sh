#!/usr/bin/env bash
# The shipped systemd units under a real systemd as PID 1: a Debian 12 rootfs (built once by
# scripts/systemd-testbed.sh and cached) booted with systemd-nspawn, sharing this machine's
# loopback and Docker socket. Installs the binary and units the README's way
# (scripts/install.sh), then checks both unit variants: the default Accept=no socket with
# the spawner service, and the Accept=yes socket with one unit per connection.
# Usage: Tests/e2e/systemd.sh [path/to/docker-server]
set -u
cd "$(dirname "$0")/../.."
BIN=$(realpath "${1:-${DS_BINARY:-.build/release/docker-server}}")
STATE=$(mktemp -d /tmp/ds-e2e-systemd.XXXXXX)
IMAGE=ds-test/busybox:1
. Tests/e2e/lib.sh
. scripts/systemd-testbed.sh
fatal() { echo "e2e-systemd: $*" >&2; echo "0 passed, 1 failed"; exit 1; }
finish() { testbed_down; cleanup; }
trap finish EXIT
[ -x "$BIN" ] || fatal "no docker-server binary at $BIN (run scripts/build.sh first)"
case $BIN in "$PWD"/*) ;; *) fatal "the binary must be inside the repository (it is bound at /src): $BIN" ;; esac
docker info >/dev/null 2>&1 || fatal "no Docker engine answers (run scripts/test-env.sh first)"
docker image inspect "$IMAGE" >/dev/null 2>&1 || fatal "test image $IMAGE missing (run scripts/test-env.sh first)"
command -v python3 >/dev/null || fatal "python3 is not installed (run scripts/test-env.sh first)"
testbed_up "$PWD" || fatal "no systemd testbed (see the messages above)"
inside() { testbed_run "$@"; }
INSIDE_BIN=/src/${BIN#"$PWD"/}

# A stand-in docker.service inside (the engine itself is the host's, through the bound
# socket): it shows whether anything starts the engine's unit.
inside sh -c 'printf "[Service]\nExecStart=/bin/sleep infinity\n" >/etc/systemd/system/docker.service && systemctl daemon-reload'

# journal LINES UNIT...: the unit's journal (the last LINES lines, plain messages).
journal() { local n=$1; shift; inside journalctl --no-pager -o cat -n "$n" "${@/#/-u}"; }
healthy() { # LABEL: no failed unit, the system running, the socket active
  eq "$1: systemctl --failed is empty" "$(inside systemctl --failed --no-legend --plain)" ""
  eq "$1: the system is running" "$(inside systemctl is-system-running)" running
}
# The checks both variants pass. $1 label, $2 socket unit, $3 journal unit pattern.
# $4: client threads for the 1,000 connections.
common_checks() {
  local label=$1 socket=$2 unit=$3 threads=$4
  api GET /
  eq "$label: GET / lists containers (200)" "$STATUS" 200
  api PUT / -d image=$IMAGE -d name=$P-sd-run -d remove=true --data-urlencode 'data=sh -c "echo out; echo err >&2; exit 3"'
  eq "$label: attached run answers 200" "$STATUS" 200
  eq "$label: attached run output and exit code" "$(json 'j["stdout"]+j["stderr"]+str(j["exitCode"])')" "$(printf 'out\nerr\n3')"
  api PUT / -d image=$IMAGE -d name=$P-sd-bg -d detach=true --data-urlencode 'data=sh -c "echo started; sleep 300"'
  eq "$label: detached run 201" "$STATUS" 201
  api POST /$P-sd-bg --data-urlencode 'data=sh -c "echo in-exec; exit 4"'
  eq "$label: exec output and exit code" "$(json 'j["stdout"]+str(j["exitCode"])')" "$(printf 'in-exec\n4')"
  api GET /$P-sd-bg
  eq "$label: logs" "$(json 'j["stdout"]')" "$(printf 'started\n')"
  api DELETE /$P-sd-bg
  eq "$label: rm" "$STATUS:$(docker inspect $P-sd-bg >/dev/null 2>&1 && echo left || echo gone)" "200:gone"
  # The client address reaches the access log; nothing of stderr (log lines) reaches the client.
  api GET / --interface 127.0.0.9
  sleep 0.5
  has "$label: the client address reaches the access log" "$(journal 50 "$unit")" "client=127.0.0.9 method=GET path=/ status=200"
  printf 'GET / HTTP/1.1\r\nHost: x\r\n\r\n' | raw "$PORT" >"$STATE/reply" 2>/dev/null
  eq "$label: a 401 reply starts with the status line" "$(head -c 12 "$STATE/reply")" "HTTP/1.1 401"
  length=$(grep -ai '^content-length:' "$STATE/reply" | tr -dc 0-9)
  eq "$label: nothing but the HTTP response reaches the client" "$(python3 -c "$BODY_LENGTH" <"$STATE/reply")" "$length"
  sleep 0.5
  has "$label: the 401's log line went to the journal" "$(journal 50 "$unit")" "reason=auth_missing"

  # Normal outcomes leave no failed unit: a connect-and-close (health check, port scan), a
  # request that times out (408), a 401.
  python3 -c "import socket; socket.create_connection(('127.0.0.1', $PORT)).close()"
  printf 'GET / HTTP/1.1\r\nHost: x\r\n' | raw "$PORT" 4 >"$STATE/reply408" 2>/dev/null
  eq "$label: a stalled request gets 408" "$(head -c 12 "$STATE/reply408")" "HTTP/1.1 408"
  api_raw GET /
  eq "$label: 401" "$STATUS" 401
  sleep 1
  healthy "$label: after a connect-and-close, a 408 and a 401"

  # 1,000 connections in about 2 s from 50 source addresses: every one gets an HTTP answer.
  local sources start out took
  sources=$(seq -s, -f '127.0.1.%g' 1 50)
  start=$(date +%s.%N)
  out=$(connections "$PORT" 1000 "$threads" "$sources")
  took=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN {printf "%.1f", b - a}')
  echo "     1,000 connections ($threads at a time) through $label in $took s"
  eq "$label: 1,000 connections, no reset and none without an answer" "$(outcome "$out" reset):$(outcome "$out" noanswer)" "0:0"
  eq "$label: 1,000 connections, each answered 200, 429 or 503" \
    "$(( $(outcome "$out" 200) + $(outcome "$out" 429) + $(outcome "$out" 503) ))" 1000
  echo "     ($label: $(outcome "$out" 200) × 200, $(outcome "$out" 429) × 429, $(outcome "$out" 503) × 503)"
  eq "$label: the socket is still active" "$(inside systemctl is-active "$socket")" active
  healthy "$label: after 1,000 connections"

  # The engine's unit is never started on the API's behalf.
  inside systemctl stop docker.service
  api GET /
  eq "$label: answered with docker.service stopped" "$STATUS" 200
  eq "$label: a request does not start docker.service" "$(inside systemctl is-active docker.service)" inactive
}

# ---------------------------------------------------------------------------------------
echo "# systemd as PID 1: default units (docker-server.socket Accept=no + docker-server.service)"
PORT=$(free_port)
out=$(inside /src/scripts/install.sh --binary "$INSIDE_BIN" --listen "127.0.0.1:$PORT" 2>&1)
eq "install.sh (default units) succeeds" "$?" 0
has "install.sh checks that the API answers" "$out" "the API answers"
TOKEN=$(inside cat /etc/docker-server/token)
URL="http://127.0.0.1:$PORT"
eq "the socket listens on the chosen address" "$(inside systemctl show -P Listen docker-server.socket)" "127.0.0.1:$PORT (Stream)"
# Short clocks for the test: idle exit, read timeout, stop grace.
inside sh -c 'mkdir -p /etc/systemd/system/docker-server.service.d &&
  printf "[Service]\nEnvironment=DS_IDLE_TIMEOUT=3 DS_READ_TIMEOUT=2 DS_SHUTDOWN_GRACE=2\n" >/etc/systemd/system/docker-server.service.d/test.conf &&
  systemctl daemon-reload && systemctl stop docker-server.service 2>/dev/null'
# 100 connections at a time: past the spawner's cap of 64, so some get its 503.
common_checks "Accept=no" docker-server.socket docker-server.service 100

# Idle exit: the service ends after DS_IDLE_TIMEOUT without connections; the next
# connection starts it again.
api GET /
sleep 5
eq "idle: the service exited after its idle timeout" "$(inside systemctl is-active docker-server.service)" inactive
has "idle: the exit is logged" "$(journal 20 docker-server.service)" "reason=idle_exit"
api GET /
eq "idle: the next request starts it again (200)" "$STATUS" 200
eq "idle: the service runs again" "$(inside systemctl is-active docker-server.service)" active
healthy "idle exit"

# Stop during an attached run: the run's container is killed and removed within the grace
# (2 s) and the clean-up; the stop is logged.
(api PUT / -d image=$IMAGE -d name=$P-sd-stop -d remove=true --data-urlencode 'data=sleep 300') &
STOP_CLIENT=$!
for _ in $(seq 50); do [ "$(docker inspect -f '{{.State.Running}}' $P-sd-stop 2>/dev/null)" = true ] && break; sleep 0.2; done
eq "stop: the attached run is running" "$(docker inspect -f '{{.State.Running}}' $P-sd-stop 2>/dev/null)" true
start=$(date +%s)
inside systemctl stop docker-server.service 2>/dev/null
took=$(( $(date +%s) - start ))
check "stop: systemctl stop returns within grace + clean-up (took $took s)" test "$took" -le 12
gone=no
for _ in $(seq 25); do docker inspect $P-sd-stop >/dev/null 2>&1 || { gone=yes; break; }; sleep 0.2; done
eq "stop: the run's container was killed and removed" "$gone" yes
log=$(journal 30 docker-server.service)
has "stop: the spawner logs the stop" "$log" "reason=stopping signal=SIGTERM connections=1"
has "stop: the spawner logs ending the connection" "$log" "reason=connections_ended count=1"
has "stop: the spawner logs its end" "$log" "reason=stopped"
wait "$STOP_CLIENT"
healthy "after stopping the service"

# The cluster heartbeat: the timer publishes this node's entry with the settings of
# /etc/docker-server/environment, which the server's units read too (cluster mode on).
echo "# systemd as PID 1: cluster heartbeat timer"
ENTRY=/var/lib/docker-server/ds-127000000001$(printf %05d "$PORT").json
inside sh -c "printf 'DS_CLUSTER=1\nDS_ADVERTISE=http://127.0.0.1:$PORT\nDS_LOAD=0.25\n' >/etc/docker-server/environment &&
  systemctl daemon-reload && systemctl enable --now docker-server-heartbeat.timer 2>/dev/null && systemctl stop docker-server.service 2>/dev/null"
for _ in $(seq 50); do inside test -s "$ENTRY" && break; sleep 0.2; done
eq "heartbeat timer: the entry is published" \
  "$(inside cat "$ENTRY" 2>/dev/null | python3 -c 'import json,sys; e=json.load(sys.stdin); print(e["host"], e["load"], len(e["signature"]))' 2>&1)" \
  "http://127.0.0.1:$PORT 0.25 64"
result=$(inside systemctl show -P Result docker-server-heartbeat.service)
eq "heartbeat timer: the service succeeded" "$result" success
[ "$result" = success ] || journal 20 docker-server-heartbeat.service
eq "heartbeat timer: the timer waits for its next run" "$(inside systemctl is-active docker-server-heartbeat.timer)" active
api PUT / -d image=$IMAGE -d name=$P-sd-cluster -d detach=true --data-urlencode 'data=sleep 60'
eq "cluster mode through the default units: PUT runs here and says so" "$STATUS:$(json 'j["host"]')" "201:http://127.0.0.1:$PORT"
api GET /
eq "cluster mode: GET / lists the container with this node's host" \
  "$STATUS:$(json '[c.get("host") for c in j if c["Names"][0] == "/'$P'-sd-cluster"]')" "200:['http://127.0.0.1:$PORT']"
api DELETE /$P-sd-cluster
eq "cluster mode: DELETE reaches it" "$STATUS:$(json 'j["host"]')" "200:http://127.0.0.1:$PORT"
inside sh -c 'systemctl disable --now docker-server-heartbeat.timer 2>/dev/null; rm -f /etc/docker-server/environment '"$ENTRY"';
  systemctl stop docker-server.service 2>/dev/null'
healthy "after the cluster heartbeat"

# Cluster mode on S3 the README's way: the variables in /etc/docker-server/environment, the
# secret key as a credential (a drop-in on the spawner's and the heartbeat's units), a local
# S3 API on the shared loopback (moto behind a signature check: scripts/s3-server.sh).
echo "# systemd as PID 1: cluster heartbeat and requests on the S3 store"
if scripts/s3-server.sh start "$STATE/s3" >"$STATE/s3-start.log" 2>&1; then
  ok "the S3 server is up"
  (set -a; . "$STATE/s3/env"; set +a
   inside sh -c "install -m 600 /dev/null /etc/docker-server/aws_secret_access_key &&
     printf '%s\n' '$AWS_SECRET_ACCESS_KEY' >/etc/docker-server/aws_secret_access_key &&
     printf 'DS_CLUSTER=1\nDS_S3=$S3_BUCKET\nDS_ADVERTISE=http://127.0.0.1:$PORT\nDS_LOAD=0.25\nAWS_REGION=$AWS_REGION\nAWS_ACCESS_KEY_ID=$AWS_ACCESS_KEY_ID\nAWS_ENDPOINT_URL=$AWS_ENDPOINT_URL\n' >/etc/docker-server/environment &&
     for unit in docker-server.service docker-server-heartbeat.service; do
       mkdir -p /etc/systemd/system/\$unit.d &&
       printf '[Service]\nLoadCredential=aws_secret_access_key:/etc/docker-server/aws_secret_access_key\n' >/etc/systemd/system/\$unit.d/s3.conf
     done &&
     systemctl daemon-reload && systemctl stop docker-server.service 2>/dev/null; systemctl enable --now docker-server-heartbeat.timer 2>/dev/null")
  KEY=var/lib/docker-server/ds-127000000001$(printf %05d "$PORT").json
  s3get() { (set -a; . "$STATE/s3/env"; set +a; python3 scripts/s3-tool.py get "$S3_BUCKET" "$KEY" 2>/dev/null); }
  for _ in $(seq 50); do s3get >/dev/null && break; sleep 0.2; done
  eq "S3 heartbeat timer: the entry is an object under the units' prefix" \
    "$(s3get | python3 -c 'import json,sys; e=json.load(sys.stdin); print(e["host"], e["load"], len(e["signature"]))' 2>&1)" \
    "http://127.0.0.1:$PORT 0.25 64"
  eq "S3 heartbeat timer: the service succeeded" "$(inside systemctl show -P Result docker-server-heartbeat.service)" success
  api PUT / -d image=$IMAGE -d name=$P-sd-s3 -d detach=true --data-urlencode 'data=sleep 60'
  eq "S3 cluster mode through the default units: PUT placed here" "$STATUS:$(json 'j["host"]')" "201:http://127.0.0.1:$PORT"
  api GET /
  eq "S3 cluster mode: GET / lists it with this node's host" \
    "$STATUS:$(json '[c.get("host") for c in j if c["Names"][0] == "/'$P'-sd-s3"]')" "200:['http://127.0.0.1:$PORT']"
  api DELETE /$P-sd-s3
  eq "S3 cluster mode: DELETE reaches it" "$STATUS:$(json 'j["host"]')" "200:http://127.0.0.1:$PORT"
  check "the units keep the entries' cache in their CacheDirectory (/var/cache/docker-server)" \
    inside sh -c 'ls /var/cache/docker-server/cluster-*.json >/dev/null'
  hasnt "the secret key is not in the journal" "$(journal 200 docker-server.service docker-server-heartbeat.service; echo end)" \
    "$(set -a; . "$STATE/s3/env"; echo "$AWS_SECRET_ACCESS_KEY")"
  inside sh -c 'systemctl disable --now docker-server-heartbeat.timer 2>/dev/null; systemctl stop docker-server.service 2>/dev/null;
    rm -rf /etc/docker-server/environment /etc/docker-server/aws_secret_access_key /etc/systemd/system/docker-server.service.d/s3.conf \
      /etc/systemd/system/docker-server-heartbeat.service.d/s3.conf; systemctl daemon-reload'
  scripts/s3-server.sh stop "$STATE/s3" >/dev/null 2>&1
  healthy "after cluster mode on S3"
else
  bad "the S3 server did not start" "$(tail -5 "$STATE/s3-start.log")"
fi

# ---------------------------------------------------------------------------------------
echo "# systemd as PID 1: per-connection units (Accept=yes)"
PORT=$(free_port)
out=$(inside /src/scripts/install.sh --binary "$INSIDE_BIN" --per-connection --listen "127.0.0.1:$PORT" 2>&1)
eq "install.sh --per-connection succeeds" "$?" 0
has "install.sh --per-connection disables the default socket" "$out" "disabling docker-server.socket"
eq "the default socket is off" "$(inside systemctl is-active docker-server.socket)" inactive
URL="http://127.0.0.1:$PORT"
inside sh -c 'mkdir -p /etc/systemd/system/docker-server-per-connection@.service.d &&
  printf "[Service]\nEnvironment=DS_READ_TIMEOUT=2\n" >/etc/systemd/system/docker-server-per-connection@.service.d/test.conf &&
  systemctl daemon-reload'
# 50 at a time: systemd sets up a sandbox per connection, and many set-ups at once contend
# in the kernel (measured: 100 at a time took five times as long as the same work in turn).
common_checks "Accept=yes" docker-server-per-connection.socket 'docker-server-per-connection@*' 50
# A configuration error is answered 503 in HTTP, and its instance does not stay failed.
inside sh -c 'printf "[Service]\nEnvironment=DS_READ_TIMEOUT=2 DS_MAX_BODY=ten\n" >/etc/systemd/system/docker-server-per-connection@.service.d/test.conf &&
  systemctl daemon-reload'
api GET /
eq "Accept=yes: a configuration error is a 503" "$STATUS" 503
sleep 1
healthy "Accept=yes: after a configuration error"
inside sh -c 'rm /etc/systemd/system/docker-server-per-connection@.service.d/test.conf && systemctl daemon-reload'

# Back to the default units: re-running install.sh upgrades in place and switches back.
out=$(inside /src/scripts/install.sh --binary "$INSIDE_BIN" 2>&1)
eq "install.sh again: back to the default units" "$?" 0
eq "install.sh again: the per-connection socket is off" "$(inside systemctl is-active docker-server-per-connection.socket)" inactive
has "install.sh again: the address chosen before is kept" "$(inside systemctl show -P Listen docker-server.socket)" "127.0.0.1:"
# Switching variants without --listen keeps the other variant's address (loopback stays loopback).
inside rm -f /etc/systemd/system/docker-server-per-connection.socket.d/listen.conf
out=$(inside /src/scripts/install.sh --binary "$INSIDE_BIN" --per-connection 2>&1)
rc=$?
eq "install.sh --per-connection without --listen: succeeds" "$rc" 0
[ "$rc" = 0 ] || printf '%s\n' "$out"
eq "switching variants keeps the address chosen for the other" \
  "$(inside systemctl show -P Listen docker-server-per-connection.socket)" "$(inside systemctl show -P Listen docker-server.socket)"

echo
echo "e2e-systemd: $PASS passed, $FAIL failed"
echo "$PASS passed, $FAIL failed"
[ "$FAIL" -eq 0 ]
