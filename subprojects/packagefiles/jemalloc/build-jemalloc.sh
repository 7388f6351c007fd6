#!/bin/sh
# Configure and build jemalloc's static PIC library out of tree.
# Invoked by meson.build (custom_target); not meant to be run by hand.
#
# usage: build-jemalloc.sh SRCDIR OBJDIR OUT_LIB OUT_HDR INCDIR CC [CC-ARGS...]
#   SRCDIR   pristine jemalloc source tree (never written to)
#   OBJDIR   jemalloc build directory (inside the meson build dir)
#   OUT_LIB  where to put libjemalloc_pic.a (declared custom_target output)
#   OUT_HDR  copy of jemalloc.h (declared output, gives compile ordering)
#   INCDIR   staged include dir; receives INCDIR/jemalloc/jemalloc.h only
#   CC...    meson's C compiler command (may be several words, e.g. ccache)
set -eu

src=$(cd "$1" && pwd); obj=$2; out_lib=$3; out_hdr=$4; incdir=$5
shift 5
cc="$*"

# Be hermetic: do not inherit flags from the environment (in particular
# -fsanitize=...; sanitizer builds use the libc allocator instead).
unset CC CFLAGS CPPFLAGS LDFLAGS LIBS EXTRA_CFLAGS EXTRA_LDFLAGS CXX CXXFLAGS

# --with-version=VERSION: take the version from the tarball's VERSION file.
#   Without it, configure runs `git describe` if its cwd (the build dir) is
#   inside a git work tree, and an annotated tag of *our* repo (e.g. 1.2.0)
#   would become jemalloc's version (and change the smallocx_* symbol name).
# --without-export: public API is not marked visibility("default"); with
#   jemalloc's -fvisibility=hidden everything in the archive is hidden.
# --disable-initial-exec-tls: libgort is dlopen()ed (no static TLS).
# Stats stay enabled (the default). PIC objects come from libjemalloc_pic.a.
set -- \
    --with-version=VERSION \
    --with-jemalloc-prefix=gortje_ \
    --with-private-namespace=gortje_int_ \
    --without-export \
    --disable-initial-exec-tls \
    --disable-shared \
    --enable-static \
    --disable-cxx \
    --disable-doc \
    CC="$cc"

stamp=$obj/.configure-args
want=$(printf '%s\n' "$@")
if [ ! -f "$obj/Makefile" ] || [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
    rm -rf "$obj"
    mkdir -p "$obj"
    if ! (cd "$obj" && "$src/configure" "$@") > "$obj/configure.out" 2>&1; then
        cat "$obj/configure.out" >&2
        echo "build-jemalloc.sh: configure failed (see $obj/config.log)" >&2
        exit 1
    fi
    printf '%s\n' "$want" > "$stamp"
fi

# Only the static PIC archive; its rule also generates the headers.
if ! make -C "$obj" -j2 lib/libjemalloc_pic.a > "$obj/make.out" 2>&1; then
    tail -n 60 "$obj/make.out" >&2
    echo "build-jemalloc.sh: make failed (full log: $obj/make.out)" >&2
    exit 1
fi

# The staged header is only rewritten when it changed: ninja learns about it
# from depfiles only, so a fresh mtime would cause spurious recompiles.
hdr=$obj/include/jemalloc/jemalloc.h
mkdir -p "$incdir/jemalloc"
cmp -s "$hdr" "$incdir/jemalloc/jemalloc.h" || cp "$hdr" "$incdir/jemalloc/jemalloc.h"
cp "$hdr" "$out_hdr"
cp "$obj/lib/libjemalloc_pic.a" "$out_lib"
