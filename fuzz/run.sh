#!/bin/bash
# run.sh: drive the libFuzzer harnesses (called by fuzz/fuzz.mk).
#
#   run.sh replay   OUT FUZZDIR HARNESS...          every corpus/regression file, once
#   run.sh fuzz     OUT FUZZDIR SECONDS HARNESS...  fuzz each harness SECONDS (FUZZ_JOBS at once)
#   run.sh merge    OUT FUZZDIR HARNESS...          fold new coverage into FUZZDIR/corpus
#   run.sh coverage COVOUT FUZZDIR SRCDIR HARNESS... profile the corpora, print coverage
#
# Working corpora (not committed) live in OUT/corpus/<harness>; crashes in
# OUT/artifacts/. A crash becomes a permanent input by copying it into
# FUZZDIR/regressions/.
set -u

mode=$1; shift

# The inputs every replay uses: committed seeds and regressions.
committed_inputs() {
    local fz=$1
    find "$fz/corpus" "$fz/regressions" -type f ! -name 'README*' 2>/dev/null | sort
}

case $mode in
replay)
    out=$1 fz=$2; shift 2
    mapfile -t files < <(committed_inputs "$fz")
    [ ${#files[@]} -gt 0 ] || { echo "check-fuzz: no inputs"; exit 1; }
    rc=0
    for h in "$@"; do
        log=$out/replay-$h.log
        if "$out/$h" -runs=1 "${files[@]}" >"$log" 2>&1; then
            echo "check-fuzz: $h ok (${#files[@]} inputs)"
        else
            echo "check-fuzz: $h FAILED, see $log"; tail -20 "$log"; rc=1
        fi
    done
    exit $rc
    ;;
fuzz)
    out=$1 fz=$2 secs=$3; shift 3
    jobs=${FUZZ_JOBS:-2}; maxlen=${FUZZ_MAX_LEN:-4096}
    mkdir -p "$out/artifacts" "$out/logs"
    one() {
        local h=$1
        mkdir -p "$out/corpus/$h"
        "$out/$h" -max_total_time="$secs" -max_len="$maxlen" -timeout=20 -rss_limit_mb=2048 \
            -dict="$fz/mqtt.dict" -print_final_stats=1 -artifact_prefix="$out/artifacts/$h-" \
            "$out/corpus/$h" "$fz/corpus" >"$out/logs/$h.log" 2>&1
        local rc=$?
        local execs per cov
        execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$out/logs/$h.log" | grep -o '[0-9]*$')
        per=$(grep -o 'stat::average_exec_per_sec: *[0-9]*' "$out/logs/$h.log" | grep -o '[0-9]*$')
        cov=$(grep -o 'cov: [0-9]* ft: [0-9]*' "$out/logs/$h.log" | tail -1)
        if [ $rc -eq 0 ]; then
            echo "fuzz-run: $h ok: ${execs:-?} runs, ${per:-?} exec/s, $cov, corpus $(ls "$out/corpus/$h" | wc -l)"
        else
            echo "fuzz-run: $h FAILED (rc $rc), see $out/logs/$h.log"
            grep -E 'invariant failed|UNEXPLAINED|ERROR: AddressSanitizer|runtime error|^  [0-9a-f]{2} ' "$out/logs/$h.log" | head -5
            ls "$out/artifacts/$h-"* 2>/dev/null | head -3
        fi
        return $rc
    }
    export -f one; export out fz secs maxlen
    printf '%s\n' "$@" | xargs -P "$jobs" -I{} bash -c 'one {}'
    ;;
merge)
    out=$1 fz=$2; shift 2
    # libFuzzer adds to the first directory only inputs that bring new
    # coverage; start it with the committed corpus, keep what it added.
    tmp=$(mktemp -d)
    cp "$fz"/corpus/* "$tmp"/
    ls "$tmp" | sort > "$tmp.before"
    for h in "$@"; do
        [ -d "$out/corpus/$h" ] || continue
        "$out/$h" -merge=1 -max_len=4096 "$tmp" "$out/corpus/$h" >/dev/null 2>&1
    done
    limit=${FUZZ_CORPUS_MAX:-495}
    have=$(ls "$fz/corpus" | wc -l)
    new=0
    for f in $(ls "$tmp" | sort | comm -13 "$tmp.before" -); do
        [ "$have" -lt "$limit" ] || { echo "fuzz-merge: corpus limit $limit reached"; break; }
        n=$(sha1sum "$tmp/$f" | cut -c1-16)
        [ -e "$fz/corpus/fz-$n" ] || { cp "$tmp/$f" "$fz/corpus/fz-$n"; new=$((new + 1)); have=$((have + 1)); }
    done
    rm -rf "$tmp" "$tmp.before"
    echo "fuzz-merge: $new new inputs, corpus now $(ls "$fz/corpus" | wc -l) files"
    ;;
coverage)
    cov=$1 fz=$2 src=$3; shift 3
    prof=${FUZZ_PROFDATA:-llvm-profdata-14} llcov=${FUZZ_COV:-llvm-cov-14}
    # a snapshot of the inputs: a fuzzer running meanwhile may delete files
    snap=$cov/inputs
    mkdir -p "$snap"
    { committed_inputs "$fz"; find "$(dirname "$cov")/corpus" -type f 2>/dev/null; } |
        while read -r f; do cp "$f" "$snap/$(sha1sum "$f" | cut -c1-40)" 2>/dev/null; done
    mapfile -t files < <(find "$snap" -type f | sort)
    objs=()
    for h in "$@"; do
        LLVM_PROFILE_FILE="$cov/$h.profraw" "$cov/$h" -runs=1 "${files[@]}" >"$cov/$h.log" 2>&1 ||
            echo "fuzz-coverage: $h failed on some input, see $cov/$h.log"
        objs+=(-object "$cov/$h")
    done
    "$prof" merge -sparse "$cov"/*.profraw -o "$cov/all.profdata" || exit 1
    echo "fuzz-coverage: ${#files[@]} inputs through $*"
    "$llcov" report "${objs[@]:1}" -instr-profile="$cov/all.profdata" "$src"/*.c \
        | sed 's|'"$src"'/||'
    "$llcov" show "${objs[@]:1}" -instr-profile="$cov/all.profdata" -format=html \
        -output-dir="$cov/html" "$src"/*.c >/dev/null 2>&1 &&
        echo "fuzz-coverage: HTML report in $cov/html/index.html"
    ;;
*)
    echo "usage: $0 replay|fuzz|merge|coverage ..." >&2; exit 2 ;;
esac
