# The spawner (docs/DESIGN.md, "The spawner"), sourced by Tests/e2e/run.sh: --listen and a
# listening socket passed by systemd-socket-activate (Accept=no), its caps answered with
# 503, its refusal to start without a token, its graceful stop and its idle exit.
echo "# the spawner (--listen, and a socket passed by systemd)"


# 1. No usable token: the spawner does not start (exit 100), says why on stderr and in the log.
P_SP=$(free_port)
(unset DS_TOKEN; "$BIN" --listen "127.0.0.1:$P_SP" --log_file "$STATE/sp-notoken-%DATE%.log" 2>"$STATE/sp-notoken.err")
eq "spawner without a token: exit 100" "$?" 100
has "spawner without a token: stderr says why" "$(cat "$STATE/sp-notoken.err")" "without a usable API token"
has "spawner without a token: the log says why" "$(cat "$STATE"/sp-notoken-*.log 2>/dev/null)" "reason=start_refused"
"$BIN" --listen "127.0.0.1:$P_SP" --token xxxxxx --log_file "$LOG" 2>"$STATE/sp-default.err"
eq "spawner with the original's insecure default token: exit 100" "$?" 100
has "spawner with the insecure default token: says so" "$(cat "$STATE/sp-default.err")" "insecure default"
check "spawner without a token: nothing listens" bash -c "! (exec 3<>/dev/tcp/127.0.0.1/$P_SP) 2>/dev/null"

# 2. Caps: past --max_per_source for one address, or --max_connections in all, a 503 with
# Retry-After and a JSON error, never a reset; other addresses are served meanwhile.
"$BIN" --listen "127.0.0.1:$P_SP" --token "$TOKEN" --max_connections 3 --max_per_source 2 --read_timeout 4 \
  --log_file "$STATE/sp-caps-%DATE%.log" &
SP_PID=$!
CLEANUP_PIDS+=("$SP_PID")
wait_port "$P_SP" || bad "--listen did not bind $P_SP"
python3 - "$P_SP" "$TOKEN" >"$STATE/sp-caps.out" 2>&1 <<'PY'
import socket, sys, time
port, token = int(sys.argv[1]), sys.argv[2]
def connect(source):
    s = socket.socket(); s.settimeout(10); s.bind((source, 0)); s.connect(("127.0.0.1", port)); return s
def ask(s, method="GET"):
    s.sendall(("%s / HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n\r\n" % (method, token)).encode())
    reply = b""
    while True:
        chunk = s.recv(65536)
        if not chunk: break
        reply += chunk
    return reply.decode("latin-1").replace("\r\n", "\n")
held = [connect("127.0.0.1"), connect("127.0.0.1")]   # two idle connections: the per-source cap
time.sleep(0.3)
print("SAME:", ask(connect("127.0.0.1")))
print("HEADSAME:", ask(connect("127.0.0.1"), "HEAD"))
print("OTHER:", ask(connect("127.0.0.2")).split("\n")[0])
time.sleep(0.3)                                        # its process has ended
held.append(connect("127.0.0.2"))                      # three processes: the global cap
time.sleep(0.3)
print("THIRD:", ask(connect("127.0.0.3")))
# A refused client that sends nothing gets its 503 after the 200 ms wait for its request,
# while nothing else happens.
silent = connect("127.0.0.4"); start = time.time()
print("SILENT:", silent.recv(100).split(b"\r\n")[0].decode(), "%.1f" % (time.time() - start))
PY
caps=$(cat "$STATE/sp-caps.out")
has "per-source cap: 503" "$caps" "SAME: HTTP/1.1 503 Service Unavailable"
has "per-source cap: Retry-After" "$(printf '%s' "$caps" | sed -n '/^SAME:/,/^HEADSAME:/p')" "Retry-After: 1"
has "per-source cap: the JSON error names the address and the cap" "$caps" '{"code":503,"error":"too many connections at once from 127.0.0.1 (at most 2); retry shortly"}'
has "per-source cap: a refused HEAD gets the fields" "$(printf '%s' "$caps" | sed -n '/^HEADSAME:/,/^OTHER:/p')" "Retry-After: 1"
has "per-source cap: a refused HEAD gets the reason in X-Error" "$(printf '%s' "$caps" | sed -n '/^HEADSAME:/,/^OTHER:/p')" "X-Error: too many connections at once from 127.0.0.1"
hasnt "per-source cap: a refused HEAD gets no body" "$(printf '%s' "$caps" | sed -n '/^HEADSAME:/,/^OTHER:/p')" '{"code"'
has "per-source cap: another address is served meanwhile" "$caps" "OTHER: HTTP/1.1 200 OK"
has "global cap: 503 saying the server is busy" "$caps" '"error":"the server is busy: 3 connections are being served; retry shortly"'
silent=$(printf '%s\n' "$caps" | grep '^SILENT:')
has "a refused client that sends nothing gets its 503" "$silent" "HTTP/1.1 503"
check "a refused client that sends nothing gets it within a second ($silent)" test "$(printf '%s' "$silent" | awk '{print ($NF < 1)}')" = 1
cpu=$(awk '{print $14 + $15}' "/proc/$SP_PID/stat")
sleep 3
check "the spawner idles without spinning (CPU ticks in 3 s: $(( $(awk '{print $14 + $15}' "/proc/$SP_PID/stat") - cpu )))" \
  test $(( $(awk '{print $14 + $15}' "/proc/$SP_PID/stat") - cpu )) -le 5
sleep 0.5
has "refusals are logged" "$(cat "$STATE"/sp-caps-*.log)" "reason=connections_refused cause=too_many_from_source"

# 3. A burst past the caps: every connection gets an HTTP answer (200 or 503), no resets,
# and the refusals are summed in a few log lines rather than one line each.
out=$(connections "$P_SP" 300 40 127.0.0.11,127.0.0.12,127.0.0.13,127.0.0.14,127.0.0.15)
answered=$(( $(outcome "$out" 200) + $(outcome "$out" 503) ))
eq "burst of 300 connections over a cap of 3: each answered 200 or 503" "$answered" 300
eq "burst: no reset and no connection without an answer" "$(outcome "$out" reset):$(outcome "$out" noanswer)" "0:0"
check "burst: some were served" test "$(outcome "$out" 200)" -gt 0
eq "burst: every 503 says Retry-After: 1" "$(outcome "$out" retry-after=1)" "$(outcome "$out" 503)"
lines=$(grep -c 'reason=connections_refused' "$STATE"/sp-caps-*.log)
check "burst: refusals summed (at most a line per reason a second; $lines lines for $(outcome "$out" 503) refusals)" \
  test "$lines" -lt "$(outcome "$out" 503)"

# More refused clients than the spawner answers at once (4,096), each keeping its connection
# open: the rest wait in the listen queue, and every one gets its 503 (no reset).
out=$(python3 - "$P_SP" <<'PY'
import socket, sys, time, collections, select
port = int(sys.argv[1])
hold = [socket.create_connection(("127.0.0.1", port)) for _ in range(3)]   # the global cap
time.sleep(0.3)
conns = []
for i in range(5000):
    s = socket.socket(); s.bind(("127.0.5.%d" % (i % 200 + 1), 0)); s.connect(("127.0.0.1", port))
    s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"); conns.append(s)
outcome = collections.Counter(); data = {s: b"" for s in conns}; open_ = set(conns); start = time.time()
while open_ and time.time() - start < 30:
    p = select.poll(); by_fd = {}
    for s in open_: p.register(s, select.POLLIN); by_fd[s.fileno()] = s
    for fd, _ in p.poll(500):
        s = by_fd[fd]
        try:
            b = s.recv(65536)
            if b: data[s] += b; continue   # keeps the connection open after its answer
            outcome[data[s].split(b" ")[1].decode() if data[s] else "noanswer"] += 1
        except ConnectionResetError:
            outcome["reset"] += 1
        open_.discard(s)
# (a few may be served, 401, once the held connections reach their read timeout)
print(outcome["503"] + outcome["401"], outcome["reset"], outcome["noanswer"], len(open_))
PY
)
eq "5,000 clients past the caps holding their connections open: an answer for each, no reset, none left waiting" "$out" "5000 0 0 0"

# 4. A second spawner on the same address fails at once, saying why.
"$BIN" --listen "127.0.0.1:$P_SP" --token "$TOKEN" --log_file "$LOG" 2>"$STATE/sp-twice.err"
eq "second spawner on a taken address: exit 111" "$?" 111
has "second spawner on a taken address: says why" "$(cat "$STATE/sp-twice.err")" "address already in use"

# 5. SIGTERM: connections in flight finish within the grace; the stop is logged; new
# connections are no longer accepted.
kill -TERM "$SP_PID"
wait "$SP_PID"
eq "SIGTERM with idle connections: exit 0" "$?" 0
has "SIGTERM: the stop is logged" "$(cat "$STATE"/sp-caps-*.log)" "reason=stopping signal=SIGTERM"
has "SIGTERM: the end is logged" "$(cat "$STATE"/sp-caps-*.log)" "reason=stopped"

P_SP=$(free_port)
"$BIN" --listen "127.0.0.1:$P_SP" --token "$TOKEN" --shutdown_grace 10 --log_file "$STATE/sp-grace-%DATE%.log" &
SP_PID=$!
CLEANUP_PIDS+=("$SP_PID")
wait_port "$P_SP" || bad "--listen did not bind $P_SP"
(URL="http://127.0.0.1:$P_SP"; api PUT / -d image=$IMAGE -d name=$P-grace -d remove=true --data-urlencode 'data=sleep 2'
 echo "$STATUS" >"$STATE/sp-grace.status") &
GRACE_CLIENT=$!
sleep 1
kill -TERM "$SP_PID"
sleep 0.3
check "SIGTERM: new connections are refused by the kernel (no listener)" bash -c "! (exec 3<>/dev/tcp/127.0.0.1/$P_SP) 2>/dev/null"
wait "$GRACE_CLIENT"
eq "SIGTERM: an attached run in flight finishes within the grace (200)" "$(cat "$STATE/sp-grace.status")" 200
wait "$SP_PID"
eq "SIGTERM: the spawner exits 0 once it finished" "$?" 0

# Connections still waiting in the listen queue when the stop begins get a 503, not a reset.
P_SP=$(free_port)
"$BIN" --listen "127.0.0.1:$P_SP" --token "$TOKEN" --log_file "$STATE/sp-queue-%DATE%.log" &
SP_PID=$!
CLEANUP_PIDS+=("$SP_PID")
wait_port "$P_SP" || bad "--listen did not bind $P_SP"
kill -STOP "$SP_PID"    # connections now wait in the queue
out=$( (sleep 1; kill -TERM "$SP_PID"; kill -CONT "$SP_PID") & connections "$P_SP" 3 3 127.0.0.1)
eq "connections queued at the stop: each gets a 503" "$(outcome "$out" 503):$(outcome "$out" reset)" "3:0"
wait "$SP_PID"
# The same when their requests arrive only after the stop began: the stop waits for them.
P_SP=$(free_port)
"$BIN" --listen "127.0.0.1:$P_SP" --token "$TOKEN" --log_file "$STATE/sp-queue-%DATE%.log" &
SP_PID=$!
CLEANUP_PIDS+=("$SP_PID")
wait_port "$P_SP" || bad "--listen did not bind $P_SP"
kill -STOP "$SP_PID"
out=$( (sleep 1; kill -TERM "$SP_PID"; kill -CONT "$SP_PID") & connections "$P_SP" 3 3 127.0.0.1 1.3)
eq "connections queued at the stop, requests sent after it began: each gets a 503" "$(outcome "$out" 503):$(outcome "$out" reset)" "3:0"
wait "$SP_PID"
# (3, or 4 when wait_port's probe was still queued too)
refused=$(grep -o 'cause=stopping count=[0-9]*' "$STATE"/sp-queue-*.log | awk -F= '{n += $3} END {print n + 0}')
check "connections queued at the stop: the refusals are logged ($refused)" test "$refused" -ge 3

# 6. SIGTERM with a run that outlasts the grace: the connection is ended as a hang-up would
# (the run's container killed and, with remove, removed), within grace + clean-up.
P_SP=$(free_port)
setsid "$BIN" --listen "127.0.0.1:$P_SP" --token "$TOKEN" --shutdown_grace 2 --log_file "$STATE/sp-end-%DATE%.log" &
SP_PID=$!
CLEANUP_PIDS+=("$SP_PID")
wait_port "$P_SP" || bad "--listen did not bind $P_SP"
(URL="http://127.0.0.1:$P_SP"; api PUT / -d image=$IMAGE -d name=$P-outlast -d remove=true --data-urlencode 'data=sleep 300') &
OUTLAST_CLIENT=$!
for _ in $(seq 50); do [ "$(docker inspect -f '{{.State.Running}}' $P-outlast 2>/dev/null)" = true ] && break; sleep 0.2; done
eq "the long run is running" "$(docker inspect -f '{{.State.Running}}' $P-outlast 2>/dev/null)" true
# SIGINT to the whole process group, as Ctrl-C in a terminal sends it: the connection
# processes have groups of their own, so only the spawner gets it and stops gracefully.
start=$(date +%s)
kill -INT -- "-$SP_PID"
wait "$SP_PID"
eq "SIGINT to the group: the spawner exits 0" "$?" 0
took=$(( $(date +%s) - start ))
check "SIGINT: done within grace (2 s) + clean-up (10 s) (took ${took} s)" test "$took" -le 12
gone=no
for _ in $(seq 50); do docker inspect $P-outlast >/dev/null 2>&1 || { gone=yes; break; }; sleep 0.2; done
eq "SIGINT past the grace: the run's container is killed and removed" "$gone" yes
log=$(cat "$STATE"/sp-end-*.log)
has "SIGINT: the stop is logged" "$log" "reason=stopping signal=SIGINT connections=1"
has "SIGINT: ending the connection is logged" "$log" "reason=connections_ended count=1"
has "SIGINT: the end is logged" "$log" "reason=stopped"
wait "$OUTLAST_CLIENT"

# 7. A listening socket passed by systemd (Accept=no, as systemd-socket-activate without -a
# does): plain docker-server is the spawner on it, with the client address in the access
# log, and exits after --idle_timeout seconds without connections.
P_SA=$(free_port)
systemd-socket-activate -l "127.0.0.1:$P_SA" -E DS_TOKEN="$TOKEN" -E DS_LOG_FILE="$STATE/sp-sa-%DATE%.log" \
  -E DS_IDLE_TIMEOUT=2 -E DS_FOLDER "$BIN" >"$STATE/sp-sa.out" 2>&1 &
SA_PID=$!
CLEANUP_PIDS+=("$SA_PID")
wait_port "$P_SA" || bad "systemd-socket-activate did not listen on $P_SA"
URL="http://127.0.0.1:$P_SA"; api GET / --interface 127.0.0.7
eq "passed socket: GET / 200" "$STATUS" 200
api PUT / -d image=$IMAGE -d remove=true --data-urlencode 'data=echo through-the-passed-socket'
eq "passed socket: an attached run" "$(json 'j["stdout"]')" "through-the-passed-socket"
has "passed socket: the spawner logs that it listens there" "$(cat "$STATE"/sp-sa-*.log)" "reason=listening address=127.0.0.1:$P_SA"
has "passed socket: the client address reaches the access log" "$(cat "$STATE"/sp-sa-*.log)" "client=127.0.0.7 method=GET"
sleep 3.5
check "passed socket: the spawner exited after --idle_timeout" bash -c "! kill -0 $SA_PID 2>/dev/null"
has "passed socket: the idle exit is logged" "$(cat "$STATE"/sp-sa-*.log)" "reason=idle_exit idle_s=2"

# --listen given a passed socket serves that socket instead of binding its own address.
P_SA=$(free_port); P_UNUSED=$(free_port)
systemd-socket-activate -l "127.0.0.1:$P_SA" -E DS_TOKEN="$TOKEN" -E DS_LOG_FILE="$LOG" -E DS_FOLDER \
  "$BIN" --listen "127.0.0.1:$P_UNUSED" >/dev/null 2>&1 &
CLEANUP_PIDS+=($!)
wait_port "$P_SA" || bad "systemd-socket-activate did not listen on $P_SA"
URL="http://127.0.0.1:$P_SA"; api GET /
eq "--listen with a passed socket: serves the passed socket" "$STATUS" 200
check "--listen with a passed socket: binds nothing else" bash -c "! (exec 3<>/dev/tcp/127.0.0.1/$P_UNUSED) 2>/dev/null"
