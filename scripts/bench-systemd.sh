#!/usr/bin/env bash
# Benchmarks the shipped systemd units the way users deploy them, under a real systemd 252 as
# PID 1 (scripts/systemd-testbed.sh: Debian 12 booted with systemd-nspawn, sharing this
# machine's loopback and Docker socket), all in one run:
#   - docker-server.socket + docker-server.service (Accept=no, the default), installed with
#     scripts/install.sh;
#   - docker-server-per-connection.socket + @.service (Accept=yes, a unit per connection);
#   - a trivial Accept=yes responder (a shell script that reads the request head and answers
#     200) with the same hardening as docker-server-per-connection@.service, and without it;
#   - the engine API directly: socat on this machine forking per connection to the engine
#     socket (GET /containers/json?all=1).
# For GET / (token) and the 401 path (no token), with 1 and 4 clients, every request a new
# connection (wrk, Connection: close): median latency and requests/s.
# Usage: scripts/bench-systemd.sh OUTPUT.md [BINARY]   (writes a Markdown section)
# Needs what scripts/test-env.sh sets up (dockerd, wrk, socat, python3).
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=$1
BIN=$(realpath "${2:-.build/release/docker-server}")
DURATION=${BENCH_SECONDS:-5}
. scripts/systemd-testbed.sh
STATE=$(mktemp -d /tmp/ds-bench-systemd.XXXXXX)
SOCAT=
trap 'testbed_down; [ -n "$SOCAT" ] && kill "$SOCAT" 2>/dev/null; rm -rf "$STATE"' EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() { for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0; sleep 0.1; done; return 1; }
case $BIN in "$PWD"/*) ;; *) echo "bench-systemd: the binary must be inside the repository: $BIN" >&2; exit 1 ;; esac

testbed_up "$PWD"
inside() { testbed_run "$@"; }
P_NO=$(free_port); P_YES=$(free_port); P_TRIVIAL=$(free_port); P_BARE=$(free_port); P_ENGINE=$(free_port)

# The default units, the README's way; rate limits out of the way for a benchmark.
inside /src/scripts/install.sh --binary "/src/${BIN#"$PWD"/}" --listen "127.0.0.1:$P_NO" >/dev/null
TOKEN=$(inside cat /etc/docker-server/token)
LIMITS='Environment=DS_HIGH_BURST=1000000000 DS_AUTH_BURST=1000000000'
# The testbed's root is visible here (TB_ROOT): unit files are written from this side.
UNITS=$TB_ROOT/etc/systemd/system
# The per-connection variant beside it on another port (install.sh enables one variant at a
# time, since both default to port 1717).
cp systemd/docker-server-per-connection.socket systemd/docker-server-per-connection@.service "$UNITS/"
mkdir -p "$UNITS/docker-server.service.d" "$UNITS/docker-server-per-connection@.service.d" "$UNITS/docker-server-per-connection.socket.d"
printf '[Service]\n%s\n' "$LIMITS" >"$UNITS/docker-server.service.d/bench.conf"
printf '[Service]\n%s\n' "$LIMITS" >"$UNITS/docker-server-per-connection@.service.d/bench.conf"
printf '[Socket]\nListenStream=\nListenStream=127.0.0.1:%s\n' "$P_YES" >"$UNITS/docker-server-per-connection.socket.d/listen.conf"
# The trivial responder reads the request head, then answers 200: with the same [Service]
# hardening as docker-server-per-connection@.service (bench-trivial), and without (bench-bare).
cat >"$TB_ROOT/usr/local/bin/trivial-responder" <<'SH'
#!/bin/sh
CR=$(printf '\r')
while IFS= read -r line; do [ "$line" = "$CR" ] && break; done
printf 'HTTP/1.1 200 OK\r\nContent-Length: 3\r\nConnection: close\r\n\r\nok\n'
SH
chmod 755 "$TB_ROOT/usr/local/bin/trivial-responder"
for unit in trivial:$P_TRIVIAL bare:$P_BARE; do
  name=${unit%%:*}
  printf '[Socket]\nListenStream=127.0.0.1:%s\nAccept=yes\nMaxConnections=1024\nTriggerLimitIntervalSec=0\nBacklog=512\n' "${unit#*:}" \
    >"$UNITS/bench-$name.socket"
  printf '[Unit]\nCollectMode=inactive-or-failed\n[Service]\nExecStart=/usr/local/bin/trivial-responder\nStandardInput=socket\nStandardOutput=socket\nStandardError=journal\n' \
    >"$UNITS/bench-$name@.service"
done
sed -n '/^# Hardening/,$p' systemd/docker-server-per-connection@.service >>"$UNITS/bench-trivial@.service"
HARDENING=$(sed -n '/^# Hardening/,$p' systemd/docker-server-per-connection@.service | grep -c '^[A-Z]')
inside systemctl daemon-reload
inside systemctl stop docker-server.service 2>/dev/null
inside systemctl restart docker-server.socket
inside systemctl start docker-server-per-connection.socket bench-trivial.socket bench-bare.socket
ENGINE_SOCKET=${DOCKER_HOST:-unix:///var/run/docker.sock}
socat "TCP-LISTEN:$P_ENGINE,bind=127.0.0.1,fork,reuseaddr,backlog=512" "UNIX-CONNECT:${ENGINE_SOCKET#unix://}" &
SOCAT=$!
for p in $P_NO $P_YES $P_TRIVIAL $P_BARE $P_ENGINE; do wait_port "$p" || { echo "bench-systemd: nothing listens on $p" >&2; exit 1; }; done

# wrk_run URL PATH CLIENTS AUTH: "REQ_PER_S MEDIAN_MS NON2XX ERRORS" of one run.
wrk_run() {
  local auth=()
  [ "$4" = yes ] && auth=(-H "Authorization: Bearer $TOKEN")
  wrk -t"$(( $3 < 2 ? 1 : 2 ))" -c"$3" -d"${DURATION}s" --latency -H 'Connection: close' "${auth[@]}" "$1$2" 2>&1 | python3 -c '
import re, sys
text = sys.stdin.read()
rate = re.search(r"Requests/sec:\s+([\d.]+)", text)
median = re.search(r"^\s+50%\s+([\d.]+)(us|ms|s)\b", text, re.M)
ms = float(median.group(1)) * {"us": 0.001, "ms": 1, "s": 1000}[median.group(2)] if median else float("nan")
non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", text)
errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text)
print(rate.group(1) if rate else "0", "%.2f" % ms, non2xx.group(1) if non2xx else 0, sum(map(int, errors.groups())) if errors else 0)'
}

ROWS=()
for path in list 401; do
  for clients in 1 4; do
    for setup in no:$P_NO yes:$P_YES trivial:$P_TRIVIAL bare:$P_BARE engine:$P_ENGINE; do
      name=${setup%%:*}; port=${setup#*:}
      target=/; [ "$name" = engine ] && target='/containers/json?all=1'
      auth=yes; [ "$path" = 401 ] && auth=no
      # The trivial responders and the engine have no 401 path.
      if [ "$path" = 401 ] && { [ "$name" = engine ] || [ "$name" = trivial ] || [ "$name" = bare ]; }; then continue; fi
      # Settle between runs: systemd finishes collecting the previous run's units.
      sleep 2
      ROWS+=("$path $clients $name $(wrk_run "http://127.0.0.1:$port" "$target" "$clients" "$auth")")
    done
  done
done
SYSTEMD_VERSION=$(inside systemctl --version | head -1)

python3 - "$OUT" "$DURATION" "$HARDENING" "$SYSTEMD_VERSION" "${ROWS[@]}" <<'PY'
import sys
out, duration, hardening, systemd = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
rows = {}
for row in sys.argv[5:]:
    path, clients, name, rate, median, non2xx, errors = row.split()
    rows[(path, int(clients), name)] = (float(rate), float(median), int(non2xx), int(errors))
names = {
    "no": "`docker-server.socket` + `docker-server.service` (Accept=no, the default)",
    "yes": "`docker-server-per-connection` units (Accept=yes, a unit per connection)",
    "trivial": f"trivial Accept=yes responder, same hardening ({hardening} options)",
    "bare": "trivial Accept=yes responder, no hardening",
    "engine": "engine API directly (`socat` forking per connection)",
}
def cell(path, clients, name):
    rate, median, non2xx, errors = rows[(path, clients, name)]
    note = ""
    expected_non2xx = path == "401"
    if errors or (non2xx and not expected_non2xx): note = f" ({non2xx} non-2xx, {errors} socket errors)"
    return f"{median:.1f} ms, {rate:.0f}/s{note}"
lines = [f"## Under a real systemd: the shipped units ({systemd}, PID 1 in systemd-nspawn)", "",
         "Produced by `scripts/bench-systemd.sh` in the same run: each set-up installed in a Debian 12",
         "booted with `systemd-nspawn -b` (sharing this machine's loopback and Docker socket), the default",
         "units with `scripts/install.sh`; `wrk --latency -H 'Connection: close'` for "
         f"{duration} s per cell, so every request is a new connection. Cells: median latency, requests/s.", "",
         "| set-up | `GET /`, 1 client | `GET /`, 4 clients | 401, 1 client | 401, 4 clients |", "|---|---|---|---|---|"]
for name in ["no", "yes", "trivial", "bare", "engine"]:
    cells = []
    for path in ["list", "401"]:
        for clients in [1, 4]:
            cells.append(cell(path, clients, name) if (path, clients, name) in rows else "")
    lines.append(f"| {names[name]} | " + " | ".join(cells) + " |")
engine4 = rows[("list", 4, "engine")][0]
default4 = rows[("list", 4, "no")][0]
engine1 = rows[("list", 1, "engine")][0]
default1 = rows[("list", 1, "no")][0]
def verdict(ok): return "**met**" if ok else "**not met**"
yes1, trivial1, bare1 = (rows[("list", 1, n)][1] for n in ("yes", "trivial", "bare"))
lines += ["",
    f"Target: `GET /` through the default units ≥ 0.5 × the engine's rate: with 4 clients {default4 / engine4:.2f} × "
    f"{verdict(default4 >= 0.5 * engine4)}; with 1 client {default1 / engine1:.2f} × {verdict(default1 >= 0.5 * engine1)}.",
    "",
    f"Per connection with 1 client, the Accept=yes units take {yes1:.0f} ms against {rows[('list', 1, 'no')][1]:.1f} ms for the",
    f"default units. The trivial responder shows systemd's own share: {trivial1:.0f} ms with the same hardening,",
    f"{bare1:.0f} ms without it, so the sandboxing options cost about {trivial1 - bare1:.0f} ms of each connection there",
    "(a mount namespace with its read-only and private mounts, set up and torn down per unit). The default",
    "units pay that once, when the service starts, and then start a plain process per connection."]
open(out, "w").write("\n".join(lines) + "\n")
PY
cat "$OUT"
