# Fixed defects that need the engine (docs/API.md), sourced by Tests/e2e/run.sh after the
# systemd-socket-activate section ($P1 serves, $URL points there): stalled clients, bounded
# memory, stdin for run and exec, since with fractions, DELETE semantics, names with a
# leading slash, unknown fields, the engine timeout.
echo "# defects fixed: deadlines, memory, stdin, since, DELETE, names, fields, engine timeout"

# peak_rss REQUEST_FILE [ARGS...]: pipes the request through a fresh docker-server; prints
# "MiB BYTES" (its peak RSS and the size of its answer, kept in $STATE/rss.out).
PEAK_RSS=$(cat <<'PY'
import os, sys
binary, request, args = sys.argv[1], sys.argv[2], sys.argv[3:]
pid = os.fork()
if pid == 0:
    fd = os.open(request, os.O_RDONLY); out = os.open(os.environ["STATE"] + "/rss.out", os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
    os.dup2(fd, 0); os.dup2(out, 1)
    os.execv(binary, [binary] + args)
_, status, usage = os.wait4(pid, 0)
print("%.1f %d" % (usage.ru_maxrss / 1024, os.path.getsize(os.environ["STATE"] + "/rss.out")))
PY
)
peak_rss() { STATE=$STATE python3 -c "$PEAK_RSS" "$BIN" "$1" --token "$TOKEN" --log_file "$LOG" "${@:2}"; }

# 1. A client that stops reading is dropped after --write_timeout (client_stalled), and
# frees its place: with a cap of one connection the next client is served right after.
docker run -d --name $P-biglog "$IMAGE" sh -c 'i=0; while [ $i -lt 60000 ]; do echo "line $i of a log that is long enough to fill every buffer"; i=$((i+1)); done; sleep 600' >/dev/null
for _ in $(seq 100); do [ "$(docker logs $P-biglog 2>/dev/null | tail -1 | cut -d' ' -f2)" = 59999 ] && break; sleep 0.2; done
P_ST=$(free_port)
"$BIN" --listen "127.0.0.1:$P_ST" --token "$TOKEN" --max_connections 1 --write_timeout 2 --log_file "$STATE/stall-%DATE%.log" &
CLEANUP_PIDS+=($!)
wait_port "$P_ST" || bad "--listen did not bind $P_ST"
out=$(python3 - "$P_ST" "$TOKEN" "$P-biglog" <<'PY'
import socket, sys, time
port, token, biglog = int(sys.argv[1]), sys.argv[2], sys.argv[3]
def request(target, small=True):
    s = socket.socket()
    if small: s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    s.settimeout(20)
    s.connect(("127.0.0.1", port)); s.sendall(("GET %s HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n\r\n" % (target, token)).encode())
    return s
def served_after(start):
    # Retries while the cap answers 503: the seconds until a 200.
    while time.time() - start < 15:
        s = request("/", small=False)
        status = s.recv(100).split(b"\r\n")[0].decode()
        s.close()
        if " 200 " in status: return "%.1f" % (time.time() - start)
        time.sleep(0.2)
    return "never"
def admitted(target):
    # A request that got the one place (the previous client's process may still be ending:
    # then the cap answers 503), having read only its status line.
    while True:
        s = request(target)
        if b" 200 " in s.recv(13): return s
        s.close()
        time.sleep(0.2)
stalled = admitted("/" + biglog)                          # reads no more
time.sleep(0.3)
print(served_after(time.time()))
stalled.close()
followed = admitted("/" + biglog + "?format=text&follow=true")  # a followed stream, read no more
time.sleep(0.3)
print(served_after(time.time()))
PY
)
# The place is held while the client stalls (so at least about 2 s) and freed by the drop.
took=$(printf '%s\n' "$out" | sed -n 1p)
check "stalled client under a cap of 1: dropped after --write_timeout (2 s), the next client served (after ${took} s)" \
  bash -c "awk -v t='$took' 'BEGIN {exit !(t ~ /^[0-9.]+$/ && t >= 1.5 && t < 5)}'"
took=$(printf '%s\n' "$out" | sed -n 2p)
check "stalled followed logs: dropped too, the next client served (after ${took} s)" \
  bash -c "awk -v t='$took' 'BEGIN {exit !(t ~ /^[0-9.]+$/ && t >= 1.5 && t < 5)}'"
has "stalled client: logged as client_stalled" "$(cat "$STATE"/stall-*.log)" "reason=client_stalled"

# A slow client that keeps reading is not stalled, even while the socket's send buffer stays
# too full to report room for longer than --write_timeout (a large buffer drains slowly).
# 300,000 whole lines of 65 bytes (19.5 MB): a partial last line would stay in the engine's
# log copier while the container runs, and the wait below would never see it.
docker run -d --name $P-hugelog "$IMAGE" sh -c 'yes "a line of a log that is long enough to fill every buffer quickly" | head -n 300000; sleep 600' >/dev/null
for _ in $(seq 100); do [ "$(docker logs $P-hugelog 2>/dev/null | wc -c)" -ge 19500000 ] && break; sleep 0.2; done
# slow_reader PORT TARGET SECONDS [tls]: reads 30 KB a second; prints what happened.
SLOW_READER=$(cat <<'PY'
import socket, ssl, sys, time
port, token, target, seconds, tls = int(sys.argv[1]), sys.argv[2], sys.argv[3], float(sys.argv[4]), sys.argv[5:] == ["tls"]
s = socket.create_connection(("127.0.0.1", port))
if tls:
    context = ssl.create_default_context(); context.check_hostname = False; context.verify_mode = ssl.CERT_NONE
    s = context.wrap_socket(s, server_hostname="localhost")
s.sendall(("GET %s HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n\r\n" % (target, token)).encode())
s.settimeout(10); start = time.time()
while time.time() - start < seconds:
    second = 0
    while second < 30000:
        data = s.recv(30000 - second)
        if not data: break
        second += len(data)
    if not data: print("closed after %.1f s" % (time.time() - start)); break
    time.sleep(1)
else:
    print("still reading")
PY
)
slow_reader() { python3 -c "$SLOW_READER" "$1" "$TOKEN" "$2" "$3" "${4:-}" 2>&1; }
P_SLOW=$(free_port)
"$BIN" --listen "127.0.0.1:$P_SLOW" --token "$TOKEN" --write_timeout 5 --log_file "$STATE/slow-%DATE%.log" &
CLEANUP_PIDS+=($!)
wait_port "$P_SLOW" || bad "--listen did not bind $P_SLOW"
eq "a slow client that keeps reading (30 KB/s, --write_timeout 5): still served after 15 s" \
  "$(slow_reader "$P_SLOW" "/$P-hugelog?format=text" 15)" "still reading"
hasnt "a slow client that keeps reading: not logged as stalled" "$(cat "$STATE"/slow-*.log)" "client_stalled"

# 2. Memory is bounded whatever the bytes: 17 MB of NUL bytes escape to six bytes each, capped
# after escaping with "truncated":true; the process stays far below 32 MiB.
request_file "$STATE/nul.http" PUT / "image=$IMAGE&remove=1&data=head+-c+17000000+/dev/zero"
read -r rss size < <(peak_rss "$STATE/nul.http")
check "17 MB of NUL output: peak RSS under 32 MiB (${rss} MiB)" lt "$rss" 32
has "17 MB of NUL output: the answer says truncated" "$(tail -c 40 "$STATE/rss.out")" '"truncated":true}'
eq "17 MB of NUL output: the answer is valid JSON of at most 8 MiB of text" \
  "$(python3 -c 'import json,sys; b=open(sys.argv[1],"rb").read().split(b"\r\n\r\n",1)[1]; j=json.loads(b); print(j["exitCode"], len(j["stdout"]) <= 8*1024*1024//6, j["truncated"])' "$STATE/rss.out")" \
  "0 True True"
request_file "$STATE/biglog.http" GET /$P-biglog
read -r rss size < <(peak_rss "$STATE/biglog.http")
check "large logs in JSON: peak RSS under 32 MiB (${rss} MiB)" lt "$rss" 32
request_file "$STATE/biglog-text.http" GET "/$P-biglog?format=text"
read -r rss size < <(peak_rss "$STATE/biglog-text.http")
check "large logs as text: peak RSS under 32 MiB (${rss} MiB)" lt "$rss" 32
payload=$(docker logs $P-biglog 2>/dev/null | wc -c)
chunks=$(python3 -c 'import sys; b=open(sys.argv[1],"rb").read().split(b"\r\n\r\n",1)[1]; n=0
while True:
    i=b.index(b"\r\n"); size=int(b[:i],16); n+=1; b=b[i+2+size+2:]
    if size==0: break
print(n)' "$STATE/rss.out")
check "text logs: what arrives together goes out as one chunk ($chunks chunks for $payload bytes of short lines)" lt "$chunks" $((payload / 1000))

# 3. stdin: input then end-of-file, with and without a TTY; interactive alone is end-of-file
# at once; nothing is left waiting for input that cannot come.
api PUT / -d image=$IMAGE -d name=$P-stdin -d detach=true --data-urlencode 'data=sleep 600'
eq "stdin: a container for execs" "$STATUS" 201
start=$(date +%s)
api POST /$P-stdin -d data=cat -d tty=1 -d interactive=1
eq "exec tty+interactive cat: answered, exit 0" "$STATUS:$(json 'j["exitCode"]')" "200:0"
check "exec tty+interactive cat: answered at once" test $(( $(date +%s) - start )) -le 2
api POST /$P-stdin -d data=cat -d tty=1 --data-urlencode 'input=hello'
# The terminal echoes the input, and ends lines with CRLF; a newline ends the partial last line.
eq "exec tty with input: the command read it (the terminal echoes it too)" "$(json 'repr(j["stdout"])')" "'hello\\r\\nhello\\r\\n'"
api POST /$P-stdin -d data=cat --data-urlencode "input=$(printf 'two\nlines')"
eq "exec with input: stdout is the input" "$(json 'j["stdout"]')" "$(printf 'two\nlines')"
api POST /$P-stdin --data-urlencode 'data=wc -c' --data-urlencode "input=$(printf 'a\001b')"
eq "exec with input: control bytes arrive" "$(json 'j["stdout"].strip()')" 3
api POST /$P-stdin -d data=cat -d interactive=1
eq "exec interactive without input: end-of-file at once" "$STATUS:$(json 'j["exitCode"]')" "200:0"
sleep 0.5
eq "exec: no cat left running in the container" "$(docker top $P-stdin -o args 2>/dev/null | grep -c '^cat')" 0
api PUT / -d image=$IMAGE -d remove=1 -d data=cat --data-urlencode 'input=to the run'
eq "run with input: stdout is the input" "$STATUS:$(json 'j["stdout"]')" "200:to the run"
api PUT / -d image=$IMAGE -d remove=1 -d data=cat -d tty=1 --data-urlencode 'input=tty run'
eq "run tty with input" "$STATUS:$(json 'repr(j["stdout"])')" "200:'tty run\\r\\ntty run\\r\\n'"
api PUT / -d image=$IMAGE -d remove=1 -d data=cat -d interactive=1 -d tty=1
eq "run tty+interactive cat: answered, exit 0" "$STATUS:$(json 'j["exitCode"]')" "200:0"
# A TTY alone: stdin is attached too, and gets end-of-file at once.
api POST /$P-stdin -d data=cat -d tty=1
eq "exec tty cat (no interactive): answered, exit 0" "$STATUS:$(json 'j["exitCode"]')" "200:0"
api PUT / -d image=$IMAGE -d remove=1 -d data=cat -d tty=1
eq "run tty cat (no interactive): answered, exit 0" "$STATUS:$(json 'j["exitCode"]')" "200:0"
# A shell with line editing on a TTY takes a last line without a newline, then end-of-file.
api POST /$P-stdin -d data=sh -d tty=1 --data-urlencode 'input=echo tty-$((6*7))'
eq "exec tty sh, input without a final newline: run, then end-of-file" "$STATUS:$(json '"tty-42" in j["stdout"]'):$(json 'j["exitCode"]')" "200:True:0"
# Large input is written while the output is read: no deadlock, nothing lost.
big=$((3 * 1024 * 1024))
body="data=cat&input=$(head -c $big /dev/zero | tr '\0' a)"
request_file "$STATE/big-input.http" POST /$P-stdin "$body"
rss=$(peak_rss "$STATE/big-input.http" --max_body 4194304)
has "exec cat with 3 MiB of input: 200" "$(head -c 20 "$STATE/rss.out")" "200 OK"
check "exec cat with 3 MiB of input and output: peak RSS ${rss% *} MiB, under 32" lt "${rss% *}" 32
eq "exec cat with 3 MiB of input: all of it on stdout" "$(python3 -c 'import json,sys; b=open(sys.argv[1],"rb").read().split(b"\r\n\r\n",1)[1]; print(len(json.loads(b)["stdout"]))' "$STATE/rss.out" 2>&1)" "$big"
# A command that stops reading early: the rest of the input is dropped, its answer stands.
request_file "$STATE/big-input.http" POST /$P-stdin "data=head+-c+5&input=$(head -c $big /dev/zero | tr '\0' a)"
peak_rss "$STATE/big-input.http" --max_body 4194304 >/dev/null
eq "exec head -c 5 with 3 MiB of input: 200, its output" "$(python3 -c 'import json,sys; h,b=open(sys.argv[1],"rb").read().split(b"\r\n\r\n",1); j=json.loads(b); print(h.split()[1].decode(), j["stdout"], j["exitCode"])' "$STATE/rss.out" 2>&1)" "200 aaaaa 0"
request_file "$STATE/big-input.http" PUT / "image=$IMAGE&remove=1&data=cat&input=$(head -c $big /dev/zero | tr '\0' a)"
peak_rss "$STATE/big-input.http" --max_body 4194304 >/dev/null
eq "run cat with 3 MiB of input: 200, all of it on stdout" "$(python3 -c 'import json,sys; h,b=open(sys.argv[1],"rb").read().split(b"\r\n\r\n",1); print(h.split()[1].decode(), len(json.loads(b)["stdout"]))' "$STATE/rss.out" 2>&1)" "200 $big"

# 4. since with a fraction, exactly as docker logs --since reads it.
api PUT / -d image=$IMAGE -d name=$P-since -d detach=true --data-urlencode 'data=sh -c "for i in 1 2 3 4 5 6; do echo line$i; sleep 0.3; done; sleep 600"'
sleep 2.5
stamps=$(docker logs --timestamps $P-since 2>&1)
t3=$(printf '%s\n' "$stamps" | awk '/line3/ {print $1}')
t4=$(printf '%s\n' "$stamps" | awk '/line4/ {print $1}')
# A time between line 3 and line 4, with its fraction.
between=$(python3 -c 'import sys, datetime as d
p=lambda s: d.datetime.strptime(s[:26].rstrip("Z"), "%Y-%m-%dT%H:%M:%S.%f").replace(tzinfo=d.timezone.utc)
a,b=p(sys.argv[1]),p(sys.argv[2]); m=a+(b-a)/2; print(m.strftime("%Y-%m-%dT%H:%M:%S.%fZ"))' "$t3" "$t4")
api GET "/$P-since?since=$between"
eq "since with a fraction: from the line after it ($between)" "$(json 'j["stdout"].split()[0]')" line4
eq "since with a fraction: as docker logs --since" "$(json 'j["stdout"]')" "$(docker logs --since "$between" $P-since 2>&1)"
unix=$(python3 -c 'import sys, datetime as d; print("%.3f" % d.datetime.strptime(sys.argv[1], "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=d.timezone.utc).timestamp())' "$between")
api GET "/$P-since?since=$unix"
eq "since in Unix seconds with a fraction" "$(json 'j["stdout"].split()[0]')" line4
api GET "/$P-since?since=1h30m"
eq "since as a Go duration" "$(json 'j["stdout"].split()[0]')" line1
api GET "/$P-since?since=2026-02-29T00:00:00Z"
eq "since naming a date that does not exist: 400" "$STATUS" 400

# 8. DELETE right after an auto-removed container exits: the removal in progress is waited
# for, then 200 (12 of 12).
ok_count=0
for i in $(seq 12); do
  api PUT / -d image=$IMAGE -d name=$P-autorm-$i -d detach=true -d remove=true -d data=true
  api DELETE /$P-autorm-$i
  [ "$STATUS" = 200 ] && ok_count=$((ok_count + 1))
done
eq "DELETE right after an auto-removed container exits: 200 each time" "$ok_count" 12
api DELETE /$P-never-was
eq "DELETE of a container that never existed: 404" "$STATUS" 404

# 9. DELETE keeps anonymous volumes as docker rm -f does; ?volumes=true removes them.
docker create --name $P-anon -v /data "$IMAGE" true >/dev/null
volume=$(docker inspect -f '{{range .Mounts}}{{.Name}}{{end}}' $P-anon)
api DELETE /$P-anon
eq "DELETE: removed" "$STATUS" 200
check "DELETE keeps the container's anonymous volume" bash -c "docker volume inspect $volume >/dev/null"
docker volume rm "$volume" >/dev/null 2>&1
docker create --name $P-anon -v /data "$IMAGE" true >/dev/null
volume=$(docker inspect -f '{{range .Mounts}}{{.Name}}{{end}}' $P-anon)
api DELETE "/$P-anon?volumes=true"
eq "DELETE ?volumes=true: removed" "$STATUS" 200
check "DELETE ?volumes=true removes the anonymous volume too" bash -c "! docker volume inspect $volume >/dev/null 2>&1"

# 10. The name forms the engine accepts: /name as GET / lists it, also as //name.
api GET /%2F$P-stdin
eq "GET /%2Fname: the container's logs" "$STATUS:$(json 'len(j["id"])')" "200:64"
api GET //$P-stdin
eq "GET //name: the container's logs" "$STATUS" 200
api POST /%2F$P-stdin -d data=true
eq "POST /%2Fname: exec" "$STATUS:$(json 'j["exitCode"]')" "200:0"

# 11. Unknown fields are refused before anything is created.
api PUT / -d image=$IMAGE -d name=$P-typo -d rm=true -d data=true
eq "PUT with Docker's word rm: 400" "$STATUS" 400
has "PUT with rm: names the field and the closest known one" "$(json 'j["error"]')" 'unknown field "rm" (did you mean "remove"?)'
api PUT / -H 'Content-Type: application/json' -d "{\"image\":\"$IMAGE\",\"name\":\"$P-dup1\",\"name\":\"$P-dup2\"}"
eq "PUT with a JSON field given twice: 400" "$STATUS" 400
eq "unknown and duplicate fields: no container left behind" "$(docker ps -a --format '{{.Names}}' | grep -c -e "^$P-typo$" -e "^$P-dup")" 0

# 12. An engine that accepts and never answers holds a request for --engine_timeout only: 504.
P_SILENT=$(free_port)
python3 -c 'import socket, sys, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(16)
held = []
while True: held.append(s.accept()[0])' "$P_SILENT" &
CLEANUP_PIDS+=($!)
wait_port "$P_SILENT" || bad "the silent engine did not listen"
request_file "$STATE/list.http" GET /
start=$(date +%s.%N)
reply=$(DOCKER_HOST=tcp://127.0.0.1:$P_SILENT "$BIN" --token "$TOKEN" --log_file "$LOG" --engine_timeout 2 <"$STATE/list.http")
took=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN {printf "%.1f", b - a}')
has "silent engine: 504" "$(printf '%s' "$reply" | head -1)" "504 Gateway Timeout"
has "silent engine: the message says the bound" "$reply" "did not answer within 2 s"
check "silent engine: answered after --engine_timeout (${took} s)" lt "$took" 4
