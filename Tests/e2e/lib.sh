# Helpers for the end-to-end suites: assertions with a pass/fail count, curl against the
# server under test, free ports, and clean-up of everything a suite started.
# Sourced by Tests/e2e/run.sh; expects BIN (the docker-server binary) and STATE (a temp folder).

PASS=0
FAIL=0
CLEANUP_PIDS=()
# Everything a run creates on the engine is named after the run (P-…): runs beside each
# other, or beside anyone else's containers, leave those alone.
RUN=${RUN:-$(od -An -N4 -tx1 /dev/urandom | tr -d ' \n')}
P=ds-e2e-$RUN

ok() { PASS=$((PASS + 1)); printf 'ok   - %s\n' "$1"; }
bad() {
  FAIL=$((FAIL + 1))
  printf 'FAIL - %s\n' "$1"
  if [ -n "${2:-}" ]; then printf '       %s\n' "$2"; fi
  return 0
}
# check DESCRIPTION COMMAND...: passes when the command succeeds.
check() { local d=$1; shift; if "$@"; then ok "$d"; else bad "$d" "command failed: $*"; fi; }
# eq DESCRIPTION ACTUAL EXPECTED
eq() { if [ "$2" == "$3" ]; then ok "$1"; else bad "$1" "expected [$3], got [$2]"; fi; }
# has DESCRIPTION HAYSTACK NEEDLE
has() { if [[ "$2" == *"$3"* ]]; then ok "$1"; else bad "$1" "[$3] not in [${2:0:600}]"; fi; }
# hasnt DESCRIPTION HAYSTACK NEEDLE: also fails on an empty haystack or one that is not what
# was asked for (a failed request's "<no answer>", invalid JSON), which contain nothing.
hasnt() {
  if [ -z "$2" ] || [[ "$2" == "<invalid JSON"* ]]; then bad "$1" "nothing to look in: [${2:0:200}]"
  elif [[ "$2" != *"$3"* ]]; then ok "$1"; else bad "$1" "[$3] unexpectedly in [${2:0:600}]"; fi
}

# request_file FILE METHOD TARGET [BODY]: a canned request with the token.
request_file() {
  local body=${4:-}
  printf '%s %s HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\nContent-Length: %d\r\n\r\n%s' "$2" "$3" "$TOKEN" "${#body}" "$body" >"$1"
}
# lt A B: A is a number below B (a missing or non-numeric A fails).
lt() { awk -v a="$1" -v b="$2" 'BEGIN {exit !(a ~ /^-?[0-9]+(\.[0-9]+)?$/ && a + 0 < b + 0)}'; }
# A free TCP port on loopback.
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# wait_port PORT: until something accepts on 127.0.0.1:PORT (10 s).
wait_port() {
  for _ in $(seq 100); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then return 0; fi
    sleep 0.1
  done
  return 1
}

# crlf FORMAT [ARGS...]: printf with every line ended by CRLF (canned HTTP requests).
crlf() { printf "$@" | sed 's/$/\r/'; }

# Extra curl arguments for every api call (the HTTPS section sets --cacert).
CURL_TLS=()

# api METHOD PATH [curl args...]: request to $URL with the token. Sets STATUS, BODY, HEADERS.
api() {
  local method=$1 path=$2; shift 2
  api_raw "$method" "$path" -H "Authorization: Bearer $TOKEN" "$@"
}

# api_raw METHOD PATH [curl args...]: the same without the token.
api_raw() {
  local method=$1 path=$2; shift 2
  local method_args=(-X "$method")
  [ "$method" == "HEAD" ] && method_args=(-I)
  STATUS=$(curl -sS --path-as-is --max-time 120 "${CURL_TLS[@]}" "${method_args[@]}" -o "$STATE/body" -D "$STATE/headers" -w '%{http_code}' "$@" "$URL$path" 2>"$STATE/curl.err")
  BODY=$(cat "$STATE/body" 2>/dev/null)
  HEADERS=$(tr -d '\r' <"$STATE/headers" 2>/dev/null)
}

# json EXPRESSION: evaluates a Python expression on the JSON in BODY (as `j`); when BODY is
# not JSON (the request failed, say) or the expression fails, prints "<invalid JSON …>",
# which no check takes for a value.
json() {
  python3 -c "import json,sys; j=json.loads(sys.argv[1]); print($1)" "$BODY" 2>/dev/null ||
    echo "<invalid JSON or expression: status ${STATUS:-?}, body ${BODY:0:80}>"
}

# header NAME: the value of a field in HEADERS (case-insensitive).
header() { printf '%s\n' "$HEADERS" | awk -v n="$(printf '%s' "$1" | tr 'A-Z' 'a-z')" 'BEGIN{FS=": "} tolower($1)==n {sub(/^[^:]*: /,""); print; exit}'; }

# raw PORT [PAUSE]: sends stdin to 127.0.0.1:PORT as it is, prints every byte of the reply
# until the server closes (15 s at most). With PAUSE, keeps the connection open without
# sending more for PAUSE seconds (a stalled client). Prints the seconds taken to stderr.
RAW_CLIENT=$(cat <<'PY'
import socket, sys, time
port, pause = int(sys.argv[1]), float(sys.argv[2])
data = sys.stdin.buffer.read()
start = time.monotonic()
s = socket.create_connection(("127.0.0.1", port), timeout=15)
s.sendall(data)
if pause == 0:
    s.shutdown(socket.SHUT_WR)
out = b""
while True:
    try:
        chunk = s.recv(65536)
    except (socket.timeout, ConnectionResetError):
        break
    if not chunk:
        break
    out += chunk
sys.stdout.buffer.write(out)
sys.stderr.write("%.3f\n" % (time.monotonic() - start))
PY
)
raw() { python3 -c "$RAW_CLIENT" "$1" "${2:-0}"; }
# python3 -c "$BODY_LENGTH" <REPLY: the length of a raw reply's body (after the header section).
BODY_LENGTH='import sys; print(len(sys.stdin.buffer.read().split(b"\r\n\r\n", 1)[1]))'

# connections PORT N THREADS SOURCES [PAUSE]: N connections to 127.0.0.1:PORT, THREADS at
# a time, from the comma-separated source addresses in turn, each sending GET / with the
# token; PAUSE seconds after connecting before sending. Prints one line per outcome:
# "STATUS COUNT" with STATUS an HTTP status, "reset" or "noanswer", and "retry-after=V" for
# the 503s' Retry-After values.
CONNECTIONS_CLIENT=$(cat <<'PY'
import socket, sys, threading, collections
port, n, threads, sources = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4].split(",")
pause, token = float(sys.argv[5]), sys.argv[6]
request = ("GET / HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n\r\n" % token).encode()
outcomes = collections.Counter(); lock = threading.Lock(); jobs = list(range(n))
def one(i):
    s = socket.socket()
    s.settimeout(60)
    try:
        s.bind((sources[i % len(sources)], 0)); s.connect(("127.0.0.1", port))
        if pause: threading.Event().wait(pause)
        s.sendall(request)
        reply = b""
        while True:
            chunk = s.recv(65536)
            if not chunk: break
            reply += chunk
        if not reply.startswith(b"HTTP/1."): return ["noanswer"]
        head = reply.split(b"\r\n\r\n", 1)[0].decode("latin-1").split("\r\n")
        out = [head[0].split(" ")[1]]
        out += ["retry-after=" + l.split(":", 1)[1].strip() for l in head[1:] if l.lower().startswith("retry-after:")]
        return out
    except ConnectionResetError:
        return ["reset"]
    except OSError as e:
        return ["error:" + type(e).__name__]
    finally:
        s.close()
def worker():
    while True:
        with lock:
            if not jobs: return
            i = jobs.pop()
        result = one(i)
        with lock: outcomes.update(result)
ts = [threading.Thread(target=worker) for _ in range(threads)]
for t in ts: t.start()
for t in ts: t.join()
for k, v in sorted(outcomes.items()): print(k, v)
PY
)
connections() { python3 -c "$CONNECTIONS_CLIENT" "$1" "$2" "$3" "$4" "${5:-0}" "$TOKEN"; }
outcome() { printf '%s\n' "$1" | awk -v k="$2" '$1 == k {print $2; found=1} END {if (!found) print 0}'; }

cleanup() {
  for pid in "${CLEANUP_PIDS[@]}"; do kill "$pid" 2>/dev/null; done
  docker ps -a --format '{{.Names}}' | grep "^$P-" | xargs -r docker rm -f >/dev/null 2>&1
  docker images --format '{{.Repository}}:{{.Tag}}' | grep "/$P/" | xargs -r docker rmi -f >/dev/null 2>&1
  wait 2>/dev/null
  # Keep the state (logs, replies) only when something failed or DS_E2E_KEEP is set.
  if [ "${FAIL:-1}" -eq 0 ] && [ -z "${DS_E2E_KEEP:-}" ]; then rm -rf "$STATE"; else echo "e2e: state kept in $STATE"; fi
}

# burst N REQUEST_FILE ADDRESSES [ARGS...]: starts N docker-server processes at once (all wait
# on one pipe until the last is forked), the i-th piped REQUEST_FILE with REMOTE_ADDR set to
# the (i mod k)-th of the comma-separated ADDRESSES; prints "ADDRESS STATUS" per process.
BURST_CLIENT=$(cat <<'PY'
import os, sys
n, request, addresses, binary, args = int(sys.argv[1]), sys.argv[2], sys.argv[3].split(","), sys.argv[4], sys.argv[5:]
gate_r, gate_w = os.pipe()
children = []
for i in range(n):
    out_r, out_w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(gate_w); os.close(out_r)
        os.read(gate_r, 1)  # blocks until the parent closes the gate: all start together
        fd = os.open(request, os.O_RDONLY)
        os.dup2(fd, 0); os.dup2(out_w, 1)
        env = dict(os.environ, REMOTE_ADDR=addresses[i % len(addresses)])
        os.execve(binary, [binary] + args, env)
    os.close(out_w)
    children.append((pid, out_r, addresses[i % len(addresses)]))
os.close(gate_r); os.close(gate_w)
for pid, out_r, address in children:
    data = b""
    while True:
        chunk = os.read(out_r, 65536)
        if not chunk: break
        data += chunk
    os.waitpid(pid, 0)
    status = data.split(b" ", 2)[1].decode() if data.startswith(b"HTTP/") else "none"
    print(address, status)
PY
)
burst() { python3 -c "$BURST_CLIENT" "$1" "$2" "$3" "$BIN" "${@:4}"; }
