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
  set loop / set_many   N/2 new keys into an empty Map(int, int) and Map(str, int):
                        m[k] = v for each pair against the same loop over a dict, then
                        m.set_many(keys, values) (one gort_map_set_n call) against
                        d.update(zip(keys, values))
  del loop / delete_many  deleting N/2 keys, all present, from a map of N/2 (filled
                        before the timing): del m[k] for each key, then
                        m.delete_many(keys) (one gort_map_delete_n call), each against
                        del d[k] for each key
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
    must be the same every time. A run given as (setup, body) times body(setup()),
    setup untimed."""
    times, checks = [], set()
    setup, body = run if isinstance(run, tuple) else (None, run)
    for _ in range(reps):
        state = setup() if setup else None
        start = time.perf_counter()
        checks.add(body(state) if setup else body())
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


def store(make, keys, batch=None):
    """Into a new map, keys[i] = i: by a loop of m[k] = v, or by batch(m, keys, values)."""
    values = list(range(len(keys)))

    def run():
        m = make()
        if batch:
            batch(m, keys, values)
        else:
            for k, v in zip(keys, values):
                m[k] = v
        return len(m)
    return run


def remove(make, keys, batch=None):
    """(setup, body): a map holding every key, then del m[k] for each key, or
    batch(m, keys)."""
    def setup():
        m = make()
        for i, k in enumerate(keys):
            m[k] = i
        return m

    def body(m):
        if batch:
            batch(m, keys)
        else:
            for k in keys:
                del m[k]
        return len(m)
    return setup, body


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
    set_many = gort.Map.set_many

    def dict_update(d, keys, values):
        d.update(zip(keys, values))

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
        ("set loop int", n // 2, store(lambda: gort.Map(int, int), int_keys),
         store(dict, int_keys)),
        ("set_many int", n // 2, store(lambda: gort.Map(int, int), int_keys, set_many),
         store(dict, int_keys, dict_update)),
        ("set loop str", n // 2, store(lambda: gort.Map(str, int), str_keys),
         store(dict, str_keys)),
        ("set_many str", n // 2, store(lambda: gort.Map(str, int), str_keys, set_many),
         store(dict, str_keys, dict_update)),
        ("del loop int", n // 2, remove(lambda: gort.Map(int, int), int_keys),
         remove(dict, int_keys)),
        ("delete_many int", n // 2, remove(lambda: gort.Map(int, int), int_keys,
                                           gort.Map.delete_many), remove(dict, int_keys)),
        ("del loop str", n // 2, remove(lambda: gort.Map(str, int), str_keys),
         remove(dict, str_keys)),
        ("delete_many str", n // 2, remove(lambda: gort.Map(str, int), str_keys,
                                           gort.Map.delete_many), remove(dict, str_keys)),
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
