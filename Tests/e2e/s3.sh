#!/usr/bin/env bash
# Cluster suite on the S3 store (docs/API.md "Cluster on S3"): a real local S3 API (moto in
# server mode, signatures checked: scripts/s3-server.sh), three nodes on 127.0.0.1-3 with
# their own engines (scripts/netns-engines.sh). Nodes 1 and 2 publish entries, node 3 only
# reads them; each finds its credentials another way (variables, a systemd credential, a
# profile in a shared credentials file).
# Usage: Tests/e2e/s3.sh [path/to/docker-server]
set -u
cd "$(dirname "$0")/../.."
BIN=$(realpath "${1:-${DS_BINARY:-.build/debug/docker-server}}")
STATE=$(mktemp -d /tmp/ds-s3.XXXXXX)
TOKEN=$(head -c 18 /dev/urandom | base64 | tr '+/' '-_')
IMAGE=ds-test/busybox:1
. Tests/e2e/lib.sh

trap 'scripts/netns-engines.sh stop "$STATE"; scripts/s3-server.sh stop "$STATE/s3" >/dev/null 2>&1; cleanup' EXIT

fatal() { echo "e2e-s3: $*" >&2; echo "0 passed, 1 failed"; exit 1; }
[ -x "$BIN" ] || fatal "no docker-server binary at $BIN"
docker image inspect "$IMAGE" >/dev/null 2>&1 || fatal "test image $IMAGE missing (run scripts/test-env.sh first)"
for tool in ip dockerd docker socat systemd-socket-activate curl python3; do
  command -v "$tool" >/dev/null || fatal "$tool is not installed (run scripts/test-env.sh first)"
done

echo "# a local S3 API that checks signatures, and three engines"
mkdir -p "$STATE/s3"
scripts/s3-server.sh start "$STATE/s3" || fatal "the S3 server did not start"
set -a; . "$STATE/s3/env"; set +a
S3=(python3 scripts/s3-tool.py)
PREFIX="cluster-$P/"
scripts/netns-engines.sh start "$STATE" 3 "$IMAGE" || fatal "the engines did not start"
ok "S3 server and three engines up"

# Node 1: the standard variables. Node 2: the secret key as a systemd credential.
# Node 3: a profile in a shared credentials file, its region and endpoint in a config file.
mkdir -p "$STATE/credentials"
printf '%s\n' "$AWS_SECRET_ACCESS_KEY" >"$STATE/credentials/aws_secret_access_key"
cat >"$STATE/aws-credentials" <<INI
[default]
aws_access_key_id = AKIADEFAULTUNUSED000
aws_secret_access_key = not-this-one
[e2e]
aws_access_key_id = $AWS_ACCESS_KEY_ID
aws_secret_access_key = $AWS_SECRET_ACCESS_KEY
INI
cat >"$STATE/aws-config" <<INI
[profile e2e]
region = $AWS_REGION
endpoint_url = $AWS_ENDPOINT_URL
INI
PC=$(free_port)
COMMON=(--cluster --s3 "$S3_BUCKET" --folder "/$PREFIX" --token "$TOKEN" --refresh_rate 4000 --cache_interval 0)
node_url() { echo "http://127.0.0.$1:$PC"; }
key_of() { printf '%sds-127000000%03d%05d.json' "$PREFIX" "$1" "${2:-$PC}"; }
node_env() {  # the environment of node N (as -E options, or as env arguments with "env")
  case $1 in
    1) echo "AWS_ACCESS_KEY_ID=$AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY=$AWS_SECRET_ACCESS_KEY AWS_REGION=$AWS_REGION AWS_ENDPOINT_URL=$AWS_ENDPOINT_URL" ;;
    2) echo "AWS_ACCESS_KEY_ID=$AWS_ACCESS_KEY_ID CREDENTIALS_DIRECTORY=$STATE/credentials AWS_ENDPOINT_URL_S3=$AWS_ENDPOINT_URL" ;;
    3) echo "AWS_PROFILE=e2e AWS_SHARED_CREDENTIALS_FILE=$STATE/aws-credentials AWS_CONFIG_FILE=$STATE/aws-config" ;;
  esac
}
# Runs docker-server as node N would be run, without the AWS variables of this shell.
as_node() { local n=$1; shift; env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY -u AWS_REGION -u AWS_ENDPOINT_URL $(node_env "$n") "$BIN" "$@"; }
heartbeat() { as_node "$1" heartbeat "${COMMON[@]}" --log_file "$STATE/heartbeat-%DATE%.log" --advertise "$(node_url "$1")" --load "$2"; }
declare -A NODE_PID
start_node() {
  local n=$1; shift
  local envs=()
  for v in $(node_env "$n"); do envs+=(-E "$v"); done
  env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY -u AWS_REGION -u AWS_ENDPOINT_URL \
    systemd-socket-activate -l "127.0.0.$n:$PC" -a --inetd "${envs[@]}" -E DOCKER_HOST="unix://$STATE/engine$n/docker.sock" \
    "$BIN" "${COMMON[@]}" --port "$PC" --log_file "$STATE/node$n-%DATE%.log" --low_burst 1000 "$@" >/dev/null 2>&1 &
  NODE_PID[$n]=$!
  CLEANUP_PIDS+=($!)
}
wait_nodes() { for n in "$@"; do for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.$n/$PC") 2>/dev/null && break; sleep 0.1; done; done; }
for n in 1 2 3; do start_node "$n"; done
wait_nodes 1 2 3

# ---------------------------------------------------------------------------------------
echo "# entries as objects"
check "node 1 publishes (credentials from AWS_* variables)" heartbeat 1 0.3
check "node 2 publishes (secret key from a systemd credential)" heartbeat 2 0.1
entry=$("${S3[@]}" get "$S3_BUCKET" "$(key_of 2)" 2>&1)
eq "node 2's object under the prefix: host, load, updated, signature" \
  "$(python3 -c 'import json,sys; e=json.loads(sys.argv[1]); print(e["host"], e["load"], type(e["updated"]).__name__, len(e["signature"]))' "$entry" 2>&1)" \
  "$(node_url 2) 0.1 int 64"
eq "node 3 published nothing: two objects" "$("${S3[@]}" count "$S3_BUCKET" "$PREFIX")" 2
out=$(as_node 3 nodes "${COMMON[@]}" --log_file "$STATE/cli-%DATE%.log")
eq "node 3 (profile in shared files) sees nodes 2 and 1, least loaded first" \
  "$(python3 -c 'import json,sys; print(" ".join(n["host"] for n in json.loads(sys.argv[1])))' "$out" 2>&1)" "$(node_url 2) $(node_url 1)"

# ---------------------------------------------------------------------------------------
echo "# placement and fan-out, as with the folder"
URL=$(node_url 3)
api PUT / -d "image=$IMAGE&name=$P-a&detach=true&data=sleep+600"
eq "PUT through node 3: placed on node 2 (load 0.1)" "$STATUS:$(json 'j["host"]')" "201:$(node_url 2)"
check "the container is in node 2's engine only" bash -c "docker -H unix://$STATE/engine2/docker.sock inspect $P-a >/dev/null && ! docker -H unix://$STATE/engine1/docker.sock inspect $P-a >/dev/null 2>&1 && ! docker -H unix://$STATE/engine3/docker.sock inspect $P-a >/dev/null 2>&1"
heartbeat 2 1 >/dev/null
api PUT / -d "image=$IMAGE&name=$P-b&detach=true&data=sleep+600"
eq "node 2 drained (--load 1): PUT placed on node 1" "$STATUS:$(json 'j["host"]')" "201:$(node_url 1)"
api GET /
eq "GET / through node 3: 200" "$STATUS" 200
eq "GET /: the containers of nodes 1 and 2, each with its node" \
  "$(json '" ".join(sorted(c["host"].rsplit(".",1)[1].split(":")[0] + "=" + c["Names"][0].lstrip("/") for c in j if c["Names"][0].startswith("/'"$P"'")))')" \
  "1=$P-b 2=$P-a"
api POST "/$P-a" -d "data=echo+exec+via+s3"
eq "exec reaches node 2" "$STATUS:$(json 'j["host"]'):$(json 'j["stdout"]')" "200:$(node_url 2):exec via s3"
api DELETE "/$P-b"
eq "DELETE reaches node 1" "$STATUS:$(json 'j["host"]')" "200:$(node_url 1)"
heartbeat 2 0.1 >/dev/null

# ---------------------------------------------------------------------------------------
echo "# more than 1,000 keys under the prefix: listed page by page"
# Keys that sort before the entries ("ds-0-…" < "ds-127…"), so the entries are on page 2.
"${S3[@]}" put-many "$S3_BUCKET" "${PREFIX}ds-0-filler/" 1100 >/dev/null
eq "1,102 keys under the prefix" "$("${S3[@]}" count "$S3_BUCKET" "$PREFIX")" 1102
heartbeat 1 0.3 >/dev/null; heartbeat 2 0.1 >/dev/null
out=$(as_node 3 nodes "${COMMON[@]}" --log_file "$STATE/cli-%DATE%.log")
eq "node 3 still finds both entries past the first page" \
  "$(python3 -c 'import json,sys; print(" ".join(n["host"] for n in json.loads(sys.argv[1])))' "$out" 2>&1)" "$(node_url 2) $(node_url 1)"
api PUT / -d "image=$IMAGE&name=$P-c&detach=true&data=sleep+600"
eq "PUT with 1,102 keys: still placed on node 2" "$STATUS:$(json 'j["host"]')" "201:$(node_url 2)"
"${S3[@]}" delete-prefix "$S3_BUCKET" "${PREFIX}ds-0-filler/" >/dev/null

# ---------------------------------------------------------------------------------------
echo "# stale and forged entries"
TRAP_PORT=$(free_port)
heartbeat_trap() { as_node 1 heartbeat "${COMMON[@]}" --log_file "$STATE/heartbeat-%DATE%.log" --advertise "http://127.0.0.9:$TRAP_PORT" --load 0; }
check "a fourth node publishes (load 0), then stops" heartbeat_trap
sleep 12.5   # 3 x --refresh_rate (4 s) and a little
heartbeat 1 0.3 >/dev/null; heartbeat 2 0.1 >/dev/null
printf '{"host":"http://127.0.0.9:%s","load":0.000000,"updated":%s}' "$TRAP_PORT" "$(date +%s%3N)" | "${S3[@]}" put "$S3_BUCKET" "${PREFIX}ds-99.json" -
api PUT / -d "image=$IMAGE&name=$P-d&detach=true&data=sleep+600"
eq "stale (load 0) and unsigned entries are never chosen: PUT on node 2" "$STATUS:$(json 'j["host"]')" "201:$(node_url 2)"
check "the stale entry was removed from the bucket" bash -c "! ${S3[*]} get $S3_BUCKET $(key_of 9 "$TRAP_PORT") >/dev/null 2>&1"
check "the unsigned one is left (not ours to delete) and logged" bash -c "${S3[*]} get $S3_BUCKET ${PREFIX}ds-99.json >/dev/null && grep -q 'why=unsigned' $STATE/node3-*.log"
has "the removal is logged" "$(cat "$STATE"/node3-*.log)" "reason=cluster_entry_removed"
"${S3[@]}" delete "$S3_BUCKET" "${PREFIX}ds-99.json" >/dev/null

echo "# a node that is down"
kill "${NODE_PID[2]}"; wait "${NODE_PID[2]}" 2>/dev/null
api PUT / -d "image=$IMAGE&name=$P-e&detach=true&data=sleep+600"
eq "node 2 (least loaded) down: PUT placed on node 1" "$STATUS:$(json 'j["host"]')" "201:$(node_url 1)"
check "node 2's object was removed" bash -c "! ${S3[*]} get $S3_BUCKET $(key_of 2) >/dev/null 2>&1"
start_node 2; wait_nodes 2; heartbeat 2 0.1 >/dev/null

echo "# with a cache: reads of the bucket are reused for --cache_interval"
listings() { grep -c "GET /$S3_BUCKET?" "$STATE/s3/moto.log" 2>/dev/null || true; }
as_node 3 nodes "${COMMON[@]}" --cache_interval 60000 --log_file "$STATE/cli-%DATE%.log" >/dev/null
before=$(listings)
for _ in 1 2 3; do as_node 3 nodes "${COMMON[@]}" --cache_interval 60000 --log_file "$STATE/cli-%DATE%.log" >/dev/null; done
eq "three more reads within --cache_interval: no listing of the bucket" "$(listings)" "$before"
as_node 3 nodes "${COMMON[@]}" --cache_interval 0 --log_file "$STATE/cli-%DATE%.log" >/dev/null
eq "with --cache_interval 0: one listing" "$(listings)" "$((before + 1))"
before=$(listings)
sleep 2.1   # the cache above expires (--cache_interval 2000 below)
HERD=()
for i in $(seq 20); do
  as_node 3 nodes "${COMMON[@]}" --cache_interval 2000 --log_file "$STATE/cli-%DATE%.log" >"$STATE/herd.$i" &
  HERD+=($!)
done
wait "${HERD[@]}"
eq "20 processes at once with an expired cache: one of them lists the bucket" "$(listings)" "$((before + 1))"
eq "and all 20 see both nodes" "$(cat "$STATE"/herd.* | grep -c "$(node_url 1)")" 20

echo "# an https:// endpoint: its certificate verified (system CAs plus --chain)"
scripts/make-test-certs.sh "$STATE/certs" >/dev/null
# socat sends the server certificate alone: the client trusts the CA and the intermediate.
cat "$STATE/certs/ca.pem" "$STATE/certs/chain.pem" >"$STATE/certs/trusted.pem"
TLS_PORT=$(free_port)
socat "OPENSSL-LISTEN:$TLS_PORT,bind=127.0.0.1,reuseaddr,fork,cert=$STATE/certs/cert.pem,key=$STATE/certs/privkey.pem,verify=0" \
  "TCP:127.0.0.1:$S3_PORT" 2>/dev/null &
CLEANUP_PIDS+=($!)
wait_port "$TLS_PORT"
over_tls() { env -u AWS_ENDPOINT_URL AWS_ENDPOINT_URL_S3="https://127.0.0.1:$TLS_PORT" "$BIN" nodes "${COMMON[@]}" --log_file "$STATE/cli-%DATE%.log" "$@" 2>&1; }
heartbeat 1 0.3 >/dev/null; heartbeat 2 0.1 >/dev/null
out=$(over_tls --chain "$STATE/certs/trusted.pem")
eq "https:// endpoint, test CA trusted with --chain: both nodes" \
  "$(python3 -c 'import json,sys; print(" ".join(n["host"] for n in json.loads(sys.argv[1])))' "$out" 2>/dev/null || echo "$out")" \
  "$(node_url 2) $(node_url 1)"
out=$(over_tls --cache_interval 0; echo "rc=$?")
has "https:// endpoint not trusted: refused" "$out" "certificate not trusted"
has "https:// endpoint not trusted: exit 100" "$out" "rc=100"

# ---------------------------------------------------------------------------------------
echo "# the S3 store unusable: a clear 503 within the bounds, never the secret"
request='GET / HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n\r\n'
PIPED=("${COMMON[@]}")
serve_piped() {  # serves one piped GET / with the given environment; prints the head and the time
  local start=$(date +%s%N) out
  out=$(printf "$request" "$TOKEN" | env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY -u AWS_REGION -u AWS_ENDPOINT_URL "$@" \
        DOCKER_HOST="unix://$STATE/engine1/docker.sock" "$BIN" "${PIPED[@]}" --log_file "$STATE/errors-%DATE%.log" | tr -d '\r')
  printf '%s\nMS=%s\n' "$out" "$(( ($(date +%s%N) - start) / 1000000 ))"
}
WRONG_SECRET="wrong-$(head -c 12 /dev/urandom | base64 | tr '+/' '-_')"
out=$(serve_piped AWS_ACCESS_KEY_ID="$AWS_ACCESS_KEY_ID" AWS_SECRET_ACCESS_KEY="$WRONG_SECRET" AWS_ENDPOINT_URL="$AWS_ENDPOINT_URL")
has "wrong secret key: 503" "$out" "HTTP/1.1 503"
has "wrong secret key: the answer names S3's reason" "$out" "SignatureDoesNotMatch"
out=$(serve_piped AWS_ACCESS_KEY_ID=AKIANOSUCHKEY0000000 AWS_SECRET_ACCESS_KEY="$WRONG_SECRET" AWS_ENDPOINT_URL="$AWS_ENDPOINT_URL")
has "unknown access key: 503 naming it" "$out" "InvalidAccessKeyId"
PIPED=(--cluster --s3 ds-no-such-bucket --folder "/$PREFIX" --token "$TOKEN" --cache_interval 0)
out=$(serve_piped AWS_ACCESS_KEY_ID="$AWS_ACCESS_KEY_ID" AWS_SECRET_ACCESS_KEY="$AWS_SECRET_ACCESS_KEY" AWS_ENDPOINT_URL="$AWS_ENDPOINT_URL")
has "missing bucket: 503 naming it" "$out" "NoSuchBucket"
PIPED=("${COMMON[@]}")
out=$(serve_piped AWS_ACCESS_KEY_ID=x)
has "no secret key anywhere: 503" "$out" "HTTP/1.1 503"
out=$(env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY HOME="$STATE/nohome" timeout 10 "$BIN" --listen "127.0.0.1:$(free_port)" \
  "${COMMON[@]}" --log_file "$STATE/errors-%DATE%.log" 2>&1; echo "rc=$?")
has "the spawner without S3 credentials refuses to start, saying so" "$out" "no AWS credentials"
has "the spawner without S3 credentials: exit 100" "$out" "rc=100"
HUNG=$(free_port)
python3 -c 'import socket,sys,time; s=socket.socket(); s.setsockopt(socket.SOL_SOCKET,socket.SO_REUSEADDR,1); s.bind(("127.0.0.1",int(sys.argv[1]))); s.listen(64); c=[]
while True: c.append(s.accept()[0])' "$HUNG" &
CLEANUP_PIDS+=($!)
sleep 0.3
out=$(serve_piped AWS_ACCESS_KEY_ID="$AWS_ACCESS_KEY_ID" AWS_SECRET_ACCESS_KEY="$AWS_SECRET_ACCESS_KEY" AWS_ENDPOINT_URL="http://127.0.0.1:$HUNG")
has "an endpoint that never answers: 503" "$out" "HTTP/1.1 503"
has "an endpoint that never answers: says so" "$out" "did not answer within 5 s"
check "an endpoint that never answers: within the 5 s bound ($(echo "$out" | sed -n 's/^MS=//p') ms)" test "$(echo "$out" | sed -n 's/^MS=//p')" -lt 7000
# A hostile or broken endpoint: answers that are not what S3 sends.
FAKE=$(free_port)
python3 - "$FAKE" <<'PY' &
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
class H(BaseHTTPRequestHandler):
    def do_GET(self):
        mode = self.path.split("?")[0].split("/")[1]
        body = {
            "loop": b"<ListBucketResult><IsTruncated>true</IsTruncated><NextContinuationToken>same</NextContinuationToken></ListBucketResult>",
            "slowdown": b"<Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>",
            "html": b"<html><body>proxy error</body></html>",
        }[mode]
        self.send_response(200 if mode == "loop" else 503)
        self.send_header("Content-Length", str(len(body))); self.end_headers(); self.wfile.write(body)
    def log_message(self, *a): pass
ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
PY
CLEANUP_PIDS+=($!)
wait_port "$FAKE"
for mode in loop:"repeated its continuation token" slowdown:"S3 SlowDown: Please reduce your request rate. (S3 is throttling requests)" \
            html:"answered HTTP 503"; do
  PIPED=(--cluster --s3 "${mode%%:*}" --folder "/$PREFIX" --token "$TOKEN" --cache_interval 0)
  out=$(serve_piped AWS_ACCESS_KEY_ID=AKIAFAKE AWS_SECRET_ACCESS_KEY="$WRONG_SECRET" AWS_ENDPOINT_URL="http://127.0.0.1:$FAKE")
  has "an endpoint answering ${mode%%:*}: 503 saying so" "$out" "${mode#*:}"
done
PIPED=("${COMMON[@]}")
scripts/s3-server.sh stop "$STATE/s3" >/dev/null
out=$(serve_piped AWS_ACCESS_KEY_ID="$AWS_ACCESS_KEY_ID" AWS_SECRET_ACCESS_KEY="$AWS_SECRET_ACCESS_KEY" AWS_ENDPOINT_URL="$AWS_ENDPOINT_URL")
has "the S3 server stopped: 503" "$out" "HTTP/1.1 503"
has "the S3 server stopped: unreachable" "$out" "unreachable"
check "the stopped endpoint: at once ($(echo "$out" | sed -n 's/^MS=//p') ms)" test "$(echo "$out" | sed -n 's/^MS=//p')" -lt 3000
has "the errors are logged" "$(cat "$STATE"/errors-*.log)" "reason=cluster_store_failed"
secrets_in_logs() { cat "$STATE"/*.log 2>/dev/null | grep -c -F -e "$AWS_SECRET_ACCESS_KEY" -e "$WRONG_SECRET"; }
eq "neither secret key is in any log line" "$(secrets_in_logs)" 0

echo
echo "e2e-s3: $PASS passed, $FAIL failed"
echo "$PASS passed, $FAIL failed"
[ "$FAIL" -eq 0 ]
