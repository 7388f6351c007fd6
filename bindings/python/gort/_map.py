"""Map: Go's map[K]V (a swiss table in libgort) as a MutableMapping."""
import ctypes
from collections.abc import ItemsView, MutableMapping, ValuesView

from . import _lib, _refs
from ._errors import check
from ._handle import Handle
from ._heap import heap_arg
from ._types import as_type

_BATCH = 64  # entries per gort_map_iter_next_n call
_get, _get_n, _set = _lib.py.gort_map_get, _lib.py.gort_map_get_n, _lib.py.gort_map_set
_set_n, _delete_n = _lib.py.gort_map_set_n, _lib.py.gort_map_delete_n


class Map(Handle, MutableMapping):
    """Map(key, value, items=None, *, hint=0, heap=None): a map from `key` to `value`
    element types (gort types or int, float, bool, bytes, str, object).

    Reads copy values out (a str or bytes is copied; an object gets a new reference).
    Iteration follows Go: the map may change while it is iterated (no RuntimeError);
    entries come in batches of 64, so one deleted after its batch was fetched may still
    be produced. Any number of threads may read at once; a writer needs the map alone.
    """
    __slots__ = ("key_type", "value_type", "_heap")
    _free = _lib.py.gort_map_release

    def __init__(self, key, value, items=None, *, hint=0, heap=None):
        super().__init__()
        self.key_type, self.value_type = as_type(key), as_type(value)
        if not isinstance(hint, int) or hint < 0:
            raise ValueError(f"hint must be a non-negative int, not {hint!r}")
        check(_lib.py.gort_map_create(self.key_type.ptr, self.value_type.ptr, hint,
                                      heap_arg(heap), ctypes.byref(self._h)),
              "gort_map_create", ValueError)
        self._heap = heap  # a Heap must outlive the maps in it
        if items is not None:
            self.update(items)

    def _key(self, key):
        if self.key_type.is_object:
            hash(key)  # an unhashable key fails here, before the map is touched
        return self.key_type.arg(key)

    def _keys(self, keys):
        """(the keys as a list, packed into one C array): what _key does for one key,
        for the calls that take n keys. The list keeps alive the objects whose pointers
        are packed, and an unhashable key fails here, before the map is touched."""
        keys = list(keys)
        if self.key_type.is_object:
            for key in keys:
                hash(key)
        return keys, self.key_type.pack(keys)

    def _call(self, status, what):
        if self.key_type.is_object:
            try:
                _refs.reraise()
            finally:
                if _refs._pending:
                    _refs.drain()  # check's drain would be skipped by the exception
        return check(status, what)

    def _lookup(self, key, want_value=True):
        """(value, found) for key; the value is None when not found, or not wanted (then
        libgort copies no value and none is decoded)."""
        k = self._key(key)
        value_type = self.value_type
        entry = value_type.out()
        out, address, found_address = entry
        status = _get(self._live(), k, address if want_value else None, found_address)
        if status or self.key_type.is_object:
            self._call(status, "gort_map_get")
        found = out.flag
        value = value_type.get(out) if found and want_value else None
        value_type.give_back(entry)
        return value, found

    def __getitem__(self, key):
        value, found = self._lookup(key)
        if not found:
            raise KeyError(key)
        return value

    def get(self, key, default=None):
        value, found = self._lookup(key)
        return value if found else default

    def get_many(self, keys, default=None):
        """[self.get(key, default) for key in keys] in one gort_map_get_n call, which
        overlaps the lookups' cache misses and pays the ctypes crossing once. Every key
        is converted (and, for object keys, hashed) before anything is looked up, so a
        key get would refuse raises get's exception with nothing looked up."""
        keys, packed = self._keys(keys)
        h, n = self._live(), len(keys)
        if n == 0:
            return []
        # One call, not chunks: every key is packed before any lookup anyway, and the
        # two arrays libgort fills take less memory than the list returned.
        value_type = self.value_type
        values, found = (ctypes.c_char * (n * value_type.size))(), (ctypes.c_int * n)()
        hits = self._call(_get_n(h, packed, n, values, found), "gort_map_get_n")
        if hits == 0:
            return [default] * n
        values = value_type.unpack(values)
        if hits == n:
            return values
        found = memoryview(found).cast("B").cast("i")  # zips 4x faster than ctypes
        return [v if f else default for v, f in zip(values, found)]

    def set_many(self, keys, values):
        """self[key] = value for each pair of zip(keys, values), in order (of two equal
        keys the later pair wins), in one gort_map_set_n call; returns how many keys
        were new (the others overwrote). All or nothing: every key and value is
        converted (and object keys hashed) first, so one that self[key] = value would
        refuse raises its exception with nothing set, and libgort makes every
        allocation before it changes an entry (MemoryError: nothing set either). keys
        and values are any iterables of the same length (else ValueError). An exception
        from an object key's __hash__ or __eq__ inside libgort is raised once the call
        returns, as for self[key] = value: the call cannot stop, and completes with the
        hook's answer taken as given (a hash of 0, "not equal")."""
        keys, packed_keys = self._keys(keys)
        values = list(values)  # keeps alive the objects whose pointers are packed
        if len(values) != len(keys):
            raise ValueError(f"set_many: {len(keys)} keys but {len(values)} values")
        packed_values, h, n = self.value_type.pack(values), self._live(), len(keys)
        if n == 0:
            return 0
        return self._call(_set_n(h, packed_keys, packed_values, n), "gort_map_set_n")

    def delete_many(self, keys):
        """del self[key] for each of keys that is present, in one gort_map_delete_n call;
        returns how many entries were deleted. A missing key is skipped, as Go's delete
        does (no KeyError). Every key is converted (and object keys hashed) before
        anything is deleted, so a key del self[key] would refuse raises its exception
        with the map unchanged."""
        keys, packed = self._keys(keys)
        h, n = self._live(), len(keys)
        if n == 0:
            return 0
        return self._call(_delete_n(h, packed, n), "gort_map_delete_n")

    def __contains__(self, key):
        return bool(self._lookup(key, False)[1])

    def __setitem__(self, key, value):
        k, v = self._key(key), self.value_type.arg(value)
        status = _set(self._live(), k, v)
        if status or self.key_type.is_object or _refs._pending:
            self._call(status, "gort_map_set")

    def __delitem__(self, key):
        k = self._key(key)
        h = self._live()
        before = _lib.py.gort_map_len(h)
        self._call(_lib.py.gort_map_delete(h, k), "gort_map_delete")
        if _lib.py.gort_map_len(h) == before:
            raise KeyError(key)

    def __len__(self):
        return _lib.py.gort_map_len(self._live())

    def clear(self):
        check(_lib.py.gort_map_clear(self._live()), "gort_map_clear")

    def _entries(self, keys, values):
        """Yields keys, values or (key, value) pairs, fetched _BATCH at a time."""
        ref = _lib.py.gort_map_retain(self._live())  # alive even if released meanwhile
        it = _lib.MapIter()
        key_ptrs = (ctypes.c_void_p * _BATCH)() if keys else None
        value_ptrs = (ctypes.c_void_p * _BATCH)() if values else None
        decode_key, decode_value = self.key_type.decode_at, self.value_type.decode_at
        try:
            self._call(_lib.py.gort_map_iter_init(ref, ctypes.byref(it)),
                       "gort_map_iter_init")
            while True:
                # a changed map's iterator looks keys up again: __eq__/__hash__ may raise
                n = self._call(_lib.py.gort_map_iter_next_n(ctypes.byref(it), key_ptrs,
                                                            value_ptrs, _BATCH),
                               "gort_map_iter_next_n")
                if n == 0:
                    return
                # Decode the whole batch before yielding: the pointers are borrowed and
                # die with the next mutation, which the loop body may make.
                if keys and values:
                    batch = [(decode_key(key_ptrs[i]), decode_value(value_ptrs[i]))
                             for i in range(n)]
                elif keys:
                    batch = [decode_key(key_ptrs[i]) for i in range(n)]
                else:
                    batch = [decode_value(value_ptrs[i]) for i in range(n)]
                yield from batch
        finally:
            _lib.py.gort_map_iter_finish(ctypes.byref(it))
            _lib.py.gort_map_release(ref)
            _refs.drain()

    def __iter__(self):
        return self._entries(True, False)

    def items(self):
        return _ItemsView(self)

    def values(self):
        return _ValuesView(self)

    def copy(self):
        """A new map with the same entries (gort_map_clone)."""
        clone = Map.__new__(Map)
        Handle.__init__(clone)
        clone.key_type, clone.value_type, clone._heap = self.key_type, self.value_type, \
            self._heap
        self._call(_lib.py.gort_map_clone(self._live(), ctypes.byref(clone._h)),
                   "gort_map_clone")
        return clone

    def shrink(self):
        """Gives back memory after many deletions (gort_map_shrink)."""
        self._call(_lib.py.gort_map_shrink(self._live()), "gort_map_shrink")  # rehashes

    def stats(self):
        """The map's gort_map_stats as a dict."""
        out = _lib.MapStats(struct_size=ctypes.sizeof(_lib.MapStats))
        check(_lib.py.gort_map_stats_get(self._live(), ctypes.byref(out)),
              "gort_map_stats_get")
        return {name: getattr(out, name) for name, _ in _lib.MapStats._fields_[1:]}

    def __repr__(self):
        if self.released:
            return f"<released gort.Map {self.key_type}->{self.value_type}>"
        return f"gort.Map({self.key_type}, {self.value_type}, {dict(self.items())!r})"


class _ItemsView(ItemsView):
    def __iter__(self):
        return self._mapping._entries(True, True)


class _ValuesView(ValuesView):
    def __iter__(self):
        return self._mapping._entries(False, True)
