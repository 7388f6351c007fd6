"""Ownership of one C handle by one Python object.

The handle lives in a ctypes c_void_p, and calls pass that c_void_p object itself rather
than the address: ctypes reads the address while converting the arguments, inside a
GIL-holding call (_lib.py), so a call and a release from another Python thread cannot
interleave — the call sees either the live handle or NULL (which libgort rejects with
GORT_EINVAL or treats as empty). A call that releases the GIL first takes a reference of
its own (channels) so a release meanwhile cannot free the object under it.
"""
import ctypes
import threading

from . import _refs

_release_lock = threading.Lock()


class Handle:
    """Base of Slice, Map, Chan and Heap: one C handle, freed exactly once, by
    release(), the end of a `with` block, or garbage collection."""
    __slots__ = ("_h", "__weakref__")
    _free = None  # the C function that gives the handle back

    def __init__(self):
        self._h = ctypes.c_void_p()

    def _live(self):
        """The handle, or ValueError once released."""
        if not self._h:
            raise ValueError(f"{type(self).__name__} used after release")
        return self._h

    @property
    def released(self):
        return not self._h

    @property
    def handle(self):
        """The C handle's address (borrowed: valid while this object is unreleased)."""
        return self._live().value

    def release(self):
        """Gives the C handle back now. Idempotent; any later use raises ValueError."""
        with _release_lock:
            address, self._h.value = self._h.value, None
        if address:
            self._free_handle(address)
            _refs.drain()

    def _free_handle(self, address):
        type(self)._free(address)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.release()

    def __del__(self):
        try:
            self.release()
        except Exception:  # interpreter shutdown: modules may already be gone
            pass
