#!/usr/bin/env bash
# Cluster suite (docs/API.md "Cluster"): three nodes on 127.0.0.1, 127.0.0.2 and 127.0.0.3,
# each under systemd-socket-activate with its own dockerd in its own network namespace,
# sharing one folder. Needs what scripts/test-env.sh sets up (dockerd, the test image, iproute2).
# Usage: Tests/e2e/cluster.sh [path/to/docker-server]
set -u
cd "$(dirname "$0")/../.."
BIN=$(realpath "${1:-${DS_BINARY:-.build/debug/docker-server}}")
STATE=$(mktemp -d /tmp/ds-cluster.XXXXXX)
TOKEN=$(head -c 18 /dev/urandom | base64 | tr '+/' '-_')
IMAGE=ds-test/busybox:1
. Tests/e2e/lib.sh

trap 'scripts/netns-engines.sh stop "$STATE"; cleanup' EXIT

fatal() { echo "e2e-cluster: $*" >&2; echo "0 passed, 1 failed"; exit 1; }
[ -x "$BIN" ] || fatal "no docker-server binary at $BIN"
docker image inspect "$IMAGE" >/dev/null 2>&1 || fatal "test image $IMAGE missing (run scripts/test-env.sh first)"
for tool in ip dockerd docker socat openssl systemd-socket-activate curl python3; do
  command -v "$tool" >/dev/null || fatal "$tool is not installed (run scripts/test-env.sh first)"
done
printf '%s\n' "$TOKEN" >"$STATE/token"

echo "# three engines, each in its own network namespace"
scripts/netns-engines.sh start "$STATE" 3 "$IMAGE" || fatal "the engines did not start"
ok "three engines up, each with the test image"
check "the main engine keeps its docker0" bash -c "ip link show docker0 >/dev/null"

# ---------------------------------------------------------------------------------------
echo "# nodes and their entries"
PC=$(free_port)
SHARED=$STATE/shared
COMMON=(--cluster --folder "$SHARED" --token "$TOKEN" --refresh_rate 4000 --cache_interval 0)
node_url() { echo "http://127.0.0.$1:$PC"; }
# The entry of 127.0.0.N:PORT (PORT defaults to the nodes' port): the address's numbers and
# the port zero-padded.
entry_file() { printf '%s/ds-127000000%03d%05d.json' "$SHARED" "$1" "${2:-$PC}"; }
heartbeat() { "$BIN" heartbeat "${COMMON[@]}" --log_file "$STATE/heartbeat-%DATE%.log" --advertise "$(node_url "$1")" --load "$2"; }
declare -A NODE_PID
start_node() {
  local n=$1; shift
  systemd-socket-activate -l "127.0.0.$n:$PC" -a --inetd -E DOCKER_HOST="unix://$STATE/engine$n/docker.sock" \
    "$BIN" "${COMMON[@]}" --port "$PC" --log_file "$STATE/node$n-%DATE%.log" --low_burst 1000 "$@" >/dev/null 2>&1 &
  NODE_PID[$n]=$!
  CLEANUP_PIDS+=($!)
}
for n in 1 2 3; do start_node "$n"; done
for n in 1 2 3; do
  for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.$n/$PC") 2>/dev/null && break; sleep 0.1; done
done
publish_all() { heartbeat 1 0.3 && heartbeat 2 0.1 && heartbeat 3 0.2; }
check "heartbeat publishes each node's entry (exit 0)" publish_all
entry=$(cat "$(entry_file 2)" 2>/dev/null)
eq "an entry: host, load, updated, signature" \
  "$(python3 -c 'import json,sys; e=json.loads(sys.argv[1]); print(e["host"], e["load"], type(e["updated"]).__name__, len(e["signature"]))' "$entry" 2>&1)" \
  "$(node_url 2) 0.1 int 64"
eq "entries are readable by other nodes' users (0644)" "$(stat -c %a "$(entry_file 2)")" 644
out=$("$BIN" heartbeat "${COMMON[@]}" 2>&1; echo "rc=$?")
has "heartbeat without --advertise: exit 100" "$out" "rc=100"
has "heartbeat without --advertise: says what to give" "$out" "--advertise"
out=$("$BIN" heartbeat --token "$TOKEN" --advertise "$(node_url 1)" 2>&1; echo "rc=$?")
has "heartbeat without --cluster: exit 100 saying so" "$out" "--cluster"

# ---------------------------------------------------------------------------------------
echo "# placement: PUT runs on the least-loaded live node"
URL=$(node_url 1)
api PUT / -d "image=$IMAGE&name=$P-a&detach=true&data=sleep+600"
eq "PUT through node 1 (load 0.3): 201" "$STATUS" 201
eq "PUT: the answer names node 2 (load 0.1)" "$(json 'j["host"]')" "$(node_url 2)"
check "the container is in node 2's engine" bash -c "docker -H unix://$STATE/engine2/docker.sock inspect $P-a >/dev/null"
check "and in no other engine" bash -c "! docker -H unix://$STATE/engine1/docker.sock inspect $P-a >/dev/null 2>&1 && ! docker -H unix://$STATE/engine3/docker.sock inspect $P-a >/dev/null 2>&1"
api PUT / -d "image=$IMAGE&name=$P-b&remove=true&data=echo+hello+from+a+node"
eq "attached PUT through node 1: 200 from node 2" "$STATUS:$(json 'j["host"]')" "200:$(node_url 2)"
has "attached PUT: the command's output" "$(json 'j["stdout"]')" "hello from"
heartbeat 2 1 >/dev/null   # node 2 drained
URL=$(node_url 2)
api PUT / -d "image=$IMAGE&name=$P-c&detach=true&data=sh+-c+'echo+line1;echo+line2;sleep+600'"
eq "node 2 drained (--load 1): PUT through node 2 runs on node 3 (0.2)" "$STATUS:$(json 'j["host"]')" "201:$(node_url 3)"
check "the container is in node 3's engine" bash -c "docker -H unix://$STATE/engine3/docker.sock inspect $P-c >/dev/null"
heartbeat 1 0.05 >/dev/null
URL=$(node_url 1)
api PUT / -d "image=$IMAGE&name=$P-d&detach=true&data=sleep+600"
eq "node 1 least loaded: PUT through node 1 runs here, no hop" "$STATUS:$(json 'j["host"]')" "201:$(node_url 1)"
check "the container is in node 1's engine" bash -c "docker -H unix://$STATE/engine1/docker.sock inspect $P-d >/dev/null"
publish_all

# ---------------------------------------------------------------------------------------
echo "# fan-out: every other request goes to all live nodes"
URL=$(node_url 3)
api GET /
eq "GET /: 200" "$STATUS" 200
eq "GET /: containers of all three engines, each with its node" \
  "$(json '" ".join(sorted(c["host"].rsplit(".",1)[1].split(":")[0] + "=" + c["Names"][0].lstrip("/") for c in j if c["Names"][0].startswith("/'"$P"'")))')" \
  "1=$P-d 2=$P-a 3=$P-c"
hasnt "GET /: no node unanswered" "$HEADERS" "X-Cluster-Unanswered"
api GET "/$P-a"
eq "logs of a container on node 2, asked at node 3: from node 2" "$STATUS:$(json 'j["host"]')" "200:$(node_url 2)"
api GET "/$P-c?format=text&follow=false"
eq "text logs streamed through from node 3" "$STATUS:$(header X-Cluster-Host)" "200:$(node_url 3)"
has "text logs: the lines" "$BODY" "line2"
api POST "/$P-a" -d "data=echo+exec+here"
eq "exec reaches the node that has the container" "$STATUS:$(json 'j["host"]'):$(json 'j["exitCode"]'):$(json 'j["stdout"]')" "200:$(node_url 2):0:exec here"
api GET "/$P-none"
eq "a container no node has: 404" "$STATUS" 404
api DELETE "/$P-a"
eq "DELETE reaches node 2" "$STATUS:$(json 'j["host"]')" "200:$(node_url 2)"
check "the container is gone from node 2's engine" bash -c "! docker -H unix://$STATE/engine2/docker.sock inspect $P-a >/dev/null 2>&1"
api HEAD "/127.0.0.1:5000/ds-test/busybox:1"
eq "HEAD (pull) on every node: 200" "$STATUS" 200
check "the image is now in each engine" bash -c "for n in 1 2 3; do docker -H unix://$STATE/engine\$n/docker.sock image inspect 127.0.0.1:5000/ds-test/busybox:1 >/dev/null || exit 1; done"
api HEAD "/127.0.0.1:5000/ds-test/no-such-image:1"
eq "HEAD of an image the registry lacks: 404" "$STATUS" 404
has "HEAD: X-Error names the node" "$(header X-Error)" "node http://127.0.0."
api GET "/$P-c?since=yesterday"
eq "a bad query is refused here, before any fan-out: 400" "$STATUS" 400

# ---------------------------------------------------------------------------------------
echo "# forwarded requests: handled where they arrive, counted once"
forward_header() {  # METHOD TARGET BODY CLIENT [SECRET]
  python3 - "$1" "$2" "$3" "$4" "${5:-$TOKEN}" <<'PY'
import hashlib, hmac, sys, time
method, target, body, client, secret = sys.argv[1:6]
t = int(time.time() * 1000)
digest = hashlib.sha256(body.encode()).hexdigest()
message = "docker-server forward v1\n%s\n%s\n%d\n%s\n%s" % (method, target, t, client, digest)
sig = hmac.new(("docker-server cluster key v1\n" + secret).encode(), message.encode(), hashlib.sha256).hexdigest()
print("X-Docker-Server-Forwarded: v1; t=%d; client=%s; body=%s; sig=%s" % (t, client, digest, sig))
PY
}
body="image=$IMAGE&name=$P-f&detach=true&data=sleep+600"
URL=$(node_url 1)
api PUT / -H "$(forward_header PUT / "$body" 198.51.100.7)" -d "$body"
eq "a validly forwarded PUT at node 1 (not least loaded) runs at node 1" "$STATUS" 201
check "the forwarded container is in node 1's engine" bash -c "docker -H unix://$STATE/engine1/docker.sock inspect $P-f >/dev/null"
has "the receiver logs the original client" "$(cat "$STATE"/node1-*.log)" "client=198.51.100.7 method=PUT"
body="image=$IMAGE&name=$P-g&detach=true&data=sleep+600"
api PUT / -H "$(forward_header PUT / "$body" 198.51.100.7 not-the-cluster-secret)" -d "$body"
eq "a forged forwarding field is ignored: the PUT is placed (node 2)" "$STATUS:$(json 'j["host"]')" "201:$(node_url 2)"
has "the forged field is logged" "$(cat "$STATE"/node1-*.log)" "reason=forwarding_ignored"
api PUT / -H "$(forward_header PUT / "image=$IMAGE&data=true" 198.51.100.7)" -d "image=$IMAGE&data=id"
eq "a forwarding field whose body hash does not match: 400" "$STATUS" 400
# Rate limits: the nodes share the folder; a forwarded request is counted once.
for n in 1 2 3; do kill "${NODE_PID[$n]}"; done
wait "${NODE_PID[@]}" 2>/dev/null
for n in 1 2 3; do start_node "$n" --low_burst 2; done
for n in 1 2 3; do for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.$n/$PC") 2>/dev/null && break; sleep 0.1; done; done
codes=""
for i in 1 2 3; do
  api PUT / --interface 127.0.0.5 -d "image=$IMAGE&remove=true&data=true"
  codes+="$STATUS "
done
eq "low_burst 2, three PUTs through node 1 each forwarded to node 2: 200 200 429" "$codes" "200 200 429 "

# ---------------------------------------------------------------------------------------
echo "# entries nobody signed never receive a connection"
for n in 1 2 3; do kill "${NODE_PID[$n]}"; done
wait "${NODE_PID[@]}" 2>/dev/null
for n in 1 2 3; do start_node "$n"; done
for n in 1 2 3; do for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.$n/$PC") 2>/dev/null && break; sleep 0.1; done; done
PT=$(free_port)
python3 - "$PT" "$STATE/trap.log" <<'PY' &
import socket, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.9", int(sys.argv[1]))); s.listen(16)
while True:
    c, _ = s.accept(); c.settimeout(2)
    try: data = c.recv(65536)
    except Exception: data = b""
    open(sys.argv[2], "ab").write(b"CONNECTION " + data + b"\n"); c.close()
PY
CLEANUP_PIDS+=($!)
TRAP="http://127.0.0.9:$PT"
now=$(python3 -c 'import time; print(int(time.time()*1000))')
printf '{"host":"%s","load":0.000000,"updated":%s}' "$TRAP" "$now" >"$SHARED/ds-12700099$PT.json"
python3 - "$(entry_file 3)" "$TRAP" "$SHARED/ds-127009$PT.json" <<'PY'
import json, sys
entry = json.load(open(sys.argv[1])); entry["host"] = sys.argv[2]; entry["load"] = 0
open(sys.argv[3], "w").write(json.dumps(entry))
PY
publish_all
URL=$(node_url 1)
api PUT / -d "image=$IMAGE&name=$P-h&detach=true&data=sleep+600"
eq "with an unsigned and a re-pointed entry of load 0: PUT still lands on node 2" "$STATUS:$(json 'j["host"]')" "201:$(node_url 2)"
api GET /
eq "GET / still answers from the three nodes" "$STATUS" 200
sleep 0.5
eq "the listener the entries point at got no connection (and no token)" "$(cat "$STATE/trap.log" 2>/dev/null | wc -l)" 0
has "the unsigned entry is logged" "$(cat "$STATE"/node1-*.log)" "why=unsigned"
has "the re-pointed entry is logged" "$(cat "$STATE"/node1-*.log)" "why=bad_signature"
rm -f "$SHARED/ds-12700099$PT.json" "$SHARED/ds-127009$PT.json"

echo "# stale entries"
"$BIN" heartbeat "${COMMON[@]}" --log_file "$STATE/heartbeat-%DATE%.log" --advertise "$TRAP" --load 0
sleep 12.5   # 3 x --refresh_rate (4 s) and a little
publish_all
api PUT / -d "image=$IMAGE&name=$P-i&detach=true&data=sleep+600"
eq "a stale entry with load 0 is never chosen: PUT lands on node 2" "$STATUS:$(json 'j["host"]')" "201:$(node_url 2)"
sleep 0.5
eq "the stale node got no connection" "$(cat "$STATE/trap.log" 2>/dev/null | wc -l)" 0
check "the stale entry was removed from the folder" test ! -e "$(entry_file 9 "$PT")"
has "the removal is logged" "$(cat "$STATE"/node1-*.log)" "reason=cluster_entry_removed"

echo "# a request refreshes its node's entry once it is older than --refresh_rate"
before=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["updated"])' "$(entry_file 3)")
sleep 4.5
URL=$(node_url 3)
api GET /
sleep 0.5
after=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["updated"])' "$(entry_file 3)")
check "node 3's entry was refreshed after answering ($before -> $after)" test "$after" -gt "$before"

# ---------------------------------------------------------------------------------------
echo "# a node over https://: its certificate verified"
scripts/make-test-certs.sh "$STATE/certs" "DNS:localhost,IP:127.0.0.3" >/dev/null
kill "${NODE_PID[3]}"; wait "${NODE_PID[3]}" 2>/dev/null
start_node 3 --https --cert "$STATE/certs/cert.pem" --key "$STATE/certs/privkey.pem" --chain "$STATE/certs/chain.pem"
for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.3/$PC") 2>/dev/null && break; sleep 0.1; done
heartbeat 1 0.3 && heartbeat 2 0.5
"$BIN" heartbeat "${COMMON[@]}" --log_file "$STATE/heartbeat-%DATE%.log" --advertise "https://127.0.0.3:$PC" --load 0.1
# Node 1 trusts the test CA (--chain names the certificates trusted besides the system's).
kill "${NODE_PID[1]}"; wait "${NODE_PID[1]}" 2>/dev/null
start_node 1 --chain "$STATE/certs/ca.pem"
for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$PC") 2>/dev/null && break; sleep 0.1; done
URL=$(node_url 1)
api PUT / -d "image=$IMAGE&name=$P-k&detach=true&data=sleep+600"
eq "PUT forwarded to the https:// node (certificate for 127.0.0.3, test CA trusted)" "$STATUS:$(json 'j["host"]')" "201:https://127.0.0.3:$PC"
check "the container is in node 3's engine" bash -c "docker -H unix://$STATE/engine3/docker.sock inspect $P-k >/dev/null"
api GET /
eq "GET / fanned out to the https:// node too (one thread per node)" "$STATUS:$(header X-Cluster-Unanswered)" "200:"
has "GET /: the https:// node's containers" "$(json '" ".join(c["Names"][0] for c in j)')" "/$P-k"
URL=$(node_url 2)
api PUT / -d "image=$IMAGE&name=$P-l&detach=true&data=sleep+600"
eq "a node that does not trust node 3's certificate places the PUT on the next node (1)" "$STATUS:$(json 'j["host"]')" "201:$(node_url 1)"
has "the refused certificate is logged" "$(cat "$STATE"/node2-*.log)" "certificate not trusted"
check "and nothing ran on node 3" bash -c "! docker -H unix://$STATE/engine3/docker.sock inspect $P-l >/dev/null 2>&1"
kill "${NODE_PID[3]}" "${NODE_PID[1]}"; wait "${NODE_PID[3]}" "${NODE_PID[1]}" 2>/dev/null
rm -f "$(entry_file 3)"
start_node 1; start_node 3
for n in 1 3; do for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.$n/$PC") 2>/dev/null && break; sleep 0.1; done; done

echo "# a node that accepts connections and never answers"
# Short engine timeouts: a node's answer is bounded by --engine_timeout + 10 s (13 s here).
for n in 1 2 3; do kill "${NODE_PID[$n]}"; done
wait "${NODE_PID[@]}" 2>/dev/null
for n in 1 2 3; do start_node "$n" --engine_timeout 3; done
for n in 1 2 3; do for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.$n/$PC") 2>/dev/null && break; sleep 0.1; done; done
publish_all
kill -STOP "${NODE_PID[3]}"   # its socket still completes handshakes: connected, never answered
URL=$(node_url 1)
start=$(date +%s)
api GET /
took=$(( $(date +%s) - start ))
eq "GET / with a hung node: 200 from the others" "$STATUS" 200
has "GET /: the hung node is named in X-Cluster-Unanswered" "$(header X-Cluster-Unanswered)" "$(node_url 3)"
check "GET /: bounded by --engine_timeout + 10 s (took $took s)" test "$took" -le 16
api PUT / -d "image=$IMAGE&name=$P-m&detach=true&data=sleep+600"
start=$(date +%s)
api POST "/$P-m" -d "data=echo+found"
took=$(( $(date +%s) - start ))
eq "exec with a hung node: answered by the node that has the container" "$STATUS:$(json 'j["stdout"]')" "200:found"
check "exec: within --engine_timeout + 10 s of the others' answers (took $took s)" test "$took" -le 16
kill -CONT "${NODE_PID[3]}"
for n in 1 2 3; do kill "${NODE_PID[$n]}"; done
wait "${NODE_PID[@]}" 2>/dev/null
for n in 1 2 3; do start_node "$n"; done
for n in 1 2 3; do for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.$n/$PC") 2>/dev/null && break; sleep 0.1; done; done

echo "# a node that is down"
publish_all
kill "${NODE_PID[2]}"; wait "${NODE_PID[2]}" 2>/dev/null
URL=$(node_url 1)
start=$(date +%s%N)
api PUT / -d "image=$IMAGE&name=$P-j&detach=true&data=sleep+600"
ms=$(( ($(date +%s%N) - start) / 1000000 ))
eq "node 2 (least loaded) down: PUT goes to node 3, the next" "$STATUS:$(json 'j["host"]')" "201:$(node_url 3)"
check "within the connect timeout (${ms} ms)" test "$ms" -lt 3000
check "node 2's entry was removed" test ! -e "$(entry_file 2)"
has "the removal is logged" "$(cat "$STATE"/node1-*.log)" "reason=cluster_node_down"
heartbeat 2 0.1 >/dev/null
api GET /
eq "GET / with node 2 down: 200 from the others" "$STATUS" 200
check "node 2's entry was removed again" test ! -e "$(entry_file 2)"
has "GET /: node 3's containers" "$BODY" "$P-j"

echo
echo "e2e-cluster: $PASS passed, $FAIL failed"
echo "$PASS passed, $FAIL failed"
[ "$FAIL" -eq 0 ]
