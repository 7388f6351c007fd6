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


if __name__ == "__main__":
    unittest.main()
