#!/usr/bin/env bash
# Coverage-guided fuzzing of the pure parsers (docs/FUZZING.md).
#
#   scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET…]     (default: 60 s, every target)
#
# Builds Sources/DockerServerCore once with libFuzzer and AddressSanitizer instrumentation
# (`swiftc -sanitize=fuzzer,address`) and one small executable per target in Fuzz/Targets/,
# all into .build-fuzz/ (outside the SwiftPM build that ships), then runs each target for
# SECONDS_PER_TARGET on a temporary copy of its seed corpus Fuzz/corpus/<target>/ (the
# committed corpus never grows), FUZZ_JOBS (2) at a time. Leak detection is on; one input
# may take at most FUZZ_TIMEOUT (10) seconds and FUZZ_RSS_MB (2048) MiB.
#
# Exit status: 0 when every target ran its time without a finding; 1 when any target
# crashed, broke an invariant, leaked, timed out or ran out of memory (the target, the
# report and each failing input, in base64, are printed, and the inputs saved under
# .build-fuzz/findings/<target>/); 2 when something it needs is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

fail_setup() { echo "fuzz.sh: $*" >&2; exit 2; }

SECONDS_PER_TARGET=60
if [[ $# -gt 0 && $1 =~ ^[0-9]+$ ]]; then SECONDS_PER_TARGET=$1; shift; fi
[[ $SECONDS_PER_TARGET -ge 1 ]] || fail_setup "SECONDS_PER_TARGET must be at least 1"
JOBS=${FUZZ_JOBS:-2}
PER_INPUT_TIMEOUT=${FUZZ_TIMEOUT:-10}
RSS_MB=${FUZZ_RSS_MB:-2048}
[[ $JOBS =~ ^[1-9][0-9]*$ ]] || fail_setup "FUZZ_JOBS must be a positive number, got \"$JOBS\""

# What the script needs, checked before any work.
for tool in swiftc base64 sha256sum find sort timeout mktemp; do
    command -v "$tool" >/dev/null 2>&1 || fail_setup "\"$tool\" is missing: install it (swiftc comes with the Swift 6 toolchain for Linux, the others with coreutils/findutils)"
done
[[ -d Fuzz/Targets && -d Fuzz/Support && -d Fuzz/corpus ]] || fail_setup "Fuzz/Targets, Fuzz/Support or Fuzz/corpus is missing (run from a checkout of the repository)"

ALL_TARGETS=$(cd Fuzz/Targets && ls *.swift | sed 's/\.swift$//' | sort)
if [[ $# -gt 0 ]]; then
    TARGETS=("$@")
    for t in "${TARGETS[@]}"; do
        [[ -f Fuzz/Targets/$t.swift ]] || fail_setup "no target \"$t\" (Fuzz/Targets/$t.swift); targets: $(echo $ALL_TARGETS)"
    done
else
    read -r -a TARGETS <<<"$(echo $ALL_TARGETS)"
fi

# A crash must reach libFuzzer: Swift's own backtracer would otherwise wait on the
# crashed process for ever instead of letting libFuzzer write the report.
export SWIFT_BACKTRACE=enable=no
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:symbolize=1:handle_abort=1}

OUT=.build-fuzz
mkdir -p "$OUT/obj" "$OUT/bin" "$OUT/run" "$OUT/findings"
FLAGS=(-sanitize=fuzzer,address -parse-as-library -O -g)
START=$(date +%s)

# Does this swiftc link libFuzzer and ASan at all? A one-line probe says so clearly.
if [[ ! -f $OUT/probe.ok ]]; then
    probe=$(mktemp -d /tmp/ds-fuzz-probe.XXXXXX)
    cat >"$probe/p.swift" <<'EOF'
@_cdecl("LLVMFuzzerTestOneInput") public func test(_ data: UnsafeRawPointer, _ size: Int) -> CInt { 0 }
EOF
    if ! swiftc "${FLAGS[@]}" "$probe/p.swift" -o "$probe/p" >"$probe/log" 2>&1; then
        grep -v 'Cannot export local symbol' "$probe/log" | tail -20 >&2
        rm -rf "$probe"
        fail_setup "swiftc cannot build with -sanitize=fuzzer,address: the Swift toolchain for Linux (swift.org) ships libFuzzer and ASan; this one does not"
    fi
    rm -rf "$probe"
    touch "$OUT/probe.ok"
fi

# The core, once: module and object files, instrumented. Rebuilt when a source or the flags change.
CORE_SOURCES=$(find Sources/DockerServerCore -name '*.swift' | LC_ALL=C sort)
core_stamp=$( (echo "${FLAGS[*]}"; swiftc --version 2>&1; cat $CORE_SOURCES) | sha256sum | cut -c1-16)
if [[ ! -f $OUT/obj/stamp || $(cat "$OUT/obj/stamp") != "$core_stamp" ]]; then
    echo "== fuzz: building DockerServerCore with -sanitize=fuzzer,address (about a minute)"
    rm -rf "$OUT/obj" && mkdir -p "$OUT/obj"
    sources=()
    for f in $CORE_SOURCES; do sources+=("$ROOT/$f"); done
    if ! (cd "$OUT/obj" && swiftc "${FLAGS[@]}" -module-name DockerServerCore -enable-testing -wmo -num-threads "$JOBS" \
            -emit-module -emit-module-path DockerServerCore.swiftmodule -c "${sources[@]}" >build.log 2>&1); then
        grep -v 'Cannot export local symbol' "$OUT/obj/build.log" | tail -40 >&2
        echo "fuzz.sh: building DockerServerCore for fuzzing failed (log: $OUT/obj/build.log)" >&2
        exit 1
    fi
    echo "$core_stamp" >"$OUT/obj/stamp"
fi

# One executable per target: its file, the support files, the core's objects.
build_target() {
    local t=$1
    local stamp
    stamp=$( (echo "$core_stamp"; cat Fuzz/Support/*.swift "Fuzz/Targets/$t.swift") | sha256sum | cut -c1-16)
    [[ -x $OUT/bin/$t && -f $OUT/bin/$t.stamp && $(cat "$OUT/bin/$t.stamp") == "$stamp" ]] && return 0
    if ! swiftc "${FLAGS[@]}" -module-name "fuzz_$t" -I "$OUT/obj" Fuzz/Support/*.swift "Fuzz/Targets/$t.swift" \
            "$OUT"/obj/*.o -o "$OUT/bin/$t" >"$OUT/bin/$t.log" 2>&1; then
        grep -v 'Cannot export local symbol' "$OUT/bin/$t.log" | tail -40 >&2
        echo "fuzz.sh: building target $t failed (log: $OUT/bin/$t.log)" >&2
        return 1
    fi
    echo "$stamp" >"$OUT/bin/$t.stamp"
}
echo "== fuzz: building ${#TARGETS[@]} target(s)"
for t in "${TARGETS[@]}"; do build_target "$t" || exit 1; done
BUILT=$(date +%s)

# Longest input per target: the head parser needs room to reach its 16 KiB limit.
max_len() {
    case $1 in
        request_head) echo 20000 ;;
        s3_xml | json_body | form_body) echo 8192 ;;
        aws_ini) echo 1024 ;;
        *) echo 4096 ;;
    esac
}

run_target() {
    local t=$1 dir=$OUT/run/$1
    rm -rf "$dir" && mkdir -p "$dir/corpus" "$dir/artifacts"
    if [[ -d Fuzz/corpus/$t ]]; then cp -R "Fuzz/corpus/$t/." "$dir/corpus/"; fi
    local dict=()
    [[ -f Fuzz/dict/$t.dict ]] && dict=(-dict="$ROOT/Fuzz/dict/$t.dict")
    set +e
    timeout -k 10 $((SECONDS_PER_TARGET + 300)) "$OUT/bin/$t" -max_total_time="$SECONDS_PER_TARGET" \
        -timeout="$PER_INPUT_TIMEOUT" -rss_limit_mb="$RSS_MB" -malloc_limit_mb="$RSS_MB" -detect_leaks=1 \
        -max_len="$(max_len "$t")" -use_value_profile=1 -print_final_stats=1 -artifact_prefix="$dir/artifacts/" \
        "${dict[@]}" "$dir/corpus" </dev/null >"$dir/log" 2>&1
    echo $? >"$dir/rc"
    set -e
}

echo "== fuzz: ${#TARGETS[@]} target(s), ${SECONDS_PER_TARGET} s each, $JOBS at a time (logs: $OUT/run/<target>/log)"
running=0
for t in "${TARGETS[@]}"; do
    if [[ $running -ge $JOBS ]]; then wait -n || true; running=$((running - 1)); fi
    run_target "$t" &
    running=$((running + 1))
done
wait || true

failed=()
printf '%-20s %-6s %12s %10s %8s %8s %8s\n' target result executions exec/s cov ft corpus
for t in "${TARGETS[@]}"; do
    dir=$OUT/run/$t
    rc=$(cat "$dir/rc" 2>/dev/null || echo 99)
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$dir/log" | tail -1)
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$dir/log" | tail -1)
    last=$(grep -E '^#[0-9]+' "$dir/log" | tail -1 || true)
    cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$last")
    ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$last")
    corp=$(sed -n 's/.* corp: \([0-9]*\).*/\1/p' <<<"$last")
    artifacts=$(find "$dir/artifacts" -type f | sort)
    result=ok
    if [[ $rc != 0 || -n $artifacts ]]; then result=FAIL; failed+=("$t"); fi
    printf '%-20s %-6s %12s %10s %8s %8s %8s\n' "$t" "$result" "${execs:--}" "${rate:--}" "${cov:--}" "${ft:--}" "${corp:--}"
done

for t in "${failed[@]}"; do
    dir=$OUT/run/$t
    echo
    echo "== FAIL: target $t (exit $(cat "$dir/rc" 2>/dev/null || echo '?'); full log: $dir/log)"
    grep -v 'Cannot export local symbol' "$dir/log" | grep -E -A60 -m1 'ERROR: libFuzzer|ERROR: AddressSanitizer|ERROR: LeakSanitizer|Fatal error|invariant broken|==[0-9]+==' \
        | head -80 || tail -40 "$dir/log"
    mkdir -p "$OUT/findings/$t"
    found=0
    while IFS= read -r artifact; do
        [[ -n $artifact ]] || continue
        found=1
        cp "$artifact" "$OUT/findings/$t/"
        echo "-- failing input $(basename "$artifact") ($(wc -c <"$artifact") bytes), saved as $OUT/findings/$t/$(basename "$artifact"), base64:"
        base64 -w 76 "$artifact"
        echo "-- replay: SWIFT_BACKTRACE=enable=no $OUT/bin/$t $OUT/findings/$t/$(basename "$artifact")"
    done <<<"$(find "$dir/artifacts" -type f | sort)"
    [[ $found == 1 ]] || echo "-- no input was saved (the run itself failed: see the log)"
done

END=$(date +%s)
echo
echo "== fuzz: build $((BUILT - START)) s, runs $((END - BUILT)) s, total $((END - START)) s"
if [[ ${#failed[@]} -gt 0 ]]; then
    echo "fuzz.sh: FAILED: ${failed[*]} (docs/FUZZING.md says how a finding becomes a regression test)" >&2
    exit 1
fi
echo "fuzz.sh: every target ran ${SECONDS_PER_TARGET} s without a finding"
