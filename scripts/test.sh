#!/usr/bin/env bash
# Quick start, command 2: installs what is missing, builds, and runs the whole test suite:
#   build/           bundled jemalloc: unit (the map's also on its portable SWAR group
#                    matching, not only SSE2), conformance, OOM injection, bad-input table,
#                    fuzz corpus replay, soak, ABI and packaging, benchmark smoke, and the
#                    Python, Rust and Lua bindings' suites
#   build-asan/      libc allocator + ASan + UBSan: the same unit suite (and the map's
#                    tests on its SWAR group matching), then the bindings' suites against
#                    this library
#   build-tsan/      libc allocator + TSan: the unit suite (threaded tests, soak)
#   build-valgrind/  libc allocator under Valgrind memcheck: the unit suite
#   build-fuzz/      clang + libFuzzer + ASan + UBSan: each fuzz target for a while
# docs/reliability.md says what each stage checks and gives the figures of the last run.
#
#   usage: scripts/test.sh [--fuzz-seconds N] [--soak-seconds N]
#     --fuzz-seconds N  libFuzzer run time per target (default 30; 0 skips fuzzing)
#     --soak-seconds N  soak duration in each build (default 10)
#
# Exits non-zero if anything fails; the last line is "N passed, N failed".
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

fuzz_seconds=30
soak_seconds=10
while [ $# -gt 0 ]; do
    case "$1" in
    --fuzz-seconds) fuzz_seconds=${2:?}; shift 2 ;;
    --soak-seconds) soak_seconds=${2:?}; shift 2 ;;
    *) echo "usage: scripts/test.sh [--fuzz-seconds N] [--soak-seconds N]" >&2; exit 2 ;;
    esac
done

scripts/deps.sh || exit 1

export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
export TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1
export GORT_SOAK_SECONDS=$soak_seconds
# meson's per-test timeouts assume the 10 s soak; a longer one stretches them
timeout_multiplier=$(( soak_seconds / 200 + 1 ))

passed=0 failed=0

# run_suite NAME BUILD_DIR "MESON OPTIONS" "MESON TEST ARGS" [LOG NAME]
run_suite() {
    local name=$1 dir=$2 options=$3 test_args=$4 log=${5:-$2}.test.log
    echo "=== $name ($dir)"
    # shellcheck disable=SC2086 # options are words
    if [ ! -f "$dir/build.ninja" ] && ! meson setup "$dir" $options >"$dir.setup.log" 2>&1; then
        cat "$dir.setup.log"; failed=$((failed + 1)); return
    fi
    if ! ninja -C "$dir" >"$dir.ninja.log" 2>&1; then
        cat "$dir.ninja.log"; failed=$((failed + 1)); return
    fi
    # shellcheck disable=SC2086
    meson test -C "$dir" --print-errorlogs --timeout-multiplier "$timeout_multiplier" \
        $test_args | tee "$log" | grep -E \
        "^ *[0-9]+/[0-9]+ |^(Ok|Fail|Skipped|Timeout|Expected Fail|Unexpected Pass):"
    local ok fail
    ok=$(awk '/^Ok:/ {print $2}' "$log")
    fail=$(awk '/^(Fail|Timeout|Unexpected Pass):/ {n += $NF} END {print n + 0}' "$log")
    [ -n "$ok" ] || fail=$((fail + 1))
    passed=$((passed + ${ok:-0})) failed=$((failed + fail))
}

libc_sanitized="-Dallocator=libc -Dbenchmarks=false"
run_suite "default build (bundled jemalloc)" build "-Dbindings=enabled" ""
run_suite "ASan+UBSan (libc allocator)" build-asan \
    "$libc_sanitized -Db_sanitize=address,undefined -Dbindings=enabled" \
    "--suite unit --suite swar"
run_suite "ASan+UBSan: the bindings' suites" build-asan "" \
    "--suite bindings --logbase testlog-bindings" build-asan-bindings
run_suite "TSan (libc allocator)" build-tsan "$libc_sanitized -Db_sanitize=thread" \
    "--suite unit"
run_suite "Valgrind memcheck (libc allocator)" build-valgrind "$libc_sanitized" \
    "--suite unit --setup valgrind"

if [ "$fuzz_seconds" -gt 0 ]; then
    echo "=== libFuzzer, ${fuzz_seconds}s per target (build-fuzz)"
    scripts/fuzz.sh all "$fuzz_seconds" >build-fuzz.test.log 2>&1
    grep -E "^(slice|map|chan) +executions|^ +fuzz_|^fuzz.sh:" build-fuzz.test.log
    # a target passes when it ran its time without crashing
    ok=$(grep -E "^(slice|map|chan) +executions" build-fuzz.test.log | grep -vc CRASHED)
    [ "$ok" -eq 3 ] || tail -n 30 build-fuzz.test.log
    passed=$((passed + ok)) failed=$((failed + 3 - ok))
fi

echo
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
