#!/usr/bin/env bash
# Makes throw-away TLS files for tests and benchmarks in DIR, with the openssl command: a CA
# (ca.pem), an intermediate signed by it (chain.pem), and a server certificate for
# 127.0.0.1/localhost (or the subjectAltName SAN) signed by the intermediate (cert.pem,
# privkey.pem). Valid for 2 days.
# Usage: scripts/make-test-certs.sh DIR [SAN, e.g. DNS:localhost,IP:127.0.0.3]
set -euo pipefail
SAN=${2:-DNS:localhost,IP:127.0.0.1}
mkdir -p "$1"
cd "$1"
key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; }
key ca.key
openssl req -x509 -key ca.key -out ca.pem -days 2 -subj "/CN=docker-server test CA" 2>/dev/null
key inter.key
openssl req -new -key inter.key -out inter.csr -subj "/CN=docker-server test intermediate" 2>/dev/null
printf 'basicConstraints=critical,CA:true\nkeyUsage=critical,keyCertSign,cRLSign\n' >inter.ext
openssl x509 -req -in inter.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out chain.pem -days 2 -extfile inter.ext 2>/dev/null
key privkey.pem
openssl req -new -key privkey.pem -out server.csr -subj "/CN=localhost" 2>/dev/null
printf 'subjectAltName=%s\nextendedKeyUsage=serverAuth\n' "$SAN" >server.ext
openssl x509 -req -in server.csr -CA chain.pem -CAkey inter.key -CAcreateserial -out cert.pem -days 2 -extfile server.ext 2>/dev/null
