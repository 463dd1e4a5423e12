# HTTPS (docs/API.md "HTTPS"), sourced by Tests/e2e/run.sh: a throw-away CA, an intermediate (chain.pem)
# and a server certificate made with the openssl command; every endpoint through curl
# --cacert over systemd-socket-activate and over --listen; old TLS, plain HTTP and a missing
# key refused without a clear-text answer.
echo "# https"
command -v openssl >/dev/null || fatal "openssl is not installed (run scripts/test-env.sh first)"
TLS="$STATE/tls"
scripts/make-test-certs.sh "$TLS" || fatal "could not make the test certificates"
TLS_ARGS=(--https --cert "$TLS/cert.pem" --key "$TLS/privkey.pem" --chain "$TLS/chain.pem")
P_TLS1=$(free_port); P_TLS2=$(free_port)
systemd-socket-activate -l "127.0.0.1:$P_TLS1" -a --inetd -E DS_TOKEN="$TOKEN" -E DS_LOG_FILE="$LOG" -E DS_FOLDER -E DS_READ_TIMEOUT=2 \
  -E DS_LOW_BURST -E DS_MID_BURST -E DS_HIGH_BURST -E DS_AUTH_BURST "$BIN" "${TLS_ARGS[@]}" >/dev/null 2>&1 &
CLEANUP_PIDS+=($!)
"$BIN" --listen "127.0.0.1:$P_TLS2" --token "$TOKEN" --log_file "$LOG" "${TLS_ARGS[@]}" &
CLEANUP_PIDS+=($!)
wait_port "$P_TLS1" || bad "https: systemd-socket-activate did not listen on $P_TLS1"
wait_port "$P_TLS2" || bad "https: --listen did not bind $P_TLS2"
# A slow client that keeps reading is not stalled over TLS either (defects.sh made the log).
P_TLS3=$(free_port)
"$BIN" --listen "127.0.0.1:$P_TLS3" --token "$TOKEN" --write_timeout 5 --log_file "$STATE/slow-tls-%DATE%.log" "${TLS_ARGS[@]}" &
CLEANUP_PIDS+=($!)
wait_port "$P_TLS3" || bad "https: --listen did not bind $P_TLS3"
eq "https: a slow client that keeps reading (30 KB/s, --write_timeout 5): still served after 15 s" \
  "$(slow_reader "$P_TLS3" "/$P-hugelog?format=text" 15 tls)" "still reading"
hasnt "https: a slow client that keeps reading: not logged as stalled" "$(cat "$STATE"/slow-tls-*.log)" "client_stalled"
URL_SAVE=$URL
CURL_TLS=(--cacert "$TLS/ca.pem")
for mode in socket-activation:$P_TLS1 listen:$P_TLS2; do
  name=${mode%%:*}; URL="https://127.0.0.1:${mode#*:}"; c="$P-tls-$name"
  api GET /
  eq "https $name: GET / (the chain verifies up to the CA alone)" "$STATUS" 200
  api_raw GET /
  eq "https $name: no token 401" "$STATUS" 401
  api HEAD "/$REGISTRY/$IMAGE"
  eq "https $name: pull from the local registry" "$STATUS" 200
  api PUT / -d image=$IMAGE -d remove=true --data-urlencode "data=sh -c 'echo over-tls; exit 4'"
  eq "https $name: attached run" "$(json 'j["stdout"].strip()+str(j["exitCode"])')" over-tls4
  api PUT / -d image=$IMAGE -d name=$c -d detach=true --data-urlencode "data=sh -c 'while true; do echo tick; sleep 0.2; done'"
  eq "https $name: detached run" "$STATUS" 201
  api POST "/$c" --data-urlencode "data=sh -c 'exit 6'"
  eq "https $name: exec exit code" "$(json 'j["exitCode"]')" 6
  api GET "/$c?tail=1"
  eq "https $name: logs" "$(json 'j["stdout"].strip()')" tick
  out=$(timeout 3 curl -sS -N "${CURL_TLS[@]}" -H "Authorization: Bearer $TOKEN" "$URL/$c?format=text&follow=true" 2>/dev/null | head -3 | wc -l)
  eq "https $name: followed logs stream over TLS" "$out" 3
  api DELETE "/$c"
  eq "https $name: rm" "$(json 'j["removed"]')" True
done
CURL_TLS=()
URL=$URL_SAVE
curl -sS -o /dev/null --max-time 5 --cacert "$TLS/ca.pem" --tlsv1.1 --tls-max 1.1 -H "Authorization: Bearer $TOKEN" "https://127.0.0.1:$P_TLS1/" 2>/dev/null
code=$?
check "TLS 1.1 is refused (curl exit $code)" test "$code" -ne 0
start=$(date +%s%N)
reply=$(printf 'GET / HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n\r\n' "$TOKEN" | raw "$P_TLS1" 2>/dev/null | head -c 200)
ms=$(( ($(date +%s%N) - start) / 1000000 ))
eq "plain HTTP to the TLS port: no HTTP answer" "$(printf '%s' "$reply" | grep -c 'HTTP/1.1')" 0
check "plain HTTP to the TLS port: dropped at once (${ms} ms)" test "$ms" -lt 3000
# A client that stops in the middle of its handshake is dropped after --read_timeout (2 s).
printf '\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03' | raw "$P_TLS1" 6 >/dev/null 2>"$STATE/tls-stall.time"
seconds=$(tail -1 "$STATE/tls-stall.time")
check "half a ClientHello, then silence: dropped within the read timeout (${seconds} s)" python3 -c "import sys; sys.exit(not 1.5 < float('$seconds') < 5)"
certs=$(openssl s_client -connect "127.0.0.1:$P_TLS2" -showcerts </dev/null 2>/dev/null | grep -c 'BEGIN CERTIFICATE')
eq "the full chain is sent (server and intermediate)" "$certs" 2

# A missing key: the connection is closed, the error logged, nothing in clear text.
P_TLS3=$(free_port)
TLS_LOG="$STATE/tls-missing-%DATE%.log"
systemd-socket-activate -l "127.0.0.1:$P_TLS3" -a --inetd -E DS_TOKEN="$TOKEN" -E DS_LOG_FILE="$TLS_LOG" "$BIN" \
  --https --cert "$TLS/cert.pem" --key "$TLS/missing.pem" >/dev/null 2>&1 &
CLEANUP_PIDS+=($!)
wait_port "$P_TLS3" || bad "https: systemd-socket-activate did not listen on $P_TLS3"
reply=$(printf 'GET / HTTP/1.1\r\nHost: x\r\n\r\n' | raw "$P_TLS3" 2>/dev/null | head -c 200)
eq "missing key: nothing at all is answered" "$reply" ""
curl -sS -o /dev/null --max-time 5 --cacert "$TLS/ca.pem" "https://127.0.0.1:$P_TLS3/" 2>/dev/null
check "missing key: the TLS client fails" test "$?" -ne 0
has "missing key: the log says why" "$(cat "$STATE"/tls-missing-*.log 2>/dev/null)" "reason=tls_setup_failed"
has "missing key: the log names the file" "$(cat "$STATE"/tls-missing-*.log 2>/dev/null)" "missing.pem"
"$BIN" --listen "127.0.0.1:$(free_port)" --token "$TOKEN" --https --cert "$TLS/cert.pem" --key "$TLS/missing.pem" 2>"$STATE/tls-listen.err"
eq "--listen --https with a missing key: exit 100" "$?" 100
has "--listen --https with a missing key: says why" "$(cat "$STATE/tls-listen.err")" "missing.pem"

# The plain path never maps OpenSSL: a process waiting for its request, looked at.
mkfifo "$STATE/stall"
"$BIN" --token "$TOKEN" --log_file "$LOG" <"$STATE/stall" >/dev/null &
stalled=$!
exec 7>"$STATE/stall"
sleep 0.5
maps=$(cat "/proc/$stalled/maps" 2>/dev/null)
exec 7>&-
wait "$stalled" 2>/dev/null
has "a plain process was looked at" "$maps" "docker-server"
hasnt "a plain-HTTP process does not load OpenSSL" "$maps" "libssl"
"$BIN" --listen "127.0.0.1:$(free_port)" --token "$TOKEN" --https --cert "$TLS/cert.pem" --key "$TLS/privkey.pem" --chain "$TLS/no-chain.pem" 2>"$STATE/tls-listen.err"
has "a chain named with --chain must exist" "$(cat "$STATE/tls-listen.err")" "no-chain.pem"

# A passphrase-protected key never prompts (the prompt would reach the client): closed at once.
openssl pkey -in "$TLS/privkey.pem" -aes256 -passout pass:secret -out "$TLS/encrypted.key" 2>/dev/null
P_TLS4=$(free_port)
systemd-socket-activate -l "127.0.0.1:$P_TLS4" -a --inetd -E DS_TOKEN="$TOKEN" -E DS_LOG_FILE="$TLS_LOG" "$BIN" \
  --https --cert "$TLS/cert.pem" --key "$TLS/encrypted.key" >/dev/null 2>&1 &
CLEANUP_PIDS+=($!)
wait_port "$P_TLS4" || bad "https: systemd-socket-activate did not listen on $P_TLS4"
reply=$(printf 'GET / HTTP/1.1\r\nHost: x\r\n\r\n' | raw "$P_TLS4" 5 2>"$STATE/tls-enc.time" | head -c 200)
eq "encrypted key: nothing at all is answered (no passphrase prompt)" "$reply" ""
check "encrypted key: closed at once ($(tail -1 "$STATE/tls-enc.time") s)" python3 -c "import sys; sys.exit(not float('$(tail -1 "$STATE/tls-enc.time")') < 2)"
has "encrypted key: the log says why" "$(cat "$STATE"/tls-missing-*.log 2>/dev/null)" "encrypted with a passphrase"
