#!/usr/bin/env bash
# Extra Docker engines for cluster tests and benchmarks, each in its own network namespace:
# its own socket (STATE/engineN/docker.sock), data root, exec root and pid file, the test image
# loaded, and the local registry (127.0.0.1:5000 of the root namespace) bridged onto its
# loopback with socat. The main engine and its docker0 are left alone.
# Usage: scripts/netns-engines.sh start STATE COUNT IMAGE    (prints nothing; exit 1 on failure)
#        scripts/netns-engines.sh stop STATE
#        scripts/netns-engines.sh stop-engine STATE N    (SIGTERM engine N, wait for its exit)
#        scripts/netns-engines.sh start-engine STATE N   (start engine N again, wait until it answers)
set -u
cmd=$1 state=$2
# start_engine N NAMESPACE: dockerd of engine N in NAMESPACE (returns at once).
start_engine() {
  ip netns exec "$2" "$state/netns-dockerd" dockerd --storage-driver=vfs -H "unix://$state/engine$1/docker.sock" \
    --data-root "$state/engine$1/data" --exec-root "/run/$2" --pidfile "$state/engine$1/docker.pid" \
    --iptables=false >>"$state/engine$1/dockerd.log" 2>&1 &
}
# wait_engine N: until engine N answers (30 s); exit 1 saying why otherwise.
wait_engine() {
  local socket=unix://$state/engine$1/docker.sock
  for _ in $(seq 300); do docker -H "$socket" info >/dev/null 2>&1 && return 0; sleep 0.1; done
  echo "netns-engines: engine $1 did not start: $(tail -3 "$state/engine$1/dockerd.log")" >&2; exit 1
}
# stop_engine N: SIGTERM (what `systemctl stop docker` sends), then wait for its exit (30 s).
stop_engine() {
  local pidfile=$state/engine$1/docker.pid pid
  pid=$(cat "$pidfile" 2>/dev/null) || return 0
  kill "$pid" 2>/dev/null
  for _ in $(seq 300); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
}
case $cmd in
start)
  count=$3 image=$4
  mkdir -p "$state"
  # `ip netns exec` mounts a /sys of the namespace's own, without the cgroup file systems
  # dockerd needs ("Devices cgroup isn't mounted"): mount them again as PID 1 has them.
  cat >"$state/netns-dockerd" <<'SH'
#!/bin/sh
awk '$2 ~ /^\/sys\/fs\/cgroup/ {print $1, $2, $3, $4}' /proc/1/mounts | while read -r source target type options; do
  mkdir -p "$target" 2>/dev/null
  mount -t "$type" -o "$options" "$source" "$target"
done
exec "$@"
SH
  chmod +x "$state/netns-dockerd"
  id=$(od -An -N4 -tx1 /dev/urandom | tr -d ' \n')
  socat "UNIX-LISTEN:$state/registry.sock,fork" TCP:127.0.0.1:5000 2>/dev/null &
  echo $! >>"$state/netns-pids"
  for n in $(seq "$count"); do
    ns=dsn-$id-$n
    ip netns add "$ns" || { echo "netns-engines: cannot create network namespace $ns" >&2; exit 1; }
    echo "$ns" >>"$state/netns-names"
    ip netns exec "$ns" ip link set lo up
    mkdir -p "$state/engine$n"
    echo "/run/$ns" >>"$state/netns-exec-roots"
    start_engine "$n" "$ns"
    ip netns exec "$ns" socat TCP-LISTEN:5000,bind=127.0.0.1,fork,reuseaddr "UNIX-CONNECT:$state/registry.sock" 2>/dev/null &
    echo $! >>"$state/netns-pids"
  done
  for n in $(seq "$count"); do
    wait_engine "$n"
    docker save "$image" | docker -H "unix://$state/engine$n/docker.sock" load >/dev/null || { echo "netns-engines: cannot load $image into engine $n" >&2; exit 1; }
  done
  ;;
stop-engine) stop_engine "$3" ;;
start-engine)
  # After a SIGKILL the pid file stays: dockerd refuses to start while it names a live process.
  pidfile=$state/engine$3/docker.pid
  for _ in $(seq 100); do [ -s "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null || break; sleep 0.1; done
  rm -f "$pidfile"
  start_engine "$3" "$(sed -n "$3p" "$state/netns-names")"
  wait_engine "$3"
  ;;
stop)
  for pidfile in "$state"/engine*/docker.pid; do
    [ -s "$pidfile" ] && kill "$(cat "$pidfile")" 2>/dev/null
  done
  for pidfile in "$state"/engine*/docker.pid; do
    for _ in $(seq 100); do [ -s "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null || break; sleep 0.1; done
  done
  [ -e "$state/netns-pids" ] && xargs -r kill <"$state/netns-pids" 2>/dev/null
  [ -e "$state/netns-names" ] && while read -r ns; do ip netns del "$ns" 2>/dev/null; done <"$state/netns-names"
  [ -e "$state/netns-exec-roots" ] && while read -r root; do umount -l "$root" 2>/dev/null; rm -rf "$root"; done <"$state/netns-exec-roots"
  rm -f "$state/netns-pids" "$state/netns-names" "$state/netns-exec-roots"
  ;;
*) echo "usage: $0 start STATE COUNT IMAGE | stop STATE | stop-engine STATE N | start-engine STATE N" >&2; exit 2 ;;
esac
