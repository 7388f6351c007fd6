import gc
import sys
import unittest
from collections.abc import MutableMapping

import gort
from support import HeapCase


class Key:
    """A hashable key whose equality is by value, not identity."""

    def __init__(self, n):
        self.n = n

    def __hash__(self):
        return hash(self.n)

    def __eq__(self, other):
        return isinstance(other, Key) and other.n == self.n


class BadEq(Key):
    __hash__ = Key.__hash__

    def __eq__(self, other):
        raise ArithmeticError("no comparing")


class MapTests(HeapCase):
    def test_mutable_mapping(self):
        m = gort.Map(str, int, heap=self.heap)
        self.assertIsInstance(m, MutableMapping)
        m["one"] = 1
        m.update({"two": 2, "three": 3})
        self.assertEqual(len(m), 3)
        self.assertEqual(m["two"], 2)
        self.assertIn("three", m)
        self.assertNotIn("four", m)
        self.assertEqual(m.get("four", -1), -1)
        self.assertEqual(dict(m), {"one": 1, "two": 2, "three": 3})
        self.assertEqual(sorted(m.values()), [1, 2, 3])
        self.assertEqual(m, {"one": 1, "two": 2, "three": 3})
        self.assertEqual(m.pop("one"), 1)
        self.assertEqual(m.setdefault("five", 5), 5)
        m["two"] = 22
        self.assertEqual(dict(m.items()), {"two": 22, "three": 3, "five": 5})
        with self.assertRaises(KeyError):
            m["nope"]
        with self.assertRaises(KeyError):
            del m["nope"]
        del m["two"]
        self.assertEqual(set(m), {"three", "five"})
        m.clear()
        self.assertEqual(len(m), 0)
        m.release()

    def test_every_builtin_type_round_trips(self):
        cases = [(gort.int8, -128), (gort.int16, 32767), (gort.int32, -2**31),
                 (gort.int64, 2**63 - 1), (gort.uint8, 255), (gort.uint16, 65535),
                 (gort.uint32, 2**32 - 1), (gort.uint64, 2**64 - 1), (gort.float32, 1.5),
                 (gort.float64, -0.25), (gort.bool_, True), (gort.bytes_, b"a\0b"),
                 (gort.str_, "h\u00e9llo \ud800"), (gort.object_, ("any", 1))]
        for elem, value in cases:
            with self.subTest(elem=elem), gort.Map(elem, elem, heap=self.heap) as m:
                m[value] = value
                self.assertEqual(m[value], value)
                self.assertEqual(list(m.items()), [(value, value)])

    def test_go_float_keys(self):
        with gort.Map(float, int, heap=self.heap) as m:
            m[0.0] = 1
            m[-0.0] = 2  # +0 == -0: the same key
            nan = float("nan")
            m[nan] = 3
            m[nan] = 4  # NaN != NaN: every NaN is a new key
            self.assertEqual(len(m), 3)
            self.assertEqual(m[0.0], 2)
            self.assertNotIn(nan, m)

    def test_wrong_types_raise_and_change_nothing(self):
        with gort.Map(int, str, heap=self.heap) as m:
            m[1] = "one"
            for key, value, exc in [("1", "x", TypeError), (1.0, "x", TypeError),
                                    (2**63, "x", OverflowError), (1, b"x", TypeError),
                                    (1, 5, TypeError), (None, "x", TypeError)]:
                with self.subTest(key=key, value=value), self.assertRaises(exc):
                    m[key] = value
            self.assertEqual(dict(m), {1: "one"})
        with self.assertRaises(TypeError):
            gort.Map(list, int)
        with self.assertRaises(ValueError):
            gort.Map(int, int, hint=-1)

    def test_object_refcounts_are_exact(self):
        key, value, other = Key(7), object(), object()
        base = sys.getrefcount(key), sys.getrefcount(value), sys.getrefcount(other)

        def counts():
            return sys.getrefcount(key), sys.getrefcount(value), sys.getrefcount(other)

        m = gort.Map(object, object, heap=self.heap)
        m[key] = value
        self.assertEqual(counts(), (base[0] + 1, base[1] + 1, base[2]))
        m[Key(7)] = other  # an equal key: the value is replaced, the stored key kept
        self.assertEqual(counts(), (base[0] + 1, base[1], base[2] + 1))
        self.assertIs(m[key], other)
        copy = m.copy()
        self.assertEqual(counts(), (base[0] + 2, base[1], base[2] + 2))
        copy.release()
        self.assertEqual(len(list(m.items())), 1)  # iteration lends, keeps nothing
        self.assertEqual(counts(), (base[0] + 1, base[1], base[2] + 1))
        del m[Key(7)]
        self.assertEqual(counts(), base)
        m[key] = value
        m.release()  # dropping the map drops its references
        self.assertEqual(counts(), base)

    def test_unhashable_key_and_raising_eq(self):
        with gort.Map(object, int, heap=self.heap) as m:
            with self.assertRaises(TypeError):
                m[[1, 2]] = 1
            self.assertEqual(len(m), 0)
            m[BadEq(1)] = 1
            with self.assertRaises(ArithmeticError):
                m[BadEq(1)]  # the same hash: == runs inside libgort and raises
            self.assertEqual(len(m), 1)

    def test_del_running_python_code_is_deferred(self):
        """A value whose __del__ touches the map it is being dropped from: the drop
        must wait until libgort has finished the call."""
        m = gort.Map(int, object, heap=self.heap)
        seen = []

        class Reentrant:
            def __del__(self):
                seen.append(dict(m))  # reads the map during the drop
                m[100] = "from __del__"

        m[1] = Reentrant()
        m[1] = "replaced"
        self.assertEqual(seen, [{1: "replaced"}])
        self.assertEqual(m[100], "from __del__")
        m.release()

    def test_iteration_may_mutate(self):
        with gort.Map(int, int, heap=self.heap) as m:
            m.update((i, i) for i in range(1000))
            seen = 0
            for k in m:
                seen += 1
                m[k] = -k  # Go allows writes during range
            self.assertEqual(seen, 1000)
            self.assertEqual(sum(m.values()), -sum(range(1000)))
            for k in list(m):
                if k % 2:
                    del m[k]
            self.assertEqual(len(m), 500)
            m.shrink()
            stats = m.stats()
            self.assertEqual(stats["entries"], 500)
            self.assertGreater(stats["bytes"], 0)

    def test_released_map_raises(self):
        m = gort.Map(int, int, heap=self.heap)
        m[1] = 1
        it = iter(m)
        self.assertEqual(next(it), 1)
        m.release()
        m.release()  # idempotent
        self.assertTrue(m.released)
        for call in (lambda: m[1], lambda: m.__setitem__(1, 2), lambda: len(m),
                     lambda: list(m), m.clear, m.copy, m.stats):
            with self.assertRaises(ValueError):
                call()
        with self.assertRaises(StopIteration):
            next(it)  # the iterator held its own reference: it finishes cleanly
        del it
        gc.collect()

    def test_large_map_against_dict(self):
        with gort.Map(int, int, heap=self.heap, hint=1000) as m:
            expect = {}
            for i in range(20000):
                key = (i * 7919) % 5003
                m[key] = m.get(key, 0) + i
                expect[key] = expect.get(key, 0) + i
            self.assertEqual(dict(m.items()), expect)


class Counted(Key):
    """A Key that counts the == comparisons made on it, and whose __hash__ raises once
    it has been called `hashes_allowed` times."""
    __hash__ = Key.__hash__

    def __init__(self, n, hashes_allowed=None):
        super().__init__(n)
        self.compared = self.hashed = 0
        self.hashes_allowed = hashes_allowed

    def __hash__(self):
        self.hashed += 1
        if self.hashes_allowed is not None and self.hashed > self.hashes_allowed:
            raise LookupError("no more hashing")
        return super().__hash__()

    def __eq__(self, other):
        self.compared += 1
        return super().__eq__(other)


class GetManyTests(HeapCase):
    """Map.get_many(keys, default): one gort_map_get_n call, get's answers and errors."""

    def test_agrees_with_get_for_every_key_type(self):
        nan = float("nan")
        cases = [  # (type, keys stored, keys looked up that are absent)
            (gort.int8, [-128, 0, 127], [1, -1]),
            (gort.int16, [-32768, 5, 32767], [6]),
            (gort.int32, [-2**31, 2**31 - 1], [0]),
            (gort.int64, [-2**63, 0, 2**63 - 1], [1, 2**62]),
            (gort.uint8, [0, 255], [1]),
            (gort.uint16, [65535], [0]),
            (gort.uint32, [2**32 - 1, 7], [8]),
            (gort.uint64, [2**64 - 1, 0], [2**63]),
            (gort.float32, [1.5, -0.0], [2.5, nan]),  # 0.0 == -0.0: found
            (gort.float64, [-0.25, 0.0, 1e300], [nan, 0.5]),
            (gort.bool_, [True], [False]),
            (gort.bytes_, [b"a\0b", b""], [b"a", b"a\0"]),
            (gort.str_, ["h\u00e9llo \ud800", ""], ["h\u00e9llo", "\0"]),
            (gort.object_, [("any", 1), Key(3), None], [Key(4), ("any", 2)]),
        ]
        default = object()
        for elem, present, absent in cases:
            with self.subTest(elem=elem), gort.Map(elem, elem, heap=self.heap) as m:
                for key in present:
                    m[key] = key  # values of every type come back through unpack
                extra = [0.0] if elem is gort.float32 else []
                keys = absent[:1] + present + absent + present[::-1] + extra
                expect = [m.get(k, default) for k in keys]
                self.assertEqual(m.get_many(keys, default), expect)
                self.assertEqual(sum(v is default for v in expect), len(absent) + 1)
                self.assertEqual(m.get_many(keys), [m.get(k) for k in keys])

    def test_present_and_absent_keys_with_a_default(self):
        with gort.Map(int, str, heap=self.heap) as m:
            m.update((k, str(k)) for k in range(0, 1000, 2))
            keys = [(k * 7919) % 2000 for k in range(2000)]  # every key, shuffled
            result = m.get_many(keys, "none")
            self.assertEqual(result, [str(k) if k % 2 == 0 and k < 1000 else "none"
                                      for k in keys])
            self.assertEqual(m.get_many([1, 3], None), [None, None])
            marker = object()
            self.assertIs(m.get_many([5], marker)[0], marker)
            self.assertEqual(m.get_many([0, 0, 1, 0]), ["0", "0", None, "0"])

    def test_empty_input_and_empty_map(self):
        with gort.Map(str, int, heap=self.heap) as m:
            self.assertEqual(m.get_many([]), [])
            self.assertEqual(m.get_many(iter(())), [])
            self.assertEqual(m.get_many(["a", "b"], 0), [0, 0])
            m["a"] = 1
            self.assertEqual(m.get_many(()), [])
            self.assertEqual(m.get_many(["a", "b"], 0), [1, 0])

    def test_any_iterable_of_keys(self):
        with gort.Map(int, int, heap=self.heap) as m:
            m.update((k, -k) for k in range(10))
            self.assertEqual(m.get_many(k for k in range(5, 15)),
                             [-5, -6, -7, -8, -9, None, None, None, None, None])
            self.assertEqual(m.get_many(range(3)), [0, -1, -2])
            self.assertEqual(m.get_many({9: "a dict's keys"}), [-9])

    def test_large_input(self):
        n = 100_000
        with gort.Map(int, int, heap=self.heap) as m:
            m.update((k * 3, k) for k in range(n // 2))
            keys = [(k * 40503) % (3 * n // 2) for k in range(n)]
            expect = [k // 3 if k % 3 == 0 else -1 for k in keys]
            self.assertEqual(m.get_many(keys, -1), expect)
            self.assertEqual(m.get_many(keys[:1000], -1), [m.get(k, -1) for k in keys[:1000]])

    def test_str_keys(self):
        keys = ["", "a", "\0", "\u00e9t\u00e9", "\U0001F600", "lone \udc80", "x" * 10_000]
        with gort.Map(str, int, heap=self.heap) as m:
            for i, key in enumerate(keys):
                m[key] = i
            probes = keys + ["b", "\u00e9t\u00e8", "x" * 9_999] + keys[::-1]
            self.assertEqual(m.get_many(probes), [m.get(k) for k in probes])
            # Fresh str objects that nothing but the call holds: their UTF-8 bytes must
            # live until gort_map_get_n has read them.
            m.update((f"key {i}", i) for i in range(20_000))
            got = m.get_many(f"key {i}" for i in range(0, 40_000, 2))
            self.assertEqual(got, [i if i < 20_000 else None for i in range(0, 40_000, 2)])
        with gort.Map(bytes, int, heap=self.heap) as m:
            m[b"ab"] = 1
            self.assertEqual(m.get_many([bytearray(b"ab"), memoryview(b"xab")[1:], b"a"]),
                             [1, 1, None])

    def test_wrong_typed_key_raises_what_get_raises(self):
        cases = [(int, [1, "1"]), (int, [1, 1.0]), (int, [2**63, "x"]), (int, [None]),
                 (gort.int8, [1, 128]), (gort.uint64, [-1]), (float, [1.5, "1.5"]),
                 (bool, [True, 1]), (str, ["a", b"a"]), (bytes, [b"a", "a"]),
                 (object, [Key(1), [1, 2]])]
        for key_type, keys in cases:
            with self.subTest(key_type=key_type, keys=keys), \
                    gort.Map(key_type, int, heap=self.heap) as m:
                with self.assertRaises(Exception) as from_get:
                    for key in keys:
                        m.get(key)
                with self.assertRaises(type(from_get.exception)) as from_many:
                    m.get_many(keys)
                self.assertEqual(str(from_many.exception), str(from_get.exception))

    def test_bad_key_raises_before_anything_is_looked_up(self):
        with gort.Map(int, int, heap=self.heap) as m:
            m.update({1: 10, 2: 20})
            with self.assertRaises(TypeError):
                m.get_many([1, 2, "3"])
            self.assertEqual(dict(m), {1: 10, 2: 20})
            self.assertEqual(m.get_many([1, 2, 3]), [10, 20, None])  # still usable
        stored = Counted(1)
        with gort.Map(object, int, heap=self.heap) as m:
            m[stored] = 1
            probe = Counted(1)
            with self.assertRaises(TypeError):  # unhashable: found before any lookup
                m.get_many([probe, {}])
            self.assertEqual((stored.compared, probe.compared), (0, 0))
            self.assertEqual(m.get_many([probe]), [1])  # now == runs in the lookup
            self.assertEqual(stored.compared + probe.compared, 1)

    def test_object_key_hooks_raise_as_for_get(self):
        with gort.Map(object, int, heap=self.heap) as m:
            m[BadEq(1)] = 1
            m[Key(2)] = 2
            with self.assertRaises(ArithmeticError):
                m[BadEq(1)]
            with self.assertRaises(ArithmeticError):  # == runs inside libgort and raises
                m.get_many([Key(2), BadEq(1), Key(3)])
            self.assertEqual(m.get_many([Key(2), Key(3)]), [2, None])  # nothing stale
            # __hash__ that passes get_many's own check, then raises in the map's hook
            with self.assertRaises(LookupError):
                m.get(Counted(2, hashes_allowed=1))
            with self.assertRaises(LookupError):
                m.get_many([Key(2), Counted(2, hashes_allowed=1)])
            self.assertEqual(len(m), 2)
            self.assertEqual(m.get_many([Key(2)]), [2])

    def test_object_refcounts_are_exact(self):
        key, value = Key(7), object()
        base = sys.getrefcount(key), sys.getrefcount(value)
        with gort.Map(object, object, heap=self.heap) as m:
            m[key] = value
            got = m.get_many([key, Key(7), Key(8), key])
            self.assertEqual(got, [value, value, None, value])
            self.assertIs(got[0], value)
            self.assertEqual(sys.getrefcount(value), base[1] + 1 + 3)  # map + 3 in got
            del got
            self.assertEqual((sys.getrefcount(key), sys.getrefcount(value)),
                             (base[0] + 1, base[1] + 1))
        self.assertEqual((sys.getrefcount(key), sys.getrefcount(value)), base)

    def test_released_map_raises(self):
        m = gort.Map(int, int, heap=self.heap)
        m.release()
        for keys in ([1], []):
            with self.subTest(keys=keys), self.assertRaises(ValueError):
                m.get_many(keys)


if __name__ == "__main__":
    unittest.main()
