#!/usr/bin/env python3
"""Loads libgort.so with ctypes.CDLL (dlopen) and drives a slice through it.

This is the proof that the bundled jemalloc is private and dlopen-safe: Debian's
libjemalloc.so.2 uses initial-exec TLS and fails here with "cannot allocate memory in
static TLS block". usage: test_ctypes.py LIBGORT_SO
"""
import ctypes
import sys

GORT_KIND_I64 = 5


def main():
    lib = ctypes.CDLL(sys.argv[1])
    lib.gort_type_builtin.restype = ctypes.c_void_p
    lib.gort_type_builtin.argtypes = [ctypes.c_int]
    lib.gort_slice_nil.argtypes = [ctypes.c_void_p, ctypes.c_void_p,
                                   ctypes.POINTER(ctypes.c_void_p)]
    lib.gort_slice_append.argtypes = [ctypes.c_void_p, ctypes.c_void_p]
    lib.gort_slice_get.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_void_p]
    lib.gort_slice_len.argtypes = [ctypes.c_void_p]
    lib.gort_slice_len.restype = ctypes.c_size_t
    lib.gort_slice_free.argtypes = [ctypes.c_void_p]
    lib.gort_heap_allocator.restype = ctypes.c_char_p
    lib.gort_version_string.restype = ctypes.c_char_p

    slice_ = ctypes.c_void_p()
    assert lib.gort_slice_nil(lib.gort_type_builtin(GORT_KIND_I64), None,
                              ctypes.byref(slice_)) == 0
    total = 0
    for i in range(100000):
        value = ctypes.c_int64(i * 3)
        assert lib.gort_slice_append(slice_, ctypes.byref(value)) == 0
    out = ctypes.c_int64()
    for i in range(0, 100000, 997):
        assert lib.gort_slice_get(slice_, i, ctypes.byref(out)) == 0
        total += out.value
    length = lib.gort_slice_len(slice_)
    lib.gort_slice_free(slice_)
    print("1..2")
    print(f"ok 1 - dlopen of libgort {lib.gort_version_string().decode()} "
          f"({lib.gort_heap_allocator().decode()})")
    expected = sum(i * 3 for i in range(0, 100000, 997))
    ok = length == 100000 and total == expected
    print(f"{'ok' if ok else 'not ok'} 2 - 100000 appends through ctypes, sampled sum {total}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
