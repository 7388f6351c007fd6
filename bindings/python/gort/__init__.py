"""gort: Go's slices, maps and channels from libgort, for Python.

    import gort
    counts = gort.Map(str, int)                 # map[string]int64
    words = gort.Chan(str, 64)                  # make(chan string, 64)
    ...
    i, value, ok = gort.select(gort.Recv(words), gort.Send(done, True), timeout=1.0)

Element types: int, float, bool, bytes, str, object, or a precise gort type (int8 ...
uint64, float32, float64, bool_, bytes_, str_, object_). See README.md.

`gort.accelerated` is True when the C accelerator (_gort_speedups) runs the channels'
hot paths and the object hooks, False when everything goes through ctypes (it is not
built, or GORT_PYTHON_PURE=1).
"""
from ._lib import path as library_path
from ._errors import ChannelClosed, strerror
from ._types import (Type, bool_, bytes_, float32, float64, int8, int16, int32, int64,
                     object_, str_, uint8, uint16, uint32, uint64)
from ._heap import Heap, HeapStats, default_heap_stats
from ._slice import Slice
from ._map import Map
from ._chan import Chan, Recv, Send, select
from . import _accel, _lib

__version__ = _lib.py.gort_version_string().decode()
allocator = _lib.py.gort_heap_allocator().decode()
accelerated = _accel.speedups is not None

__all__ = ["ChannelClosed", "Chan", "Heap", "HeapStats", "Map", "Recv", "Send", "Slice",
           "Type", "accelerated", "allocator", "bool_", "bytes_", "default_heap_stats",
           "float32", "float64", "int8", "int16", "int32", "int64", "library_path",
           "object_", "select", "str_", "strerror", "uint8", "uint16", "uint32", "uint64"]
