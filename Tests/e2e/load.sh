#!/usr/bin/env bash
# Load suite: 32 clients for 30 s (wrk, every request a new connection as curl makes it), on
# `GET /` with the token and on the 401 path, through the built-in spawner (`--listen`) and
# through the default systemd units (docker-server.socket + docker-server.service, installed
# with scripts/install.sh) under a real systemd as PID 1 (scripts/systemd-testbed.sh).
# Checks: no socket error, no status but the one expected (200, 401) and the 429/503 that
# limits answer; afterwards no docker-server process left but the spawner, its file
# descriptors as before, no failed unit, and no file left in the server's folders but the
# rate-limit counters, the engine API version it negotiated, and log files. The rate limits and the per-address cap are raised (32
# clients come from one address): the run measures the request path, not the limits. A
# shorter run with the default limits checks that what passes is what they allow.
# Usage: Tests/e2e/load.sh [path/to/docker-server] [OUTPUT.md]   (OUTPUT.md: a Markdown section
# with the figures, for scripts/bench.sh). Seconds per run: DS_LOAD_SECONDS (30).
set -u
cd "$(dirname "$0")/../.."
BIN=$(realpath "${1:-${DS_BINARY:-.build/debug/docker-server}}")
OUT=${2:-}
SECONDS_PER_RUN=${DS_LOAD_SECONDS:-30}
CLIENTS=32
STATE=$(mktemp -d /tmp/ds-load.XXXXXX)
TOKEN=$(head -c 18 /dev/urandom | base64 | tr '+/' '-_')
. Tests/e2e/lib.sh
. scripts/systemd-testbed.sh
trap 'testbed_down >/dev/null 2>&1; cleanup' EXIT
fatal() { echo "e2e-load: $*" >&2; echo "0 passed, 1 failed"; exit 1; }
[ -x "$BIN" ] || fatal "no docker-server binary at $BIN"
case $BIN in "$PWD"/*) ;; *) fatal "the binary must be inside the repository (the testbed sees it there): $BIN" ;; esac
for tool in wrk docker curl python3 debootstrap systemd-nspawn; do
  command -v "$tool" >/dev/null || fatal "$tool is not installed (run scripts/test-env.sh first)"
done
docker info >/dev/null 2>&1 || fatal "the Docker engine does not answer (run scripts/test-env.sh first)"

# wrk counts statuses per thread; done() adds them up. One line per status, then the
# latency percentiles (ms) and the socket errors.
cat >"$STATE/statuses.lua" <<'LUA'
local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args) statuses = {} end
function response(status, headers, body) statuses[status] = (statuses[status] or 0) + 1 end
function done(summary, latency, requests)
  local total = {}
  for _, t in ipairs(threads) do
    for status, n in pairs(t:get("statuses")) do total[status] = (total[status] or 0) + n end
  end
  for status, n in pairs(total) do io.write(string.format("status %d %d\n", status, n)) end
  local e = summary.errors
  io.write(string.format("requests %d\nseconds %.3f\np50 %.2f\np99 %.2f\nerrors %d\n", summary.requests,
    summary.duration / 1e6, latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    e.connect + e.read + e.write + e.timeout))
end
LUA
RESULTS=()
# load LABEL URL EXPECTED AUTH(yes|no): one run, checked; its figures kept for the table, wrk's
# output in $LAST.
load() {
  local label=$1 url=$2 expected=$3 auth=() out
  [ "$4" = yes ] && auth=(-H "Authorization: Bearer $TOKEN")
  out=$(wrk -t2 -c"$CLIENTS" -d"${SECONDS_PER_RUN}s" --timeout 10s -H 'Connection: close' "${auth[@]}" -s "$STATE/statuses.lua" "$url" 2>&1)
  LAST=$STATE/wrk-${label//[^a-zA-Z0-9]/_}.txt
  printf '%s\n' "$out" >"$LAST"
  value() { printf '%s\n' "$out" | awk -v k="$1" '$1 == k {print $2}'; }
  local requests errors others limited
  requests=$(value requests)
  errors=$(value errors)
  limited=$(printf '%s\n' "$out" | awk '$1 == "status" && ($2 == 429 || $2 == 503) {n += $3} END {print n + 0}')
  others=$(printf '%s\n' "$out" | awk -v e="$expected" '$1 == "status" && $2 != e && $2 != 429 && $2 != 503 {print $2 "×" $3}' | tr '\n' ' ')
  check "$label: requests answered (${requests:-none})" test "${requests:-0}" -gt 0
  eq "$label: no socket errors" "${errors:-?}" 0
  eq "$label: no status but $expected and the limits' 429/503" "$others" ""
  RESULTS+=("$label|$(awk -v r="${requests:-0}" -v s="$(value seconds)" 'BEGIN {printf "%.0f", r / s}')|$(value p50)|$(value p99)|$((${requests:-0} - limited))|$limited|${errors:-?}")
}
file_count() { find "$@" -type f 2>/dev/null | wc -l; }
stray_files() { find "$@" -type f ! -path '*/ratelimit/*' ! -path '*/engine-api/*' ! -name '*.log' 2>/dev/null; }

# ---------------------------------------------------------------------------------------
echo "# --listen: the built-in spawner"
PORT=$(free_port)
FOLDER=$STATE/folder
"$BIN" --listen "127.0.0.1:$PORT" --token "$TOKEN" --folder "$FOLDER" --log_file "$STATE/listen-%DATE%.log" \
  --high_burst 1000000000 --auth_burst 1000000000 --max_per_source 64 &
SPAWNER=$!
CLEANUP_PIDS+=($!)
wait_port "$PORT" || fatal "--listen did not bind $PORT"
curl -s -o /dev/null -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:$PORT/"
curl -s -o /dev/null "http://127.0.0.1:$PORT/"
fds_before=$(ls /proc/$SPAWNER/fd | wc -l)
load "--listen, GET /" "http://127.0.0.1:$PORT/" 200 yes
load "--listen, 401" "http://127.0.0.1:$PORT/" 401 no
for _ in $(seq 50); do [ "$(pgrep -P "$SPAWNER" | wc -l)" -eq 0 ] && break; sleep 0.1; done
eq "--listen after the load: no connection process left" "$(pgrep -P "$SPAWNER" | wc -l)" 0
eq "--listen after the load: the spawner's file descriptors as before" "$(ls /proc/$SPAWNER/fd | wc -l)" "$fds_before"
eq "--listen after the load: only counters and logs in its folders" "$(stray_files "$FOLDER" "$STATE"/listen-*.log)" ""
check "--listen after the load: a handful of counters ($(file_count "$FOLDER"))" test "$(file_count "$FOLDER")" -le 8
eq "--listen after the load: no error logged" "$(grep -c 'level=\(error\|fatal\)' "$STATE"/listen-*.log)" 0

echo "# --listen with the default limits: what passes is what they allow"
PORT_DEF=$(free_port)
"$BIN" --listen "127.0.0.1:$PORT_DEF" --token "$TOKEN" --folder "$STATE/folder-defaults" --log_file "$STATE/defaults-%DATE%.log" &
CLEANUP_PIDS+=($!)
wait_port "$PORT_DEF" || fatal "--listen did not bind $PORT_DEF"
first_window=$(( $(date +%s) / 60 ))
SECONDS_PER_RUN=10 load "--listen, default limits, GET /" "http://127.0.0.1:$PORT_DEF/" 200 yes
windows=$(( $(date +%s) / 60 - first_window + 1 ))
passed=$(awk '$1 == "status" && $2 == 200 {print $3}' "$LAST")
check "default limits: at most 300 GET / per minute window passed (${passed:-0} in $windows)" test "${passed:-0}" -le $((300 * windows))
limited=$(awk '$1 == "status" && ($2 == 429 || $2 == 503) {n += $3} END {print n + 0}' "$LAST")
check "default limits: the rest answered 429/503 ($limited)" test "$limited" -gt 0

# ---------------------------------------------------------------------------------------
echo "# the default systemd units under a real systemd as PID 1"
testbed_up "$PWD" || fatal "the systemd testbed did not boot"
inside() { testbed_run "$@"; }
PORT_SD=$(free_port)
inside /src/scripts/install.sh --binary "/src/${BIN#"$PWD"/}" --listen "127.0.0.1:$PORT_SD" >"$STATE/install.out" 2>&1 ||
  fatal "install.sh failed in the testbed: $(tail -3 "$STATE/install.out")"
TOKEN=$(inside cat /etc/docker-server/token)
mkdir -p "$TB_ROOT/etc/systemd/system/docker-server.service.d"
printf '[Service]\nEnvironment=DS_HIGH_BURST=1000000000 DS_AUTH_BURST=1000000000 DS_MAX_PER_SOURCE=64\n' \
  >"$TB_ROOT/etc/systemd/system/docker-server.service.d/load.conf"
inside systemctl daemon-reload
inside systemctl stop docker-server.service 2>/dev/null
wait_port "$PORT_SD" || fatal "docker-server.socket does not listen on $PORT_SD"
curl -s -o /dev/null -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:$PORT_SD/"
curl -s -o /dev/null "http://127.0.0.1:$PORT_SD/"
main_pid() { inside systemctl show -p MainPID --value docker-server.service; }
pid_before=$(main_pid)
fds_before=$(inside ls /proc/"$pid_before"/fd | wc -l)
load "systemd units, GET /" "http://127.0.0.1:$PORT_SD/" 200 yes
load "systemd units, 401" "http://127.0.0.1:$PORT_SD/" 401 no
pid_after=$(main_pid)
eq "systemd units after the load: the same spawner" "$pid_after" "$pid_before"
for _ in $(seq 50); do [ "$(inside pgrep -P "$pid_after" | wc -l)" -eq 0 ] && break; sleep 0.1; done
eq "systemd units after the load: no connection process left" "$(inside pgrep -P "$pid_after" | wc -l)" 0
eq "systemd units after the load: the spawner's file descriptors as before" "$(inside ls /proc/"$pid_after"/fd | wc -l)" "$fds_before"
eq "systemd units after the load: no failed unit" "$(inside systemctl --failed --no-legend | wc -l)" 0
eq "systemd units after the load: only counters and the API version in /var/lib/docker-server" "$(stray_files "$TB_ROOT/var/lib/docker-server")" ""
check "systemd units after the load: a handful of counters ($(file_count "$TB_ROOT/var/lib/docker-server"))" \
  test "$(file_count "$TB_ROOT/var/lib/docker-server")" -le 8
eq "systemd units after the load: no error in the journal" \
  "$(inside journalctl -u docker-server.service -p err --no-pager -q | wc -l)" 0

if [ -n "$OUT" ]; then
  {
    echo "## Load: $CLIENTS clients for $SECONDS_PER_RUN s (Tests/e2e/load.sh)"
    echo
    echo "wrk, 2 threads, $CLIENTS connections, every request a new connection (\`Connection: close\`);"
    echo "rate limits and the per-address cap raised, so the figures are the request path's. \`GET /\`"
    echo "lists the engine's containers; 401 is a request without the token."
    echo
    echo "| set-up, request | requests/s | p50 ms | p99 ms | answered as expected | 429/503 | socket errors |"
    echo "|---|---|---|---|---|---|---|"
    for r in "${RESULTS[@]}"; do echo "| ${r//|/ | } |"; done
    echo
  } >"$OUT"
fi
echo "$PASS passed, $FAIL failed"
[ "$FAIL" -eq 0 ]
