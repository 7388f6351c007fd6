#!/usr/bin/env bash
# Quick start, command 1: installs what is missing, builds libgort (bundled jemalloc,
# release-grade -O2) in build/, and runs the showcase example.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
scripts/deps.sh
[ -f build/build.ninja ] || meson setup build
ninja -C build
build/examples/showcase
