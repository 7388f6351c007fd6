"""Slice: Go's []T (a window on a shared backing array) as a MutableSequence."""
import ctypes
from collections.abc import MutableSequence

from . import _lib
from ._errors import check
from ._handle import Handle
from ._heap import heap_arg
from ._types import as_type

_CHUNK = 256  # elements decoded per step of iteration


class Slice(Handle, MutableSequence):
    """Slice(elem, items=(), *, heap=None): a Go slice of `elem` (a gort type or int,
    float, bool, bytes, str, object) holding `items`.

    Python indexing (negative indices count from the end). `s[i:j]` is a Go sub-slice:
    a new Slice sharing the backing array (no copy; a write through one is seen by the
    other), with Python's clamping; `s.sub(lo, hi, max)` has Go's bounds (up to cap).
    `append` is Go's append on this handle. One thread at a time per Slice; handles
    sharing an array may live on different threads (docs/threading.md).
    """
    __slots__ = ("elem_type", "_heap")
    _free = _lib.py.gort_slice_free

    def __init__(self, elem, items=(), *, heap=None):
        self._adopt_new(as_type(elem), heap)
        check(_lib.py.gort_slice_nil(self.elem_type.ptr, heap_arg(heap),
                                     ctypes.byref(self._h)), "gort_slice_nil")
        self.extend(items)

    def _adopt_new(self, elem_type, heap):
        Handle.__init__(self)
        self.elem_type, self._heap = elem_type, heap  # a Heap outlives its slices

    @classmethod
    def make(cls, elem, length, capacity=None, *, heap=None):
        """make([]elem, length, capacity): zero values (0, b'', '', None)."""
        s = cls.__new__(cls)
        s._adopt_new(as_type(elem), heap)
        capacity = length if capacity is None else capacity
        for n in (length, capacity):
            if not isinstance(n, int) or n < 0:
                raise ValueError(f"length and capacity must be non-negative ints, not {n!r}")
        check(_lib.py.gort_slice_make(s.elem_type.ptr, length, capacity, heap_arg(heap),
                                      ctypes.byref(s._h)), "gort_slice_make", ValueError)
        return s

    def _derived(self, call, what):
        """A new Slice whose handle `call(out)` creates (sub-slices, clones)."""
        s = Slice.__new__(Slice)
        s._adopt_new(self.elem_type, self._heap)
        check(call(ctypes.byref(s._h)), what)
        return s

    # --- Sequence ---------------------------------------------------------------------
    def __len__(self):
        return _lib.py.gort_slice_len(self._live())

    @property
    def cap(self):
        return _lib.py.gort_slice_cap(self._live())

    @property
    def is_nil(self):
        """True for a nil slice (no backing array), as Go's s == nil."""
        return bool(_lib.py.gort_slice_is_nil(self._live()))

    def _index(self, i):
        if not isinstance(i, int):
            raise TypeError(f"slice indices must be integers, not {type(i).__name__}")
        return i + len(self) if i < 0 else i

    def __getitem__(self, i):
        if isinstance(i, slice):
            lo, hi, step = i.indices(len(self))
            if step != 1:
                raise ValueError("a gort.Slice view cannot have a step")
            return self.sub(lo, max(lo, hi))
        index = self._index(i)
        if index < 0:
            raise IndexError(f"index {i} out of range")
        elem = self.elem_type
        entry = elem.out()
        check(_lib.py.gort_slice_get(self._live(), index, entry[1]), "gort_slice_get")
        value = elem.get(entry[0])
        elem.give_back(entry)
        return value

    def __setitem__(self, i, value):
        if isinstance(i, slice):
            raise TypeError("slice assignment is not supported; use s[i:j].copy_from(src)")
        index = self._index(i)
        if index < 0:
            raise IndexError(f"index {i} out of range")
        check(_lib.py.gort_slice_set(self._live(), index, self.elem_type.arg(value)),
              "gort_slice_set")

    def __iter__(self):
        size = _lib.py.gort_type_size(self.elem_type.ptr)
        decode_at = self.elem_type.decode_at
        i = 0
        while True:
            h = self._live()
            n = _lib.py.gort_slice_len(h)
            if i >= n:
                return
            data = _lib.py.gort_slice_data(h)
            # Decode a chunk before yielding: the loop body may append and move the array.
            chunk = [decode_at(data + j * size) for j in range(i, min(n, i + _CHUNK))]
            i += len(chunk)
            yield from chunk

    # --- MutableSequence (O(n) moves, as in Go's slices.Insert / slices.Delete) ----------
    def __delitem__(self, i):
        if isinstance(i, slice):
            raise TypeError("slice deletion is not supported")
        n, index = len(self), self._index(i)
        if not 0 <= index < n:
            raise IndexError(f"index {i} out of range")
        with self.sub(index, n - 1) as dst, self.sub(index + 1, n) as src:
            dst.copy_from(src)
        with self.sub(n - 1, n) as last:
            last.zero()  # drop the reference the vacated slot holds
        check(_lib.py.gort_slice_reslice(self._live(), 0, n - 1, self.cap),
              "gort_slice_reslice")

    def insert(self, i, value):
        n = len(self)
        index = min(max(self._index(i), 0), n)
        self.append(value)
        if index < n:
            with self.sub(index + 1, n + 1) as dst, self.sub(index, n) as src:
                dst.copy_from(src)
            self[index] = value

    def append(self, value):
        check(_lib.py.gort_slice_append(self._live(), self.elem_type.arg(value)),
              "gort_slice_append")

    def extend(self, values):
        if isinstance(values, Slice):
            check(_lib.py.gort_slice_append_slice(self._live(), values._live()),
                  "gort_slice_append_slice")
            return
        encoded = [self.elem_type.encode(v) for v in values]
        if not encoded:
            return
        array = (self.elem_type.ctype * len(encoded))(*encoded)
        check(_lib.py.gort_slice_append_n(self._live(), array, len(encoded)),
              "gort_slice_append_n")

    def clear(self):
        """Python's clear: length 0 (the capacity is kept; old values are dropped)."""
        self.zero()
        check(_lib.py.gort_slice_reslice(self._live(), 0, 0, self.cap), "gort_slice_reslice")

    # --- Go ------------------------------------------------------------------------
    def sub(self, lo, hi, max=None):
        """s[lo:hi] or s[lo:hi:max] with Go's rules: 0 <= lo <= hi <= max <= cap."""
        h = self._live()
        if max is None:
            return self._derived(lambda out: _lib.py.gort_slice_sub(h, lo, hi, out),
                                 "gort_slice_sub")
        return self._derived(lambda out: _lib.py.gort_slice_sub3(h, lo, hi, max, out),
                             "gort_slice_sub3")

    def clone(self):
        """slices.Clone: a copy with a backing array of its own."""
        h = self._live()
        return self._derived(lambda out: _lib.py.gort_slice_clone(h, out), "gort_slice_clone")

    def copy_from(self, src):
        """Go's copy(s, src): copies min(len(s), len(src)) elements; returns that count."""
        if not isinstance(src, Slice):
            raise TypeError(f"copy_from needs a gort.Slice, not {type(src).__name__}")
        n = ctypes.c_size_t()
        check(_lib.py.gort_slice_copy(self._live(), src._live(), ctypes.byref(n)),
              "gort_slice_copy", TypeError)
        return n.value

    def grow(self, n):
        """slices.Grow: room for n more appends without reallocating."""
        check(_lib.py.gort_slice_grow(self._live(), n), "gort_slice_grow", ValueError)

    def clip(self):
        """slices.Clip: cap = len."""
        check(_lib.py.gort_slice_clip(self._live()), "gort_slice_clip")

    def zero(self):
        """Go's clear(s): every element becomes the zero value; the length stays."""
        check(_lib.py.gort_slice_clear(self._live()), "gort_slice_clear")

    @property
    def backing_bytes(self):
        """Bytes of the backing array this slice shares."""
        return _lib.py.gort_slice_backing_bytes(self._live())

    def __repr__(self):
        if self.released:
            return f"<released gort.Slice {self.elem_type}>"
        return f"gort.Slice({self.elem_type}, {list(self)!r})"
