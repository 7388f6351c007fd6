#!/bin/sh
# Provision the jemalloc 5.3.0 release tarball into subprojects/packagecache/
# so that meson can set up the `jemalloc` wrap offline.
#
# The tarball is taken from Debian's `jemalloc` source package, whose
# jemalloc_5.3.0.orig.tar.bz2 is byte-identical to the upstream release.
# It is fetched with apt's own source mechanism from whatever archive this
# machine already has configured (deb lines are rewritten to deb-src in a
# private, temporary apt state; the system apt config is not modified).
#
# Idempotent: does nothing if the tarball is already present and correct.
# Requires: apt-get, sha256sum. Run as root (or with sudo) if apt needs it.
set -eu

sha256=2db82d1e7119df3e71b7640219b6dfe84789bc0537983c3b7ac4f7189aecfeaa
root=$(cd "$(dirname "$0")/.." && pwd)
cache=$root/subprojects/packagecache
dest=$cache/jemalloc-5.3.0.tar.bz2

have_sha() { [ -f "$1" ] && [ "$(sha256sum "$1" | cut -d' ' -f1)" = "$sha256" ]; }

if have_sha "$dest"; then
    echo "provision-jemalloc: $dest already present (sha256 OK)"
    exit 0
fi

tmp=$(mktemp -d)                       # absolute path, as apt requires
trap 'rm -rf "$tmp"' EXIT INT TERM
mkdir -p "$tmp/lists/partial" "$tmp/sources.list.d" "$tmp/dl"

# Derive deb-src entries from the configured binary sources (both formats).
for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [ -f "$f" ] && sed -n 's/^[[:space:]]*deb[[:space:]]/deb-src /p' "$f" \
        >> "$tmp/sources.list.d/src.list"
done
for f in /etc/apt/sources.list.d/*.sources; do
    [ -f "$f" ] && sed 's/^Types:[[:space:]]*deb[[:space:]]*$/Types: deb-src/' "$f" \
        > "$tmp/sources.list.d/$(basename "$f")"
done

# Private apt state: only our deb-src lists, no shared caches touched.
set -- -o Dir::Etc::SourceList=/dev/null \
       -o Dir::Etc::SourceParts="$tmp/sources.list.d" \
       -o Dir::State::Lists="$tmp/lists" \
       -o Dir::Cache::pkgcache= -o Dir::Cache::srcpkgcache=

# A third-party repo without source indices may make `update` fail; that is
# only fatal if the jemalloc source then cannot be found.
apt-get "$@" update -qq ||
    echo "provision-jemalloc: warning: apt-get update reported errors" >&2
(cd "$tmp/dl" && apt-get "$@" source --download-only jemalloc) || {
    echo "provision-jemalloc: ERROR: could not download Debian source package 'jemalloc'" >&2
    exit 1
}

orig=$tmp/dl/jemalloc_5.3.0.orig.tar.bz2
if [ ! -f "$orig" ]; then
    echo "provision-jemalloc: ERROR: jemalloc_5.3.0.orig.tar.bz2 not in the downloaded source package:" >&2
    ls "$tmp/dl" >&2
    exit 1
fi
if ! have_sha "$orig"; then
    echo "provision-jemalloc: ERROR: sha256 mismatch for jemalloc_5.3.0.orig.tar.bz2" >&2
    echo "  expected: $sha256" >&2
    echo "  got:      $(sha256sum "$orig" | cut -d' ' -f1)" >&2
    exit 1
fi

mkdir -p "$cache"
cp "$orig" "$dest.tmp" && mv "$dest.tmp" "$dest"
echo "provision-jemalloc: installed $dest"
