#!/usr/bin/env bash
# Contract test: schemathesis (PyPI) generates requests from docs/openapi.yaml and sends them to
# a live server (the spawner, --listen on a free loopback port, with a token) in front of the
# real dockerd; every answer must match the document (status, Content-Type, header fields, body
# schema), no answer may be a 5xx other than the documented 502/503/504, and no request may
# create a container outside this run's prefix. Builds nothing. docs/DESIGN.md ("Contract
# test") says what it checks and why.
# Usage: Tests/e2e/contract.sh [path/to/docker-server]
# Knobs (environment): DS_CONTRACT_EXAMPLES (examples per operation in the fuzzing phase, default 150),
# DS_CONTRACT_TIMEOUT (seconds for the whole schemathesis run, default 300), DS_CONTRACT_SEED
# (the generation seed; random by default, printed so a failure can be replayed), DS_E2E_KEEP
# (keep the state folder: server log, schemathesis reports).
set -u
cd "$(dirname "$0")/../.."
BIN=$(realpath "${1:-${DS_BINARY:-.build/release/docker-server}}")
STATE=$(mktemp -d /tmp/ds-contract.XXXXXX)
TOKEN=$(head -c 18 /dev/urandom | base64 | tr '+/' '-_')
REGISTRY=127.0.0.1:5000
TEST_IMAGE=ds-test/busybox:1
EXAMPLES=${DS_CONTRACT_EXAMPLES:-150}
TIMEOUT=${DS_CONTRACT_TIMEOUT:-300}
SEED=${DS_CONTRACT_SEED:-$(od -An -N4 -tu4 /dev/urandom | tr -d ' ')}
. Tests/e2e/lib.sh
# Everything this run creates on the engine is named after it (lib.sh's run id).
P=ds-contract-$RUN
IMAGE=$P/busybox:1
VOLUMES=$STATE/volumes

contract_cleanup() {
  # Containers first (they hold the volumes): those named with the prefix, and any other the
  # engine reported created from this run's image (a server that lost a name, say), then our
  # named volumes and our image tag.
  docker ps -a --format '{{.Names}}' 2>/dev/null | grep "^$P-" | xargs -r docker rm -fv >/dev/null 2>&1
  if [ -f "$STATE/created" ]; then
    awk -v img="$IMAGE" -v reg="$REGISTRY/$P/" '$2 == img || index($2, reg) == 1 {print $1}' "$STATE/created" |
      xargs -r docker rm -fv >/dev/null 2>&1
  fi
  docker volume ls -q 2>/dev/null | grep "^$P-" | xargs -r docker volume rm -f >/dev/null 2>&1
  docker image rm "$IMAGE" >/dev/null 2>&1
  cleanup 2>/dev/null
}
trap contract_cleanup EXIT

fatal() { echo "contract: $*" >&2; echo "0 passed, 1 failed"; exit 1; }
[ -x "$BIN" ] || fatal "no docker-server binary at $BIN (run scripts/build.sh first)"
# Run as python3 -m schemathesis.cli (the st command), so the python3 that has it is the one used.
python3 -c 'import schemathesis.cli' 2>/dev/null ||
  fatal "schemathesis is not installed (run scripts/test-env.sh, or: python3 -m pip install schemathesis)"
command -v docker >/dev/null 2>&1 || fatal "the docker command is not installed (run scripts/test-env.sh first)"
docker info >/dev/null 2>&1 || fatal "no Docker engine answers (run scripts/test-env.sh first)"
docker image inspect "$TEST_IMAGE" >/dev/null 2>&1 || fatal "test image $TEST_IMAGE missing (run scripts/test-env.sh first)"
curl -fsS -o /dev/null "http://$REGISTRY/v2/" || fatal "no registry on $REGISTRY (run scripts/test-env.sh first)"
for tool in curl python3 timeout; do
  command -v "$tool" >/dev/null || fatal "$tool is not installed (run scripts/test-env.sh first)"
done
echo "# schemathesis $(python3 -c 'import schemathesis; print(schemathesis.__version__)'), seed $SEED, $EXAMPLES fuzzed examples per operation, at most ${TIMEOUT}s"

# ---------------------------------------------------------------------------------------
echo "# fixtures: this run's image tag, containers to read, exec in and remove"
docker tag "$TEST_IMAGE" "$IMAGE" || fatal "cannot tag $TEST_IMAGE as $IMAGE"
mkdir -p "$VOLUMES"
docker run -d --name "$P-live" "$IMAGE" sh -c 'echo out; echo err >&2; exec sleep 3600' >/dev/null ||
  fatal "cannot start the container $P-live"
docker run -d --name "$P-exited" "$IMAGE" sh -c 'echo bye' >/dev/null || fatal "cannot start the container $P-exited"
VICTIMS=()
for i in 1 2 3 4 5 6; do
  docker run -d --name "$P-victim-$i" "$IMAGE" sleep 3600 >/dev/null && VICTIMS+=("$P-victim-$i")
done
docker wait "$P-exited" >/dev/null
# Host ports a run may publish: free now, below the kernel's ephemeral range that free_port
# (and so every other suite) draws from, and only ever bound on 127.0.0.1.
PORTS=$(python3 - <<'PY'
import random, socket
ports = []
for port in random.sample(range(20000, 30000), 200):
    s = socket.socket()
    try:
        s.bind(("127.0.0.1", port)); ports.append(str(port))
    except OSError:
        pass
    finally:
        s.close()
    if len(ports) == 4: break
print(",".join(ports))
PY
)

# ---------------------------------------------------------------------------------------
echo "# the server: spawner on a free loopback port, rate limits raised"
PORT=$(free_port)
URL=http://127.0.0.1:$PORT
# The rate limits are raised so that 429s do not drown the run (and unauthenticated probes,
# which count as failed authentications, do not lock the token out); a 429 that still happens
# is documented on every operation and passes the checks.
DS_TOKEN=$TOKEN DS_FOLDER="$STATE/shared" DS_LOG_FILE="$STATE/ds-%DATE%.log" \
  DS_LOW_BURST=1000000 DS_MID_BURST=1000000 DS_HIGH_BURST=1000000 DS_AUTH_BURST=1000000 \
  "$BIN" --listen "127.0.0.1:$PORT" >"$STATE/spawner.log" 2>&1 &
CLEANUP_PIDS+=($!)
wait_port "$PORT" || fatal "the server did not listen on $PORT (see $STATE/spawner.log)"
api GET /
eq "the server answers GET / with the token" "$STATUS" 200

# ---------------------------------------------------------------------------------------
# The configuration, with the reasons for each choice.
# - Phases: examples (the document has none, so this is quick), coverage (deterministic
#   boundary and invalid values for every parameter and body field, the negative side) and
#   fuzzing (random valid and invalid requests, bounded by max-examples). No stateful phase:
#   the document declares no links, and the hooks already aim the paths at live containers
#   (running, exited, removable, missing), which is the state that matters here.
# - Mode all: negative data too, and the check negative_data_rejection: a request the document
#   says is invalid must be refused. positive_data_acceptance is left out: the schemas cannot
#   say everything the server checks (a port or volume mapping's syntax, the engine's own 400
#   for a command it cannot start), so valid-looking requests may rightly be 400s.
# - not_a_server_error accepts the documented 502 (the engine failed), 503 (engine unreachable
#   or the spawner's caps) and 504 (engine timeout); status_code_conformance then checks that
#   the operation documents it. 500 and any other 5xx fail.
# - unsupported_method and allow_header_conformance: methods a path does not take are 405
#   with Allow; ignored_auth: without the token every operation is a 401.
# - One worker: the machine has two cores and every request is a process plus engine work; and
#   with two, hypothesis once failed inside (AST constructor recursion depth mismatch while
#   describing a filter), an error of the tool, not of the server.
# - request-timeout 60 s: a request that hangs fails the run instead of stalling it (the hooks
#   keep attached runs and execs short). continue-on-failure: every failure of a scenario is
#   reported, not just the first. The health checks are off: slow or heavily filtered
#   generation is expected here (a process per request, a real engine). No example database:
#   each run stands alone, its seed printed.
cat >"$STATE/schemathesis.toml" <<TOML
seed = $SEED
workers = 1
request-timeout = 60
continue-on-failure = true
suppress-health-check = ["too_slow", "filter_too_much", "data_too_large", "large_base_example"]

[auth.openapi.bearerAuth]
bearer = "\${DS_CONTRACT_TOKEN}"

[auth.openapi.basicAuth]
username = "contract"
password = "\${DS_CONTRACT_TOKEN}"

[generation]
mode = "all"
max-examples = $EXAMPLES
database = "none"

[phases.examples]
enabled = true
[phases.coverage]
enabled = true
[phases.fuzzing]
enabled = true
[phases.stateful]
enabled = false

[checks]
enabled = false
[checks.not_a_server_error]
enabled = true
expected-statuses = ["2xx", "3xx", "4xx", "502", "503", "504"]
[checks.status_code_conformance]
enabled = true
[checks.content_type_conformance]
enabled = true
[checks.response_headers_conformance]
enabled = true
[checks.response_schema_conformance]
enabled = true
[checks.negative_data_rejection]
enabled = true
[checks.unsupported_method]
enabled = true
[checks.allow_header_conformance]
enabled = true
[checks.ignored_auth]
enabled = true
[checks.missing_required_header]
enabled = true
TOML

echo "# schemathesis against docs/openapi.yaml"
START=$(date +%s)
before=$(docker ps -aq --no-trunc | sort)
# Every container created meanwhile, as the engine reports it (name, image as given). Streamed:
# the engine keeps too few past events for a query afterwards on a busy machine.
docker events --filter type=container --filter event=create \
  --format '{{.Actor.Attributes.name}} {{.Actor.Attributes.image}}' >"$STATE/created" 2>&1 &
EVENTS=$!
CLEANUP_PIDS+=("$EVENTS")
export DS_CONTRACT_TOKEN=$TOKEN DS_CONTRACT_PREFIX=$P DS_CONTRACT_IMAGE=$IMAGE DS_CONTRACT_REGISTRY=$REGISTRY \
  DS_CONTRACT_VOLUMES=$VOLUMES DS_CONTRACT_PORTS=$PORTS DS_CONTRACT_VICTIMS=$(IFS=,; echo "${VICTIMS[*]}") \
  DS_CONTRACT_SEED=$SEED SCHEMATHESIS_HOOKS=$PWD/Tests/e2e/contract_hooks.py
# From the state folder: schemathesis and hypothesis keep their caches in the current one.
(cd "$STATE" && exec timeout -k 10 "$TIMEOUT" python3 -m schemathesis.cli --config-file "$STATE/schemathesis.toml" run "$OLDPWD/docs/openapi.yaml" \
  --url "$URL" --no-color --report ndjson --report-dir "$STATE/report") >"$STATE/schemathesis.out" 2>&1
st_rc=$?
END=$(date +%s)
sed -e 's/^/  | /' "$STATE/schemathesis.out" | tail -n 150
# What was sent and answered, from the NDJSON report: per operation, the statuses seen. A run
# that never reaches the engine (say, every name steered wrong) would pass vacuously.
STATS=$(python3 - "$STATE"/report/*.ndjson <<'PY'
import collections, json, sys
seen = collections.defaultdict(collections.Counter)
for path in sys.argv[1:]:
    for line in open(path):
        event = json.loads(line).get("ScenarioFinished")
        if not event:
            continue
        for interaction in event["recorder"].get("interactions", {}).values():
            response = interaction.get("response") or {}
            if "status_code" in response:
                seen[interaction["request"]["method"] + " " + event["recorder"]["label"].split(" ", 1)[1]][response["status_code"]] += 1
for operation in sorted(seen):
    print(operation, " ".join("%d:%d" % kv for kv in sorted(seen[operation].items())))
PY
)
printf '%s\n' "$STATS" | sed 's/^/  answers: /'
for operation in "GET /:200" "PUT /:200" "PUT /:201" "HEAD /{name}:200" "HEAD /{name}:404" "GET /{name}:200" "POST /{name}:200" \
                 "POST /{name}:409" "DELETE /{name}:200" "DELETE /{name}:404" "GET /:401" "PUT /{name}:405"; do
  check "the run reached ${operation%:*} answered ${operation##*:}" \
    grep -q "^${operation%:*} .*\b${operation##*:}:" <<<"$STATS"
done
check "no answer was a 5xx other than 502, 503 and 504" bash -c '! grep -qE "\b5(0[015-9]|[1-9][0-9]):" <<<"$1"' _ "$STATS"
case $st_rc in
  0) ok "schemathesis: every answer matches docs/openapi.yaml ($((END - START))s)" ;;
  124|137) bad "schemathesis did not finish within ${TIMEOUT}s (DS_CONTRACT_TIMEOUT)" "report in $STATE/schemathesis.out" ;;
  *) bad "schemathesis found answers that do not match docs/openapi.yaml (exit $st_rc)" \
       "see the failures above; replay with DS_CONTRACT_SEED=$SEED; full output in $STATE/schemathesis.out" ;;
esac

# ---------------------------------------------------------------------------------------
echo "# the engine: nothing created outside the prefix, nothing left behind"
# Containers are told apart by the image: the hooks give every run request this run's own
# tag (or a missing image of this run on the local registry), which nothing else uses.
sleep 1
kill "$EVENTS" 2>/dev/null
ours=$(awk -v img="$IMAGE" -v reg="$REGISTRY/$P/" '$2 == img || index($2, reg) == 1' "$STATE/created")
eq "every container created from this run's image is named $P-… ($(printf '%s\n' "$ours" | grep -c .) created)" \
  "$(printf '%s\n' "$ours" | awk -v p="$P-" 'NF && index($1, p) != 1')" ""
after=$(docker ps -aq --no-trunc | sort)
new=$(comm -13 <(printf '%s\n' "$before") <(printf '%s\n' "$after") | grep . |
  xargs -r docker inspect -f '{{.Name}} {{.Config.Image}}' 2>/dev/null | sed 's|^/||')
eq "no container left behind that is not ours ($(printf '%s\n' "$new" | grep -c .) new since the start)" \
  "$(printf '%s\n' "$new" | awk -v p="$P-" -v img="$IMAGE" 'NF && index($1, p) != 1 && $2 == img')" ""
docker ps -a --format '{{.Names}}' | grep "^$P-" | xargs -r docker rm -fv >/dev/null 2>&1
docker volume ls -q | grep "^$P-" | xargs -r docker volume rm -f >/dev/null 2>&1
eq "after clean-up, no container of the run is left" "$(docker ps -aq --filter "name=^$P-")" ""
eq "after clean-up, no volume of the run is left" "$(docker volume ls -q | grep "^$P-")" ""

echo "$PASS passed, $FAIL failed"
[ "$FAIL" -eq 0 ]
