# Logging (docs/DESIGN.md "Logging"), sourced by Tests/e2e/run.sh: whole lines from concurrent processes, the
# size cap and expiry with small limits, journald priorities.
echo "# logging"
L="$STATE/logging"
mkdir -p "$L"
crlf 'PUT / HTTP/1.1\nHost: x\nAuthorization: Bearer %s\nContent-Length: 0\n' "$TOKEN" >"$L/put.http"
printf '\r\n' >>"$L/put.http"

# 32 processes at once into one file: only whole lines.
burst 32 "$L/put.http" 192.0.2.44 --token "$TOKEN" --log_level debug --log_file "$L/conc-%DATE%.log" >/dev/null
lines=$(cat "$L"/conc-*.log)
eq "32 concurrent processes: one access line each" "$(printf '%s\n' "$lines" | grep -c ' reason=access ')" 32
eq "32 concurrent processes: every line is whole" \
  "$(printf '%s\n' "$lines" | grep -cvE '^time=[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z level=[a-z]+ pid=[0-9]+ reason=[a-z_]+( [a-z_]+=[^ ]+)*$')" 0
has "the access line has time, client, method, path, status, bytes and ms" "$(printf '%s\n' "$lines" | grep ' reason=access ' | head -1)" \
  "client=192.0.2.44 method=PUT path=/ status=400 bytes="

# The size cap: a full file is continued in NAME.1.
hour=$(date -u +%Y-%m-%d-%H)
head -c 1048600 /dev/zero | tr '\0' 'x' >"$L/size-$hour.log"
REMOTE_ADDR=192.0.2.45 "$BIN" --token "$TOKEN" --log_file "$L/size-%DATE%.log" --log_max_size 1 <"$L/put.http" >/dev/null
check "a file at --log_max_size is not written further" test "$(stat -c %s "$L/size-$hour.log")" -eq 1048600
has "the next line goes to NAME.1" "$(cat "$L/size-$hour.log.1" 2>/dev/null)" "reason=access"

# Expiry: starting a new file deletes the pattern's files older than --log_expiry days.
touch -d '10 days ago' "$L/exp-2026-01-01-00.log" "$L/exp-2026-01-01-01.log.3" "$L/unrelated-old.log"
touch -d '2 days ago' "$L/exp-2026-01-09-00.log"
REMOTE_ADDR=192.0.2.46 "$BIN" --token "$TOKEN" --log_file "$L/exp-%DATE%.log" --log_expiry 7 <"$L/put.http" >/dev/null
check "an expired log file is deleted" test ! -e "$L/exp-2026-01-01-00.log"
check "an expired continuation is deleted" test ! -e "$L/exp-2026-01-01-01.log.3"
check "a recent log file stays" test -e "$L/exp-2026-01-09-00.log"
check "a file outside the pattern stays" test -e "$L/unrelated-old.log"

# journald: <N> priorities on stderr when JOURNAL_STREAM names it (device:inode), as systemd sets it.
: >"$L/journal"
stream=$(stat -c '%d:%i' "$L/journal")
printf 'GET / HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n\r\n' "$TOKEN" |
  JOURNAL_STREAM=$stream DOCKER_HOST=unix:///nonexistent/docker.sock "$BIN" --token "$TOKEN" 2>>"$L/journal" >/dev/null
has "journald mode: an error is <3>" "$(cat "$L/journal")" "<3>level=error pid=$(grep -o 'pid=[0-9]*' "$L/journal" | head -1 | cut -d= -f2) reason=engine_unreachable"
has "journald mode: the access line is <6>" "$(cat "$L/journal")" "<6>level=info pid=$(grep -o 'pid=[0-9]*' "$L/journal" | head -1 | cut -d= -f2) reason=access"
out=$(printf 'GET / HTTP/1.1\r\nHost: x\r\n\r\n' | JOURNAL_STREAM=$stream "$BIN" --token "$TOKEN" 2>>"$L/journal" | head -1)
has "journald mode: stdout holds only HTTP" "$out" "HTTP/1.1 401"
# An inherited JOURNAL_STREAM that is not our stderr (xinetd under systemd: stderr is the
# client's socket) must not send log lines there.
out=$(printf 'GET / HTTP/1.1\r\nHost: x\r\n\r\n' | JOURNAL_STREAM=$stream "$BIN" --token "$TOKEN" --log_file "$L/inherited-%DATE%.log" 2>&1)
eq "an inherited JOURNAL_STREAM: no log line on stderr" "$(printf '%s' "$out" | grep -c 'level=')" 0
has "an inherited JOURNAL_STREAM: the line goes to the log file" "$(cat "$L"/inherited-*.log 2>/dev/null)" "reason=access"
# A missing log folder is created.
out=$(printf 'GET / HTTP/1.1\r\nHost: x\r\n\r\n' | "$BIN" --token "$TOKEN" --log_file "$L/new/folder/ds-%DATE%.log" | head -1)
has "a missing log folder is created" "$(cat "$L"/new/folder/ds-*.log 2>/dev/null)" "reason=access"
# An unwritable log folder never fails the request.
out=$(printf 'GET / HTTP/1.1\r\nHost: x\r\n\r\n' | "$BIN" --token "$TOKEN" --log_file /proc/no-such-folder/x-%DATE%.log | head -1)
has "an unwritable log folder: the request is still answered" "$out" "HTTP/1.1 401"
