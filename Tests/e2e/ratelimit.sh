# Rate limits (docs/API.md "Rate limits"), sourced by Tests/e2e/run.sh: counters in shared-folder files, exact
# under many concurrent processes. Requests are piped into real docker-server processes with
# REMOTE_ADDR as the client address, or sent with curl through --listen.
echo "# rate limits"
# The defaults apply here unless a test sets a limit (run.sh raised them for the other
# sections; they are raised again at the end).
RAISED_LIMITS=$(export -p | grep -E 'DS_(LOW|MID|HIGH|AUTH)_BURST=')
unset DS_LOW_BURST DS_MID_BURST DS_HIGH_BURST DS_AUTH_BURST
crlf 'PUT / HTTP/1.1\nHost: x\nAuthorization: Bearer %s\nContent-Length: 0\n' "$TOKEN" >"$STATE/put.http"
printf '\r\n' >>"$STATE/put.http"
crlf 'GET / HTTP/1.1\nHost: x\nAuthorization: Bearer %s\n' "$TOKEN" >"$STATE/get.http"
printf '\r\n' >>"$STATE/get.http"
crlf 'GET / HTTP/1.1\nHost: x\nAuthorization: Bearer wrong-%s\n' "$TOKEN" >"$STATE/wrong.http"
printf '\r\n' >>"$STATE/wrong.http"
count() { printf '%s\n' "$1" | grep -c " $2\$"; }
# piped REQUEST_FILE ADDRESS [ARGS...]: one request; sets STATUS and HEADERS.
piped() {
  local reply
  reply=$(REMOTE_ADDR=$2 "$BIN" --token "$TOKEN" --log_file "$LOG" "${@:3}" <"$1" | tr -d '\r')
  STATUS=$(printf '%s\n' "$reply" | head -1 | cut -d' ' -f2)
  HEADERS=$(printf '%s\n' "$reply" | sed '/^$/q')
}

# 1. 64 processes at once from one address against a low limit of 10: exactly 10 pass.
out=$(burst 64 "$STATE/put.http" 198.51.100.7 --token "$TOKEN" --log_file "$LOG" --folder "$STATE/rl1" --low_burst 10)
eq "64 processes at once, one address, limit 10: 10 pass" "$(count "$out" 400)" 10
eq "64 processes at once, one address, limit 10: 54 get 429" "$(count "$out" 429)" 54
out=$(burst 64 "$STATE/put.http" 198.51.100.8,198.51.100.9 --token "$TOKEN" --log_file "$LOG" --folder "$STATE/rl2" --low_burst 10)
eq "two addresses: the first gets its own 10" "$(printf '%s\n' "$out" | grep -c '^198.51.100.8 400$')" 10
eq "two addresses: the second gets its own 10" "$(printf '%s\n' "$out" | grep -c '^198.51.100.9 400$')" 10
eq "two addresses: the other 44 get 429" "$(count "$out" 429)" 44
out=$(burst 64 "$STATE/put.http" "::ffff:198.51.100.10,198.51.100.10" --token "$TOKEN" --log_file "$LOG" --folder "$STATE/rl3" --low_burst 10)
eq "a v4-mapped IPv6 address counts as its IPv4 address" "$(count "$out" 400)" 10

P_RL=$(free_port)
"$BIN" --listen "127.0.0.1:$P_RL" --token "$TOKEN" --max_connections 64 --max_per_source 64 --log_file "$LOG" --folder "$STATE/rl-listen" --low_burst 10 &
CLEANUP_PIDS+=($!)
wait_port "$P_RL" || bad "--listen did not bind $P_RL"
codes=$(for i in $(seq 64); do curl -s -o /dev/null -w '%{http_code}\n' -X PUT -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:$P_RL/" & done; wait)
eq "64 parallel curl requests through --listen, limit 10: 10 pass" "$(printf '%s\n' "$codes" | grep -c 400)" 10
eq "64 parallel curl requests through --listen, limit 10: 54 get 429" "$(printf '%s\n' "$codes" | grep -c 429)" 54

# 2. Classes are independent; the limit resets after the window.
RL=(--folder "$STATE/rl4" --low_burst 2 --rate_window 3)
piped "$STATE/put.http" 203.0.113.1 "${RL[@]}"; piped "$STATE/put.http" 203.0.113.1 "${RL[@]}"
piped "$STATE/put.http" 203.0.113.1 "${RL[@]}"
eq "the third PUT over a limit of 2: 429" "$STATUS" 429
retry=$(printf '%s\n' "$HEADERS" | awk -F': ' 'tolower($1)=="retry-after" {print $2}')
piped "$STATE/get.http" 203.0.113.1 "${RL[@]}"
eq "GET still works when PUT is exhausted (another class)" "$STATUS" 200
eq "GET carries its own class's limit" "$(printf '%s\n' "$HEADERS" | awk -F': ' '$1=="RateLimit-Limit" {print $2}')" 300
check "Retry-After is a whole number of seconds within the window ($retry)" test "$retry" -ge 1 -a "$retry" -le 3
sleep "$retry"
piped "$STATE/put.http" 203.0.113.1 "${RL[@]}"
eq "after Retry-After seconds the PUT passes again" "$STATUS" 400

# 3. Failed authentications: the 11th in a window gets 429, even with the right token.
for i in $(seq 10); do piped "$STATE/wrong.http" 203.0.113.2 --folder "$STATE/rl5"; done
eq "10th wrong token: still 401" "$STATUS" 401
piped "$STATE/wrong.http" 203.0.113.2 --folder "$STATE/rl5"
eq "11th wrong token in a minute: 429" "$STATUS" 429
has "the auth 429 carries Retry-After" "$HEADERS" "Retry-After: "
piped "$STATE/get.http" 203.0.113.2 --folder "$STATE/rl5"
eq "then even the right token gets 429 (not compared)" "$STATUS" 429
piped "$STATE/get.http" 203.0.113.3 --folder "$STATE/rl5"
eq "another address is unaffected" "$STATUS" 200
out=$(burst 40 "$STATE/wrong.http" 203.0.113.4 --token "$TOKEN" --log_file "$LOG" --folder "$STATE/rl5")
piped "$STATE/wrong.http" 203.0.113.4 --folder "$STATE/rl5"
eq "after 40 wrong tokens at once, the next is refused" "$STATUS" 429

# 4. Headers.
RL=(--folder "$STATE/rl6" --low_burst 3)
piped "$STATE/put.http" 203.0.113.5 "${RL[@]}"
eq "RateLimit-Limit" "$(printf '%s\n' "$HEADERS" | awk -F': ' '$1=="RateLimit-Limit" {print $2}')" 3
eq "RateLimit-Remaining after the first" "$(printf '%s\n' "$HEADERS" | awk -F': ' '$1=="RateLimit-Remaining" {print $2}')" 2
eq "RateLimit-Reset is the window for a fresh counter" "$(printf '%s\n' "$HEADERS" | awk -F': ' '$1=="RateLimit-Reset" {print $2}')" 60
eq "X-RateLimit-Remaining mirrors RateLimit-Remaining" "$(printf '%s\n' "$HEADERS" | awk -F': ' '$1=="X-RateLimit-Remaining" {print $2}')" 2
hasnt "no Retry-After while allowed" "$HEADERS" "Retry-After"
sleep 2
piped "$STATE/put.http" 203.0.113.5 "${RL[@]}"; piped "$STATE/put.http" 203.0.113.5 "${RL[@]}"
eq "RateLimit-Remaining after the third" "$(printf '%s\n' "$HEADERS" | awk -F': ' '$1=="RateLimit-Remaining" {print $2}')" 0
piped "$STATE/put.http" 203.0.113.5 "${RL[@]}"
retry=$(printf '%s\n' "$HEADERS" | awk -F': ' '$1=="Retry-After" {print $2}')
check "Retry-After counts from the first request, 2 s ago: 57 or 58 s ($retry)" test "$retry" -ge 57 -a "$retry" -le 58
eq "RateLimit-Reset equals Retry-After on a 429" "$(printf '%s\n' "$HEADERS" | awk -F': ' '$1=="RateLimit-Reset" {print $2}')" "$retry"
URL_SAVE=$URL; URL="http://127.0.0.1:$P_RL"
api_raw PUT / -H "Authorization: Bearer $TOKEN"
eq "429 through --listen" "$STATUS" 429
eq "429 body is the JSON error" "$(json 'j["code"]')" 429
has "429 says what was exceeded" "$BODY" "rate limit of 10 pull/run/exec requests per 60 s"
api_raw HEAD /ds-test/busybox:1 -H "Authorization: Bearer $TOKEN"
eq "pull shares the low class: 429" "$STATUS" 429
has "HEAD 429 carries X-Error" "$(header X-Error)" "rate limit"
URL=$URL_SAVE

# 5. Many addresses leave a bounded number of files once their windows pass.
python3 - "$BIN" "$STATE/put.http" "$STATE/rl7" "$TOKEN" "$LOG" <<'PY'
import os, sys
binary, request, folder, token, log = sys.argv[1:]
args = [binary, "--token", token, "--log_file", log, "--folder", folder, "--rate_window", "1"]
running = []
for i in range(10000):
    pid = os.fork()
    if pid == 0:
        fd = os.open(request, os.O_RDONLY); null = os.open("/dev/null", os.O_WRONLY)
        os.dup2(fd, 0); os.dup2(null, 1)
        os.execve(binary, args, dict(os.environ, REMOTE_ADDR="10.%d.%d.%d" % (i >> 16, (i >> 8) & 255, i & 255)))
    running.append(pid)
    if len(running) >= 8:
        os.waitpid(running.pop(0), 0)
for pid in running: os.waitpid(pid, 0)
PY
files_after_run=$(find "$STATE/rl7/ratelimit" -type f | wc -l)
sleep 2.5  # every epoch of the run has expired (a counter lives two 1 s windows at most)
for i in $(seq 300); do piped "$STATE/put.http" 10.200.0.1 --folder "$STATE/rl7" --rate_window 1 --low_burst 100000; done
files_left=$(find "$STATE/rl7/ratelimit" -type f | wc -l)
check "10,000 addresses: at most 2,000 counters at the end of the run ($files_after_run)" test "$files_after_run" -le 2000
check "10,000 addresses: at most 50 counters once their windows passed ($files_left)" test "$files_left" -le 50

# 6. A folder that cannot be used: requests are still served, one clear log line each.
RO_LOG="$STATE/ro-%DATE%.log"
REMOTE_ADDR=203.0.113.6 "$BIN" --token "$TOKEN" --log_file "$RO_LOG" --folder /proc/docker-server-e2e --low_burst 1 <"$STATE/put.http" >"$STATE/ro.out"
eq "missing folder that cannot be created: the request is served" "$(head -c 12 "$STATE/ro.out")" "HTTP/1.1 400"
eq "missing folder: one error line" "$(cat "$STATE"/ro-*.log | grep -cE 'level=error pid=[0-9]+ reason=ratelimit_unavailable')" 1
rm -f "$STATE"/ro-*.log
REMOTE_ADDR=203.0.113.6 "$BIN" --token "$TOKEN" --log_file "$RO_LOG" --folder /sys/kernel --low_burst 1 <"$STATE/put.http" >"$STATE/ro.out"
eq "read-only folder: the request is served" "$(head -c 12 "$STATE/ro.out")" "HTTP/1.1 400"
eq "read-only folder: one error line" "$(cat "$STATE"/ro-*.log | grep -cE 'level=error pid=[0-9]+ reason=ratelimit_unavailable')" 1
has "the error line names the folder and says it serves anyway" "$(cat "$STATE"/ro-*.log)" "serving without rate limits"

# 7. A damaged counter file reads as empty and is rewritten.
piped "$STATE/put.http" 203.0.113.7 --folder "$STATE/rl8"
counter=$(find "$STATE/rl8/ratelimit" -name '203.0.113.7')
head -c 300 /dev/urandom >"$counter"
piped "$STATE/put.http" 203.0.113.7 --folder "$STATE/rl8"
eq "a garbage counter: the request is served" "$STATUS" 400
eq "a garbage counter is rewritten" "$(head -1 "$counter")" "docker-server ratelimit 1"
: >"$counter"
piped "$STATE/put.http" 203.0.113.7 --folder "$STATE/rl8"
eq "an empty (truncated) counter: the request is served" "$STATUS" 400
eval "$RAISED_LIMITS"
