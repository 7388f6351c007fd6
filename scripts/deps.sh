#!/usr/bin/env bash
# Installs, with apt, whatever libgort's build, tests and benchmarks need and this machine
# lacks (Debian 12), then provisions the jemalloc tarball. Idempotent: with everything in
# place it installs nothing. Run as root (or with sudo available).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)

packages=(
    # build
    meson ninja-build pkg-config gcc g++ make bzip2 python3 python3-dev libatomic-ops-dev libxxhash-dev
    # tests: sanitizers, valgrind, ABI tools; clang with compiler-rt for libFuzzer
    valgrind binutils abigail-tools clang libclang-rt-14-dev
    # bindings: LuaJIT (Python and cargo are listed above and below)
    luajit
    # benchmark peers (WORKLOADS.md): Go, GLib, Abseil, TBB, Debian's hashbrown and
    # crossbeam-channel crate sources (under /usr/share/cargo/registry, for the offline
    # Rust peer); Rust comes from cargo below
    golang-go libglib2.0-dev libabsl-dev libtbb-dev librust-hashbrown-dev
    librust-crossbeam-channel-dev
)
command -v cargo >/dev/null 2>&1 || packages+=(cargo)

missing=()
for package in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "ok installed" ||
        missing+=("$package")
done

if [ ${#missing[@]} -gt 0 ]; then
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    echo "deps: installing ${missing[*]}"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends \
        "${missing[@]}" >/dev/null
fi

"$root/scripts/provision-jemalloc.sh"
