"""Heaps: jemalloc arenas whose memory can be measured and returned at once."""
import collections
import ctypes

from . import _lib
from ._errors import check
from ._handle import Handle

HeapStats = collections.namedtuple(
    "HeapStats", "allocated active resident mapped live_blocks live_objects")


def _stats(address_or_handle):
    out = _lib.HeapStats(struct_size=ctypes.sizeof(_lib.HeapStats))
    check(_lib.py.gort_heap_stats_get(address_or_handle, ctypes.byref(out)),
          "gort_heap_stats_get")
    return HeapStats(out.allocated, out.active, out.resident, out.mapped,
                     out.live_blocks, out.live_objects)


def default_heap_stats():
    """Statistics of the default heap (where containers created without heap= live)."""
    return _stats(None)


class Heap(Handle):
    """A heap of its own (gort_heap_create). Pass it as heap= to containers; each keeps
    the Heap alive. release() destroys it and raises RuntimeError (GORT_EBUSY) while
    anything still lives in it."""
    __slots__ = ()

    def __init__(self):
        super().__init__()
        check(_lib.py.gort_heap_create(ctypes.byref(self._h)), "gort_heap_create")

    def stats(self):
        return _stats(self._live())

    def _free_handle(self, address):
        status = _lib.py.gort_heap_destroy(address, 0)
        if status == _lib.EBUSY:
            self._h.value = address  # still alive: the caller may release its objects
        check(status, "gort_heap_destroy")


def heap_arg(heap):
    """The C heap for a container's heap= argument (None: the default heap)."""
    if heap is None:
        return None
    if not isinstance(heap, Heap):
        raise TypeError(f"heap must be a gort.Heap, not {type(heap).__name__}")
    return heap._live()
