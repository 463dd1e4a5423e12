#!/usr/bin/env bash
# Extra Docker engines for cluster tests and benchmarks, each in its own network namespace:
# its own socket (STATE/engineN/docker.sock), data root, exec root and pid file, the test image
# loaded, and the local registry (127.0.0.1:5000 of the root namespace) bridged onto its
# loopback with socat. The main engine and its docker0 are left alone.
# Usage: scripts/netns-engines.sh start STATE COUNT IMAGE    (prints nothing; exit 1 on failure)
#        scripts/netns-engines.sh stop STATE
set -u
cmd=$1 state=$2
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
    ip netns exec "$ns" "$state/netns-dockerd" dockerd --storage-driver=vfs -H "unix://$state/engine$n/docker.sock" \
      --data-root "$state/engine$n/data" --exec-root "/run/$ns" --pidfile "$state/engine$n/docker.pid" \
      --iptables=false >"$state/engine$n/dockerd.log" 2>&1 &
    ip netns exec "$ns" socat TCP-LISTEN:5000,bind=127.0.0.1,fork,reuseaddr "UNIX-CONNECT:$state/registry.sock" 2>/dev/null &
    echo $! >>"$state/netns-pids"
  done
  for n in $(seq "$count"); do
    socket=unix://$state/engine$n/docker.sock
    for _ in $(seq 300); do docker -H "$socket" info >/dev/null 2>&1 && break; sleep 0.1; done
    docker -H "$socket" info >/dev/null 2>&1 || { echo "netns-engines: engine $n did not start: $(tail -3 "$state/engine$n/dockerd.log")" >&2; exit 1; }
    docker save "$image" | docker -H "$socket" load >/dev/null || { echo "netns-engines: cannot load $image into engine $n" >&2; exit 1; }
  done
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
*) echo "usage: $0 start STATE COUNT IMAGE | stop STATE" >&2; exit 2 ;;
esac
