#!/usr/bin/env bash
# End-to-end suite: the built docker-server against a real dockerd and a local registry,
# under systemd-socket-activate, the built-in --listen mode and a real xinetd, driven with
# curl. Needs what scripts/test-env.sh sets up; fails clearly when something is missing.
# Usage: Tests/e2e/run.sh [path/to/docker-server]
set -u
cd "$(dirname "$0")/../.."
BIN=$(realpath "${1:-${DS_BINARY:-.build/debug/docker-server}}")
STATE=$(mktemp -d /tmp/ds-e2e.XXXXXX)
TOKEN=$(head -c 18 /dev/urandom | base64 | tr '+/' '-_')
REGISTRY=127.0.0.1:5000
IMAGE=ds-test/busybox:1
. Tests/e2e/lib.sh
trap cleanup EXIT

fatal() { echo "e2e: $*" >&2; echo "0 passed, 1 failed"; exit 1; }
[ -x "$BIN" ] || fatal "no docker-server binary at $BIN (run swift build first)"
docker info >/dev/null 2>&1 || fatal "no Docker engine answers (run scripts/test-env.sh first)"
docker image inspect "$IMAGE" >/dev/null 2>&1 || fatal "test image $IMAGE missing (run scripts/test-env.sh first)"
curl -fsS -o /dev/null "http://$REGISTRY/v2/" || fatal "no registry on $REGISTRY (run scripts/test-env.sh first)"
for tool in systemd-socket-activate systemd-analyze xinetd curl python3; do
  command -v "$tool" >/dev/null || fatal "$tool is not installed (run scripts/test-env.sh first)"
done
printf '%s\n' "$TOKEN" >"$STATE/token"
chmod 600 "$STATE/token"
LOG="$STATE/ds-%DATE%.log"
# Outside the rate-limit section, limits high enough never to interfere, in a folder of our own.
export DS_FOLDER="$STATE/shared" DS_LOW_BURST=1000000 DS_MID_BURST=1000000 DS_HIGH_BURST=1000000 DS_AUTH_BURST=1000000

echo "# deployment files"
mkdir -p "$STATE/units"
cp systemd/*.socket systemd/*.service systemd/*.timer "$STATE/units/"
sed -i "s|/usr/local/bin/docker-server|$BIN|" "$STATE"/units/*.service
out=$(systemd-analyze verify "$STATE"/units/* 2>&1)
eq "systemd-analyze verify accepts every unit" "$?:$out" "0:"
eq "default socket hands the listening socket to one service (Accept=no)" "$(grep -c '^Accept=no' systemd/docker-server.socket)" 1
eq "per-connection socket raises the Accept=yes trigger limit" "$(grep -c '^TriggerLimitIntervalSec=0' systemd/docker-server-per-connection.socket)" 1
for unit in docker-server.service docker-server-per-connection@.service; do
  has "$unit sends logs to the journal" "$(cat "systemd/$unit")" "StandardError=journal"
  has "$unit loads the token as a credential" "$(cat "systemd/$unit")" "LoadCredential=token:"
  check "$unit never starts the engine (no Wants=)" bash -c "! grep -q '^Wants=' systemd/$unit"
done
has "the spawner's stop reaches the spawner only (KillMode=mixed)" "$(cat systemd/docker-server.service)" "KillMode=mixed"
has "per-connection instances: a client gone or timed out is a success" "$(cat systemd/docker-server-per-connection@.service)" "SuccessExitStatus=1"

# ---------------------------------------------------------------------------------------
echo "# systemd-socket-activate --inetd -a"
P1=$(free_port)
systemd-socket-activate -l "127.0.0.1:$P1" -a --inetd -E DS_TOKEN="$TOKEN" -E DS_LOG_FILE="$LOG" \
  -E DS_READ_TIMEOUT=2 -E DS_FOLDER -E DS_LOW_BURST -E DS_MID_BURST -E DS_HIGH_BURST -E DS_AUTH_BURST "$BIN" >"$STATE/ssa.log" 2>&1 &
SSA=$!
CLEANUP_PIDS+=("$SSA")
wait_port "$P1" || fatal "systemd-socket-activate did not listen on $P1"
URL="http://127.0.0.1:$P1"

api GET /
eq "GET / lists containers (200)" "$STATUS" 200
eq "GET / is a JSON array" "$(json 'type(j).__name__')" list
has "GET / is JSON" "$(header Content-Type)" "application/json"
eq "every response closes the connection" "$(header Connection)" close
api_raw GET / -u "someone:$TOKEN"
eq "Basic user:token (curl -u) is accepted" "$STATUS" 200
api_raw GET / -H "Authorization: Basic $(printf %s "$TOKEN" | base64)"
eq "Basic base64(token) (the original's form) is accepted" "$STATUS" 200
api_raw GET /
eq "no token: 401" "$STATUS" 401
has "401 carries WWW-Authenticate" "$(header WWW-Authenticate)" "Basic realm="
eq "401 body is the JSON error" "$(json 'j["code"]')" 401
api_raw GET / -H "Authorization: Bearer wrong-$TOKEN"
eq "wrong token: 401" "$STATUS" 401

# run detached with a published port; the container's port answers from the host.
HP=$(free_port)
api PUT / -d image=$IMAGE -d name=$P-web -d detach=true -d "ports[$HP]=8000" \
  --data-urlencode "data=httpd -f -p 8000 -h /www"
eq "run detached: 201" "$STATUS" 201
eq "run detached returns the full id" "$(json 'len(j["id"])')" 64
eq "run detached returns the name" "$(json 'j["name"]')" $P-web
page=""
for _ in $(seq 50); do page=$(curl -s --max-time 1 "http://127.0.0.1:$HP/" 2>/dev/null) && [ -n "$page" ] && break; sleep 0.1; done
eq "published port answers from the host" "$page" "hello from busybox httpd"

# volumes: a file written in the container appears on the host.
mkdir -p "$STATE/vol"
api PUT / -d image=$IMAGE -d name=$P-vol -d remove=true -d "volumes[$STATE/vol]=/data" \
  --data-urlencode "data=sh -c 'echo written-in-container > /data/file.txt'"
eq "run with a volume: 200" "$STATUS" 200
eq "run with a volume: exit code 0" "$(json 'j["exitCode"]')" 0
eq "file written in the container is on the host" "$(cat "$STATE/vol/file.txt" 2>/dev/null)" written-in-container
api PUT / -d image=$IMAGE -d remove=true -d "volumes[$STATE/vol]=/data:ro" --data-urlencode "data=sh -c 'echo x > /data/ro.txt'"
check "a :ro volume is read-only (the write failed)" test "$(json 'j["exitCode"]')" -ne 0

# attached run: output and exit code, nothing left behind with remove.
api PUT / -H 'Content-Type: application/json' \
  -d '{"image":"'$IMAGE'","name":"'$P'-rm","remove":true,"data":["sh","-c","echo out; echo err >&2; exit 3"]}'
eq "attached run: 200" "$STATUS" 200
eq "attached run: exit code" "$(json 'j["exitCode"]')" 3
eq "attached run: the exit code in X-Exit-Code too" "$(header X-Exit-Code)" 3
eq "attached run: stdout" "$(json 'repr(j["stdout"])')" "'out\\n'"
eq "attached run: stderr" "$(json 'repr(j["stderr"])')" "'err\\n'"
sleep 0.3
eq "remove=true leaves no container" "$(docker ps -aq --filter name=$P-rm)" ""
api PUT / -d image=$IMAGE -d remove=true -d data=true
eq "output complete for a container that exits at once (no output)" "$(json 'j["stdout"]+j["stderr"]+str(j["exitCode"])')" "0"
api PUT / -d image=$IMAGE -d remove=true --data-urlencode "data=sh -c 'seq 1 20000'"
eq "output complete for a container that exits at once (20000 lines)" "$(json 'len(j["stdout"].splitlines())')" 20000

# Shell metacharacters are never interpreted by a shell on the host.
rm -f /tmp/ds-e2e-pwned
api PUT / -d image=$IMAGE --data-urlencode 'name=a;touch /tmp/ds-e2e-pwned'
eq "name with ; is 400" "$STATUS" 400
api PUT / --data-urlencode 'image=busybox;touch /tmp/ds-e2e-pwned'
eq "image with ; is 400" "$STATUS" 400
api PUT / -d image=$IMAGE -d remove=true --data-urlencode "data=sh -c 'echo \$((6*7))'"
eq "data sh -c 'echo \$((6*7))' prints 42 from inside the container" "$(json 'j["stdout"]')" 42
api PUT / -d image=$IMAGE -d remove=true --data-urlencode 'data=echo $(touch /tmp/ds-e2e-pwned) `id` ; ls *'
eq "argv: the words reached echo unexpanded" "$(json 'j["stdout"].strip()')" '$(touch /tmp/ds-e2e-pwned) `id` ; ls *'
check "nothing was run on the host" test ! -e /tmp/ds-e2e-pwned

# logs
api PUT / -d image=$IMAGE -d name=$P-logger -d detach=1 \
  --data-urlencode "data=sh -c 'echo line1; echo err1 >&2; echo line2; exec sleep 300'"
eq "run logger: 201" "$STATUS" 201
api PUT / -d image=$IMAGE -d name=$P-lines -d detach=1 --data-urlencode "data=sh -c 'seq 1 5; exec sleep 300'"
sleep 1
api GET /$P-logger
eq "logs: 200" "$STATUS" 200
eq "logs: stdout" "$(json 'repr(j["stdout"])')" "'line1\\nline2\\n'"
eq "logs: stderr" "$(json 'repr(j["stderr"])')" "'err1\\n'"
eq "logs: full id" "$(json 'len(j["id"])')" 64
api GET "/$P-lines?tail=2"
eq "logs tail=2" "$(json 'repr(j["stdout"])')" "'4\\n5\\n'"
api GET "/$P-lines?tail=all"
eq "logs tail=all" "$(json 'repr(j["stdout"])')" "'1\\n2\\n3\\n4\\n5\\n'"
api GET "/$P-logger?timestamps=true"
eq "logs timestamps=true: every line starts with an RFC 3339 time" \
  "$(json 'all(__import__("re").match(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z ", l) for l in j["stdout"].splitlines()) and len(j["stdout"]) > 0')" True
api GET "/$P-logger?since=$(( $(date +%s) + 3600 ))"
eq "logs since the future is empty" "$(json 'j["stdout"]+j["stderr"]')" ""
api GET "/$P-logger?since=1h"
eq "logs since=1h has everything" "$(json 'repr(j["stdout"])')" "'line1\\nline2\\n'"
api GET /$P-logger -H 'Accept: text/plain'
eq "logs text mode interleaves stdout and stderr" "$(printf '%s\n' "$BODY" | sort | tr '\n' ' ')" "err1 line1 line2 "
has "logs text mode is text/plain" "$(header Content-Type)" "text/plain"
api GET /$P-lines?format=text
eq "logs format=text" "$BODY" $'1\n2\n3\n4\n5'
has "logs text mode is chunked" "$(header Transfer-Encoding)" chunked
api GET "/$P-logger?follow=true"
eq "follow in JSON mode is 400" "$STATUS" 400

api PUT / -d image=$IMAGE -d name=$P-ticker -d detach=1 --data-urlencode "data=sh -c 'while true; do echo tick; sleep 0.3; done'"
before=$(pgrep -c -P "$SSA")
followed=$(curl -sN --max-time 2 -H "Authorization: Bearer $TOKEN" -H 'Accept: text/plain' "$URL/$P-ticker?follow=true")
ticks=$(printf '%s\n' "$followed" | grep -c tick)
check "logs follow streams new lines as they come ($ticks ticks in 2 s)" test "$ticks" -ge 4
sleep 1.5
eq "the follow process ends when the client hangs up" "$(pgrep -c -P "$SSA")" "$before"

# exec
api POST /$P-logger --data-urlencode "data=sh -c 'echo hi; echo oops >&2; exit 7'"
eq "exec: 200" "$STATUS" 200
eq "exec: real non-zero exit code" "$(json 'j["exitCode"]')" 7
eq "exec: the exit code in X-Exit-Code too" "$(header X-Exit-Code)" 7
eq "exec: stdout" "$(json 'repr(j["stdout"])')" "'hi\\n'"
eq "exec: stderr" "$(json 'repr(j["stderr"])')" "'oops\\n'"
api POST /$P-logger -H 'Content-Type: application/json' -d '{"data":["cat","/www/index.html"]}'
eq "exec with a JSON argv" "$(json 'j["stdout"]')" "hello from busybox httpd"
api POST /$P-logger -d tty=true --data-urlencode "data=sh -c 'echo tty; exit 2'"
eq "exec with tty: exit code" "$(json 'j["exitCode"]')" 2
has "exec with tty: output" "$(json 'j["stdout"]')" tty
api POST /$P-logger -d interactive=true -d data=cat
eq "exec interactive: stdin is closed at once, cat ends" "$STATUS:$(json 'j["exitCode"]')" "200:0"
api POST /$P-logger -d data=no-such-command
eq "exec of a missing command reports 126/127" "$(json 'j["exitCode"] in (126,127)')" True
api PUT / -d image=$IMAGE -d name=$P-stopped -d data=true
api POST /$P-stopped -d data=ls
eq "exec in a stopped container: 409" "$STATUS" 409
api PUT / -d image=$IMAGE -d name=$P-logger -d detach=1 -d data=true
eq "name in use: 409" "$STATUS" 409
for m in GET POST DELETE; do
  api $m /$P-no-such-container -d data=ls
  eq "$m unknown container: 404" "$STATUS" 404
done

# port already taken: the created container is removed and the answer is 409.
HP2=$(free_port)
api PUT / -d image=$IMAGE -d name=$P-p1 -d detach=1 -d "ports[$HP2]=8000" --data-urlencode "data=httpd -f -p 8000"
eq "first container on the port: 201" "$STATUS" 201
api PUT / -d image=$IMAGE -d name=$P-p2 -d detach=1 -d "ports[$HP2]=8000" --data-urlencode "data=httpd -f -p 8000"
eq "second container on the same host port: 409" "$STATUS" 409
eq "the container whose start failed was removed" "$(docker ps -aq --filter name=$P-p2)" ""
api PUT / -d image=$IMAGE -d name=$P-p3 -d "ports[$HP2]=8000" -d data=true
eq "attached run on a taken port: 409" "$STATUS" 409
eq "attached run on a taken port left nothing" "$(docker ps -aq --filter name=$P-p3)" ""
api PUT / -d image=$IMAGE -d "ports[70000]=80"
eq "invalid port: 400" "$STATUS" 400

# the settings of docker run beyond the original's fields, as docker inspect shows them
api PUT / -d image=$IMAGE -d name=$P-settings -d detach=1 -d 'env[GREETING]=hello world' -d 'env[EMPTY]=' -d workdir=/tmp \
  -d user=1000:1000 -d 'labels[app]=web' -d memory=64m -d cpus=0.5 -d restart=on-failure:2 -d init=true -d read_only=true \
  -d hostname=settings-1 -d network=bridge --data-urlencode 'data=sleep 600'
eq "run with env, workdir, user, labels, memory, cpus, restart, init, read_only, hostname, network: 201" "$STATUS" 201
eq "docker inspect shows every setting" \
  "$(docker inspect -f '{{json .Config.Env}} {{.Config.WorkingDir}} {{.Config.User}} {{.Config.Labels.app}} {{.HostConfig.Memory}} {{.HostConfig.NanoCpus}} {{.HostConfig.RestartPolicy.Name}}:{{.HostConfig.RestartPolicy.MaximumRetryCount}} {{.HostConfig.Init}} {{.HostConfig.ReadonlyRootfs}} {{.Config.Hostname}} {{.HostConfig.NetworkMode}}' $P-settings 2>&1)" \
  '["GREETING=hello world","EMPTY=","PATH=/bin"] /tmp 1000:1000 web 67108864 500000000 on-failure:2 true true settings-1 bridge'
api POST /$P-settings --data-urlencode 'data=sh -c "id -u; pwd; echo $GREETING; touch /x"'
eq "the settings hold inside: user, workdir, env, read-only root" "$STATUS:$(json 'j["stdout"]')" $'200:1000\n/tmp\nhello world'
has "the settings hold inside: the root file system is read-only" "$(json 'j["stderr"]')" "Read-only file system"
api PUT / -H 'Content-Type: application/json' \
  --data "{\"image\":\"$IMAGE\",\"remove\":true,\"env\":[\"A=1\",\"B=2\"],\"entrypoint\":[\"sh\",\"-c\"],\"data\":[\"echo \$A\$B\"]}"
eq "JSON body: env as a list and entrypoint as argv" "$STATUS:$(json 'j["stdout"]')" 200:12
for bad in 'env[]=NOEQUALS' 'workdir=relative' 'user=a:b:c' 'labels=x' 'restart=sometimes' 'memory=12q' 'cpus=0' 'cpus=0.001' 'user=99999999999' \
           'network=bad%20name' 'hostname=-x' 'init=maybe' 'read_only=2' 'entrypoint[x]=y'; do
  api PUT / -d image=$IMAGE -d name=$P-bad-setting -d "$bad"
  field=${bad%%[=[]*}
  eq "bad $field ($bad): 400 naming it" "$STATUS:$(json "'\"$field\"' in j['error']")" "400:True"
done
api PUT / -d image=$IMAGE -d name=$P-bad-setting -d user=nosuchuser -d data=true
eq "a user the image does not have: 400 naming the field" "$STATUS:$(json "'\"user\"' in j['error']")" "400:True"
api PUT / -d image=$IMAGE -d name=$P-bad-setting -d memory=1k -d data=true
eq "a memory limit under the engine's minimum: its 400" "$STATUS" 400
api PUT / -d image=$IMAGE -d name=$P-bad-setting -d network=container:$P-stopped-peer -d data=true
eq "network=container:NAME of a container that does not exist: 404" "$STATUS" 404
api PUT / -d image=$IMAGE -d name=$P-bad-setting -d restart=always -d remove=true
eq "restart with remove: 400 (as docker run's --restart with --rm)" "$STATUS" 400
eq "bad settings: no container left behind" "$(docker ps -aq --filter name=$P-bad-setting)" ""
api DELETE /$P-settings
eq "rm of the container with settings: 200" "$STATUS" 200

# rm
api DELETE /$P-web
eq "rm: 200" "$STATUS" 200
eq "rm: removed" "$(json 'j["removed"]')" True
check "rm: the container is gone" bash -c "! docker inspect $P-web >/dev/null 2>&1"

# pull by tag and by digest from the local registry, and a missing image; the image pulled is
# a repository of this run's own (PULLED), so a run never removes an image another uses.
PULLED=$REGISTRY/$P/busybox:1
docker tag "$IMAGE" "$PULLED" && docker push -q "$PULLED" >/dev/null || fatal "cannot push $PULLED to the local registry"
docker rmi -f "$PULLED" >/dev/null 2>&1
api HEAD "/$PULLED"
eq "pull by tag: 200" "$STATUS" 200
check "pull by tag: the image is there" bash -c "docker image inspect $PULLED >/dev/null"
digest=$(docker image inspect --format '{{range .RepoDigests}}{{println .}}{{end}}' "$PULLED" | grep "^$REGISTRY/$P/busybox@" | head -1)
docker rmi -f "$PULLED" >/dev/null 2>&1
api HEAD "/$digest"
eq "pull by digest ($digest): 200" "$STATUS" 200
check "pull by digest: the image is there" bash -c "docker image inspect $digest >/dev/null"
api HEAD "/$REGISTRY/ds-test/no-such-image:1"
eq "pull of a missing image: 404" "$STATUS" 404
has "pull of a missing image: X-Error says why" "$(header X-Error)" "not found"
length=$(printf 'HEAD /%s HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n\r\n' "$REGISTRY/ds-test/no-such-image:1" "$TOKEN" | raw "$P1" 2>/dev/null | python3 -c "$BODY_LENGTH")
eq "HEAD answers never carry a body" "$length" 0
docker rmi -f "$PULLED" >/dev/null 2>&1
api PUT / -d image="$PULLED" -d remove=1 -d "data=echo pulled"
eq "run pulls a missing image first" "$STATUS:$(json 'j["stdout"].strip()')" "200:pulled"

# encoded path tricks never reach another engine endpoint.
for p in '/..%2Fimages%2Fjson' '/%2e%2e%2Fimages%2Fjson' '/%2e%2e' '/abc%00' '/..%2F..%2Fversion' '/images%2Fjson'; do
  api GET "$p"
  eq "GET $p: 400" "$STATUS" 400
done
api HEAD '/..%2F..%2Fcontainers%2Fjson'
eq "HEAD with an encoded path trick: 400" "$STATUS" 400
api PATCH /
eq "unknown method: 405" "$STATUS" 405
eq "405 carries Allow" "$(header Allow)" "GET, PUT"
api PUT / --data-binary @<(head -c 20000 /dev/zero | tr '\0' a) -H 'Content-Type: application/x-www-form-urlencoded'
eq "body over 10 KiB: 413" "$STATUS" 413
start=$(date +%s%N)
api_raw PUT / -H 'Authorization: Bearer wrong' -H 'Expect: 100-continue' --data-binary @<(head -c 5000 /dev/zero | tr '\0' a)
ms=$(( ($(date +%s%N) - start) / 1000000 ))
eq "Expect: 100-continue with a wrong token: 401 without the body being read" "$STATUS" 401
check "Expect: 100-continue: the 401 came before curl's 1 s wait (${ms} ms)" test "$ms" -lt 900

# a stalled client is dropped after --read_timeout (2 s here).
answer=$(printf 'GET / HTTP/1.1\r\nHost: x\r\n' | raw "$P1" 10 2>"$STATE/seconds" | head -1 | tr -d '\r')
eq "stalled client gets 408" "$answer" "HTTP/1.1 408 Request Timeout"
check "stalled client dropped after the 2 s read timeout ($(cat "$STATE/seconds") s)" python3 -c "import sys; sys.exit(not 1.9 < float(open('$STATE/seconds').read()) < 4)"

# pipelined requests: one answer, then close.
answer=$(printf 'GET / HTTP/1.1\r\nHost: x\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n' | raw "$P1" 2>/dev/null | grep -c '^HTTP/1.1')
eq "pipelined requests: only the first is answered" "$answer" 1

# engine down: 503 with a message, quickly.
req=$'GET / HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer T\r\n\r\n'
start=$(date +%s%N)
answer=$(printf '%s' "$req" | DOCKER_HOST=unix:///nonexistent/docker.sock timeout 10 "$BIN" --token T --log_file "$LOG")
ms=$(( ($(date +%s%N) - start) / 1000000 ))
has "engine socket missing: 503" "$answer" "HTTP/1.1 503"
has "engine socket missing: the message says so" "$answer" "unreachable"
check "engine socket missing: answered within 1 s (${ms} ms)" test "$ms" -lt 1000
answer=$(printf '%s' "$req" | DOCKER_HOST=tcp://127.0.0.1:1 timeout 10 "$BIN" --token T --log_file "$LOG")
has "engine TCP port closed: 503" "$answer" "HTTP/1.1 503"
answer=$(printf 'PUT / HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer T\r\nContent-Length: 23\r\n\r\nimage=ds-test/busybox:1' | DOCKER_HOST=unix:///nonexistent/docker.sock timeout 10 "$BIN" --token T --log_file "$LOG")
has "engine down during run: 503" "$answer" "HTTP/1.1 503"

# a client that hangs up while its attached run or exec waits: the process ends, the run's
# container is killed (and with remove, deleted).
curl -s -o /dev/null --max-time 1 -H "Authorization: Bearer $TOKEN" -X PUT "$URL/" \
  -d image=$IMAGE -d name=$P-hangup -d remove=true -d 'data=sleep 300'
for _ in $(seq 50); do [ -z "$(docker ps -aq --filter name=$P-hangup)" ] && break; sleep 0.2; done
eq "client gone during an attached run: its container is killed and removed" "$(docker ps -aq --filter name=$P-hangup)" ""
curl -s -o /dev/null --max-time 1 -H "Authorization: Bearer $TOKEN" -X POST "$URL/$P-logger" --data-urlencode 'data=sleep 300'
sleep 1
eq "client gone during an exec: no docker-server process is left waiting" "$(pgrep -P "$SSA" | wc -l)" 0

# HEAD refused before its head parsed: still no body, the reason in X-Error.
printf 'HEAD /x\xc3\xa9 HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n\r\n' "$TOKEN" | raw "$P1" >"$STATE/head-reply" 2>/dev/null
has "HEAD with a bad request target: 400" "$(head -1 "$STATE/head-reply")" "400"
has "HEAD with a bad request target: X-Error" "$(cat "$STATE/head-reply")" "X-Error: invalid character"
eq "HEAD with a bad request target: no body" "$(python3 -c "$BODY_LENGTH" <"$STATE/head-reply")" 0

# HTTP/1.0 gets the text stream delimited by the close, not chunked.
printf 'GET /%s-logger?format=text&tail=3 HTTP/1.0\r\nAuthorization: Bearer %s\r\n\r\n' "$P" "$TOKEN" | raw "$P1" >"$STATE/http10-reply" 2>/dev/null
hasnt "HTTP/1.0 text logs: no Transfer-Encoding" "$(cat "$STATE/http10-reply")" "Transfer-Encoding"
has "HTTP/1.0 text logs: the raw line" "$(cat "$STATE/http10-reply")" "line2"

# a configuration error on a connection is answered in HTTP, never as text on the socket.
P_BAD=$(free_port)
systemd-socket-activate -l "127.0.0.1:$P_BAD" -a --inetd -E DS_LOG_FILE="$LOG" "$BIN" --max_body 10k >/dev/null 2>&1 &
CLEANUP_PIDS+=($!)
wait_port "$P_BAD" || bad "systemd-socket-activate did not listen on $P_BAD"
URL_SAVE=$URL; URL="http://127.0.0.1:$P_BAD"
api GET /
eq "bad option on a connection: 503" "$STATUS" 503
has "bad option on a connection: a JSON error" "$BODY" '"error":"docker-server is misconfigured'
printf 'HEAD /busybox HTTP/1.1\r\nHost: x\r\n\r\n' | raw "$P_BAD" >"$STATE/bad-head" 2>/dev/null
has "bad option on a connection, HEAD: 503" "$(head -1 "$STATE/bad-head")" "503"
has "bad option on a connection, HEAD: the reason in X-Error" "$(cat "$STATE/bad-head")" "X-Error: docker-server is misconfigured"
hasnt "bad option on a connection, HEAD: no body" "$(cat "$STATE/bad-head")" '{"code"'
URL=$URL_SAVE
has "bad option on a connection: the log names the option" "$(cat "$STATE"/ds-*.log)" "--max_body: expected an integer"

# canned request through the binary: exactly one complete response.
answer=$(printf 'GET / HTTP/1.1\r\nHost: x\r\n\r\n' | "$BIN" --token T --log_file "$LOG")
has "piped request: a complete 401 response" "$answer" '{"code":401,'
answer=$("$BIN" --token T --log_file "$LOG" </dev/null; echo "rc=$?")
eq "empty input: no output, exit 1" "$answer" "rc=1"

# ---------------------------------------------------------------------------------------
. Tests/e2e/defects.sh

# ---------------------------------------------------------------------------------------
. Tests/e2e/files.sh

# ---------------------------------------------------------------------------------------
echo "# --listen (the spawner)"
P2=$(free_port)
"$BIN" --listen "127.0.0.1:$P2" --token_file "$STATE/token" --max_connections 4 --log_file "$LOG" &
CLEANUP_PIDS+=($!)
wait_port "$P2" || bad "--listen did not bind $P2"
URL="http://127.0.0.1:$P2"
api GET /
eq "--listen: GET / 200" "$STATUS" 200
api_raw GET /
eq "--listen: no token 401" "$STATUS" 401
api POST /$P-logger -d "data=echo via-listen"
eq "--listen: exec" "$(json 'j["stdout"].strip()')" via-listen
codes=$(for i in $(seq 24); do curl -s -o /dev/null -w '%{http_code}\n' -H "Authorization: Bearer $TOKEN" "$URL/" & done; wait)
eq "--listen: 24 parallel requests over a cap of 4 all answered 200 or 503" \
  "$(( $(printf '%s\n' "$codes" | grep -c 200) + $(printf '%s\n' "$codes" | grep -c 503) ))" 24
check "--listen: at least 4 of them served" test "$(printf '%s\n' "$codes" | grep -c 200)" -ge 4

# ---------------------------------------------------------------------------------------
. Tests/e2e/spawner.sh

# ---------------------------------------------------------------------------------------
. Tests/e2e/ratelimit.sh

# ---------------------------------------------------------------------------------------
. Tests/e2e/https.sh

# ---------------------------------------------------------------------------------------
. Tests/e2e/logging.sh

# ---------------------------------------------------------------------------------------
echo "# xinetd"
P3=$(free_port)
sed -e "s|^\(\s*port\s*=\).*|\1 $P3|" \
    -e "s|^\(\s*server\s*=\).*|\1 $BIN|" \
    -e "s|^\(\s*server_args\s*=\).*|\1 --token_file $STATE/token --log_level trace --log_file $STATE/xinetd-%DATE%.log --folder $STATE/shared|" \
    xinetd/docker-server >"$STATE/xinetd.conf"
xinetd -dontfork -f "$STATE/xinetd.conf" -pidfile "$STATE/xinetd.pid" >"$STATE/xinetd.log" 2>&1 &
CLEANUP_PIDS+=($!)
wait_port "$P3" || bad "xinetd did not listen on $P3" "$(cat "$STATE/xinetd.log")"
URL="http://127.0.0.1:$P3"
api GET /
eq "xinetd: GET / 200" "$STATUS" 200
api_raw GET /
eq "xinetd: no token 401" "$STATUS" 401
printf 'GET /%s-logger?tail=1 HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n\r\n' "$P" "$TOKEN" | raw "$P3" >"$STATE/xinetd-reply" 2>/dev/null
eq "xinetd at log level trace: the reply starts with the status line" "$(head -c 15 "$STATE/xinetd-reply")" "HTTP/1.1 200 OK"
length=$(grep -ai '^content-length:' "$STATE/xinetd-reply" | tr -dc 0-9)
eq "xinetd at log level trace: only the HTTP response reaches the client" "$(python3 -c "$BODY_LENGTH" <"$STATE/xinetd-reply")" "$length"

# ---------------------------------------------------------------------------------------
echo "# logs never hold the token"
find "$STATE" -type f \( -name '*.log' -o -name '*.log.[0-9]*' \) -exec cat {} + >"$STATE/all-logs.txt" 2>/dev/null
check "log lines were written" test -s "$STATE/all-logs.txt"
check "no log line holds the token" bash -c "! grep -qF -- '$TOKEN' '$STATE/all-logs.txt'"

echo
echo "e2e: $PASS passed, $FAIL failed"
echo "$PASS passed, $FAIL failed"
[ "$FAIL" -eq 0 ]
