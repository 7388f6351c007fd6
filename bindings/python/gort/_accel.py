"""The optional C accelerator: the module _gort_speedups, or None for the ctypes code.

The accelerator (bindings/python/speedups/, built by meson when Python's headers are
installed) runs Chan's send, try_send, recv, try_recv and iteration, and the `object`
type's hooks, in C. It is a top-level module beside the package, as the standard
library pairs `_json` with `json`; the package works the same without it.

It does not link libgort: it receives the addresses of the few functions it calls from
the library _lib.py loaded, so one libgort serves the process, wherever it was found
($GORT_LIBRARY, the SONAME, pkg-config).

GORT_PYTHON_PURE=1 in the environment keeps the ctypes code even when the accelerator is
importable; so does a build of the accelerator made for another version of this package.
"""
import ctypes
import os
import threading

from . import _lib

API_VERSION = 1  # must equal _gort_speedups.API_VERSION (speedups/module.c)


def _wanted():
    return os.environ.get("GORT_PYTHON_PURE", "") in ("", "0")


def _load():
    if not _wanted():
        return None
    try:
        import _gort_speedups as module
    except ImportError:
        return None
    if getattr(module, "API_VERSION", None) != API_VERSION:
        return None
    addresses = {name: ctypes.cast(getattr(_lib.py, name), ctypes.c_void_p).value
                 for name in module.FUNCTIONS}
    module.init(addresses, threading.main_thread().ident)
    # In a forked child the forking thread is the main thread (whose waits are sliced so
    # Ctrl-C is seen).
    os.register_at_fork(after_in_child=lambda: module.set_main_thread(threading.get_ident()))
    return module


speedups = _load()


def codec(kind, type_ptr, name):
    """The accelerator's Codec for an element type (None with the ctypes code)."""
    if speedups is None:
        return None
    return speedups.Codec(kind, type_ptr, name)
