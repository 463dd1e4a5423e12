# Files in shared places (docs/DESIGN.md "Files") and log destinations, sourced by
# Tests/e2e/run.sh: another user's symlink, file or folder at the log and counter paths is
# refused with one clear line, nothing is written through it, and requests are still served;
# every log line says which process wrote it; --log_file syslog.
echo "# files in shared places, log lines, syslog"
OTHER=$P-other
id "$OTHER" >/dev/null 2>&1 || useradd -M -s /usr/sbin/nologin "$OTHER" || fatal "cannot create the test user $OTHER"
SF=$(mktemp -d /tmp/ds-e2e-files.XXXXXX)
chmod 1777 "$SF"   # a /tmp of our own: sticky, writable by everyone
HOUR=$(date -u +%Y-%m-%d-%H)
request_401() { printf 'GET / HTTP/1.1\r\nHost: x\r\n\r\n' | "$BIN" --token "$TOKEN" "$@" | head -1 | tr -d '\r'; }
request_200() { printf 'GET / HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n\r\n' "$TOKEN" | "$BIN" --token "$TOKEN" "$@" | head -1 | tr -d '\r'; }

# syslog_capture FILE CMD...: runs CMD with /dev/log being a socket of ours whose datagrams go
# to FILE (a private mount namespace when the machine has a /dev/log, so its syslog is left
# alone).
SYSLOG_SINK=$(cat <<'PY'
import os, socket, sys
path, out = sys.argv[1], sys.argv[2]
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM); s.bind(path); os.chmod(path, 0o666)
open(out + ".ready", "w").close()
with open(out, "ab", buffering=0) as f:
    while True: f.write(s.recv(65536) + b"\n")
PY
)
syslog_capture() {
  local out=$1; shift
  rm -f "$out" "$out.ready" "$SF/log.sock"
  if [ -e /dev/log ]; then
    python3 -c "$SYSLOG_SINK" "$SF/log.sock" "$out" &
    local sink=$!
    for _ in $(seq 50); do [ -e "$out.ready" ] && break; sleep 0.1; done
    unshare -m sh -c 'mount --bind "$0" /dev/log && exec "$@"' "$SF/log.sock" "$@"
  else
    python3 -c "$SYSLOG_SINK" /dev/log "$out" &
    local sink=$!
    for _ in $(seq 50); do [ -e "$out.ready" ] && break; sleep 0.1; done
    "$@"
    rm -f /dev/log
  fi
  sleep 0.3
  kill "$sink" 2>/dev/null
  wait "$sink" 2>/dev/null
}

# Counter folders: another user's folder, a symlink to a folder of ours, a folder writable
# by everyone without the sticky bit.
su -s /bin/sh "$OTHER" -c "mkdir $SF/theirs"
mkdir "$SF/target"; ln -s "$SF/target" "$SF/link"
mkdir -m 0777 "$SF/open"; chmod 0777 "$SF/open"
for case in theirs:"owned by uid" link:"a symbolic link" open:"writable by group or others"; do
  name=${case%%:*}; why=${case#*:}
  status=$(request_200 --log_file "$SF/served-$name-%DATE%.log" --folder "$SF/$name")
  eq "counters under another user's $name folder: the request is served" "$status" "HTTP/1.1 200 OK"
  line=$(grep 'reason=ratelimit_unavailable' "$SF/served-$name-$HOUR.log")
  has "counters under $name: one clear line saying why" "$line" "refusing $SF/$name: $why"
  eq "counters under $name: exactly one line" "$(grep -c 'reason=ratelimit_unavailable' "$SF/served-$name-$HOUR.log")" 1
done
eq "nothing was written through the symlink" "$(ls -A "$SF/target")" ""
eq "nothing was written into the other user's folder" "$(ls -A "$SF/theirs")" ""
eq "nothing was written into the open folder" "$(ls -A "$SF/open")" ""

# Log files: another user's file, a symlink to a file of ours: refused, one line to syslog.
su -s /bin/sh "$OTHER" -c "touch $SF/theirs-$HOUR.log"
touch "$SF/victim"; ln -s "$SF/victim" "$SF/link-$HOUR.log"
for case in theirs:"owned by uid" link:"a symbolic link"; do
  name=${case%%:*}; why=${case#*:}
  syslog_capture "$SF/syslog-$name" bash -c "printf 'GET / HTTP/1.1\r\nHost: x\r\n\r\n' | '$BIN' --token '$TOKEN' --log_file '$SF/$name-%DATE%.log' --folder '$SF/shared' >'$SF/reply-$name'"
  eq "log file planted as $name: the request is still answered" "$(head -1 "$SF/reply-$name" | tr -d '\r')" "HTTP/1.1 401 Unauthorized"
  has "log file planted as $name: one line to syslog saying why" "$(cat "$SF/syslog-$name" 2>/dev/null)" "reason=log_file_refused"
  has "log file planted as $name: the line names the reason" "$(cat "$SF/syslog-$name" 2>/dev/null)" "$why"
done
eq "nothing was written into the other user's log file" "$(stat -c %s "$SF/theirs-$HOUR.log")" 0
eq "nothing was written through the log symlink" "$(stat -c %s "$SF/victim")" 0

# What the product creates is owner-only.
request_401 --log_file "$SF/own/logs-%DATE%.log" --folder "$SF/own/shared" >/dev/null
eq "created log folder and file are owner-only" "$(stat -c %a "$SF/own") $(stat -c %a "$SF/own/logs-$HOUR.log")" "700 600"
eq "created counter folders and files are owner-only" \
  "$(find "$SF/own/shared" -printf '%m\n' | sort -u | tr '\n' ' ')" "600 700 "

# Every line says which process wrote it; a connection's lines carry the local port.
line=$(grep 'reason=access' "$SF/own/logs-$HOUR.log" | head -1)
has "a log line names the process (pid=)" "$line" " pid="
pid_in_line=$(printf '%s' "$line" | sed -n 's/.* pid=\([0-9]*\) .*/\1/p')
check "the pid is a number ($pid_in_line)" test -n "$pid_in_line"
has "a connection's access line names the local port" "$(grep "path=/ status=200" "$STATE"/ds-*.log | head -1)" " port=$P1 "

# --log_file syslog: lines go to syslog(3) with the level as priority.
syslog_capture "$SF/syslog-mode" bash -c "printf 'GET / HTTP/1.1\r\nHost: x\r\n\r\n' | '$BIN' --token '$TOKEN' --log_file syslog --folder '$SF/shared' >/dev/null"
syslog=$(cat "$SF/syslog-mode" 2>/dev/null)
has "--log_file syslog: the access line reaches syslog" "$syslog" "reason=access"
has "--log_file syslog: tagged docker-server with its pid" "$syslog" "docker-server["
# <30> is facility daemon (3) × 8 + info (6); <28> daemon + warning (4).
has "--log_file syslog: the access line at priority info (daemon.info)" "$(printf '%s\n' "$syslog" | grep 'reason=access')" "<30>"
has "--log_file syslog: the 401 at priority warning (daemon.warning)" "$(printf '%s\n' "$syslog" | grep 'reason=auth_missing')" "<28>"
rm -rf "$SF"
userdel "$OTHER" 2>/dev/null
