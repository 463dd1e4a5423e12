#!/usr/bin/env bash
# Local S3 API for tests that checks AWS Signature V4 like real S3: a request
# with a wrong signature gets 403 SignatureDoesNotMatch, an unknown access key
# 403 InvalidAccessKeyId.
#
# Usage:
#   scripts/s3-server.sh start STATE_DIR   install moto[server] from PyPI if python3
#                                          lacks it, start the servers, create bucket
#                                          ds-test, write STATE_DIR/env, self-check;
#                                          non-zero exit on any failure
#   scripts/s3-server.sh stop STATE_DIR    stop them (idempotent)
#
# STATE_DIR/env holds AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_REGION,
# AWS_ENDPOINT_URL, S3_BUCKET, S3_PORT; use it with: set -a; . STATE_DIR/env; set +a
# Logs: STATE_DIR/moto.log, STATE_DIR/proxy.log (one line per request, and the
# canonical request of every signature mismatch). PYTHON overrides python3.
#
# How: moto's S3 server (python3 -m moto.server) stores the objects, on a free
# 127.0.0.1 port, without authentication. In front of it, on another free port
# (AWS_ENDPOINT_URL), runs a small proxy (STATE_DIR/sigv4-proxy.py, written from
# this script) that recomputes each request's SigV4 signature from what arrived
# on the wire (raw path and query, the signed headers, X-Amz-Date, the
# X-Amz-Content-SHA256 payload hash, which it also checks against the body)
# with the one generated key pair, and forwards only requests that match.
# moto's own IAM signature check (INITIAL_NO_AUTH_ACTION_COUNT) is not used: it
# recomputes from werkzeug's re-quoted URL, so a correctly signed request whose
# query has %2F (ListObjectsV2 with prefix=a%2F) or whose key has + or = gets a
# false SignatureDoesNotMatch (moto 5.2.1).
# Not checked by the proxy: presigned URLs (rejected), aws-chunked chunk
# signatures (STREAMING-* payloads are forwarded unverified).
set -euo pipefail

PY=${PYTHON:-python3}
BUCKET=ds-test
REGION=us-east-1

die() { echo "s3-server: $*" >&2; exit 1; }
if [ $# -ne 2 ] || { [ "$1" != start ] && [ "$1" != stop ]; }; then die "usage: $0 start|stop STATE_DIR"; fi
cmd=$1 state=$2

# True if pid $1 is alive (not a zombie) and its command line contains $2.
alive() {
    [ -r "/proc/$1/stat" ] && [ "$(cut -d' ' -f3 "/proc/$1/stat")" != Z ] &&
        tr '\0' ' ' <"/proc/$1/cmdline" | grep -qF -- "$2"
}

stop_one() {  # stop_one NAME CMDLINE-PATTERN
    local f=$state/$1.pid pid _
    [ -f "$f" ] || return 0
    pid=$(cat "$f")
    if alive "$pid" "$2"; then
        kill "$pid" 2>/dev/null || true
        for _ in $(seq 100); do alive "$pid" "$2" || break; sleep 0.1; done
        if alive "$pid" "$2"; then
            kill -9 "$pid" 2>/dev/null || true
            for _ in $(seq 50); do alive "$pid" "$2" || break; sleep 0.1; done
            ! alive "$pid" "$2" || die "could not stop $1 (pid $pid)"
        fi
    fi
    rm -f "$f"
}

stop() {
    stop_one proxy sigv4-proxy.py
    stop_one moto moto.server
    rm -f "$state/env"
}

fail() { stop; die "$@"; }

have_deps() { "$PY" -c 'import moto.server, flask, flask_cors, botocore' >/dev/null 2>&1; }

ensure_deps() {
    have_deps && return 0
    echo "s3-server: installing moto[server] from PyPI (log: $state/pip.log)" >&2
    if ! "$PY" -m pip install --quiet 'moto[server]' >"$state/pip.log" 2>&1 &&
        grep -q externally-managed-environment "$state/pip.log"; then
        "$PY" -m pip install --quiet --break-system-packages 'moto[server]' >>"$state/pip.log" 2>&1 || true
    fi
    have_deps || die "moto[server] and botocore are not importable by $PY and installing them failed
(no pip? try: apt-get install python3-pip); last lines of $state/pip.log:
$(tail -n 5 "$state/pip.log")"
}

free_port() { "$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# wait_http NAME PORT: wait (30 s at most) until the server answers HTTP.
wait_http() {
    "$PY" - "$2" "$(cat "$state/$1.pid")" <<'EOF' || fail "$1 did not come up on port $2; last lines of $state/$1.log:
$(tail -n 20 "$state/$1.log")"
import os, sys, time, urllib.request, urllib.error
port, pid = sys.argv[1], int(sys.argv[2])
deadline = time.time() + 30
while time.time() < deadline:
    try:
        urllib.request.urlopen(f"http://127.0.0.1:{port}/moto-api/", timeout=2).close()
        sys.exit(0)
    except urllib.error.HTTPError:
        sys.exit(0)  # any HTTP answer means it is up
    except OSError:
        try:
            os.kill(pid, 0)
        except OSError:
            sys.exit(1)  # it died
        time.sleep(0.1)
sys.exit(1)
EOF
}

write_proxy() {
    cat >"$state/sigv4-proxy.py" <<'EOF'
# SigV4-verifying reverse proxy (written by scripts/s3-server.sh).
# Usage: sigv4-proxy.py LISTEN_PORT BACKEND_PORT, with PROXY_ACCESS_KEY,
# PROXY_SECRET_KEY, PROXY_REGION in the environment.
import calendar, hashlib, hmac, http.client, os, re, socket, sys, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import quote, unquote
from xml.sax.saxutils import escape

LISTEN, BACKEND = int(sys.argv[1]), int(sys.argv[2])
KEY, SECRET, REGION = (os.environ[v] for v in ("PROXY_ACCESS_KEY", "PROXY_SECRET_KEY", "PROXY_REGION"))
AUTH = re.compile(r"AWS4-HMAC-SHA256 Credential=([^/]+)/(\d{8})/([^/]+)/([^/]+)/aws4_request,"
                  r" ?SignedHeaders=([a-z0-9;-]+), ?Signature=([0-9a-f]{64})")
NOT_FORWARDED = {"connection", "keep-alive", "proxy-connection", "transfer-encoding", "te",
                 "trailer", "upgrade", "expect", "content-length"}


def hmac256(key, msg):
    return hmac.new(key, msg.encode(), hashlib.sha256).digest()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def setup(self):
        super().setup()
        # Head and body leave in separate writes: without this, Nagle's algorithm holds the
        # body back until the client's delayed ACK (40 ms a request).
        self.request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def do(self):
        body = self.read_body()
        problem = self.verify(body)
        if problem:
            return self.reply(*problem)
        try:
            conn = http.client.HTTPConnection("127.0.0.1", BACKEND, timeout=120)
            conn.putrequest(self.command, self.path, skip_host=True, skip_accept_encoding=True)
            for name, value in self.headers.items():
                if name.lower() not in NOT_FORWARDED:
                    conn.putheader(name, value)
            conn.putheader("Content-Length", str(len(body)))
            conn.endheaders(body)
            resp = conn.getresponse()
            data = resp.read()
            conn.close()
        except OSError as e:
            return self.reply(502, "InternalError", f"backend: {e}")
        headers = [(k, v) for k, v in resp.getheaders() if k.lower() not in NOT_FORWARDED]
        length = resp.getheader("Content-Length", "0") if self.command == "HEAD" else str(len(data))
        self.send(resp.status, headers + [("Content-Length", length)], data)

    do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = do

    def read_body(self):
        if "chunked" not in self.headers.get("Transfer-Encoding", "").lower():
            return self.rfile.read(int(self.headers.get("Content-Length") or 0))
        data = b""
        while size := int(self.rfile.readline().split(b";")[0], 16):
            data += self.rfile.read(size)
            self.rfile.readline()
        while self.rfile.readline().strip():  # trailers
            pass
        return data

    def verify(self, body):
        """None if the request is correctly signed, else (status, code, message[, extra])."""
        auth = self.headers.get("Authorization")
        if auth is None:
            return 403, "AccessDenied", "Anonymous and presigned requests are not accepted here"
        m = AUTH.fullmatch(auth.strip())
        if not m:
            return 400, "AuthorizationHeaderMalformed", f"Cannot parse Authorization: {auth}"
        key, date, region, service, signed, signature = m.groups()
        if key != KEY:
            return 403, "InvalidAccessKeyId", "The AWS Access Key Id you provided does not exist in our records."
        amz_date = self.headers.get("X-Amz-Date", "")
        if region != REGION or service != "s3" or not amz_date.startswith(date):
            return 400, "AuthorizationHeaderMalformed", (
                f"Credential scope {date}/{region}/{service} must be DATE/{REGION}/s3 with DATE"
                f" the date of X-Amz-Date ({amz_date or 'missing'})")
        try:
            skew = abs(time.time() - calendar.timegm(time.strptime(amz_date, "%Y%m%dT%H%M%SZ")))
        except ValueError:
            return 403, "AccessDenied", f"Bad X-Amz-Date {amz_date}"
        if skew > 900:
            return 403, "RequestTimeTooSkewed", "The difference between the request time and the current time is too large."
        payload = self.headers.get("X-Amz-Content-SHA256")
        if payload is None:
            return 400, "InvalidRequest", "Missing required header for this request: x-amz-content-sha256"
        if re.fullmatch("[0-9a-f]{64}", payload) and hashlib.sha256(body).hexdigest() != payload:
            return 400, "XAmzContentSHA256Mismatch", "The provided 'x-amz-content-sha256' header does not match what was computed."
        names = signed.split(";")
        if "host" not in names:
            return 403, "AccessDenied", "The host header must be signed"
        # Canonical request as S3 builds it: the decoded path and query re-encoded
        # (RFC 3986 unreserved characters kept, "/" kept in the path only).
        path, _, query = self.path.partition("?")
        pairs = sorted((quote(unquote(k), safe=""), quote(unquote(v), safe=""))
                       for k, _, v in (p.partition("=") for p in query.split("&") if p))
        headers = "".join(f"{n}:{','.join(' '.join(v.split()) for v in self.headers.get_all(n, []))}\n"
                          for n in names)
        canonical = "\n".join([self.command, quote(unquote(path), safe="/"),
                               "&".join(f"{k}={v}" for k, v in pairs), headers, signed, payload])
        scope = f"{date}/{region}/{service}/aws4_request"
        to_sign = f"AWS4-HMAC-SHA256\n{amz_date}\n{scope}\n{hashlib.sha256(canonical.encode()).hexdigest()}"
        k = f"AWS4{SECRET}".encode()
        for part in (date, region, service, "aws4_request"):
            k = hmac256(k, part)
        if not hmac.compare_digest(hmac.new(k, to_sign.encode(), hashlib.sha256).hexdigest(), signature):
            sys.stderr.write(f"SignatureDoesNotMatch; canonical request:\n{canonical}\n")
            return 403, "SignatureDoesNotMatch", (
                "The request signature we calculated does not match the signature you provided."
                " Check your key and signing method."), (
                f"<StringToSign>{escape(to_sign)}</StringToSign>"
                f"<CanonicalRequest>{escape(canonical)}</CanonicalRequest>")
        return None

    def reply(self, status, code, message, extra=""):
        data = (f'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>{code}</Code>'
                f"<Message>{escape(message)}</Message>{extra}<RequestId>sigv4-proxy</RequestId></Error>").encode()
        self.send(status, [("Content-Type", "application/xml"), ("Content-Length", str(len(data)))], data)

    def send(self, status, headers, data):
        self.send_response_only(status)
        for name, value in headers:
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)
        self.log_request(status, len(data))


ThreadingHTTPServer.daemon_threads = True
# socketserver's default listen backlog (5) drops the SYNs of a burst of parallel requests
# (a cold read of many entries), which then wait a second for their retransmission.
ThreadingHTTPServer.request_queue_size = 128
ThreadingHTTPServer(("127.0.0.1", LISTEN), Handler).serve_forever()
EOF
}

start() {
    mkdir -p "$state"
    stop  # servers left from an earlier start in this STATE_DIR
    ensure_deps

    local moto_port port access_key secret_key
    moto_port=$(free_port)
    nohup "$PY" -m moto.server -H 127.0.0.1 -p "$moto_port" </dev/null >"$state/moto.log" 2>&1 &
    echo $! >"$state/moto.pid"

    read -r access_key secret_key < <("$PY" -c 'import secrets, string
a = string.ascii_uppercase + string.digits
print("AKIA" + "".join(secrets.choice(a) for _ in range(16)), secrets.token_urlsafe(30)[:40])')
    write_proxy
    port=$(free_port)
    PROXY_ACCESS_KEY=$access_key PROXY_SECRET_KEY=$secret_key PROXY_REGION=$REGION \
        nohup "$PY" "$state/sigv4-proxy.py" "$port" "$moto_port" </dev/null >"$state/proxy.log" 2>&1 &
    echo $! >"$state/proxy.pid"

    wait_http moto "$moto_port"
    wait_http proxy "$port"

    # The bucket, made directly on moto (which does not check signatures).
    "$PY" - "$moto_port" "$BUCKET" <<'EOF' || fail "could not create bucket $BUCKET (log: $state/moto.log)"
import sys, urllib.request
port, bucket = sys.argv[1:]
urllib.request.urlopen(urllib.request.Request(f"http://127.0.0.1:{port}/{bucket}", method="PUT", headers={
    "Authorization": "AWS4-HMAC-SHA256 Credential=setup/20000101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=0"}),
    timeout=10).close()
EOF

    cat >"$state/env" <<EOF
AWS_ACCESS_KEY_ID=$access_key
AWS_SECRET_ACCESS_KEY=$secret_key
AWS_REGION=$REGION
AWS_ENDPOINT_URL=http://127.0.0.1:$port
S3_BUCKET=$BUCKET
S3_PORT=$port
EOF

    # Self-check through the proxy with raw HTTP requests signed by botocore.
    # shellcheck source=/dev/null
    (set -a; . "$state/env"; set +a; "$PY" - <<'EOF') || fail "self-check failed (logs: $state/proxy.log, $state/moto.log)"
import os, sys, urllib.request, urllib.error
from botocore.auth import S3SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
ep, bucket, region = os.environ["AWS_ENDPOINT_URL"], os.environ["S3_BUCKET"], os.environ["AWS_REGION"]
good = (os.environ["AWS_ACCESS_KEY_ID"], os.environ["AWS_SECRET_ACCESS_KEY"])
def call(method, target, creds=good, body=b""):
    req = AWSRequest(method=method, url=ep + target, data=body)
    S3SigV4Auth(Credentials(*creds), "s3", region).add_auth(req)
    p = req.prepare()
    # explicit Content-Type: with urllib's default form type moto would store an empty body
    r = urllib.request.Request(p.url, data=body or None, method=method,
                               headers={"Content-Type": "application/octet-stream", **p.headers})
    try:
        with urllib.request.urlopen(r, timeout=10) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()
failed = False
def check(name, got, status, needle):
    global failed
    ok = got[0] == status and needle in got[1]
    failed |= not ok
    print(f"s3-server: self-check {'ok  ' if ok else 'FAIL'} {name}: {got[0]}"
          + ("" if ok else f" (want {status} with {needle!r}) {got[1][:300]!r}"), file=sys.stderr)
lst = f"/{bucket}?list-type=2"
obj = f"/{bucket}/self-check/a%20b%2Bc%3D.json"  # key "self-check/a b+c=.json"
check("signed ListObjectsV2", call("GET", lst), 200, b"<ListBucketResult")
check("wrong secret", call("GET", lst, (good[0], good[1][::-1])), 403, b"<Code>SignatureDoesNotMatch</Code>")
check("unknown access key", call("GET", lst, ("AKIAUNKNOWNUNKNOWN00", good[1])), 403, b"<Code>InvalidAccessKeyId</Code>")
check("PUT object", call("PUT", obj, body=b'{"probe":1}'), 200, b"")
check("GET object", call("GET", obj), 200, b'{"probe":1}')
check("ListObjectsV2 prefix=self-check/", call("GET", lst + "&prefix=self-check%2F"), 200,
      b"<Key>self-check/a b+c=.json</Key>")
check("DELETE object", call("DELETE", obj), 204, b"")
check("GET deleted object", call("GET", obj), 404, b"<Code>NoSuchKey</Code>")
sys.exit(1 if failed else 0)
EOF
    echo "s3-server: S3 API on http://127.0.0.1:$port, bucket $BUCKET; env in $state/env" >&2
}

"$cmd"
