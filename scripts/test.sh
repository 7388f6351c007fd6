#!/usr/bin/env bash
# Quick start, command 2: installs what is missing, builds, and runs the whole test suite:
#   build/           bundled jemalloc: unit, conformance, ABI, packaging, benchmark smoke,
#                    and the Python, Rust and Lua bindings' suites
#   build-asan/      libc allocator + ASan + UBSan: unit and conformance
#   build-tsan/      libc allocator + TSan: unit and conformance (threaded tests)
#   build-valgrind/  libc allocator under Valgrind memcheck: unit and conformance
# Exits non-zero if anything fails; the last line is "N passed, N failed".
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
scripts/deps.sh || exit 1

export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
export TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1

passed=0 failed=0

# run_suite NAME BUILD_DIR "MESON OPTIONS" "MESON TEST ARGS"
run_suite() {
    local name=$1 dir=$2 options=$3 test_args=$4
    echo "=== $name ($dir)"
    # shellcheck disable=SC2086 # options are words
    if [ ! -f "$dir/build.ninja" ] && ! meson setup "$dir" $options >"$dir.setup.log" 2>&1; then
        cat "$dir.setup.log"; failed=$((failed + 1)); return
    fi
    if ! ninja -C "$dir" >"$dir.ninja.log" 2>&1; then
        cat "$dir.ninja.log"; failed=$((failed + 1)); return
    fi
    # shellcheck disable=SC2086
    meson test -C "$dir" --print-errorlogs $test_args | tee "$dir.test.log" | grep -E \
        "^ *[0-9]+/[0-9]+ |^(Ok|Fail|Skipped|Timeout|Expected Fail|Unexpected Pass):"
    local ok fail
    ok=$(awk '/^Ok:/ {print $2}' "$dir.test.log")
    fail=$(awk '/^(Fail|Timeout|Unexpected Pass):/ {n += $NF} END {print n + 0}' "$dir.test.log")
    [ -n "$ok" ] || fail=$((fail + 1))
    passed=$((passed + ${ok:-0})) failed=$((failed + fail))
}

run_suite "default build (bundled jemalloc)" build "-Dbindings=enabled" ""
run_suite "ASan+UBSan (libc allocator)" build-asan \
    "-Dallocator=libc -Db_sanitize=address,undefined -Dbenchmarks=false" "--suite unit"
run_suite "TSan (libc allocator)" build-tsan \
    "-Dallocator=libc -Db_sanitize=thread -Dbenchmarks=false" "--suite unit"
run_suite "Valgrind memcheck (libc allocator)" build-valgrind \
    "-Dallocator=libc -Dbenchmarks=false" "--suite unit --setup valgrind"

echo
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
