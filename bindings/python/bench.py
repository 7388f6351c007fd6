#!/usr/bin/env python3
"""The Python binding beside Python's own dict and queue.Queue, in one run.

usage: bench.py [--quick] [--reps N]

Each row times the same work both ways (best of N repetitions) and prints ns per
operation and the ratio gort / native (below 1: gort is faster). Rows:
  map insert / hit      Map(int, int) vs dict, N distinct keys
  word count            Map(str, int) vs dict, counting words of a generated text
  get loop / get_many   looking up N/2 keys, all present, in Map(int, int) and
                        Map(str, int): [m.get(k) for k in keys], then m.get_many(keys)
                        (one gort_map_get_n call), each against [d.get(k) for k in keys]
  chan SPSC             Chan(int, 1024) vs queue.Queue(1024), one producer thread and one
                        consumer thread, N messages (the target: gort must be faster)
  chan SPSC str/object  the same with Chan(str, 1024) carrying str(i), and with
                        Chan(object, 1024) carrying tuples
  ffi call              len(ch) vs len(list): the cost of one ctypes call

The header line says whether the C accelerator (_gort_speedups) ran the channel rows;
GORT_PYTHON_PURE=1 measures the ctypes code instead.
"""
import argparse
import queue
import random
import threading
import time

import gort


def best(reps, run):
    """The best time of `reps` runs of run() (seconds); run returns a checksum that
    must be the same every time."""
    times, checks = [], set()
    for _ in range(reps):
        start = time.perf_counter()
        checks.add(run())
        times.append(time.perf_counter() - start)
    assert len(checks) == 1, f"runs disagree: {checks}"
    return min(times)


def map_insert(make, n):
    def run():
        m = make()
        for i in range(n):
            m[i * 2654435761 % (1 << 40)] = i
        return len(m)
    return run


def map_hit(m, n):
    keys = [i * 2654435761 % (1 << 40) for i in range(n)]
    for i, k in enumerate(keys):
        m[k] = i

    def run():
        total = 0
        for k in keys:
            total += m[k]
        return total
    return run


def lookup(m, keys, many=False):
    """[m.get(k) for k in keys], or m.get_many(keys), over a map holding every key."""
    for i, k in enumerate(keys):
        m[k] = i

    def run():
        return len(m.get_many(keys) if many else [m.get(k) for k in keys])
    return run


def word_count(make, words):
    def run():
        counts = make()
        for w in words:
            counts[w] = counts.get(w, 0) + 1
        return len(counts)
    return run


def chan_spsc(make_chan, n, item):
    def run():
        ch = make_chan()

        def produce():
            for i in range(n):
                ch.send(item(i))
            ch.close()

        t = threading.Thread(target=produce)
        t.start()
        count = 0
        for _ in ch:
            count += 1
        t.join()
        return count
    return run


def queue_spsc(n, item):
    done = object()

    def run():
        q = queue.Queue(1024)

        def produce():
            for i in range(n):
                q.put(item(i))
            q.put(done)

        t = threading.Thread(target=produce)
        t.start()
        count = 0
        while q.get() is not done:
            count += 1
        t.join()
        return count
    return run


def ffi_call(obj, n):
    def run():
        for _ in range(n):
            len(obj)
        return n
    return run


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="tiny sizes: a smoke run")
    parser.add_argument("--reps", type=int, default=3)
    args = parser.parse_args()
    n = 2000 if args.quick else 200_000
    reps = 1 if args.quick else args.reps
    rng = random.Random(1)
    vocabulary = [f"w{i}" for i in range(5000)]
    words = [rng.choice(vocabulary) for _ in range(n)]
    int_keys = [i * 2654435761 % (1 << 40) for i in range(n // 2)]
    str_keys = [f"key {k}" for k in int_keys]

    rows = [
        ("map insert", n, map_insert(lambda: gort.Map(int, int), n),
         map_insert(dict, n)),
        ("map hit", n, map_hit(gort.Map(int, int), n), map_hit({}, n)),
        ("word count", n, word_count(lambda: gort.Map(str, int), words),
         word_count(dict, words)),
        ("get loop int", n // 2, lookup(gort.Map(int, int), int_keys), lookup({}, int_keys)),
        ("get_many int", n // 2, lookup(gort.Map(int, int), int_keys, many=True),
         lookup({}, int_keys)),
        ("get loop str", n // 2, lookup(gort.Map(str, int), str_keys), lookup({}, str_keys)),
        ("get_many str", n // 2, lookup(gort.Map(str, int), str_keys, many=True),
         lookup({}, str_keys)),
        ("chan SPSC int", n, chan_spsc(lambda: gort.Chan(int, 1024), n, int),
         queue_spsc(n, int)),
        ("chan SPSC str", n, chan_spsc(lambda: gort.Chan(str, 1024), n, str),
         queue_spsc(n, str)),
        ("chan SPSC object", n, chan_spsc(lambda: gort.Chan(object, 1024), n, lambda i: (i,)),
         queue_spsc(n, lambda i: (i,))),
        ("ffi call (len)", n, ffi_call(gort.Chan(int, 1), n), ffi_call([], n)),
    ]
    mode = "C accelerator" if gort.accelerated else "pure ctypes"
    print(f"libgort {gort.__version__} ({gort.allocator}), {mode}, best of {reps}, n = {n}")
    print(f"{'row':<18} {'gort ns/op':>11} {'native ns/op':>13} {'gort/native':>12}")
    for name, count, ours, native in rows:
        a, b = best(reps, ours) / count * 1e9, best(reps, native) / count * 1e9
        print(f"{name:<18} {a:>11.0f} {b:>13.0f} {a / b:>12.2f}")


if __name__ == "__main__":
    main()
