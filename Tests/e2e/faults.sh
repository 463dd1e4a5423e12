#!/usr/bin/env bash
# Fault suite (docs/DESIGN.md "Faults"): each fault of that list is made to happen for real,
# and each check names the outcome expected. It runs against an engine of its own in its own
# network namespace (scripts/netns-engines.sh), which it stops, kills and restarts: the main
# engine, and anyone using it, are left alone. Needs what scripts/test-env.sh sets up.
# Usage: Tests/e2e/faults.sh [path/to/docker-server]
set -u
cd "$(dirname "$0")/../.."
BIN=$(realpath "${1:-${DS_BINARY:-.build/debug/docker-server}}")
STATE=$(mktemp -d /tmp/ds-faults.XXXXXX)
TOKEN=$(head -c 18 /dev/urandom | base64 | tr '+/' '-_')
IMAGE=ds-test/busybox:1
. Tests/e2e/lib.sh

trap 'umount "$STATE/full" 2>/dev/null; scripts/netns-engines.sh stop "$STATE"; cleanup' EXIT
fatal() { echo "e2e-faults: $*" >&2; echo "0 passed, 1 failed"; exit 1; }
[ -x "$BIN" ] || fatal "no docker-server binary at $BIN"
docker image inspect "$IMAGE" >/dev/null 2>&1 || fatal "test image $IMAGE missing (run scripts/test-env.sh first)"
for tool in ip dockerd docker socat curl python3; do
  command -v "$tool" >/dev/null || fatal "$tool is not installed (run scripts/test-env.sh first)"
done
scripts/netns-engines.sh start "$STATE" 1 "$IMAGE" || fatal "the engine did not start"
ENGINE=unix://$STATE/engine1/docker.sock
dk() { docker -H "$ENGINE" "$@"; }
LOG=$STATE/server-%DATE%.log
LIMITS=(--low_burst 100000 --mid_burst 100000 --high_burst 100000)
PORT=$(free_port)
URL=http://127.0.0.1:$PORT
DOCKER_HOST=$ENGINE "$BIN" --listen "127.0.0.1:$PORT" --token "$TOKEN" --log_file "$LOG" --engine_timeout 5 "${LIMITS[@]}" &
SPAWNER=$!
CLEANUP_PIDS+=($!)
wait_port "$PORT" || fatal "--listen did not bind $PORT"

# since START: seconds (one decimal) since START (a `date +%s.%N` value).
since() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN {printf "%.1f", b - a}'; }
# piped FILE [ENV=VALUE…] [-- ARGS…]: pipes FILE through a fresh docker-server on the fault
# engine (later options win); its answer goes to $STATE/piped.out, "PEAK_MiB SECONDS" to stdout.
PIPED=$(cat <<'PY'
import os, sys, time
binary, request, out = sys.argv[1], sys.argv[2], sys.argv[3]
split = sys.argv.index("--")
env = dict(os.environ, **dict(a.split("=", 1) for a in sys.argv[4:split]))
start = time.monotonic()
pid = os.fork()
if pid == 0:
    os.dup2(os.open(request, os.O_RDONLY), 0); os.dup2(os.open(out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC), 1)
    os.execve(binary, [binary] + sys.argv[split + 1:], env)
_, status, usage = os.wait4(pid, 0)
print("%.1f %.1f" % (usage.ru_maxrss / 1024, time.monotonic() - start))
PY
)
piped() {
  local file=$1 envs=(); shift
  while [ $# -gt 0 ] && [ "$1" != -- ]; do envs+=("$1"); shift; done
  [ $# -gt 0 ] && shift
  python3 -c "$PIPED" "$BIN" "$file" "$STATE/piped.out" DOCKER_HOST="$ENGINE" "${envs[@]}" -- \
    --token "$TOKEN" --log_file "$LOG" "${LIMITS[@]}" "$@"
}
status_of() { head -c 12 "$1" | cut -d' ' -f2; }
# silent_listener ADDRESS RECORD: accepts connections (TCP "host:port" or a Unix socket path)
# and never answers; what arrives is appended to RECORD. Prints its PID.
SILENT=$(cat <<'PY'
import os, socket, sys, threading
address, record = sys.argv[1], sys.argv[2]
if address.startswith("/"):
    s = socket.socket(socket.AF_UNIX); s.bind(address)
else:
    host, port = address.rsplit(":", 1); s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind((host, int(port)))
s.listen(64)
def hold(c):
    while True:
        data = c.recv(65536)
        if not data: return
        with open(record, "ab") as f: f.write(data)
while True:
    c, _ = s.accept(); threading.Thread(target=hold, args=(c,), daemon=True).start()
PY
)
silent_listener() { python3 -c "$SILENT" "$1" "$2" >/dev/null 2>&1 & CLEANUP_PIDS+=($!); }

# ---------------------------------------------------------------------------------------
echo "# the engine stopped mid-request (SIGTERM, as systemctl stop docker): bounded, and said"
start=$(date +%s.%N)
curl -s -o "$STATE/stopped.body" -w '%{http_code}' --max-time 60 -H "Authorization: Bearer $TOKEN" -X PUT "$URL/" \
  -d image=$IMAGE -d name=$P-stopped --data-urlencode 'data=sleep 120' >"$STATE/stopped.status" &
client=$!
for _ in $(seq 100); do [ "$(dk inspect -f '{{.State.Running}}' $P-stopped 2>/dev/null)" = true ] && break; sleep 0.1; done
scripts/netns-engines.sh stop-engine "$STATE" 1
wait "$client"
took=$(since "$start")
body=$(cat "$STATE/stopped.body")
# The engine stops its containers (SIGTERM, then SIGKILL after 10 s) before it exits: the run
# ends with the exit code the engine reports, as `docker run` does, or, if the engine went
# first, with a 502/503 naming it. Never a hang, never a 500.
case "$(cat "$STATE/stopped.status")" in
  200) eq "attached run, engine stopped: 200 with the engine's exit code for the killed container" \
    "$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["exitCode"])' "$body")" 137 ;;
  502|503) has "attached run, engine stopped: 502/503 naming the engine" "$body" "Docker engine" ;;
  *) bad "attached run, engine stopped: 200 (exit 137) or 502/503" "got $(cat "$STATE/stopped.status"): $body" ;;
esac
check "attached run, engine stopped: answered within the engine's stop time (${took} s)" lt "$took" 25

echo "# the engine down: every request a clear 503 at once"
for req in "GET /" "GET /$P-stopped" "PUT /" "POST /$P-stopped" "DELETE /$P-stopped" "HEAD /$IMAGE"; do
  set -- $req
  case $1 in PUT) body="image=$IMAGE" ;; POST) body="data=true" ;; *) body= ;; esac
  request_file "$STATE/down.http" "$1" "$2" "$body"
  read -r _ took < <(piped "$STATE/down.http")
  eq "$req, engine down: 503" "$(status_of "$STATE/piped.out")" 503
  has "$req, engine down: says the engine is unreachable" "$(cat "$STATE/piped.out")" "unreachable"
  check "$req, engine down: within 1 s (${took} s)" lt "$took" 1
done

echo "# the engine restarted: the next requests work"
scripts/netns-engines.sh start-engine "$STATE" 1 || fatal "the engine did not start again"
api GET /
eq "engine restarted: GET / 200" "$STATUS" 200
has "engine restarted: the stopped run's container is listed" "$BODY" "$P-stopped"
api PUT / -d image=$IMAGE -d remove=true --data-urlencode 'data=echo back'
eq "engine restarted: an attached run works (200, exit 0, its output)" "$STATUS:$(json 'j["exitCode"], j["stdout"].strip()')" "200:0 back"
api DELETE /$P-stopped
eq "engine restarted: DELETE of the stopped run's container 200" "$STATUS" 200

echo "# the engine killed mid-request (SIGKILL, a crash): 502 at once, streams cut, not ended"
dk run -d --name $P-ticker "$IMAGE" sh -c 'while true; do echo tick; sleep 0.2; done' >/dev/null
curl -s -o "$STATE/crash.body" -w '%{http_code}' --max-time 60 -H "Authorization: Bearer $TOKEN" -X PUT "$URL/" \
  -d image=$IMAGE -d name=$P-crash --data-urlencode 'data=sleep 120' >"$STATE/crash.status" &
run_client=$!
curl -sN -o "$STATE/follow.body" --max-time 60 -H "Authorization: Bearer $TOKEN" "$URL/$P-ticker?format=text&follow=true" &
follow_client=$!
for _ in $(seq 100); do [ "$(dk inspect -f '{{.State.Running}}' $P-crash 2>/dev/null)" = true ] && break; sleep 0.1; done
sleep 1
start=$(date +%s.%N)
kill -KILL "$(cat "$STATE/engine1/docker.pid")"
wait "$run_client"
took=$(since "$start")
wait "$follow_client"
follow_rc=$?
eq "attached run, engine killed: 502" "$(cat "$STATE/crash.status")" 502
has "attached run, engine killed: the message says the engine closed mid-answer" "$(cat "$STATE/crash.body")" "closed the connection mid-answer"
check "attached run, engine killed: answered within 1 s of the kill (${took} s)" lt "$took" 1
has "followed logs, engine killed: what came before arrived" "$(cat "$STATE/follow.body")" "tick"
check "followed logs, engine killed: the stream is cut, not ended as if complete (curl exit $follow_rc)" test "$follow_rc" -ne 0
has "followed logs, engine killed: logged as an aborted answer" "$(cat "$STATE"/server-*.log)" "reason=answer_aborted"
scripts/netns-engines.sh start-engine "$STATE" 1 || fatal "the engine did not start again"
api GET /
eq "engine restarted after the kill: GET / 200" "$STATUS" 200
dk rm -f $P-crash $P-ticker >/dev/null 2>&1

# ---------------------------------------------------------------------------------------
echo "# an engine that accepts connections and never answers: 504 after --engine_timeout"
silent_listener "$STATE/silent.sock" "$STATE/silent.record"
for _ in $(seq 50); do [ -S "$STATE/silent.sock" ] && break; sleep 0.1; done
for req in "GET /" "GET /$P-x" "GET /$P-x?format=text" "PUT /" "POST /$P-x" "DELETE /$P-x" "HEAD /$IMAGE"; do
  set -- $req
  case $1 in PUT) body="image=$IMAGE" ;; POST) body="data=true" ;; *) body= ;; esac
  request_file "$STATE/silent.http" "$1" "$2" "$body"
  read -r _ took < <(piped "$STATE/silent.http" DOCKER_HOST="unix://$STATE/silent.sock" -- --engine_timeout 2)
  eq "$req, silent engine: 504" "$(status_of "$STATE/piped.out")" 504
  has "$req, silent engine: says the bound" "$(cat "$STATE/piped.out")" "did not answer within 2 s"
  check "$req, silent engine: after --engine_timeout 2 s, not much later (${took} s)" lt "$took" 3.5
done

# ---------------------------------------------------------------------------------------
echo "# the shared folder unusable: requests served, the error logged"
mkdir -p "$STATE/full"
if mount -t tmpfs -o size=64k,mode=0700 tmpfs "$STATE/full"; then
  mkdir -p "$STATE/full/ds"
  head -c 1M /dev/zero >"$STATE/full/fill" 2>/dev/null
  request_file "$STATE/list.http" GET /
  rm -f "$STATE"/full-*.log
  piped "$STATE/list.http" -- --folder "$STATE/full/ds" --log_file "$STATE/full-%DATE%.log" >/dev/null
  eq "a full disk under the folder: GET / served (200)" "$(status_of "$STATE/piped.out")" 200
  eq "a full disk under the folder: one error line" "$(cat "$STATE"/full-*.log | grep -c 'level=error.*reason=ratelimit_unavailable')" 1
  umount "$STATE/full"
else
  bad "a full disk under the folder: cannot mount a small tmpfs"
fi
printf 'not a folder\n' >"$STATE/a-file"
rm -f "$STATE"/file-*.log
piped "$STATE/list.http" -- --folder "$STATE/a-file" --log_file "$STATE/file-%DATE%.log" >/dev/null
eq "the folder is a file: GET / served (200)" "$(status_of "$STATE/piped.out")" 200
eq "the folder is a file: one error line" "$(cat "$STATE"/file-*.log | grep -c 'level=error.*reason=ratelimit_unavailable')" 1
eq "the folder is a file: the file is untouched" "$(cat "$STATE/a-file")" "not a folder"

# ---------------------------------------------------------------------------------------
echo "# the client gone during an attached run and during an exec"
curl -s -o /dev/null --max-time 2 -H "Authorization: Bearer $TOKEN" -X PUT "$URL/" \
  -d image=$IMAGE -d name=$P-gone-rm -d remove=true --data-urlencode 'data=sleep 300'
curl -s -o /dev/null --max-time 2 -H "Authorization: Bearer $TOKEN" -X PUT "$URL/" \
  -d image=$IMAGE -d name=$P-gone --data-urlencode 'data=sleep 300'
for _ in $(seq 50); do [ -z "$(dk ps -aq --filter name=$P-gone-rm)" ] && break; sleep 0.2; done
eq "client gone, attached run with remove: its container is killed and removed" "$(dk ps -aq --filter name=$P-gone-rm)" ""
for _ in $(seq 50); do [ "$(dk inspect -f '{{.State.Running}}' $P-gone 2>/dev/null)" = false ] && break; sleep 0.2; done
eq "client gone, attached run: its container is killed (not left running)" "$(dk inspect -f '{{.State.Running}}' $P-gone 2>/dev/null)" false
dk run -d --name $P-exec "$IMAGE" sleep 600 >/dev/null
curl -s -o /dev/null --max-time 2 -H "Authorization: Bearer $TOKEN" -X POST "$URL/$P-exec" --data-urlencode 'data=sleep 300'
for _ in $(seq 50); do [ "$(pgrep -P "$SPAWNER" | wc -l)" -eq 0 ] && break; sleep 0.1; done
eq "client gone during an exec: its docker-server process has ended" "$(pgrep -P "$SPAWNER" | wc -l)" 0
has "client gone: logged as such" "$(cat "$STATE"/server-*.log)" "reason=client_gone"
api GET /$P-exec
eq "client gone: the next request is served" "$STATUS" 200
dk rm -f $P-gone $P-exec >/dev/null 2>&1

# ---------------------------------------------------------------------------------------
echo "# a cluster node that accepts and never answers; a half-written cluster entry"
SHARED=$STATE/shared
CLUSTER=(--cluster --folder "$SHARED" --token "$TOKEN" --refresh_rate 60000 --cache_interval 0 --engine_timeout 2)
PC=$(free_port)
P_SILENT=$(free_port)
DOCKER_HOST=$ENGINE "$BIN" --listen "127.0.0.1:$PC" "${CLUSTER[@]}" --port "$PC" --log_file "$STATE/cluster-%DATE%.log" "${LIMITS[@]}" &
CLEANUP_PIDS+=($!)
silent_listener "127.0.0.1:$P_SILENT" "$STATE/silent-node.record"
wait_port "$PC" && wait_port "$P_SILENT" || bad "the cluster node or the silent node did not listen"
heartbeat() { "$BIN" heartbeat "${CLUSTER[@]}" --log_file "$STATE/cluster-%DATE%.log" --advertise "http://127.0.0.1:$1" --load "$2"; }
entry_of() { printf '%s/ds-127000000001%05d.json' "$SHARED" "$1"; }
heartbeat "$PC" 0.5 && heartbeat "$P_SILENT" 0.1 || bad "heartbeat failed"
start=$(date +%s.%N)
curl -s -D "$STATE/fan.head" -o "$STATE/fan.body" --max-time 60 -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:$PC/"
took=$(since "$start")
has "GET / with a silent node: 200" "$(head -1 "$STATE/fan.head")" " 200"
has "GET / with a silent node: the node is named in X-Cluster-Unanswered" "$(cat "$STATE/fan.head")" "X-Cluster-Unanswered: http://127.0.0.1:$P_SILENT"
check "GET / with a silent node: within --engine_timeout + 10 s (${took} s)" lt "$took" 14
start=$(date +%s.%N)
curl -s -D "$STATE/put.head" -o "$STATE/put.body" --max-time 60 -H "Authorization: Bearer $TOKEN" -X PUT "http://127.0.0.1:$PC/" \
  -d image=$IMAGE -d name=$P-placed -d detach=true --data-urlencode 'data=sleep 600'
took=$(since "$start")
# The silent node is the least loaded, so it is chosen first. It is sent the head with
# Expect: 100-continue and never confirms it: it never gets the body, so nothing can start
# there, and the next node (this one) takes the container.
has "PUT placed on a silent node: 201 from the next node" "$(head -1 "$STATE/put.head")" " 201"
has "PUT placed on a silent node: X-Cluster-Host names the next node" "$(cat "$STATE/put.head")" "X-Cluster-Host: http://127.0.0.1:$PC"
check "PUT placed on a silent node: within the 5 s wait for 100 Continue, not the pull's bound (${took} s)" lt "$took" 8
eq "PUT placed on a silent node: the silent node never got the body" "$(grep -c "name=$P-placed" "$STATE/silent-node.record" 2>/dev/null)" 0
has "PUT placed on a silent node: it was sent Expect: 100-continue" "$(cat "$STATE/silent-node.record" 2>/dev/null)" "Expect: 100-continue"
eq "PUT placed on a silent node: its entry is removed" "$(test -e "$(entry_of "$P_SILENT")" && echo kept || echo removed)" removed
eq "PUT placed on a silent node: the container runs once, here" "$(dk ps --filter name=$P-placed --format '{{.Names}}')" "$P-placed"
dk rm -f $P-placed >/dev/null 2>&1

# A half-written entry (a writer that died mid-write, a full disk): ignored and logged, the
# request served by the nodes that are well.
P_HALF=$(free_port)
heartbeat "$P_HALF" 0 || bad "heartbeat failed"
whole=$(cat "$(entry_of "$P_HALF")")
printf '%s' "${whole:0:40}" >"$(entry_of "$P_HALF")"
rm -f "$STATE"/cluster-*.log
api_cluster() { curl -s -D "$STATE/c.head" -o "$STATE/c.body" --max-time 30 -H "Authorization: Bearer $TOKEN" "$@"; }
api_cluster "http://127.0.0.1:$PC/"
has "a half-written entry: GET / served (200)" "$(head -1 "$STATE/c.head")" " 200"
hasnt "a half-written entry: its node is not asked" "$(cat "$STATE/c.head") $(cat "$STATE/c.body")" ":$P_HALF"
has "a half-written entry: logged as ignored" "$(cat "$STATE"/cluster-*.log)" "reason=cluster_entry_ignored"
api_cluster -X PUT "http://127.0.0.1:$PC/" -d image=$IMAGE -d name=$P-placed2 -d detach=true --data-urlencode 'data=sleep 600'
has "a half-written entry with load 0: never chosen, PUT runs here (201)" "$(head -1 "$STATE/c.head")" " 201"
dk rm -f $P-placed2 >/dev/null 2>&1
whole_own=$(cat "$(entry_of "$PC")")
printf '%s' "${whole_own:0:30}" >"$(entry_of "$PC")"
heartbeat "$PC" 0.5 || bad "heartbeat failed"
eq "this node's own entry half-written: the next heartbeat writes it whole" \
  "$(python3 -c 'import json,sys; e=json.load(open(sys.argv[1])); print(e["host"], e["load"])' "$(entry_of "$PC")" 2>&1)" "http://127.0.0.1:$PC 0.5"

# ---------------------------------------------------------------------------------------
echo "# 100 MiB of logs, as JSON and as text: memory bounded"
dk run -d --name $P-biglog "$IMAGE" sh -c \
  'yes "a line of a log that is long enough, sixty-three bytes with this" | head -c 104857600; echo END; sleep 600' >/dev/null
for _ in $(seq 120); do dk logs --tail 1 $P-biglog 2>/dev/null | grep -q END && break; sleep 0.5; done
request_file "$STATE/biglog.http" GET /$P-biglog
read -r rss took < <(piped "$STATE/biglog.http")
check "100 MiB of logs as JSON: peak RSS under 32 MiB (${rss} MiB, ${took} s)" lt "$rss" 32
eq "100 MiB of logs as JSON: 200, valid JSON, cut and saying so" \
  "$(python3 -c 'import json,sys; h,b=open(sys.argv[1],"rb").read().split(b"\r\n\r\n",1); j=json.loads(b); print(h.split()[1].decode(), j["truncated"], 0 < len(j["stdout"]) <= 8 << 20)' "$STATE/piped.out" 2>&1)" \
  "200 True True"
request_file "$STATE/biglog-text.http" GET "/$P-biglog?format=text"
read -r rss took < <(piped "$STATE/biglog-text.http")
check "100 MiB of logs as text: peak RSS under 32 MiB (${rss} MiB, ${took} s)" lt "$rss" 32
eq "100 MiB of logs as text: every byte arrives, chunked, complete" \
  "$(python3 -c '
import sys
h, b = open(sys.argv[1], "rb").read().split(b"\r\n\r\n", 1)
n, i = 0, 0
while True:
    j = b.index(b"\r\n", i); size = int(b[i:j], 16); i = j + 2
    if size == 0: break
    n += size; i += size + 2
print(h.split()[1].decode(), n)' "$STATE/piped.out" 2>&1)" "200 104857604"
dk rm -f $P-biglog >/dev/null 2>&1

# ---------------------------------------------------------------------------------------
echo "# 1,000 containers in GET /"
seq 1000 | xargs -P 8 -I{} docker -H "$ENGINE" create --name "$P-many-{}" --label ds-faults=many "$IMAGE" true >/dev/null 2>&1
eq "1,000 containers created" "$(dk ps -aq --filter label=ds-faults=many | wc -l)" 1000
request_file "$STATE/list.http" GET /
read -r rss took < <(piped "$STATE/list.http")
eq "1,000 containers: GET / 200 with all of them" \
  "$(python3 -c 'import json,sys; h,b=open(sys.argv[1],"rb").read().split(b"\r\n\r\n",1); n=0
import re
# chunked: join the chunks
out=b""; i=0
while True:
    j=b.index(b"\r\n",i); size=int(b[i:j],16); i=j+2
    if size==0: break
    out+=b[i:i+size]; i+=size+2
print(h.split()[1].decode(), sum(1 for c in json.loads(out) if c.get("Labels",{}).get("ds-faults")=="many"))' "$STATE/piped.out" 2>&1)" "200 1000"
check "1,000 containers: peak RSS under 32 MiB (${rss} MiB)" lt "$rss" 32
check "1,000 containers: within --engine_timeout (${took} s)" lt "$took" 5

echo "$PASS passed, $FAIL failed"
[ "$FAIL" -eq 0 ]
