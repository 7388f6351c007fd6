#!/usr/bin/env bash
# Installs the build into a scratch prefix with `meson install --destdir`, then builds an
# external C program with nothing but `pkg-config --cflags --libs libgort` and runs it.
# usage: test_pkgconfig.sh SOURCE_ROOT BUILD_ROOT
set -euo pipefail
source_root=$1 build_root=$2
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT

meson install -C "$build_root" --destdir "$scratch/root" --quiet >/dev/null
pcfile=$(find "$scratch/root" -name libgort.pc | head -n 1)
[ -n "$pcfile" ] || { echo "not ok 1 - libgort.pc was not installed"; exit 1; }
export PKG_CONFIG_PATH=$(dirname "$pcfile")
export PKG_CONFIG_SYSROOT_DIR="$scratch/root"
flags=$(pkg-config --cflags --libs libgort)

cat > "$scratch/consumer.c" <<'C'
#include <gort.h>
#include <stdio.h>
int main(void)
{
    gort_slice *s;
    if (gort_slice_make(gort_type_builtin(GORT_KIND_I32), 0, 0, NULL, &s) != GORT_OK)
        return 1;
    for (int32_t i = 0; i < 1000; i++)
        if (gort_slice_append(s, &i) != GORT_OK)
            return 1;
    int32_t last = 0;
    gort_slice_get(s, 999, &last);
    printf("len %zu last %d\n", gort_slice_len(s), (int)last);
    gort_slice_free(s);
    return last == 999 ? 0 : 1;
}
C
echo "1..2"
# shellcheck disable=SC2086 # flags are words
cc -std=c99 -o "$scratch/consumer" "$scratch/consumer.c" $flags
echo "ok 1 - external program built with: pkg-config --cflags --libs libgort ($flags)"
libdir=$(pkg-config --libs-only-L libgort | sed 's/^ *-L//; s/ *$//') # sysroot-prefixed
if out=$(LD_LIBRARY_PATH="$libdir" "$scratch/consumer"); then
    echo "ok 2 - it runs against the installed libgort: $out"
else
    echo "not ok 2 - consumer failed: $out"
    exit 1
fi
