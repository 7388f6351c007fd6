import _thread
import selectors
import sys
import threading
import time
import unittest

import gort
import support
from support import HeapCase


class ChanTests(HeapCase):
    def test_buffered_fifo_and_state(self):
        with gort.Chan(int, 3, heap=self.heap) as ch:
            self.assertEqual((len(ch), ch.cap, ch.closed), (0, 3, False))
            for i in range(3):
                ch.send(i)
            self.assertFalse(ch.try_send(3))
            self.assertEqual(len(ch), 3)
            self.assertEqual([ch.recv(), ch.recv()], [0, 1])
            self.assertEqual(ch.try_recv(), (2, True))
            self.assertEqual(ch.try_recv(), (None, False))
            self.assertTrue(ch.try_send(9))
            ch.close()
            self.assertTrue(ch.closed)
            self.assertEqual(list(ch), [9])  # drains, then stops at close
            with self.assertRaises(gort.ChannelClosed):
                ch.recv()
            with self.assertRaises(gort.ChannelClosed):
                ch.try_recv()
            with self.assertRaises(gort.ChannelClosed):
                ch.send(1)
            with self.assertRaises(gort.ChannelClosed):
                ch.try_send(1)
            with self.assertRaises(gort.ChannelClosed):
                ch.close()

    def test_timeouts(self):
        with gort.Chan(str, heap=self.heap) as ch:
            start = time.monotonic()
            with self.assertRaises(TimeoutError):
                ch.recv(timeout=0.05)
            with self.assertRaises(TimeoutError):
                ch.send("x", timeout=0.05)
            self.assertGreaterEqual(time.monotonic() - start, 0.1)
            with self.assertRaises(TimeoutError):
                ch.send("x", timeout=0)  # unbuffered and nobody receiving
            with self.assertRaises(ValueError):
                ch.recv(timeout="soon")

    def test_bad_input(self):
        for cap, exc in [(-1, ValueError), (1.5, TypeError), (2**62, OverflowError)]:
            with self.subTest(cap=cap), self.assertRaises(exc):
                gort.Chan(int, cap)
        with gort.Chan(int, 1, heap=self.heap) as ch:
            with self.assertRaises(TypeError):
                ch.send("1")
            self.assertEqual(len(ch), 0)
            with self.assertRaises(TypeError):
                gort.select(ch)
            with self.assertRaises(TypeError):
                gort.Recv(42)
        for call in (ch.recv, lambda: ch.send(1), ch.close, ch.try_recv, lambda: len(ch),
                     lambda: gort.select(gort.Recv(ch))):
            with self.assertRaises(ValueError):
                call()

    def test_object_references_move_through_the_channel(self):
        item = object()
        base = sys.getrefcount(item)
        ch = gort.Chan(object, 4, heap=self.heap)
        ch.send(item)
        ch.send(item)
        self.assertEqual(sys.getrefcount(item), base + 2)
        got = ch.recv()  # the channel's reference moves to us
        self.assertIs(got, item)
        self.assertEqual(sys.getrefcount(item), base + 2)
        del got
        self.assertEqual(sys.getrefcount(item), base + 1)
        ch.release()  # the buffered copy is dropped with the channel
        self.assertEqual(sys.getrefcount(item), base)

    def test_select(self):
        a = gort.Chan(int, 1, heap=self.heap)
        b = gort.Chan(str, 1, heap=self.heap)
        self.assertIsNone(gort.select(gort.Recv(a), gort.Recv(b), timeout=0))
        self.assertIsNone(gort.select(gort.Recv(a), timeout=0.02))
        self.assertEqual(gort.select(gort.Recv(a), gort.Send(b, "hi")), (1, None, True))
        self.assertEqual(gort.select(gort.Recv(a), gort.Recv(b)), (1, "hi", True))
        self.assertEqual(gort.select(gort.Recv(None), gort.Send(a, 5)), (1, None, True))
        a.close()
        self.assertEqual(gort.select(gort.Recv(a)), (0, 5, True))
        self.assertEqual(gort.select(gort.Recv(a)), (0, None, False))
        with self.assertRaises(gort.ChannelClosed):
            gort.select(gort.Send(a, 1))
        with self.assertRaises(TypeError):
            gort.select(gort.Send(b, 1))
        # fairness: both ready every time, each chosen about half the time
        c = gort.Chan(int, 1, heap=self.heap)
        d = gort.Chan(int, 1, heap=self.heap)
        first = 0
        for _ in range(2000):
            c.try_send(1)
            d.try_send(2)
            first += gort.select(gort.Recv(c), gort.Recv(d))[0] == 0
        self.assertTrue(800 < first < 1200, first)
        for ch in (a, b, c, d):
            ch.release()

    def test_select_gives_back_unsent_objects(self):
        item = object()
        base = sys.getrefcount(item)
        full = gort.Chan(object, 0, heap=self.heap)
        ready = gort.Chan(int, 1, heap=self.heap)
        ready.send(1)
        self.assertEqual(gort.select(gort.Send(full, item), gort.Recv(ready)), (1, 1, True))
        self.assertEqual(sys.getrefcount(item), base)
        full.release()
        ready.release()

    def test_fileno_with_selectors(self):
        with gort.Chan(int, 1, heap=self.heap) as ch, selectors.DefaultSelector() as sel:
            sel.register(ch.fileno(), selectors.EVENT_READ)
            self.assertEqual(sel.select(timeout=0), [])
            ch.send(1)
            self.assertEqual(len(sel.select(timeout=1)), 1)
            self.assertEqual(ch.try_recv(), (1, True))
            self.assertEqual(ch.fileno(), ch.fileno())
            self.assertNotEqual(ch.fileno(send=True), ch.fileno())

    def test_python_threads_count_every_message(self):
        producers, consumers, per_producer = 4, 3, 5000
        for cap in (0, 64):
            with self.subTest(cap=cap):
                ch = gort.Chan(int, cap, heap=self.heap)
                totals = []

                def produce(p):
                    for i in range(per_producer):
                        ch.send(p * per_producer + i)

                def consume():
                    count = total = 0
                    for value in ch:
                        count += 1
                        total += value
                    totals.append((count, total))

                support.run_team(ch, produce, consume, producers, consumers)
                n = producers * per_producer
                self.assertEqual(sum(c for c, _ in totals), n)
                self.assertEqual(sum(s for _, s in totals), n * (n - 1) // 2)
                ch.release()

    def test_c_threads_and_python_threads_exchange(self):
        lib = support.cthreads()
        to_python = gort.Chan(int, 16, heap=self.heap)
        to_c = gort.Chan(int, 0, heap=self.heap)
        producer = support.start(lib.gort_cthread_produce, to_python.handle, 1, 20000, 1)
        consumer = support.start(lib.gort_cthread_consume, to_c.handle)
        forwarded = 0
        for value in to_python:  # C thread -> Python -> C thread
            to_c.send(value * 2)
            forwarded += 1
        to_c.close()
        self.assertEqual(support.join(lib, producer), (0, 20000, 20000 * 20001 // 2))
        self.assertEqual(support.join(lib, consumer), (0, 20000, 20000 * 20001))
        self.assertEqual(forwarded, 20000)
        to_python.release()
        to_c.release()

    def test_blocking_calls_release_the_gil(self):
        """A thread blocked in recv must let this one run. The waiter is not the main
        thread, so it waits in one call (no 0.1 s slices that would let us in anyway)."""
        ch = gort.Chan(int, heap=self.heap)
        waiter = threading.Thread(target=lambda: self.assertRaises(
            TimeoutError, ch.recv, timeout=0.3))
        waiter.start()
        time.sleep(0.01)
        ticks = 0
        while waiter.is_alive():
            ticks += 1
            time.sleep(0.001)
        waiter.join()
        self.assertGreater(ticks, 100)
        ch.release()

    def test_ctrl_c_interrupts_a_blocked_main_thread(self):
        if threading.current_thread() is not threading.main_thread():
            self.skipTest("needs the main thread")
        ch = gort.Chan(int, heap=self.heap)
        timer = threading.Timer(0.2, _thread.interrupt_main)
        timer.start()
        start = time.monotonic()
        with self.assertRaises(KeyboardInterrupt):
            ch.recv()
        self.assertLess(time.monotonic() - start, 2.0)
        timer.join()
        ch.release()

    def test_release_while_another_thread_waits(self):
        ch = gort.Chan(int, heap=self.heap)
        outcome = []

        def waiter():
            try:
                ch.recv(timeout=0.3)
            except (TimeoutError, ValueError) as e:
                outcome.append(type(e))

        t = threading.Thread(target=waiter)
        t.start()
        time.sleep(0.05)
        ch.release()  # the waiter holds its own reference: no use after free
        t.join()
        self.assertEqual(outcome, [TimeoutError])

    def test_from_handle(self):
        with gort.Chan(int, 2, heap=self.heap) as ch:
            other = gort.Chan.from_handle(ch.handle, int)
            other.send(3)
            self.assertEqual(ch.recv(), 3)
            other.release()
            with self.assertRaises(TypeError):
                gort.Chan.from_handle(ch.handle, str)


if __name__ == "__main__":
    unittest.main()
