# shellcheck shell=bash
# A real systemd (Debian 12 "bookworm", systemd 252) as PID 1 for the test suite and the
# benchmark, on machines that have no systemd as PID 1 and no host D-Bus (CI containers/VMs).
# Source this file (it changes no shell option of the caller: each function turns errexit
# and pipefail off for itself, so it works with or without `set -e`; `set -u` safe), then:
#
#   testbed_up [REPO_DIR]   build (once) and boot the testbed; REPO_DIR is bound read-only at
#                           /src. Exports TB_PID (host PID of the container's systemd),
#                           TB_ROOT (the container's root on the host), TB_LOG (console log).
#   testbed_run CMD [ARG…]  run CMD inside (all namespaces; a clean environment with PATH,
#                           HOME, LANG), stdin from the caller, returns CMD's exit code.
#   testbed_down            power off (bounded), kill leftovers, unmount, delete the copy.
#                           Safe to call twice and from an EXIT trap.
#
# How: debootstrap builds a minimal bookworm rootfs once and caches it in
# ${DS_TESTBED_CACHE:-/var/cache/docker-server-testbed}/bookworm (valid only with the marker
# bookworm.complete, written after a successful build; flock keeps two builds apart). Every
# boot runs on a fresh overlayfs (cache read-only below, an empty upper dir above, both under
# ${DS_TESTBED_STATE:-/tmp/ds-testbed}), so no run sees another's state. Mounting it takes
# milliseconds; `systemd-nspawn --ephemeral` and `cp -a --reflink=auto` copy the whole tree
# (~170 MB) on ext4, about a second more per boot.
# systemd-nspawn boots it sharing the host's network namespace (so sockets the container's
# systemd listens on are on the host's loopback), with the Docker socket bound in.
#
# Why these nspawn options: without a host systemd/D-Bus, nspawn cannot ask systemd for a
# scope unit nor register with systemd-machined; --keep-unit (stay in the caller's cgroup)
# and --register=no skip both. For the same reason `machinectl shell` / `systemd-run -M`
# cannot work, so commands enter the container with nsenter on its PID 1. Processes started
# that way live in the container's PID namespace, so they die with its init at power-off.

_TB_DEBIAN_PACKAGES=systemd,systemd-sysv,dbus,curl,ca-certificates,procps,iproute2
# Units that are useless in the testbed and slow or clutter its boot.
_TB_MASK="getty.target console-getty.service container-getty@.service systemd-firstboot.service
  systemd-networkd-wait-online.service apt-daily.timer apt-daily-upgrade.timer
  dpkg-db-backup.timer fstrim.timer e2scrub_all.timer systemd-tmpfiles-clean.timer"
_TB_PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

_tb_err() { echo "testbed: $*" >&2; return 1; }
_tb_now() { date +%s.%N; }
_tb_since() { awk -v a="$1" -v b="$(_tb_now)" 'BEGIN { printf "%.1f", b - a }'; }
# A process exists and is not a zombie.
_tb_alive() {
  local state
  [ -n "${1:-}" ] && state=$(awk '{ print $3 }' "/proc/$1/stat" 2>/dev/null) && [ -n "$state" ] && [ "$state" != Z ]
}
# Mount points at or below $1 (deepest first), from /proc/mounts.
_tb_mounts_under() {
  awk -v p="$1" '$2 == p || index($2, p "/") == 1 { print $2 }' /proc/mounts | sort -r
}

# Host PID of the container's init: the child of nspawn (a subreaper) that is PID 1 in its
# own PID namespace; with a second argument, only once it has exec'd that command.
_tb_init_of() {
  local pid line
  for pid in $(awk -v p="$1" '$4 == p { print $1 }' /proc/[0-9]*/stat 2>/dev/null); do
    line=$(grep '^NSpid:' "/proc/$pid/status" 2>/dev/null) || continue
    [ "${line##*[[:space:]]}" = 1 ] || continue
    [ -z "${2:-}" ] || [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = "$2" ] || continue
    echo "$pid"; return 0
  done
  return 1
}

# Installs debootstrap and systemd-nspawn (and nsenter/flock, normally present) if missing.
_tb_packages() {
  local need=() pair log
  for pair in debootstrap:debootstrap systemd-nspawn:systemd-container nsenter:util-linux flock:util-linux; do
    command -v "${pair%%:*}" >/dev/null 2>&1 || need+=("${pair#*:}")
  done
  [ ${#need[@]} -eq 0 ] && return 0
  echo "testbed: installing ${need[*]}" >&2
  log=$(mktemp /tmp/ds-testbed-apt.XXXXXX) || return 1
  if DEBIAN_FRONTEND=noninteractive apt-get update -qq >"$log" 2>&1 &&
     DEBIAN_FRONTEND=noninteractive apt-get install -y -qq -o DPkg::Lock::Timeout=300 "${need[@]}" >>"$log" 2>&1; then
    rm -f "$log"
  else
    tail -n 5 "$log" >&2; _tb_err "apt-get install ${need[*]} failed, see $log"
  fi
}

# The Debian archive this machine's apt already uses (not debian-security), else deb.debian.org.
_tb_mirror() {
  local uri
  uri=$( { grep -hs '^[[:space:]]*URIs:' /etc/apt/sources.list.d/*.sources | sed 's/^[[:space:]]*URIs://' | tr -s ' \t' '\n'
           grep -hs '^[[:space:]]*deb[[:space:]]' /etc/apt/sources.list /etc/apt/sources.list.d/*.list |
             sed -E 's/\[[^]]*\]//' | awk '{ print $2 }'; } |
         grep -E '^https?://.*/debian/?$' | head -n 1)
  echo "${uri:-http://deb.debian.org/debian}"
}

# Under an exclusive flock (concurrent runs wait): installs the packages, then builds the
# cached rootfs unless a complete one exists.
_tb_cache() {
  local cache=${DS_TESTBED_CACHE:-/var/cache/docker-server-testbed}
  mkdir -p "$cache" || { _tb_err "cannot create $cache"; return 1; }
  (
    flock -w 900 9 || { _tb_err "timed out waiting for $cache/.lock"; exit 1; }
    _tb_packages || exit 1
    [ -e "$cache/bookworm.complete" ] && exit 0
    mirror=$(_tb_mirror)
    echo "testbed: building the Debian 12 rootfs in $cache/bookworm from $mirror (about a minute)" >&2
    start=$(_tb_now)
    # A half-built tree may still have debootstrap's /proc or /sys mounted.
    for m in $(_tb_mounts_under "$cache/bookworm"); do umount -l "$m"; done
    rm -rf --one-file-system "$cache/bookworm"
    if ! debootstrap --variant=minbase --include="$_TB_DEBIAN_PACKAGES" bookworm \
         "$cache/bookworm" "$mirror" >"$cache/debootstrap.log" 2>&1; then
      tail -n 5 "$cache/debootstrap.log" >&2
      _tb_err "debootstrap failed, see $cache/debootstrap.log"; exit 1
    fi
    rm -f "$cache"/bookworm/var/cache/apt/archives/*.deb "$cache"/bookworm/var/lib/apt/lists/*_Packages
    touch "$cache/bookworm.complete"
    echo "testbed: rootfs built in $(_tb_since "$start") s" >&2
  ) 9>"$cache/.lock"
}

# Quick, quiet boot of the copy: no gettys, no first-boot prompt, no waits or timers.
_tb_prepare() {
  local root=$1 unit
  for unit in $_TB_MASK; do ln -sfn /dev/null "$root/etc/systemd/system/$unit"; done
  echo ds-testbed >"$root/etc/hostname"
}

testbed_up() {
  local -; set +e +o pipefail   # restored on return
  local repo=${1:-} state start lower binds=() out deadline
  [ "$(id -u)" = 0 ] || { _tb_err "must run as root"; return 1; }
  if _tb_alive "${TB_PID:-}"; then _tb_err "already up (TB_PID=$TB_PID); call testbed_down first"; return 1; fi
  if [ -n "$repo" ]; then
    repo=$(cd "$repo" 2>/dev/null && pwd -P) || { _tb_err "no such directory: $1"; return 1; }
    case $repo in *:*) _tb_err "the repository path must not contain ':' ($repo)"; return 1 ;; esac
    binds+=("--bind-ro=$repo:/src")
  fi
  if [ -S /var/run/docker.sock ]; then binds+=(--bind=/var/run/docker.sock)
  else echo "testbed: note: no /var/run/docker.sock on this host, none inside" >&2; fi
  _tb_cache || return 1
  lower=${DS_TESTBED_CACHE:-/var/cache/docker-server-testbed}/bookworm

  start=$(_tb_now)
  state=${DS_TESTBED_STATE:-/tmp/ds-testbed}
  mkdir -p "$state" && TB_DIR=$(mktemp -d "$state/run.XXXXXX") || { _tb_err "cannot create a folder in $state"; return 1; }
  export TB_DIR TB_ROOT=$TB_DIR/root TB_LOG=$TB_DIR/boot.log
  mkdir -p "$TB_DIR/upper" "$TB_DIR/work" "$TB_ROOT"
  mount -t overlay testbed -o "lowerdir=$lower,upperdir=$TB_DIR/upper,workdir=$TB_DIR/work" "$TB_ROOT" ||
    { _tb_err "overlay mount on $TB_ROOT failed"; testbed_down; return 1; }
  _tb_prepare "$TB_ROOT"

  # A unique machine name (it names nspawn's files in /run); the hostname is /etc/hostname's.
  systemd-nspawn -b -D "$TB_ROOT" --machine="ds-testbed-${TB_DIR##*.}" --register=no --keep-unit \
    --console=passive "${binds[@]}" </dev/null >"$TB_LOG" 2>&1 &
  export TB_NSPAWN_PID=$! TB_PID=
  for _ in $(seq 100); do
    TB_PID=$(_tb_init_of "$TB_NSPAWN_PID" systemd) && break
    _tb_alive "$TB_NSPAWN_PID" || break
    sleep 0.1
  done
  if [ -z "$TB_PID" ]; then
    tail -n 20 "$TB_LOG" >&2
    _tb_err "the container's systemd did not start, see $TB_LOG"; testbed_down; return 1
  fi

  # Bounded wait for the boot to finish. systemctl fails until systemd's socket exists: retry.
  deadline=$(( $(date +%s) + ${DS_TESTBED_BOOT_TIMEOUT:-60} ))
  out=
  while [ "$(date +%s)" -lt "$deadline" ] && _tb_alive "$TB_PID"; do
    out=$(timeout $(( deadline - $(date +%s) + 1 )) nsenter -t "$TB_PID" -a \
          /usr/bin/env -i PATH="$_TB_PATH" systemctl is-system-running --wait 2>/dev/null)
    case $out in running|degraded|maintenance|stopping|offline) break ;; esac
    sleep 0.2
  done
  case $out in
    running) ;;
    degraded)
      echo "testbed: booted degraded, failed units:" >&2
      testbed_run systemctl --failed --no-legend --no-pager >&2 ;;
    *)
      tail -n 20 "$TB_LOG" >&2
      _tb_err "the boot did not finish in ${DS_TESTBED_BOOT_TIMEOUT:-60} s (state: ${out:-unknown}), see $TB_LOG"
      testbed_down; return 1 ;;
  esac
  echo "testbed: up in $(_tb_since "$start") s (systemd PID $TB_PID, root $TB_ROOT, log $TB_LOG)" >&2
}

testbed_run() {
  local -; set +e +o pipefail
  [ $# -gt 0 ] || { _tb_err "usage: testbed_run CMD [ARGS...]"; return 2; }
  _tb_alive "${TB_PID:-}" || { _tb_err "not up (call testbed_up first)"; return 1; }
  nsenter -t "$TB_PID" -a /usr/bin/env -i PATH="$_TB_PATH" HOME=/root LANG=C.UTF-8 SYSTEMD_PAGER=cat "$@"
}

testbed_down() {
  local -; set +e +o pipefail
  local rc=0 m start
  [ -n "${TB_DIR:-}" ] || return 0
  start=$(_tb_now)
  # Interrupted during testbed_up: the init may exist and not be known yet.
  if [ -z "${TB_PID:-}" ] && _tb_alive "${TB_NSPAWN_PID:-}"; then TB_PID=$(_tb_init_of "$TB_NSPAWN_PID"); fi
  if _tb_alive "${TB_PID:-}"; then
    # Graceful: systemd stops its units, then its init exits and nspawn with it.
    timeout 10 nsenter -t "$TB_PID" -a /usr/bin/env -i PATH="$_TB_PATH" systemctl poweroff >/dev/null 2>&1 ||
      kill -s RTMIN+4 "$TB_PID" 2>/dev/null   # systemd's "poweroff" signal
    for _ in $(seq $(( ${DS_TESTBED_STOP_TIMEOUT:-30} * 10 ))); do
      _tb_alive "$TB_PID" || _tb_alive "${TB_NSPAWN_PID:-}" || break
      sleep 0.1
    done
  fi
  # Fallback: killing the init kills its whole PID namespace; then nspawn exits.
  if _tb_alive "${TB_PID:-}" || _tb_alive "${TB_NSPAWN_PID:-}"; then
    echo "testbed: no clean power-off, killing the container" >&2
    kill -KILL "${TB_PID:-}" 2>/dev/null
    for _ in $(seq 50); do _tb_alive "${TB_PID:-}" || break; sleep 0.1; done
    kill -KILL "${TB_NSPAWN_PID:-}" 2>/dev/null
    for _ in $(seq 50); do _tb_alive "${TB_NSPAWN_PID:-}" || break; sleep 0.1; done
  fi
  if _tb_alive "${TB_PID:-}" || _tb_alive "${TB_NSPAWN_PID:-}"; then
    _tb_err "container processes survive (PID ${TB_PID:-?}, nspawn ${TB_NSPAWN_PID:-?})"; rc=1
  fi
  for m in $(_tb_mounts_under "$TB_DIR"); do
    umount "$m" 2>/dev/null || umount -l "$m" || { _tb_err "cannot unmount $m"; rc=1; }
  done
  if [ -n "$(_tb_mounts_under "$TB_DIR")" ]; then
    _tb_err "still mounted under $TB_DIR, not deleting it"; rc=1
  else
    # The copy goes; the console log stays for a post-mortem.
    rm -rf --one-file-system "$TB_DIR/root" "$TB_DIR/upper" "$TB_DIR/work" || rc=1
  fi
  [ $rc -eq 0 ] && echo "testbed: down in $(_tb_since "$start") s" >&2
  unset TB_PID TB_NSPAWN_PID TB_ROOT TB_DIR
  return $rc
}
