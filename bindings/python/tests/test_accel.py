"""The C accelerator (_gort_speedups) against the ctypes code.

meson runs this suite twice: 'python' with the accelerator, 'python-pure' with
GORT_PYTHON_PURE=1. Every test but the first two checks behaviour both modes must share
(the same values, exceptions and messages, exact reference counts), so the pure run is
the reference the accelerated run is held to.
"""
import math
import _thread
import ctypes
import gc
import os
import re
import sys
import threading
import time
import unittest

import gort
import support
from gort import _lib, _refs
from support import HeapCase


class Mode(unittest.TestCase):
    def test_runs_in_the_expected_mode(self):
        expect = os.environ.get("GORT_EXPECT_ACCELERATED")
        if expect is None:
            self.skipTest("GORT_EXPECT_ACCELERATED is not set (run through meson test)")
        self.assertEqual(gort.accelerated, expect == "1")
        if os.environ.get("GORT_PYTHON_PURE") == "1":
            self.assertFalse(gort.accelerated)

    def test_one_libgort_in_the_process(self):
        with open("/proc/self/maps") as maps:
            paths = {line.split()[-1] for line in maps if re.search(r"/libgort\.so", line)}
        self.assertEqual(len({os.stat(p).st_ino for p in paths}), 1, paths)
        if gort.accelerated:
            import _gort_speedups
            with open(_gort_speedups.__file__, "rb") as module:
                self.assertNotIn(b"libgort.so", module.read())  # no DT_NEEDED on it


class Item:
    """An object whose reference count the tests follow."""


class ObjectChannelRefcounts(HeapCase):
    def setUp(self):
        super().setUp()
        self.item = Item()
        self.base = sys.getrefcount(self.item)

    def held(self):
        """References to self.item beyond the test's own. Every call into the binding
        drops what libgort released before it returns, so nothing may be pending."""
        self.assertFalse(_refs._pending, "a call left released references undropped")
        return sys.getrefcount(self.item) - self.base

    def test_select_and_try_send_give_back_unsent_objects(self):
        full = gort.Chan(object, 1, heap=self.heap)
        full.send(0)
        self.assertIsNone(gort.select(gort.Send(full, self.item), timeout=0))
        self.assertEqual(self.held(), 0)
        self.assertIsNone(gort.select(gort.Send(full, self.item), timeout=0.01))
        self.assertEqual(self.held(), 0)
        self.assertFalse(full.try_send(self.item))
        self.assertEqual(self.held(), 0)
        full.close()
        with self.assertRaises(gort.ChannelClosed):
            gort.select(gort.Send(full, self.item), timeout=0)
        self.assertEqual(self.held(), 0)
        full.release()

    def test_send_recv_try_and_release(self):
        ch = gort.Chan(object, 2, heap=self.heap)
        ch.send(self.item)
        self.assertTrue(ch.try_send(self.item))
        self.assertEqual(self.held(), 2)
        self.assertFalse(ch.try_send(self.item))  # full: nothing kept
        self.assertEqual(self.held(), 2)
        got = ch.recv()  # the channel's reference moves to us
        self.assertIs(got, self.item)
        self.assertEqual(self.held(), 2)
        del got
        self.assertEqual(ch.try_recv(), (self.item, True))
        self.assertEqual(self.held(), 0)
        ch.send(self.item)
        ch.release()  # the buffered copy is dropped with the channel
        self.assertEqual(self.held(), 0)

    def test_close_with_buffered_values(self):
        ch = gort.Chan(object, 4, heap=self.heap)
        for _ in range(3):
            ch.send(self.item)
        ch.close()
        with self.assertRaises(gort.ChannelClosed):
            ch.send(self.item)
        self.assertEqual(self.held(), 3)
        got = list(ch)  # drains the buffer, then stops at the close
        self.assertEqual(len(got), 3)
        self.assertEqual(self.held(), 3)
        del got
        self.assertEqual(self.held(), 0)
        ch.release()

    def test_waits_that_time_out_keep_nothing(self):
        ch = gort.Chan(object, 1, heap=self.heap)
        ch.send(self.item)
        with self.assertRaises(TimeoutError):
            ch.send(self.item, timeout=0.05)
        with self.assertRaises(TimeoutError):
            ch.send(self.item, timeout=0)
        self.assertEqual(self.held(), 1)
        # Off the main thread the wait is one call; on it, 0.1 s slices that each
        # stage the value and give it back.
        waiter = threading.Thread(target=lambda: self.assertRaises(
            TimeoutError, ch.send, self.item, timeout=0.25))
        waiter.start()
        with self.assertRaises(TimeoutError):
            ch.send(self.item, timeout=0.25)
        waiter.join()
        self.assertEqual(self.held(), 1)
        ch.release()
        self.assertEqual(self.held(), 0)

    def test_blocked_send_completes(self):
        ch = gort.Chan(object, 0, heap=self.heap)
        got = []
        receiver = threading.Timer(0.05, lambda: got.append(ch.recv()))
        receiver.start()
        ch.send(self.item)  # waits (unbuffered) with the GIL released
        receiver.join()
        self.assertEqual(got, [self.item])
        self.assertEqual(self.held(), 1)
        del got[:]
        self.assertEqual(self.held(), 0)
        ch.release()

    def test_none_and_the_zero_value(self):
        with gort.Chan(object, 2, heap=self.heap) as ch:
            ch.send(None)
            self.assertEqual(ch.try_recv(), (None, True))
            ch.close()
            with self.assertRaisesRegex(gort.ChannelClosed, "^try_recv: channel closed$"):
                ch.try_recv()

    def test_python_threads_share_objects(self):
        ch = gort.Chan(object, 8, heap=self.heap)
        per_producer, producers, consumers = 3000, 3, 2
        counts = []

        def produce(_):
            for i in range(per_producer):
                ch.send((self.item, i))

        def consume():
            n = 0
            for pair in ch:
                self.assertIs(pair[0], self.item)
                n += 1
            counts.append(n)

        support.run_team(ch, produce, consume, producers, consumers)
        self.assertEqual(sum(counts), producers * per_producer)
        gc.collect()
        self.assertEqual(self.held(), 0)
        ch.release()

    def test_c_thread_echoes_objects(self):
        lib = support.pyecho()
        to_c = gort.Chan(object, 4, heap=self.heap)
        from_c = gort.Chan(object, 4, heap=self.heap)
        thread = ctypes.c_void_p()
        self.assertEqual(lib.gort_pyecho_start(to_c.handle, from_c.handle,
                                               ctypes.byref(thread)), 0)
        items = [Item() for _ in range(200)]
        bases = [sys.getrefcount(x) for x in items]
        got = []

        def produce():  # a Python thread feeds the C thread while this one drains it
            for x in items:
                to_c.send(x)
            to_c.send(self.item)
            to_c.close()

        producer = threading.Thread(target=produce)
        producer.start()
        got = list(from_c)  # the C thread closes from_c after to_c drains
        producer.join()
        count = ctypes.c_int64()
        self.assertEqual(lib.gort_pyecho_join(thread, ctypes.byref(count)), 0)
        self.assertEqual(count.value, len(items) + 1)
        self.assertEqual(got, items + [self.item])
        self.assertTrue(all(a is b for a, b in zip(got, items)))
        to_c.release()
        from_c.release()  # drains the references the C thread released
        self.assertEqual([sys.getrefcount(x) for x in items], [b + 1 for b in bases])
        self.assertEqual(self.held(), 1)
        del got
        self.assertEqual([sys.getrefcount(x) for x in items], bases)
        self.assertEqual(self.held(), 0)

    def test_ctrl_c_interrupts_blocked_object_send_and_recv(self):
        if threading.current_thread() is not threading.main_thread():
            self.skipTest("needs the main thread")
        full = gort.Chan(object, 1, heap=self.heap)
        full.send(self.item)
        empty = gort.Chan(object, 0, heap=self.heap)
        calls = [empty.recv, lambda: full.send(self.item)]
        if not gort.accelerated:
            # The ctypes path runs the retain and release hooks of each 0.1 s slice as
            # Python callbacks; a signal handled inside one is lost (ctypes prints it),
            # and the send waits on. The accelerator's hooks are C and never run it.
            calls.pop()
        for call in calls:
            timer = threading.Timer(0.15, _thread.interrupt_main)
            timer.start()
            start = time.monotonic()
            with self.assertRaises(KeyboardInterrupt):
                call()
            self.assertLess(time.monotonic() - start, 2.0)
            timer.join()
        self.assertEqual(self.held(), 1)
        full.release()
        empty.release()
        self.assertEqual(self.held(), 0)


class Conversions(HeapCase):
    def roundtrip(self, elem, values):
        with gort.Chan(elem, len(values) + 1, heap=self.heap) as ch:
            for v in values:
                ch.send(v)
            self.assertTrue(ch.try_send(values[0]))
            got = [ch.recv() for _ in values] + [ch.try_recv()]
            ch.close()
            self.assertEqual(list(ch), [])
            return got

    def test_every_type_round_trips(self):
        class Index:
            def __index__(self):
                return 7

        cases = [
            (gort.int8, [-128, 127, True], [-128, 127, 1]),
            (gort.int16, [-32768, 32767], None),
            (gort.int32, [-2**31, 2**31 - 1, Index()], [-2**31, 2**31 - 1, 7]),
            (int, [-2**63, 2**63 - 1, 0], None),
            (gort.uint8, [0, 255], None),
            (gort.uint16, [65535], None),
            (gort.uint32, [2**32 - 1], None),
            (gort.uint64, [0, 2**63, 2**64 - 1], None),
            (float, [1.5, -0.0, 3, float("inf")], [1.5, -0.0, 3.0, float("inf")]),
            (gort.float32, [1.5, float("-inf"), 2**24, 1e300],
             [1.5, float("-inf"), 16777216.0, float("inf")]),
            (bool, [True, False], None),
            (bytes, [b"", b"a\0b", bytearray(b"xy"), memoryview(b"mv")],
             [b"", b"a\0b", b"xy", b"mv"]),
            (str, ["", "ascii", "h\u00e9llo", "\ud800 lone", "a\0b", "\U0001f600"], None),
            (object, [None, 1, "s", (1, 2)], None),
        ]
        for elem, values, expect in cases:
            expect = expect or values
            with self.subTest(elem=elem):
                got = self.roundtrip(elem, values)
                self.assertEqual(got[:-1], expect)
                self.assertEqual(got[-1], (expect[0], True))
                self.assertEqual([type(g) for g in got[:-1]], [type(e) for e in expect])
                # == cannot tell -0.0 from 0.0: compare the floats' signs too
                self.assertEqual([math.copysign(1, g) for g in got[:-1] if type(g) is float],
                                 [math.copysign(1, e) for e in expect if type(e) is float])

    def test_wrong_values_raise_the_same_exceptions(self):
        class Index:
            def __index__(self):
                return 1000

        cases = [
            (gort.int8, 128, OverflowError, "128 does not fit in int8"),
            (gort.uint64, -1, OverflowError, "-1 does not fit in uint64"),
            (gort.uint64, 2**64, OverflowError, f"{2**64} does not fit in uint64"),
            (int, 2**63, OverflowError, f"{2**63} does not fit in int64"),
            (int, -2**63 - 1, OverflowError, f"{-2**63 - 1} does not fit in int64"),
            (gort.int8, Index(), TypeError, "int8 value must be an int, not Index"),
            (int, "1", TypeError, "int64 value must be an int, not str"),
            (gort.uint16, 1.0, TypeError, "uint16 value must be an int, not float"),
            (float, "x", TypeError, "float64 value must be a float, not str"),
            (float, None, TypeError, "float64 value must be a float, not NoneType"),
            (float, 10**400, OverflowError, "int too large to convert to float"),
            (bool, 1, TypeError, "bool value must be a bool, not int"),
            (bytes, "s", TypeError, "bytes value must be bytes-like, not str"),
            (str, b"b", TypeError, "str value must be a str, not bytes"),
        ]
        for elem, value, exc, message in cases:
            with self.subTest(elem=elem, value=value), \
                    gort.Chan(elem, 1, heap=self.heap) as ch:
                for call in (ch.send, ch.try_send):
                    with self.assertRaises(exc) as caught:
                        call(value)
                    self.assertEqual(str(caught.exception), message)
                self.assertEqual(len(ch), 0)

    def test_invalid_utf8_from_c_is_dropped_not_leaked(self):
        lib = support.cthreads()
        ch = gort.Chan(str, 4, heap=self.heap)
        text = b"\xff\xfe ok"
        thread = support.start(lib.gort_cthread_produce_words, ch.handle, text, len(text), 1)
        with self.assertRaises(UnicodeDecodeError):
            ch.recv()
        self.assertEqual(list(ch), ["ok"])
        self.assertEqual(support.join(lib, thread), (0, 2, 4))
        ch.release()  # HeapCase checks that the bad word's bytes were freed

    def test_arguments(self):
        with gort.Chan(int, 2, heap=self.heap) as ch:
            ch.send(value=1)
            ch.send(2, timeout=None)
            self.assertEqual(ch.recv(timeout=1), 1)
            self.assertEqual(ch.recv(None), 2)
            for call in (lambda: ch.send(), lambda: ch.send(1, 2, 3),
                         lambda: ch.send(1, value=1), lambda: ch.recv(bogus=1),
                         lambda: ch.try_send(), lambda: ch.try_recv(1)):
                with self.assertRaises(TypeError):
                    call()

    def test_timeouts(self):
        with gort.Chan(int, 1, heap=self.heap) as ch:
            for timeout, exc, message in [
                    ("soon", ValueError,
                     "timeout must be a number of seconds or None, not 'soon'"),
                    (float("nan"), ValueError,
                     "timeout must be a number of seconds or None, not nan"),
                    (float("inf"), OverflowError, "cannot convert float infinity to integer"),
                    (0, TimeoutError, None), (0.0, TimeoutError, None),
                    (False, TimeoutError, None), (-1, TimeoutError, None)]:
                with self.subTest(timeout=timeout):
                    with self.assertRaises(exc) as caught:
                        ch.recv(timeout=timeout)
                    if message:
                        self.assertEqual(str(caught.exception), message)
            ch.send(1, timeout="never checked: no wait needed")
            self.assertEqual(ch.recv(timeout="never checked"), 1)
            with self.assertRaises(TimeoutError) as caught:
                ch.recv(timeout=0)
            self.assertEqual(caught.exception.gort_status, _lib.EAGAIN)

    def test_use_after_release(self):
        ch = gort.Chan(str, 1, heap=self.heap)
        it = iter(ch)
        ch.release()
        for what, call in [("send", lambda: ch.send("x")),
                           ("try_send", lambda: ch.try_send("x")),
                           ("recv", ch.recv), ("try_recv", ch.try_recv),
                           ("recv", lambda: next(it))]:
            with self.subTest(what=what), self.assertRaises(ValueError) as caught:
                call()
            self.assertEqual(str(caught.exception), f"{what}: Chan used after release")

    def test_subclass(self):
        class Named(gort.Chan):
            __slots__ = ("name",)

        with Named(str, 1, heap=self.heap) as ch:
            ch.name = "x"
            ch.send("hello")
            self.assertEqual(next(iter(ch)), "hello")


class Key:
    def __init__(self, n, fail=None):
        self.n, self.fail = n, fail

    def __hash__(self):
        if self.fail == "hash":
            raise ZeroDivisionError(f"no hash for {self.n}")
        return hash(self.n)

    def __eq__(self, other):
        if self.fail == "eq":
            raise ArithmeticError("no comparing")
        return isinstance(other, Key) and other.n == self.n


class ObjectHooks(HeapCase):
    def test_hash_matches_the_documented_mixing(self):
        mask = (1 << 64) - 1
        for value in [0, -1, 2**70, "word", (1, "a"), None, 1.5]:
            for seed in [0, 1, 0xDEADBEEFCAFEF00D]:
                with self.subTest(value=value, seed=seed):
                    slot = ctypes.c_void_p(id(value))
                    out = ctypes.c_uint64()
                    self.assertEqual(_lib.py.gort_type_hash(
                        gort.object_.ptr, ctypes.byref(slot), seed, ctypes.byref(out)), 0)
                    self.assertEqual(out.value, _refs._mix((hash(value) ^ seed) & mask))

    def test_eq_raising_inside_the_map(self):
        with gort.Map(object, int, heap=self.heap) as m:
            stored = Key(1)
            m[stored] = 1
            stored.fail = "eq"  # whichever side libgort compares from raises
            for call in (lambda: m[Key(1, "eq")], lambda: m.get(Key(1, "eq")),
                         lambda: Key(1, "eq") in m, lambda: m.__delitem__(Key(1, "eq"))):
                with self.assertRaisesRegex(ArithmeticError, "no comparing"):
                    call()
            stored.fail = None
            self.assertEqual(dict(m.items()), {stored: 1})
            self.assertEqual(m[Key(1)], 1)  # nothing left over on this thread

    def test_hash_raising_inside_the_map(self):
        """A key whose hash fails only once it is stored: libgort hashes it again when
        the table grows, inside gort_map_set, so the exception comes from the C call."""
        with gort.Map(object, int, heap=self.heap) as m:
            key = Key(-1)
            m[key] = 0
            key.fail = "hash"
            with self.assertRaisesRegex(ZeroDivisionError, "no hash for -1"):
                for i in range(10000):
                    m[Key(i)] = i
            key.fail = None
            m.clear()

    def test_rehashing_calls_raise_where_they_happen(self):
        """shrink, copy and iteration after a change hash or compare stored keys; an
        exception they meet is raised by them, not by a later call on another map."""
        keys = [Key(i) for i in range(100)]
        with gort.Map(object, int, heap=self.heap) as m, \
                gort.Map(object, int, heap=self.heap) as other:
            for i, key in enumerate(keys):
                m[key] = i
            for key in keys[10:]:
                del m[key]
            keys[0].fail = "hash"
            with self.assertRaisesRegex(ZeroDivisionError, "no hash for 0"):
                m.shrink()
            other[Key(5)] = 1  # nothing kept over from the shrink
            keys[0].fail = None
            self.assertEqual(len(m), 10)

    def test_exceptions_stay_on_their_thread(self):
        with gort.Map(object, int, heap=self.heap) as m:
            stored = Key(1)
            m[stored] = 1
            stored.fail = "eq"
            seen = []

            def lookup():
                try:
                    m[Key(1, "eq")]
                except ArithmeticError as e:
                    seen.append(e)

            t = threading.Thread(target=lookup)
            t.start()
            t.join()
            self.assertEqual(len(seen), 1)
            stored.fail = None
            self.assertEqual(m[Key(1)], 1)

    def test_map_and_slice_refcounts(self):
        item = Item()
        base = sys.getrefcount(item)
        m = gort.Map(int, object, heap=self.heap)
        s = gort.Slice(object, [item, item], heap=self.heap)
        m[1] = item
        m[2] = item
        self.assertEqual(sys.getrefcount(item), base + 4)
        m[1] = None
        del s[0]
        _refs.drain()
        self.assertEqual(sys.getrefcount(item), base + 2)
        m.release()
        s.release()
        self.assertEqual(sys.getrefcount(item), base)


if __name__ == "__main__":
    unittest.main()
