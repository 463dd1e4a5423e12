#!/usr/bin/env bash
# The cost of one PUT placement decision (docs/BENCHMARKS.md "Cluster"): reading the live
# entries (through the local cache or from the store) and ordering them by load, timed
# inside fresh `docker-server nodes` processes at debug level (`cluster_entries us=…`), with a
# cold cache (expired: the store is read and the cache written) and a warm one, on a shared
# folder and on S3 (a local moto server behind a signature check: scripts/s3-server.sh), with
# 3 and 30 live entries. Writes a Markdown section to OUT.
# Usage: scripts/bench-placement.sh OUT BINARY
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=$1 BIN=$(realpath "$2")
STATE=$(mktemp -d /tmp/ds-bench-placement.XXXXXX)
trap 'scripts/s3-server.sh stop "$STATE/s3" >/dev/null 2>&1; rm -rf "$STATE"' EXIT
RUNS=${BENCH_PLACEMENT_RUNS:-60}
TOKEN=bench-placement-token-0123456789
scripts/s3-server.sh start "$STATE/s3" >/dev/null
set -a; . "$STATE/s3/env"; set +a

# measure LABEL ARGS...: median and p90 of the in-process µs and of the process's wall ms.
measure() {
  python3 - "$BIN" "$STATE" "$RUNS" "$@" <<'PY'
import glob, os, re, statistics, subprocess, sys, time
binary, state, runs, label, args = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5:]
inside, wall = [], []
for i in range(runs + 3):
    log = "%s/log-%s-%d.log" % (state, label, i)
    start = time.perf_counter()
    out = subprocess.run([binary, "nodes"] + args + ["--log_level", "debug", "--log_file", log], capture_output=True, text=True)
    took = (time.perf_counter() - start) * 1000
    assert out.returncode == 0, out.stderr
    text = open(log).read()
    us = int(re.findall(r"reason=cluster_entries live=\d+ from=\w+ us=(\d+)", text)[-1])
    if i >= 3:  # the first runs warm the page cache and the store
        inside.append(us / 1000); wall.append(took)
    os.unlink(log)
inside.sort(); wall.sort()
p90 = lambda v: v[int(len(v) * 0.9)]
print("%.2f %.2f %.1f %.1f" % (statistics.median(inside), p90(inside), statistics.median(wall), p90(wall)))
PY
}

ROWS=""
for n in 3 30; do
  FOLDER=$STATE/folder-$n PREFIX=/bench-$n
  for i in $(seq "$n"); do
    advertise=http://10.0.$((i / 250)).$((i % 250 + 1)):1717
    "$BIN" heartbeat --cluster --folder "$FOLDER" --token "$TOKEN" --advertise "$advertise" --load "0.$i" --log_file "$STATE/hb-%DATE%.log"
    "$BIN" heartbeat --cluster --s3 "$S3_BUCKET" --folder "$PREFIX" --token "$TOKEN" --advertise "$advertise" --load "0.$i" --log_file "$STATE/hb-%DATE%.log"
  done
  for store in folder s3; do
    if [ "$store" = folder ]; then where=(--folder "$FOLDER"); else where=(--s3 "$S3_BUCKET" --folder "$PREFIX"); fi
    common=(--cluster "${where[@]}" --token "$TOKEN" --refresh_rate 3600000)
    # Cold: the cache has always expired (1 ms), so the store is read and the cache written.
    read -r c50 c90 cw50 cw90 < <(measure "$store-$n-cold" "${common[@]}" --cache_interval 1)
    # Warm: the cache written by the first run is reused.
    read -r w50 w90 ww50 ww90 < <(measure "$store-$n-warm" "${common[@]}" --cache_interval 3600000)
    name=$([ "$store" = folder ] && echo "shared folder" || echo "S3 (moto, local)")
    ROWS+="| $name, $n live entries | $c50 ms (p90 $c90) | $w50 ms (p90 $w90) | $cw50 ms / $ww50 ms |"$'\n'
  done
done

cat >"$OUT" <<MD

### One PUT placement decision

Reading the live entries and ordering them by load, which is what a \`PUT\` decides before it
runs here or forwards; timed inside fresh processes (\`docker-server nodes\`, debug line
\`cluster_entries\`), median of $RUNS. Cold: the local cache has expired, so the store is
listed and read (entries verified) and the cache written. Warm: the cache is fresh
(\`--cache_interval\`). The last column is the whole \`nodes\` process, start to exit (it
loads libcrypto for the signatures). The S3 store here is moto on loopback behind a Python
signature check; on AWS each cold read adds about two network round trips (one list, then the
entries read 16 at a time).

| store | cold cache | warm cache | process, cold / warm |
|---|---|---|---|
$ROWS
MD
