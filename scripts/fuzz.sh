#!/usr/bin/env bash
# Runs libgort's fuzz targets (tests/fuzz/) under libFuzzer for a while.
#
#   scripts/fuzz.sh [--merge] [TARGET|all] [SECONDS]
#
#   TARGET   slice, map or chan (fuzz_slice etc. also accepted); default all, one after the
#            other
#   SECONDS  libFuzzer's -max_total_time per target; default 60
#   --merge  afterwards, merge inputs that add coverage back into the committed corpus
#            tests/fuzz/corpus/<target>/ (libFuzzer -set_cover_merge=1, -merge=1's smaller
#            cousin: the fewest inputs that add every new coverage feature)
#
# Sets up (once) build-fuzz/: clang, -Dfuzzing_engine=libfuzzer, ASan+UBSan, the libc
# allocator. Each target fuzzes a scratch copy of its corpus in build-fuzz/corpus-work/<target>
# (the committed corpus is only read, unless --merge), writes crash, leak and timeout
# artifacts to build-fuzz/artifacts/ and its log to build-fuzz/logs/<target>.log, and
# prints executions, exec/s and libFuzzer's final cov/ft. Exit status: 1 if any target
# crashed (a mismatch with its model, a sanitizer report, a leak or a timeout), else 0.
#
# Reproduce an artifact: build-fuzz/tests/fuzz/fuzz_<target> <artifact>, or with the plain
# replay driver of any build: build/tests/fuzz/fuzz_<target> <artifact>. Add
# GORT_FUZZ_VERBOSE=2 to print every operation as it runs.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD="$ROOT/build-fuzz"
TARGETS=(slice map chan)

merge=0
positional=()
for arg in "$@"; do
    case "$arg" in
    --merge) merge=1 ;;
    -h | --help)
        sed -n '2,/^set -e/p' "$0" | sed '$d; s/^# \{0,1\}//'
        exit 0
        ;;
    *) positional+=("$arg") ;;
    esac
done
which="${positional[0]:-all}"
seconds="${positional[1]:-60}"
which="${which#fuzz_}"
if [[ "$which" == all ]]; then
    selected=("${TARGETS[@]}")
elif [[ " ${TARGETS[*]} " == *" $which "* ]]; then
    selected=("$which")
else
    echo "fuzz.sh: unknown target '$which' (slice, map, chan or all)" >&2
    exit 2
fi
if ! [[ "$seconds" =~ ^[0-9]+$ ]] || ((seconds < 1)); then
    echo "fuzz.sh: SECONDS must be a positive integer, not '$seconds'" >&2
    exit 2
fi

# ---- toolchain and build directory ---------------------------------------------------------

# clang and libFuzzer (Debian: clang, libclang-rt-14-dev) are project dependencies.
ensure_clang() {
    command -v clang >/dev/null &&
        [[ -f "$(clang -print-file-name=libclang_rt.fuzzer-x86_64.a)" ]] ||
        "$ROOT/scripts/deps.sh"
}

setup_build() {
    if [[ -f "$BUILD/build.ninja" ]]; then
        return 0
    fi
    CC=clang meson setup "$BUILD" "$ROOT" -Dfuzzing_engine=libfuzzer -Dallocator=libc \
        -Db_sanitize=address,undefined -Db_lundef=false -Dbenchmarks=false -Dbindings=disabled
}

ensure_clang
setup_build
ninja -C "$BUILD" "${selected[@]/#/tests/fuzz/fuzz_}"

# ---- running -----------------------------------------------------------------------------

export UBSAN_OPTIONS="${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}"
mkdir -p "$BUILD/artifacts" "$BUILD/logs"

# The last "cov: N ft: M" libFuzzer printed (its "DONE" line), and its final stats.
summarise() {
    local log=$1 cov ft execs rate
    cov=$(grep -o 'cov: [0-9]*' "$log" | tail -n 1 | cut -d' ' -f2)
    ft=$(grep -o 'ft: [0-9]*' "$log" | tail -n 1 | cut -d' ' -f2)
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n 1)
    printf '%-6s executions %-10s exec/s %-7s cov %-6s ft %s' "$2" "${execs:-?}" "${rate:-?}" \
        "${cov:-?}" "${ft:-?}"
}

failed=()
report=()
for target in "${selected[@]}"; do
    exe="$BUILD/tests/fuzz/fuzz_$target"
    committed="$ROOT/tests/fuzz/corpus/$target"
    work="$BUILD/corpus-work/$target"
    log="$BUILD/logs/$target.log"
    mkdir -p "$work"
    cp -p "$committed"/* "$work"/ 2>/dev/null || true
    echo "== fuzz_$target for ${seconds}s (corpus copy: ${work#$ROOT/}, log: ${log#$ROOT/})"
    status=0
    "$exe" "$work" -max_total_time="$seconds" -timeout=30 -rss_limit_mb=4096 \
        -print_final_stats=1 -artifact_prefix="$BUILD/artifacts/$target-" >"$log" 2>&1 ||
        status=$?
    line=$(summarise "$log" "$target")
    if ((status != 0)); then
        failed+=("$target")
        line+="   CRASHED (exit $status): see ${log#$ROOT/} and build-fuzz/artifacts/"
        grep -m 3 -E '^(fuzz_[a-z]+: op|==[0-9]+==ERROR|SUMMARY)' "$log" | sed 's/^/    /' >&2 || true
    fi
    report+=("$line")
    if ((merge && status == 0)); then
        before=$(ls "$committed" | wc -l)
        "$exe" -set_cover_merge=1 "$committed" "$work" >"$BUILD/logs/$target-merge.log" 2>&1
        after=$(ls "$committed" | wc -l)
        report+=("       merged $((after - before)) new inputs into tests/fuzz/corpus/$target ($after files)")
    fi
done

echo
printf '%s\n' "${report[@]}"
if ((${#failed[@]})); then
    echo "fuzz.sh: crashed: ${failed[*]}" >&2
    exit 1
fi
