#!/usr/bin/env bash
# Cluster latency (docs/BENCHMARKS.md "Cluster"): GET / and PUT through real nodes (1 and 3,
# each a `docker-server --listen` spawner as the default units run it, with its own dockerd in
# its own network namespace), and the fan-out of GET / to 10 and 30 simulated nodes (signed
# entries pointing at listeners on 127.0.0.x that answer an empty list at once), so the cost
# per node shows. Writes a Markdown section to OUT.
# Usage: scripts/bench-cluster.sh OUT BINARY
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=$1 BIN=$(realpath "$2")
IMAGE=ds-test/busybox:1
STATE=$(mktemp -d /tmp/ds-bench-cluster.XXXXXX)
TOKEN=bench-cluster-token-0123456789
PIDS=()
trap 'kill "${PIDS[@]}" 2>/dev/null; pkill -f "$STATE/listener" 2>/dev/null; wait 2>/dev/null; scripts/netns-engines.sh stop "$STATE"; rm -rf "$STATE"' EXIT
scripts/netns-engines.sh start "$STATE" 3 "$IMAGE"
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
SHARED=$STATE/shared
COMMON=(--cluster --folder "$SHARED" --token "$TOKEN" --cache_interval 3000 --refresh_rate 600000
        --low_burst 1000000 --high_burst 1000000 --log_level warn)
for n in 1 2 3; do
  DOCKER_HOST=unix://$STATE/engine$n/docker.sock "$BIN" --listen "127.0.0.$n:$PORT" --port "$PORT" "${COMMON[@]}" \
    --log_file "$STATE/node$n-%DATE%.log" &
  PIDS+=($!)
done
# A plain node on the main engine's neighbour: engine 1 without cluster mode, the baseline.
PLAIN=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
DOCKER_HOST=unix://$STATE/engine1/docker.sock "$BIN" --listen "127.0.0.1:$PLAIN" --token "$TOKEN" --folder "$STATE/plain" \
  --high_burst 1000000 --low_burst 1000000 --log_level warn --log_file "$STATE/plain-%DATE%.log" &
PIDS+=($!)
sleep 1
heartbeat() { "$BIN" heartbeat "${COMMON[@]}" --log_file "$STATE/heartbeat-%DATE%.log" --advertise "$1" --load "$2"; }
clear_entries() { rm -f "$SHARED"/ds-*.json; rm -rf /tmp/docker-server-cache-"$(id -u)"/cluster-*.json; }

# measure HOST PORT METHOD TARGET BODY COUNT: median and p90 ms of COUNT requests, each on a
# new connection, the whole answer read.
measure() {
  python3 - "$@" "$TOKEN" <<'PY'
import socket, statistics, sys, time
host, port, method, target, body, count, token = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5], int(sys.argv[6]), sys.argv[7]
times = []
for i in range(count):
    data = body.replace("{i}", str(i)).encode()
    request = ("%s %s HTTP/1.1\r\nHost: b\r\nAuthorization: Bearer %s\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: %d\r\n\r\n"
               % (method, target, token, len(data))).encode() + data
    start = time.perf_counter()
    s = socket.create_connection((host, port)); s.sendall(request)
    reply = b""
    while True:
        chunk = s.recv(65536)
        if not chunk: break
        reply += chunk
    s.close()
    times.append((time.perf_counter() - start) * 1000)
    assert reply.startswith(b"HTTP/1.1 20"), reply[:200]
times.sort()
print("%.1f %.1f" % (statistics.median(times), times[int(len(times) * 0.9)]))
PY
}

# Some containers on each engine, as a list has in real use.
for n in 1 2 3; do
  for i in 1 2 3; do docker -H "unix://$STATE/engine$n/docker.sock" create --name "bench-$i" "$IMAGE" true >/dev/null; done
done

read -r PLAIN_LIST PLAIN_LIST90 < <(measure 127.0.0.1 "$PLAIN" GET / "" 100)
read -r PLAIN_PUT PLAIN_PUT90 < <(measure 127.0.0.1 "$PLAIN" PUT / "image=$IMAGE&name=plain-{i}&detach=true&data=true" 30)

clear_entries; heartbeat "http://127.0.0.1:$PORT" 0.1
read -r ONE_LIST ONE_LIST90 < <(measure 127.0.0.1 "$PORT" GET / "" 100)
read -r ONE_PUT ONE_PUT90 < <(measure 127.0.0.1 "$PORT" PUT / "image=$IMAGE&name=one-{i}&detach=true&data=true" 30)

heartbeat "http://127.0.0.2:$PORT" 0.05; heartbeat "http://127.0.0.3:$PORT" 0.2
read -r THREE_LIST THREE_LIST90 < <(measure 127.0.0.1 "$PORT" GET / "" 100)
read -r THREE_PUT THREE_PUT90 < <(measure 127.0.0.1 "$PORT" PUT / "image=$IMAGE&name=three-{i}&detach=true&data=true" 30)

# Simulated nodes: listeners that answer every request with an empty list at once, one
# process per address (in parallel, as separate machines would), in C so that on this
# 2-core machine their own work stays small beside the fan-out's.
cat >"$STATE/listener.c" <<'C'
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
int main(int argc, char **argv) {
  int port = atoi(argv[1]), count = atoi(argv[2]);
  const char *reply = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\nConnection: close\r\n\r\n[]";
  for (int i = 0; i < count; i++) {
    if (fork() != 0) continue;
    int s = socket(AF_INET, SOCK_STREAM, 0), one = 1;
    setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
    char ip[32]; snprintf(ip, sizeof ip, "127.0.0.%d", 10 + i); inet_pton(AF_INET, ip, &a.sin_addr);
    if (bind(s, (struct sockaddr *)&a, sizeof a) || listen(s, 128)) { perror(ip); return 1; }
    for (;;) {
      int c = accept(s, 0, 0); char buf[65536]; size_t n = 0; ssize_t r;
      while (n < sizeof buf - 1 && (r = read(c, buf + n, sizeof buf - 1 - n)) > 0) { n += r; buf[n] = 0; if (strstr(buf, "\r\n\r\n")) break; }
      write(c, reply, strlen(reply)); close(c);
    }
  }
  pause();
  return 0;
}
C
cc -O2 -o "$STATE/listener" "$STATE/listener.c"
setsid "$STATE/listener" "$PORT" 30 &
PIDS+=($!)
sleep 1
fanout() {  # N: node 1 and N simulated nodes
  clear_entries; heartbeat "http://127.0.0.1:$PORT" 0.1
  for i in $(seq 0 $(($1 - 1))); do heartbeat "http://127.0.0.$((10 + i)):$PORT" 0.5; done
  measure 127.0.0.1 "$PORT" GET / "" 100
}
read -r TEN TEN90 < <(fanout 10)
read -r THIRTY THIRTY90 < <(fanout 30)

python3 - "$OUT" "$PLAIN_LIST" "$PLAIN_LIST90" "$PLAIN_PUT" "$PLAIN_PUT90" "$ONE_LIST" "$ONE_LIST90" "$ONE_PUT" "$ONE_PUT90" \
  "$THREE_LIST" "$THREE_LIST90" "$THREE_PUT" "$THREE_PUT90" "$TEN" "$TEN90" "$THIRTY" "$THIRTY90" <<'PY'
import sys
out = sys.argv[1]
v = [float(x) for x in sys.argv[2:]]
plain_l, plain_l90, plain_p, plain_p90, one_l, one_l90, one_p, one_p90, three_l, three_l90, three_p, three_p90, ten, ten90, thirty, thirty90 = v
ratio = thirty / one_l
with open(out, "w") as f:
    f.write(f"""## Cluster

`scripts/bench-cluster.sh`: nodes are `docker-server --listen` spawners (the model of the default
units) on 127.0.0.1–3, each with its own dockerd (vfs) in its own network namespace and 3
containers; entries in a shared folder, read through the local cache. Each request is a new
connection and its whole answer is read; median (p90) of 100 `GET /` and 30 detached `PUT /`.

| set-up | `GET /` | `PUT /` (detached) |
|---|---|---|
| one node, cluster mode off (baseline) | {plain_l:.1f} ms ({plain_l90:.1f}) | {plain_p:.1f} ms ({plain_p90:.1f}) |
| cluster of 1 node (its own part of the list handled in the process) | {one_l:.1f} ms ({one_l90:.1f}) | {one_p:.1f} ms ({one_p90:.1f}), runs here |
| cluster of 3 real nodes (`PUT` forwarded to the least-loaded other node) | {three_l:.1f} ms ({three_l90:.1f}) | {three_p:.1f} ms ({three_p90:.1f}) |
| node 1 and 10 simulated nodes | {ten:.1f} ms ({ten90:.1f}) | |
| node 1 and 30 simulated nodes | {thirty:.1f} ms ({thirty90:.1f}) | |

Target: the fan-out to 30 nodes under 2 × the one-node `GET /`: {ratio:.2f} × {"**met**" if ratio < 2 else "**not met**"}.
The nodes are asked in parallel (a thread per node); per extra node the fan-out costs about
{max(0.0, (thirty - one_l) / 30):.2f} ms here (a connection, a signed request and a parse of its answer).
Cluster mode itself costs {one_l - plain_l:.1f} ms per request on one node: mostly loading OpenSSL's
libcrypto for the signatures (in the static executable `dlopen` also loads the shared libc),
then reading and checking the entries; each node that receives a forwarded request pays the
load again to check the forwarding field.
""")
PY
