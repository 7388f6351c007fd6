"""What the binding's tests share: the C thread helpers (libgort_cthreads and
libgort_pyecho, whose paths meson gives in GORT_CTHREADS and GORT_PYECHO) and a check that
a heap's objects are all given back."""
import ctypes
import gc
import os
import threading
import unittest

import gort


def cthreads():
    """libgort_cthreads: real C threads on a channel (bindings/testlib/cthreads.c)."""
    path = os.environ.get("GORT_CTHREADS")
    if not path:
        raise unittest.SkipTest("GORT_CTHREADS is not set (run through meson test)")
    lib = ctypes.CDLL(path)
    void_p, i64 = ctypes.c_void_p, ctypes.c_int64
    lib.gort_cthread_produce.argtypes = [void_p, i64, i64, ctypes.c_int, void_p]
    lib.gort_cthread_produce_words.argtypes = [void_p, ctypes.c_char_p, ctypes.c_size_t,
                                               ctypes.c_int, void_p]
    lib.gort_cthread_consume.argtypes = [void_p, void_p]
    lib.gort_cthread_join.argtypes = [void_p, void_p, void_p]
    return lib


def pyecho():
    """libgort_pyecho: a C thread echoing values of any type between two channels
    (bindings/python/tests/echo_thread.c). CDLL: join releases the GIL, which the
    thread's object hooks need."""
    path = os.environ.get("GORT_PYECHO")
    if not path:
        raise unittest.SkipTest("GORT_PYECHO is not set (run through meson test)")
    lib = ctypes.CDLL(path)
    lib.gort_pyecho_start.argtypes = [ctypes.c_void_p] * 3
    lib.gort_pyecho_join.argtypes = [ctypes.c_void_p, ctypes.c_void_p]
    return lib


def start(call, *args):
    """Starts a C thread with `call` (one of the gort_cthread_* starters)."""
    thread = ctypes.c_void_p()
    status = call(*args, ctypes.byref(thread))
    if status != 0:
        raise RuntimeError(f"{call.__name__} failed: {gort.strerror(status)}")
    return thread


def run_team(ch, produce, consume, producers, consumers):
    """Runs produce(p) on `producers` Python threads and consume() on `consumers`, closes
    ch once every producer is done, and waits for the consumers."""
    threads = [threading.Thread(target=produce, args=(p,)) for p in range(producers)]
    threads += [threading.Thread(target=consume) for _ in range(consumers)]
    for t in threads:
        t.start()
    for t in threads[:producers]:
        t.join()
    ch.close()
    for t in threads[producers:]:
        t.join()


def join(lib, thread):
    """(status, count, sum) of a finished C thread."""
    count, total = ctypes.c_int64(), ctypes.c_int64()
    status = lib.gort_cthread_join(thread, ctypes.byref(count), ctypes.byref(total))
    return status, count.value, total.value


class HeapCase(unittest.TestCase):
    """A test case with a fresh gort.Heap per test whose objects must all be gone, and
    the heap destroyable, when the test ends."""

    def setUp(self):
        self.heap = gort.Heap()

    def tearDown(self):
        gc.collect()
        stats = self.heap.stats()
        self.assertEqual((stats.live_blocks, stats.live_objects), (0, 0),
                         "objects left in the test's heap")
        self.heap.release()
