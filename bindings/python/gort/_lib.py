"""Loading libgort and declaring its C functions for ctypes.

Every function of the C API is declared in DECLS with the C types the header gives it,
so a test (tests/test_decls.py) can compare this table with the header and the two never
drift. Two handles on the one library:

- ``py`` (ctypes.PyDLL) keeps the GIL during the call. Every call that cannot block goes
  through it: it is cheaper, and a call that holds the GIL cannot race with another
  Python thread releasing the handle it was given (see _handle.py).
- ``c`` (ctypes.CDLL) releases the GIL during the call. Only the calls that may block
  (send, receive, select with a timeout) use it, so other Python threads run meanwhile.
  Hooks those calls run (retain of a sent object) take the GIL themselves.
"""
import ctypes
import os
import subprocess

SONAME = "libgort.so.1"

# name: (return type, [parameter types]), spelled as in the header.
DECLS = {
    # base.h
    "gort_strerror": ("const char *", ["int"]),
    "gort_version": ("uint32_t", ["void"]),
    "gort_version_string": ("const char *", ["void"]),
    # type.h
    "gort_type_create": ("int", ["const gort_type_desc *", "gort_type **"]),
    "gort_type_retain": ("gort_type *", ["gort_type *"]),
    "gort_type_release": ("void", ["gort_type *"]),
    "gort_type_builtin": ("gort_type *", ["int"]),
    "gort_type_size": ("size_t", ["const gort_type *"]),
    "gort_type_align": ("size_t", ["const gort_type *"]),
    "gort_type_kind": ("int", ["const gort_type *"]),
    "gort_type_name": ("const char *", ["const gort_type *"]),
    "gort_type_comparable": ("int", ["const gort_type *"]),
    "gort_type_hash": ("int", ["const gort_type *", "const void *", "uint64_t", "uint64_t *"]),
    "gort_type_equal": ("int", ["const gort_type *", "const void *", "const void *", "int *"]),
    "gort_value_drop": ("void", ["const gort_type *", "void *"]),
    # heap.h
    "gort_heap_create": ("int", ["gort_heap **"]),
    "gort_heap_default": ("gort_heap *", ["void"]),
    "gort_heap_destroy": ("int", ["gort_heap *", "uint32_t"]),
    "gort_heap_stats_get": ("int", ["gort_heap *", "gort_heap_stats *"]),
    "gort_heap_allocator": ("const char *", ["void"]),
    # slice.h
    "gort_slice_make": ("int", ["gort_type *", "size_t", "size_t", "gort_heap *",
                                "gort_slice **"]),
    "gort_slice_nil": ("int", ["gort_type *", "gort_heap *", "gort_slice **"]),
    "gort_slice_free": ("void", ["gort_slice *"]),
    "gort_slice_len": ("size_t", ["const gort_slice *"]),
    "gort_slice_cap": ("size_t", ["const gort_slice *"]),
    "gort_slice_is_nil": ("int", ["const gort_slice *"]),
    "gort_slice_type": ("gort_type *", ["const gort_slice *"]),
    "gort_slice_data": ("void *", ["const gort_slice *"]),
    "gort_slice_get": ("int", ["const gort_slice *", "size_t", "void *"]),
    "gort_slice_set": ("int", ["gort_slice *", "size_t", "const void *"]),
    "gort_slice_append": ("int", ["gort_slice *", "const void *"]),
    "gort_slice_append_n": ("int", ["gort_slice *", "const void *", "size_t"]),
    "gort_slice_append_slice": ("int", ["gort_slice *", "const gort_slice *"]),
    "gort_slice_sub": ("int", ["const gort_slice *", "size_t", "size_t", "gort_slice **"]),
    "gort_slice_sub3": ("int", ["const gort_slice *", "size_t", "size_t", "size_t",
                                "gort_slice **"]),
    "gort_slice_reslice": ("int", ["gort_slice *", "size_t", "size_t", "size_t"]),
    "gort_slice_copy": ("int", ["gort_slice *", "const gort_slice *", "size_t *"]),
    "gort_slice_clone": ("int", ["const gort_slice *", "gort_slice **"]),
    "gort_slice_grow": ("int", ["gort_slice *", "size_t"]),
    "gort_slice_clip": ("int", ["gort_slice *"]),
    "gort_slice_clear": ("int", ["gort_slice *"]),
    "gort_slice_scan": ("int", ["const gort_slice *", "gort_visit_fn", "void *"]),
    "gort_slice_backing_bytes": ("size_t", ["const gort_slice *"]),
    # map.h
    "gort_map_create": ("int", ["gort_type *", "gort_type *", "size_t", "gort_heap *",
                                "gort_map **"]),
    "gort_map_retain": ("gort_map *", ["gort_map *"]),
    "gort_map_release": ("void", ["gort_map *"]),
    "gort_map_key_type": ("gort_type *", ["const gort_map *"]),
    "gort_map_value_type": ("gort_type *", ["const gort_map *"]),
    "gort_map_len": ("size_t", ["const gort_map *"]),
    "gort_map_set": ("int", ["gort_map *", "const void *", "const void *"]),
    "gort_map_get": ("int", ["const gort_map *", "const void *", "void *", "int *"]),
    "gort_map_get_ptr": ("int", ["const gort_map *", "const void *", "void **"]),
    "gort_map_get_n": ("int64_t", ["const gort_map *", "const void *", "size_t", "void *",
                                   "int *"]),
    "gort_map_delete": ("int", ["gort_map *", "const void *"]),
    "gort_map_set_n": ("int64_t", ["gort_map *", "const void *", "const void *", "size_t"]),
    "gort_map_delete_n": ("int64_t", ["gort_map *", "const void *", "size_t"]),
    "gort_map_clear": ("int", ["gort_map *"]),
    "gort_map_clone": ("int", ["const gort_map *", "gort_map **"]),
    "gort_map_shrink": ("int", ["gort_map *"]),
    "gort_map_stats_get": ("int", ["const gort_map *", "gort_map_stats *"]),
    "gort_map_scan": ("int", ["const gort_map *", "gort_visit_fn", "void *"]),
    "gort_map_iter_init": ("int", ["gort_map *", "gort_map_iter *"]),
    "gort_map_iter_next": ("int", ["gort_map_iter *", "const void **", "void **"]),
    "gort_map_iter_next_n": ("int64_t", ["gort_map_iter *", "const void **", "void **",
                                         "size_t"]),
    "gort_map_iter_delete": ("int", ["gort_map_iter *"]),
    "gort_map_iter_finish": ("void", ["gort_map_iter *"]),
    "gort_map_set_abort_hook": ("void", ["gort_abort_fn", "void *"]),
    # chan.h
    "gort_chan_create": ("int", ["gort_type *", "int64_t", "gort_heap *", "gort_chan **"]),
    "gort_chan_retain": ("gort_chan *", ["gort_chan *"]),
    "gort_chan_release": ("void", ["gort_chan *"]),
    "gort_chan_elem_type": ("gort_type *", ["const gort_chan *"]),
    "gort_chan_expect_type": ("int", ["const gort_chan *", "const gort_type *"]),
    "gort_chan_send": ("int", ["gort_chan *", "const void *"]),
    "gort_chan_try_send": ("int", ["gort_chan *", "const void *"]),
    "gort_chan_send_timeout": ("int", ["gort_chan *", "const void *", "int64_t"]),
    "gort_chan_recv": ("int", ["gort_chan *", "void *", "int *"]),
    "gort_chan_try_recv": ("int", ["gort_chan *", "void *", "int *"]),
    "gort_chan_recv_timeout": ("int", ["gort_chan *", "void *", "int *", "int64_t"]),
    "gort_chan_close": ("int", ["gort_chan *"]),
    "gort_chan_len": ("size_t", ["const gort_chan *"]),
    "gort_chan_cap": ("size_t", ["const gort_chan *"]),
    "gort_chan_is_closed": ("int", ["const gort_chan *"]),
    "gort_chan_scan": ("int", ["gort_chan *", "gort_visit_fn", "void *"]),
    "gort_chan_fd": ("int", ["gort_chan *", "int", "int *"]),
    "gort_select": ("int", ["const gort_select_case *", "size_t", "int64_t", "size_t *",
                            "int *"]),
}

# The calls that may block: declared on the GIL-releasing handle too.
BLOCKING = ("gort_chan_send", "gort_chan_send_timeout", "gort_chan_recv",
            "gort_chan_recv_timeout", "gort_select")

_SCALARS = {
    "void": None,
    "int": ctypes.c_int,
    "int64_t": ctypes.c_int64,
    "uint32_t": ctypes.c_uint32,
    "uint64_t": ctypes.c_uint64,
    "size_t": ctypes.c_size_t,
    "const char *": ctypes.c_char_p,
}


def ctype_of(c_type):
    """The ctypes type for a C type of DECLS. Handles, out-pointers, buffers and
    callbacks are all passed as void pointers; ctypes objects, byref() and CFUNCTYPE
    instances convert to that."""
    if c_type in _SCALARS:
        return _SCALARS[c_type]
    if c_type.endswith("*") or c_type.endswith("_fn"):
        return ctypes.c_void_p
    raise TypeError(f"no ctypes mapping for C type {c_type!r}")


def _candidates():
    """Where the library may be, in order: $GORT_LIBRARY, the SONAME through the
    dynamic loader's search path, pkg-config's libdir."""
    override = os.environ.get("GORT_LIBRARY")
    if override:
        return [override]
    paths = [SONAME]
    try:
        libdir = subprocess.run(["pkg-config", "--variable=libdir", "libgort"],
                                capture_output=True, text=True, check=True).stdout.strip()
        if libdir:
            paths.append(os.path.join(libdir, SONAME))
    except (OSError, subprocess.CalledProcessError):
        pass
    return paths


def _open():
    errors = []
    for path in _candidates():
        try:
            return path, ctypes.PyDLL(path), ctypes.CDLL(path)
        except OSError as e:
            errors.append(f"{path}: {e}")
    raise ImportError("libgort not found (set GORT_LIBRARY to the path of libgort.so, "
                      "or install it where the loader or pkg-config finds it): "
                      + "; ".join(errors))


def _declare(function, decl):
    restype, params = decl
    function.restype = ctype_of(restype)
    function.argtypes = [ctype_of(p) for p in params if p != "void"]
    return function


path, py, c = _open()
for _name, _decl in DECLS.items():
    _declare(getattr(py, _name), _decl)
    if _name in BLOCKING:
        _declare(getattr(c, _name), _decl)

# Status codes (gort_status in base.h).
OK, ENOMEM, EINVAL, ERANGE, ECLOSED, EAGAIN, ETIMEDOUT, EOVERFLOW, EBUSY, ETYPE = \
    0, -1, -2, -3, -4, -5, -6, -7, -8, -9

# Reference counting of Python objects, for the object type's hooks.
Py_IncRef = ctypes.pythonapi.Py_IncRef
Py_IncRef.argtypes = [ctypes.c_void_p]
Py_IncRef.restype = None
Py_DecRef = ctypes.pythonapi.Py_DecRef
Py_DecRef.argtypes = [ctypes.c_void_p]
Py_DecRef.restype = None


class GortStr(ctypes.Structure):
    """gort_str: a string value, `len` bytes at `ptr`."""
    _fields_ = [("ptr", ctypes.c_void_p), ("len", ctypes.c_size_t)]


class TypeDesc(ctypes.Structure):
    """gort_type_desc."""
    _fields_ = [("struct_size", ctypes.c_size_t), ("size", ctypes.c_size_t),
                ("align", ctypes.c_size_t), ("hash", ctypes.c_void_p),
                ("equal", ctypes.c_void_p), ("ptr_bitmap", ctypes.c_void_p),
                ("ptr_words", ctypes.c_size_t), ("retain", ctypes.c_void_p),
                ("release", ctypes.c_void_p), ("ctx", ctypes.c_void_p),
                ("name", ctypes.c_char_p), ("flags", ctypes.c_uint32)]


class HeapStats(ctypes.Structure):
    """gort_heap_stats."""
    _fields_ = [("struct_size", ctypes.c_size_t), ("allocated", ctypes.c_uint64),
                ("active", ctypes.c_uint64), ("resident", ctypes.c_uint64),
                ("mapped", ctypes.c_uint64), ("live_blocks", ctypes.c_uint64),
                ("live_objects", ctypes.c_uint64)]


class MapStats(ctypes.Structure):
    """gort_map_stats."""
    _fields_ = [("struct_size", ctypes.c_size_t), ("entries", ctypes.c_size_t),
                ("tables", ctypes.c_size_t), ("directory_len", ctypes.c_size_t),
                ("global_depth", ctypes.c_size_t), ("capacity", ctypes.c_size_t),
                ("growth_left", ctypes.c_size_t), ("tombstones", ctypes.c_size_t),
                ("avg_probe", ctypes.c_double), ("max_probe", ctypes.c_size_t),
                ("bytes", ctypes.c_size_t)]


class MapIter(ctypes.Structure):
    """gort_map_iter: 128 opaque bytes that must not move while in use (a ctypes
    object's buffer never moves)."""
    _fields_ = [("opaque", ctypes.c_uint64 * 16)]


class SelectCase(ctypes.Structure):
    """gort_select_case."""
    _fields_ = [("chan", ctypes.c_void_p), ("op", ctypes.c_uint32),
                ("reserved", ctypes.c_uint32), ("value", ctypes.c_void_p)]


STRUCTS = {"gort_str": GortStr, "gort_type_desc": TypeDesc, "gort_heap_stats": HeapStats,
           "gort_map_stats": MapStats, "gort_map_iter": MapIter,
           "gort_select_case": SelectCase}
