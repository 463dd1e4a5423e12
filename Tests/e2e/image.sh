#!/usr/bin/env bash
# Container image suite: builds docker-server:<version> with scripts/image.sh (no network), runs
# it as the README shows (the engine socket mounted, a published port, the token from a file
# or a variable) and does list, run, exec, logs and rm through it, then HTTPS with a throw-away
# certificate mounted at /certs. Needs what scripts/test-env.sh sets up.
# Usage: Tests/e2e/image.sh [path/to/docker-server]
set -u
cd "$(dirname "$0")/../.."
BIN=$(realpath "${1:-${DS_BINARY:-.build/release/docker-server}}")
STATE=$(mktemp -d /tmp/ds-image-e2e.XXXXXX)
TOKEN=$(head -c 18 /dev/urandom | base64 | tr '+/' '-_')
IMAGE=ds-test/busybox:1
. Tests/e2e/lib.sh
SERVERS=()
trap 'for c in "${SERVERS[@]}"; do docker rm -f "$c" >/dev/null 2>&1; done; cleanup' EXIT
fatal() { echo "e2e-image: $*" >&2; echo "0 passed, 1 failed"; exit 1; }
[ -x "$BIN" ] || fatal "no docker-server binary at $BIN"
for tool in docker curl python3 openssl; do command -v "$tool" >/dev/null || fatal "$tool is not installed (run scripts/test-env.sh first)"; done
docker image inspect "$IMAGE" >/dev/null 2>&1 || fatal "test image $IMAGE missing (run scripts/test-env.sh first)"

echo "# the image"
TAG=$(scripts/image.sh "$BIN") || fatal "scripts/image.sh failed"
ok "scripts/image.sh built $TAG"
eq "the entry point is docker-server --listen 1717" "$(docker image inspect -f '{{json .Config.Entrypoint}}' "$TAG")" \
  '["/usr/local/bin/docker-server","--listen","1717"]'
size=$(docker image inspect -f '{{.Size}}' "$TAG")
check "the image is small ($((size / 1048576)) MiB)" test "$size" -lt $((64 << 20))

eq "it runs as another user (--user 65534)" "$(docker run --rm --user 65534 "$TAG" --version 2>&1)" "docker-server $(sed -n 's/.*static let current = "\(.*\)".*/\1/p' Sources/DockerServerCore/Version.swift)"

echo "# docker run -d -p …:1717 -v /var/run/docker.sock:/var/run/docker.sock, the token from a file"
printf '%s\n' "$TOKEN" >"$STATE/token"
PORT=$(free_port)
SERVER=$P-server
SERVERS+=("$SERVER")
docker run -d --name "$SERVER" -p "127.0.0.1:$PORT:1717" -v /var/run/docker.sock:/var/run/docker.sock \
  -v "$STATE/token:/run/secrets/token:ro" -e DS_TOKEN_FILE=/run/secrets/token "$TAG" >/dev/null || fatal "docker run of $TAG failed"
# docker-proxy accepts on the published port whatever the container does: ask the container.
running() { sleep 0.5; [ "$(docker inspect -f '{{.State.Running}}' "$1" 2>/dev/null)" = true ]; }
wait_port "$PORT" && running "$SERVER" || fatal "the server in the container does not run: $(docker logs "$SERVER" 2>&1 | tail -3)"
URL=http://127.0.0.1:$PORT
api GET /
eq "list through the image: 200" "$STATUS" 200
has "list through the image: the server's own container is listed" "$BODY" "$SERVER"
api_raw GET /
eq "no token: 401" "$STATUS" 401
api PUT / -d image=$IMAGE -d remove=true -d 'env[WHO]=image' --data-urlencode 'data=sh -c "echo hello from $WHO"'
eq "run through the image: 200, its output" "$STATUS:$(json 'j["stdout"]')" "200:hello from image"
api PUT / -d image=$IMAGE -d name=$P-app -d detach=true --data-urlencode 'data=sh -c "echo started; sleep 600"'
eq "detached run through the image: 201" "$STATUS" 201
api POST /$P-app --data-urlencode 'data=sh -c "echo exec; exit 4"'
eq "exec through the image: 200, exit code 4" "$STATUS:$(json 'j["exitCode"], j["stdout"].strip()')" "200:4 exec"
api GET /$P-app
eq "logs through the image" "$STATUS:$(json 'j["stdout"].strip()')" "200:started"
api DELETE /$P-app
eq "rm through the image: 200" "$STATUS:$(json 'j["removed"]')" "200:True"
logs=$(docker logs "$SERVER" 2>&1)
has "the access lines are in docker logs" "$logs" "reason=access"
hasnt "docker logs never hold the token" "$logs" "$TOKEN"

# docker stop: SIGTERM, SIGKILL 10 s later. An attached run in flight is ended as a hang-up
# would end it (its container killed) before that, and the server exits 0.
curl -s -o /dev/null --max-time 30 -H "Authorization: Bearer $TOKEN" -X PUT "$URL/" -d image=$IMAGE -d name=$P-inflight \
  --data-urlencode 'data=sleep 600' &
for _ in $(seq 50); do [ "$(docker inspect -f '{{.State.Running}}' $P-inflight 2>/dev/null)" = true ] && break; sleep 0.2; done
start=$(date +%s.%N)
docker stop "$SERVER" >/dev/null
took=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN {printf "%.1f", b - a}')
check "docker stop with an attached run in flight: done before the SIGKILL (${took} s)" lt "$took" 9.5
eq "docker stop: the server exited 0" "$(docker inspect -f '{{.State.ExitCode}}' "$SERVER")" 0
for _ in $(seq 50); do [ "$(docker inspect -f '{{.State.Running}}' $P-inflight 2>/dev/null)" = false ] && break; sleep 0.2; done
eq "docker stop: the attached run's container was killed" "$(docker inspect -f '{{.State.Running}}' $P-inflight 2>/dev/null)" false
wait

echo "# HTTPS with certificates mounted at /certs, the token from a variable"
scripts/make-test-certs.sh "$STATE/certs" >/dev/null || fatal "cannot make test certificates"
chmod 0644 "$STATE/certs/privkey.pem"
PORT_TLS=$(free_port)
SERVER_TLS=$P-server-tls
SERVERS+=("$SERVER_TLS")
docker run -d --name "$SERVER_TLS" -p "127.0.0.1:$PORT_TLS:1717" -v /var/run/docker.sock:/var/run/docker.sock \
  -v "$STATE/certs:/certs:ro" -e DS_TOKEN="$TOKEN" "$TAG" --https >/dev/null || fatal "docker run --https failed"
wait_port "$PORT_TLS" && running "$SERVER_TLS" || fatal "the HTTPS server does not run: $(docker logs "$SERVER_TLS" 2>&1 | tail -3)"
answer=$(curl -s --cacert "$STATE/certs/ca.pem" -H "Authorization: Bearer $TOKEN" -w '\n%{http_code}' "https://localhost:$PORT_TLS/" 2>&1)
eq "HTTPS through the image: 200 with the certificate verified" "$(printf '%s' "$answer" | tail -1)" 200
check "plain HTTP on the HTTPS port gets no answer" bash -c "! curl -s --max-time 3 -o /dev/null 'http://127.0.0.1:$PORT_TLS/'"

echo "$PASS passed, $FAIL failed"
[ "$FAIL" -eq 0 ]
