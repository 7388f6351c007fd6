#!/usr/bin/env bash
# Regenerates the committed ABI baseline, tests/abi/libgort.so.1.abi, from a built
# library. Run it only when a release deliberately changes the ABI (see docs/abi.md):
# the 'abidiff' test compares every build against this file and fails on any change.
#   usage: scripts/abi-baseline.sh [BUILD_DIR]   (default: build)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-build}
lib=$(readlink -f "$root/$build/libgort.so.1")
[ -f "$lib" ] || { echo "abi-baseline: no $build/libgort.so.1; build first" >&2; exit 1; }
# Only types declared in the public headers count; private types and the corpus path
# and source locations would make the file differ between builds for no reason. A
# libc-allocator build (e.g. build-valgrind) gives the smallest file: no jemalloc objects.
abidw --headers-dir "$root/include" --drop-private-types --no-corpus-path \
    --no-comp-dir-path --no-show-locs \
    --out-file "$root/tests/abi/libgort.so.1.abi" "$lib"
echo "abi-baseline: wrote tests/abi/libgort.so.1.abi from $lib"
