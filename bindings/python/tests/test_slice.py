import sys
import unittest
from collections.abc import MutableSequence

import gort
from support import HeapCase


class SliceTests(HeapCase):
    def test_mutable_sequence(self):
        s = gort.Slice(int, range(5), heap=self.heap)
        self.assertIsInstance(s, MutableSequence)
        self.assertEqual(list(s), [0, 1, 2, 3, 4])
        self.assertEqual((len(s), s[0], s[-1]), (5, 0, 4))
        s[1] = 10
        s.append(5)
        s.extend([6, 7])
        s.insert(0, -1)
        s.insert(100, 8)  # clamped, as list.insert
        del s[2]
        self.assertEqual(list(s), [-1, 0, 2, 3, 4, 5, 6, 7, 8])
        self.assertEqual(s.index(4), 4)
        self.assertEqual(s.count(7), 1)
        self.assertEqual(s.pop(), 8)
        s.remove(0)
        s.reverse()
        self.assertEqual(list(s), [7, 6, 5, 4, 3, 2, -1])
        self.assertIn(6, s)
        s.clear()
        self.assertEqual((len(s), list(s)), (0, []))
        for bad in (7, -8):
            with self.assertRaises(IndexError):
                s[bad]
        s.release()

    def test_go_semantics(self):
        s = gort.Slice.make(int, 3, 10, heap=self.heap)
        self.assertEqual((list(s), s.cap, s.is_nil), ([0, 0, 0], 10, False))
        with gort.Slice(int, heap=self.heap) as nil:
            self.assertTrue(nil.is_nil)
        view = s[1:3]  # shares the backing array
        view[0] = 42
        self.assertEqual(s[1], 42)
        self.assertEqual(view.cap, 9)
        wide = s.sub(0, 8)  # up to cap, as in Go
        self.assertEqual(len(wide), 8)
        with self.assertRaises(IndexError):
            s.sub(0, 11)
        with self.assertRaises(ValueError):
            s[::2]
        three = s.sub(0, 2, 2)
        three.append(7)  # cap exhausted: reallocates, s is untouched
        self.assertEqual((s[2], three[2]), (0, 7))
        clone = s.clone()
        clone[0] = 99
        self.assertEqual(s[0], 0)
        self.assertEqual(s.copy_from(gort.Slice(int, [5, 6, 7, 8], heap=self.heap)), 3)
        self.assertEqual(list(s), [5, 6, 7])
        s.zero()
        self.assertEqual(list(s), [0, 0, 0])
        s.grow(100)
        self.assertGreaterEqual(s.cap, 103)
        s.clip()
        self.assertEqual(s.cap, 3)
        self.assertGreater(s.backing_bytes, 0)
        with self.assertRaises(TypeError):
            s.copy_from(gort.Slice(str, heap=self.heap))
        for handle in (view, wide, three, clone, s):
            handle.release()

    def test_strings_and_bytes_are_copied(self):
        with gort.Slice(str, ["a", "\u00fc", ""], heap=self.heap) as s, \
                gort.Slice(bytes, [b"x\0y", bytearray(b"z")], heap=self.heap) as b:
            self.assertEqual(list(s), ["a", "\u00fc", ""])
            self.assertEqual(list(b), [b"x\0y", b"z"])
            with self.assertRaises(TypeError):
                s.append(b"bytes")
            with self.assertRaises(TypeError):
                b.append("text")

    def test_object_refcounts_are_exact(self):
        x, y = object(), object()
        bx, by = sys.getrefcount(x), sys.getrefcount(y)
        s = gort.Slice(object, [x, x, y], heap=self.heap)
        self.assertEqual((sys.getrefcount(x), sys.getrefcount(y)), (bx + 2, by + 1))
        view = s[0:2]  # a view shares the array: no new references
        self.assertEqual(sys.getrefcount(x), bx + 2)
        s[1] = y
        self.assertEqual((sys.getrefcount(x), sys.getrefcount(y)), (bx + 1, by + 2))
        del s[0]
        self.assertEqual(list(s), [y, y])
        self.assertEqual((sys.getrefcount(x), sys.getrefcount(y)), (bx, by + 2))
        s.release()
        self.assertEqual(sys.getrefcount(y), by + 2)  # view still holds the array
        view.release()
        self.assertEqual((sys.getrefcount(x), sys.getrefcount(y)), (bx, by))
        with gort.Slice.make(object, 2, heap=self.heap) as zeros:
            self.assertEqual(list(zeros), [None, None])

    def test_bad_input(self):
        with gort.Slice(gort.uint8, heap=self.heap) as s:
            for value, exc in [(256, OverflowError), (-1, OverflowError), ("1", TypeError),
                               (1.5, TypeError)]:
                with self.subTest(value=value), self.assertRaises(exc):
                    s.append(value)
            with self.assertRaises(TypeError):
                s.extend([1, 2, "3"])
            self.assertEqual(len(s), 0)  # a failed extend appends nothing
            with self.assertRaises(TypeError):
                s["0"]
            with self.assertRaises(TypeError):
                s[0:1] = [1]
        with self.assertRaises(ValueError):
            gort.Slice.make(int, -1)
        with self.assertRaises(ValueError):
            gort.Slice.make(int, 5, 2)
        s = gort.Slice(int, [1], heap=self.heap)
        s.release()
        for call in (lambda: s[0], lambda: s.append(1), lambda: len(s), s.clone):
            with self.assertRaises(ValueError):
                call()


if __name__ == "__main__":
    unittest.main()
