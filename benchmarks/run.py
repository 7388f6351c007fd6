#!/usr/bin/env python3
"""libgort benchmark driver: WORKLOADS.md on libgort and its peers, side by side, one run.

Usage:
    python3 benchmarks/run.py --build-dir BUILD [--quick] [--reps N] [--rounds K]
                              [--rows REGEX] [--impls REGEX] [--csv PATH]

It builds the peer programs into BUILD/benchmarks/peers/ (cargo, go build, g++, gcc),
uses BUILD/benchmarks/bench_gort (built by meson/ninja, never by this script), runs the
context probes, then every selected implementation of every selected row, and prints a
table: per row and implementation the median, min-max, ratio implementation/libgort and
checksum. It writes the same figures to a CSV (default BUILD/benchmarks/results.csv, or
results-quick.csv with --quick). Python 3 standard library only.

--rounds K runs each row's implementations one after another K times over (each time
with --reps repetitions) and reports the median of all K x reps figures. On a VM whose
speed changes for tens of seconds at a time, one round can put one implementation in a
fast spell and the next in a slow one; interleaved rounds spread the spells over all.

--quick is the smoke mode run by the test suite: N = 10,000 per row (1,000 round trips
for chan_unbuf_pingpong) and 2 repetitions.
Exit status: 0 when every selected implementation built, ran and returned the expected
checksum; 1 otherwise (a missing toolchain counts as a failure, with a message saying
what to install -- nothing is skipped silently; use --impls to leave a peer out on
purpose); 2 for usage errors.

Protocol between this driver and the benchmark programs
--------------------------------------------------------
Every program (bench_gort and one per peer) is a plain executable:

    prog info
        Prints "INFO <key> <value...>" lines (implementation, library and compiler
        versions) and one line "WORKLOADS <name> <name>..." naming the workloads it
        implements. Exit status 0.

    prog <workload> <n> <reps>
        Runs <workload> <reps> times (1..1000) on input size <n>. Each repetition sets
        up, times only the measured loop with the monotonic clock, then reads the result
        back (untimed) into a checksum. Prints exactly one line
            RESULT <workload> <impl> <v1,v2,...,v_reps> <checksum>
        v_i: repetition i's figure in the row's unit (e.g. ns per append), a decimal
        float; checksum: an unsigned 64-bit decimal, identical in every repetition (the
        program fails if it is not). Other stdout lines are ignored; diagnostics go to
        stderr. Exit status 0 on success, non-zero on any failure (2: usage or unknown
        workload).

    probes <reps>
        Prints "PROBE <name> <unit> <v1,...,v_reps>" lines (see probes.c).

A row names its implementations; each entry names a program and the workload string
passed to it (the row id unless given, so one program can offer variants, e.g.
"map_insert_1m.sip"). An entry may instead be marked not applicable, with the reason
(e.g. a queue that has no select): it is printed as "n/a" and not run. The driver
computes the expected checksum of every row itself and compares each implementation's
against it.

Adding a row: one function per implementation in each program (registered in that
program's workload table) and one Row(...) in ROWS below. Adding a peer: a program
under benchmarks/peers/, a Program(...) in PROGRAMS with its build function, and an
Impl(...) in the rows it implements.
"""

import argparse
import csv
import functools
import json
import math
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Dict, List, Optional, Tuple

BENCH_DIR = Path(__file__).resolve().parent
PEERS_SRC = BENCH_DIR / "peers"
U64 = 1 << 64
QUICK_N = 10_000
QUICK_REPS = 2
FULL_REPS = 5  # WORKLOADS.md: each figure is the median of at least 5 repetitions
RUN_TIMEOUT_S = 1800
QUICK_RUN_TIMEOUT_S = 120  # per program run in --quick mode: a hang fails fast
BUILD_TIMEOUT_S = 1800


# --------------------------------------------------------------------------------------
# Registry: rows (WORKLOADS.md) and the implementations of each.
# --------------------------------------------------------------------------------------

@dataclass
class Impl:
    program: str              # key in PROGRAMS
    label: str                # shown in the table, e.g. "Rust Vec::push"
    workload: Optional[str] = None  # passed to the program; defaults to the row id
    note: str = ""            # fairness note printed beside the figure
    na: str = ""              # if set: not applicable (the reason); printed, never run


@dataclass
class Row:
    id: str
    unit: str
    n: int                    # full-run input size
    expected: Callable[[int], int]  # expected checksum for input size n
    impls: List[Impl]         # the first one is libgort, the baseline of the ratio
    quick_n: int = QUICK_N
    note: str = ""


def checksum_append_int(n: int) -> int:
    """len + sum of elements i = 0..n-1."""
    return (n + n * (n - 1) // 2) % U64


def checksum_append_struct64(n: int) -> int:
    """len + sum over elements i of words {i, i+1, ..., i+7}."""
    return (n + 8 * (n * (n - 1) // 2) + 28 * n) % U64


# The map rows' inputs, as bench_common.h defines them (and Rust and Go mirror): keys[i] =
# the i-th splitmix64 output seeded with 42, mapped to i; misses = the next N outputs;
# shuffled order = Fisher-Yates over range(N), i from N-1 down to 1, swapping i with
# splitmix64(seed 7) % (i + 1).
KEY_SEED, SHUFFLE_SEED = 42, 7
HIT_1K_KEYS = 1000     # map_hit_1k: map size (N counts lookups)
CHURN_POOL, CHURN_KEYS = 4096, 8  # map_small_churn: map i uses keys[(8 i) % 4096 ... +8)


def splitmix64(state: int) -> Tuple[int, int]:
    """One step of splitmix64: (new state, output)."""
    state = (state + 0x9E3779B97F4A7C15) % U64
    z = ((state ^ (state >> 30)) * 0xBF58476D1CE4E5B9) % U64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) % U64
    return state, z ^ (z >> 31)


def splitmix64_outputs(seed: int, count: int) -> List[int]:
    state, out = seed, []
    for _ in range(count):
        state, value = splitmix64(state)
        out.append(value)
    return out


def shuffled_indices(n: int) -> List[int]:
    perm, state = list(range(n)), SHUFFLE_SEED
    for i in range(n - 1, 0, -1):
        state, value = splitmix64(state)
        j = value % (i + 1)
        perm[i], perm[j] = perm[j], perm[i]
    return perm


@functools.lru_cache(maxsize=None)
def map_key_sum(n: int) -> int:
    return sum(splitmix64_outputs(KEY_SEED, n)) % U64


def checksum_map_entries(n: int) -> int:
    """Insert, str insert and memory rows: len + sum over entries of (key + value),
    the str rows parsing each hex key back to its uint64."""
    return (n + map_key_sum(n) + n * (n - 1) // 2) % U64


def checksum_map_found(n: int) -> int:
    """Hit and iteration rows: keys found (or entries produced) + sum of their values."""
    return (n + n * (n - 1) // 2) % U64


def checksum_map_miss(n: int) -> int:
    """Miss row: lookups that found nothing + values read (zero), then an untimed read-back
    of every key: found + their values."""
    return (n + checksum_map_found(n)) % U64


def checksum_map_delete(n: int) -> int:
    """Delete row: len before - len after, then an untimed read-back of every key: not
    found + values read (zero)."""
    return (2 * n) % U64


def checksum_map_hit_1k(n: int) -> int:
    """n lookups cycling through the shuffled 1,000 keys: found + sum of values."""
    perm = shuffled_indices(HIT_1K_KEYS)
    rounds, rest = divmod(n, HIT_1K_KEYS)
    return (n + rounds * sum(perm) + sum(perm[:rest])) % U64


def checksum_map_churn(n: int) -> int:
    """Map i holds keys[b + t] -> b + t, b = (8 i) % 4096, t < 8; all 8 are found:
    sum over maps of (8 + 8 b + 28)."""
    period = CHURN_POOL // CHURN_KEYS
    rounds, rest = divmod(n, period)
    base_sum = CHURN_KEYS * (rounds * period * (period - 1) // 2 + rest * (rest - 1) // 2)
    return (n * (CHURN_KEYS + 28) + CHURN_KEYS * base_sum) % U64


SLICE_IMPLS = [
    Impl("gort", "libgort gort_slice_append"),
    Impl("rust", "Rust Vec::push"),
    Impl("cxx", "C++ std::vector::push_back"),
    Impl("go", "Go append"),
    Impl("glib", "GLib g_array_append_val"),
]

# Notes printed beside a figure, keyed by (program, workload suffix or "") and row kind.
GLIB_INT64_NOTE = "g_int64_hash: stores a pointer to each key, which stays in the caller's array"


# Rows libgort also runs through its batch calls (workload "<row>_batch", 256 keys or
# entries per call unless noted): the same work with one FFI crossing per batch
# instead of per key.
BATCH_LABELS = {
    "map_insert_1m": "libgort gort_map_set_n",
    "map_insert_presized_1m": "libgort gort_map_set_n",
    "map_hit_1m": "libgort gort_map_get_n",
    "map_miss_1m": "libgort gort_map_get_n",
    "map_delete_1m": "libgort gort_map_delete_n",
    "map_hit_1k": "libgort gort_map_get_n",
    "map_small_churn": "libgort gort_map_set_n + get_n",
    "map_str_insert_1m": "libgort gort_map_set_n",
    "map_str_lookup_1m": "libgort gort_map_get_n",
    "map_iter_1m": "libgort gort_map_iter_next_n",
}
BATCH_NOTES = {"map_small_churn": "one call for the 8 inserts, one for the 8 lookups"}


def map_impls(row: str, kind: str = "u64") -> List[Impl]:
    """libgort (and its batch call, where BATCH_LABELS has one) and its 7 peers for one
    map row. kind: "u64", "presized", "str", "churn" or "mem" selects the fairness notes."""
    glib_note = {"u64": GLIB_INT64_NOTE,
                 "presized": "no presize API (no hint given); " + GLIB_INT64_NOTE,
                 "str": "g_str_hash; owns g_strdup'd key copies",
                 "churn": GLIB_INT64_NOTE,
                 "mem": "glibc mallinfo2; excludes the 8 B/key the caller keeps: "
                        "the table stores pointers to the keys"}[kind]
    go_note = {"str": "keys share the caller's immutable string bytes (no copy)",
               "churn": "escape analysis may put each map's header and bucket on the stack",
               "mem": "HeapAlloc after runtime.GC()"}.get(kind, "")
    mem = kind == "mem"
    batch = [Impl("gort", BATCH_LABELS[row], f"{row}_batch",
                  note=BATCH_NOTES.get(row, "256 per call"))
             ] if row in BATCH_LABELS else []
    return [
        Impl("gort", "libgort gort_map",
             note="jemalloc stats.allocated of a dedicated heap" if mem else ""),
    ] + batch + [
        Impl("rust", "Rust std HashMap, Fx", f"{row}.fx",
             note="requested bytes (counting GlobalAlloc over System)" if mem else ""),
        Impl("rust", "Rust std HashMap, SipHash", f"{row}.sip",
             note="requested bytes (counting GlobalAlloc over System)" if mem else ""),
        Impl("rust", "Rust hashbrown 0.12, aHash", f"{row}.hashbrown",
             note="requested bytes (counting GlobalAlloc over System)" if mem else ""),
        Impl("cxx", "C++ absl::flat_hash_map", f"{row}.absl",
             note="glibc mallinfo2 (chunk headers included)" if mem else ""),
        Impl("cxx", "C++ std::unordered_map", f"{row}.std",
             note="glibc mallinfo2 (chunk headers included)" if mem else
             "C++17: looks up by the std::string itself (one more random read)"
             if row == "map_str_lookup_1m" else ""),
        Impl("go", "Go map (go1.19 buckets)", note=go_note),
        Impl("glib", "GLib GHashTable", note=glib_note),
    ]


# The channel rows (bench_chan.h and its mirrors): messages are the uint64 values 0..N-1
# (producer p of P sends p, p+P, ...); every program checks count, sum and per-producer
# order of what it received and prints count + sum.
def checksum_chan_messages(n: int) -> int:
    """N messages 0..N-1 received (or N round trips echoing i): count + sum, the same
    figure as the hit rows' found + sum."""
    return checksum_map_found(n)


PINGPONG_QUICK_N = 1_000  # a round trip can cost two thread wake-ups (~50 us on a VM)

GO_CHAN_NOTE = "goroutines on Go's M:N scheduler, not OS threads"
STD_MPSC_NOTE = "Rust >= 1.67's std mpsc is a port of crossbeam-channel"
TBB_CLOSE_NOTE = "no close: one sentinel message per consumer"
GLIB_QUEUE_NOTE = "unbounded (capacity 1024 does not apply); no close: one sentinel per consumer"


def custom_key_impls(row: str) -> List[Impl]:
    """libgort's builtin uint64 key descriptor (the baseline) and the same key described by
    the user: hash and equality callbacks, an indirect call per hash and per comparison."""
    return [
        Impl("gort", "libgort, builtin GORT_KIND_U64 key", row),
        Impl("gort", "libgort, user descriptor (hash + equal callbacks)", f"{row}_custom",
             note="murmur3 finaliser of key ^ seed; memcmp equality"),
    ]


def chan_impls(row: str) -> List[Impl]:
    """libgort and its peers for one channel row, with the fairness notes WORKLOADS.md
    asks for."""
    mpmc, pingpong, select2, pairs = (row == r for r in (
        "chan_mpmc_4x4_buf1024", "chan_unbuf_pingpong", "chan_select2", "chan_uncontended_pair"))
    gort_label = ("libgort gort_select" if select2 else
                  "libgort gort_chan try_send/try_recv" if pairs else "libgort gort_chan")
    std_note = ("" if select2 else
                "one Receiver shared by the 4 consumers behind a Mutex (it cannot be cloned); "
                + STD_MPSC_NOTE if mpmc else STD_MPSC_NOTE)
    tbb_note = ("" if select2 else
                "two queues of capacity 1: capacity 0 (rendezvous) is not possible" if pingpong
                else "try_push/try_pop" if pairs else TBB_CLOSE_NOTE)
    glib_note = ("" if select2 else
                 "two unbounded queues, no rendezvous: a push never waits" if pingpong
                 else "push (never fails: unbounded) + try_pop" if pairs else GLIB_QUEUE_NOTE)
    return [
        Impl("gort", gort_label),
        Impl("go", ("Go select" if select2 else "Go chan") + " (goroutines)",
             note=GO_CHAN_NOTE + ("; select with a default case" if pairs else "")),
        Impl("rust", "Rust crossbeam-channel 0.5" + (" select!" if select2 else ""),
             f"{row}.crossbeam"),
        Impl("rust", "Rust std sync_channel", f"{row}.std_mpsc", note=std_note,
             na="std::sync::mpsc has no select" if select2 else ""),
        Impl("tbb", "TBB concurrent_bounded_queue", note=tbb_note,
             na="no select over several queues" if select2 else ""),
        Impl("glib", "GLib GAsyncQueue", note=glib_note,
             na="no select over several queues" if select2 else ""),
    ]


ROWS: List[Row] = [
    Row("slice_append_int_10m", "ns/append", 10_000_000, checksum_append_int, SLICE_IMPLS,
        note="append int64 i, i = 0..N-1, one at a time to an empty slice"),
    Row("slice_append_struct64_1m", "ns/append", 1_000_000, checksum_append_struct64,
        SLICE_IMPLS,
        note="append 64-byte structs {i, ..., i+7}, one at a time to an empty slice"),
    Row("map_insert_1m", "ns/insert", 1_000_000, checksum_map_entries,
        map_impls("map_insert_1m"),
        note="uint64->uint64, no size hint: insert N distinct keys"),
    Row("map_insert_presized_1m", "ns/insert", 1_000_000, checksum_map_entries,
        map_impls("map_insert_presized_1m", "presized"),
        note="uint64->uint64 with a size hint of N: insert N distinct keys"),
    Row("map_hit_1m", "ns/lookup", 1_000_000, checksum_map_found,
        map_impls("map_hit_1m"),
        note="look up all N keys of an N-entry map in shuffled order"),
    Row("map_miss_1m", "ns/lookup", 1_000_000, checksum_map_miss,
        map_impls("map_miss_1m"),
        note="look up N absent keys in an N-entry map"),
    Row("map_delete_1m", "ns/delete", 1_000_000, checksum_map_delete,
        map_impls("map_delete_1m"),
        note="delete all N keys of an N-entry map in shuffled order"),
    Row("map_iter_1m", "ns/entry", 1_000_000, checksum_map_found,
        map_impls("map_iter_1m"),
        note="iterate all N entries, summing values"),
    Row("map_hit_1k", "ns/lookup", 10_000_000, checksum_map_hit_1k,
        map_impls("map_hit_1k"),
        note="1,000-key map, N lookups cycling through its keys in shuffled order (in cache)"),
    Row("map_small_churn", "ns/map", 200_000, checksum_map_churn,
        map_impls("map_small_churn", "churn"),
        note="N x (create map, insert 8 keys, look up 8, destroy)"),
    Row("map_str_insert_1m", "ns/insert", 1_000_000, checksum_map_entries,
        map_impls("map_str_insert_1m", "str"),
        note="16-char lowercase hex string keys -> uint64: insert N into an empty map"),
    Row("map_str_lookup_1m", "ns/lookup", 1_000_000, checksum_map_found,
        map_impls("map_str_lookup_1m", "str"),
        note="16-char hex string keys: look up all N in shuffled order"),
    Row("map_mem_1m", "bytes/entry", 1_000_000, checksum_map_entries,
        map_impls("map_mem_1m", "mem"),
        note="memory of an N-entry uint64->uint64 map built with no hint "
             "(allocator-reported bytes, not RSS)"),
    Row("map_insert_1m_custom", "ns/insert", 1_000_000, checksum_map_entries,
        custom_key_impls("map_insert_1m"),
        note="map_insert_1m with a user-supplied key descriptor (hash and equality "
             "callbacks) against the builtin one; target: ratio <= 1.5"),
    Row("map_hit_1m_custom", "ns/lookup", 1_000_000, checksum_map_found,
        custom_key_impls("map_hit_1m"),
        note="map_hit_1m with a user-supplied key descriptor against the builtin one; "
             "target: ratio <= 1.5"),
    Row("chan_spsc_buf1024", "ns/message", 10_000_000, checksum_chan_messages,
        chan_impls("chan_spsc_buf1024"),
        note="cap 1024, 1 producer thread, 1 consumer thread, N uint64 messages"),
    Row("chan_mpmc_4x4_buf1024", "ns/message", 4_000_000, checksum_chan_messages,
        chan_impls("chan_mpmc_4x4_buf1024"),
        note="cap 1024, 4 producers, 4 consumers, N messages, each received exactly once"),
    Row("chan_unbuf_pingpong", "ns/round trip", 200_000, checksum_chan_messages,
        chan_impls("chan_unbuf_pingpong"), quick_n=PINGPONG_QUICK_N,
        note="two threads, two unbuffered channels, N round trips"),
    Row("chan_select2", "ns/message", 2_000_000, checksum_chan_messages,
        chan_impls("chan_select2"),
        note="one consumer selecting over 2 channels (cap 128) fed by 2 producers, "
             "N messages"),
    Row("chan_uncontended_pair", "ns/pair", 10_000_000, checksum_chan_messages,
        chan_impls("chan_uncontended_pair"),
        note="one thread, cap 1024, N x (non-blocking send; non-blocking receive)"),
]


# --------------------------------------------------------------------------------------
# Programs and how to build them.
# --------------------------------------------------------------------------------------

class BuildError(Exception):
    """A program could not be built or found; the message says why and what to do."""


@dataclass
class Ctx:
    build_dir: Path
    peers_dir: Path
    log_dir: Path


@dataclass
class Program:
    key: str
    description: str
    build: Callable[[Ctx], Path]   # returns the executable; raises BuildError


def need_tool(name: str, hint: str, extra_dirs: List[Path] = ()) -> str:
    found = shutil.which(name)
    if not found:
        for d in extra_dirs:
            if (d / name).is_file() and os.access(d / name, os.X_OK):
                found = str(d / name)
                break
    if not found:
        where = "PATH" + "".join(f" or {d}" for d in extra_dirs)
        raise BuildError(f"toolchain missing: '{name}' not found on {where} ({hint})")
    return found


def run_build(cmd: List[str], ctx: Ctx, log_name: str, cwd: Path = None,
              env: Dict[str, str] = None) -> None:
    log = ctx.log_dir / f"{log_name}.log"
    try:
        proc = subprocess.run(cmd, cwd=cwd, env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True, timeout=BUILD_TIMEOUT_S)
    except (OSError, subprocess.TimeoutExpired) as e:
        raise BuildError(f"{' '.join(cmd)}: {e}")
    log.write_text(f"$ {' '.join(cmd)}\n(cwd {cwd or os.getcwd()})\n{proc.stdout}")
    if proc.returncode != 0:
        tail = "\n    ".join(proc.stdout.strip().splitlines()[-15:])
        raise BuildError(f"build failed (exit {proc.returncode}): {' '.join(cmd)}\n    {tail}\n"
                         f"    full log: {log}")


def compile_if_stale(cmd: List[str], out: Path, inputs: List[Path], ctx: Ctx,
                     log_name: str) -> Path:
    """Runs a one-shot compiler command unless `out` is newer than every input and was
    made by the same command (recorded beside it)."""
    stamp = out.with_suffix(".cmd")
    cmd_text = json.dumps(cmd)
    if (out.exists() and stamp.exists() and stamp.read_text() == cmd_text
            and all(out.stat().st_mtime >= p.stat().st_mtime for p in inputs)):
        return out
    run_build(cmd, ctx, log_name)
    stamp.write_text(cmd_text)
    return out


def build_gort(ctx: Ctx) -> Path:
    exe = ctx.build_dir / "benchmarks" / "bench_gort"
    if not exe.is_file():
        raise BuildError(f"{exe} not found: build libgort and its benchmark first "
                         f"(`ninja -C {ctx.build_dir}`; the top-level meson.build must have "
                         f"subdir('benchmarks'))")
    return exe


def pkg_config(package: str, hint: str) -> List[str]:
    pc = need_tool("pkg-config", "apt-get install pkg-config")
    proc = subprocess.run([pc, "--cflags", "--libs", package], stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, text=True)
    if proc.returncode != 0:
        raise BuildError(f"toolchain missing: pkg-config cannot find {package} ({hint}): "
                         f"{proc.stderr.strip()}")
    return proc.stdout.split()


def build_cxx(ctx: Ctx) -> Path:
    gxx = need_tool("g++", "apt-get install g++")
    absl = pkg_config("absl_flat_hash_map", "apt-get install libabsl-dev")
    src = PEERS_SRC / "cxx" / "bench_cxx.cpp"
    out = ctx.peers_dir / "bench_cxx"
    cmd = [gxx, "-O2", "-DNDEBUG", "-std=c++17", str(src), "-o", str(out)] + absl
    return compile_if_stale(cmd, out, [src, BENCH_DIR / "bench_common.h"], ctx, "cxx")


def build_glib(ctx: Ctx) -> Path:
    gcc = need_tool("gcc", "apt-get install gcc")
    flags = pkg_config("glib-2.0", "apt-get install libglib2.0-dev")
    src = PEERS_SRC / "glib" / "bench_glib.c"
    out = ctx.peers_dir / "bench_glib"
    cmd = [gcc, "-O2", "-DNDEBUG", "-pthread", str(src), "-o", str(out)] + flags
    return compile_if_stale(cmd, out, [src, BENCH_DIR / "bench_common.h",
                                       BENCH_DIR / "bench_chan.h"], ctx, "glib")


def build_tbb(ctx: Ctx) -> Path:
    gxx = need_tool("g++", "apt-get install g++")
    tbb = pkg_config("tbb", "apt-get install libtbb-dev")
    src = PEERS_SRC / "tbb" / "bench_tbb.cpp"
    out = ctx.peers_dir / "bench_tbb"
    cmd = [gxx, "-O2", "-DNDEBUG", "-std=c++17", "-pthread", str(src), "-o", str(out)] + tbb
    return compile_if_stale(cmd, out, [src, BENCH_DIR / "bench_common.h",
                                       BENCH_DIR / "bench_chan.h"], ctx, "tbb")


def build_probes(ctx: Ctx) -> Path:
    gcc = need_tool("gcc", "apt-get install gcc")
    src = BENCH_DIR / "probes.c"
    out = ctx.peers_dir / "probes"
    cmd = [gcc, "-O2", "-DNDEBUG", "-pthread", str(src), "-o", str(out)]
    return compile_if_stale(cmd, out, [src, BENCH_DIR / "bench_common.h"], ctx, "probes")


def cargo_path() -> str:
    extra = [Path(os.environ["CARGO_HOME"]) / "bin"] if "CARGO_HOME" in os.environ else []
    extra.append(Path.home() / ".cargo" / "bin")
    return need_tool("cargo", "apt-get install cargo, or rustup", extra)


# The Rust crate's files that are source; everything else in the build copy (Cargo.lock)
# is generated there.
RUST_CRATE_SOURCES = ["Cargo.toml", ".cargo/config.toml", "src"]
DEBIAN_CRATES = Path("/usr/share/cargo/registry")


def mirror_sources(src_root: Path, dst_root: Path, entries: List[str]) -> None:
    """Makes dst_root hold exactly the files under `entries` of src_root. Unchanged files
    are left alone (cargo's fingerprints use modification times); copies keep the
    source's modification time; files gone from the source are removed."""
    wanted = set()
    for entry in entries:
        src = src_root / entry
        files = sorted(p for p in src.rglob("*") if p.is_file()) if src.is_dir() else [src]
        for path in files:
            rel = path.relative_to(src_root)
            wanted.add(rel)
            dst = dst_root / rel
            if not dst.is_file() or dst.read_bytes() != path.read_bytes():
                dst.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(path, dst)
    for entry in entries:
        if (dst_root / entry).is_dir():
            for path in (dst_root / entry).rglob("*"):
                if path.is_file() and path.relative_to(dst_root) not in wanted:
                    path.unlink()


def build_rust(ctx: Ctx) -> Path:
    cargo = cargo_path()
    for crate_glob, package in (("hashbrown-0.12*", "librust-hashbrown-dev"),
                                ("crossbeam-channel-0.5*", "librust-crossbeam-channel-dev")):
        if not any(DEBIAN_CRATES.glob(crate_glob)):
            raise BuildError(f"toolchain missing: no {crate_glob[:-1]} crate under "
                             f"{DEBIAN_CRATES} (apt-get install {package})")
    # cargo writes Cargo.lock beside Cargo.toml, so it builds a copy of the crate in the
    # build directory: the lock file (generated from Debian's crate set) stays out of the
    # source tree.
    crate = ctx.peers_dir / "rust-crate"
    mirror_sources(PEERS_SRC / "rust", crate, RUST_CRATE_SOURCES)
    target = ctx.peers_dir / "rust-target"
    env = dict(os.environ, CARGO_TARGET_DIR=str(target))
    # rustup's cargo finds rustc beside it; make sure that directory is searched.
    env["PATH"] = str(Path(cargo).parent) + os.pathsep + env.get("PATH", "")
    # cwd = the crate, so that its .cargo/config.toml (Debian crate sources) applies.
    run_build([cargo, "build", "--offline", "--release", "--quiet"], ctx, "rust",
              cwd=crate, env=env)
    return target / "release" / "bench_rust"


def build_go(ctx: Ctx) -> Path:
    go = need_tool("go", "apt-get install golang-go", [Path("/usr/lib/go/bin")])
    out = ctx.peers_dir / "bench_go"
    env = dict(os.environ,
               GOCACHE=str(ctx.peers_dir / "go-cache"),
               GOPATH=str(ctx.peers_dir / "gopath"),
               GOTOOLCHAIN="local", GOPROXY="off", GOFLAGS="", GOWORK="off",
               GO111MODULE="on")
    run_build([go, "build", "-o", str(out), "."], ctx, "go", cwd=PEERS_SRC / "go", env=env)
    return out


PROGRAMS: Dict[str, Program] = {p.key: p for p in [
    Program("gort", "libgort (meson: BUILD/benchmarks/bench_gort)", build_gort),
    Program("rust", "Rust std, hashbrown, crossbeam-channel (cargo --release)", build_rust),
    Program("cxx", "C++ libstdc++, Abseil (g++ -O2 -DNDEBUG -std=c++17)", build_cxx),
    Program("tbb", "TBB concurrent_bounded_queue (g++ -O2 -DNDEBUG -std=c++17)", build_tbb),
    Program("go", "Go runtime (go build)", build_go),
    Program("glib", "GLib (gcc -O2 -DNDEBUG, pkg-config glib-2.0)", build_glib),
]}


# --------------------------------------------------------------------------------------
# Running.
# --------------------------------------------------------------------------------------

@dataclass
class Outcome:
    row: Row
    impl: Impl
    n: int
    reps: int
    values: List[float] = field(default_factory=list)
    checksum: Optional[int] = None
    error: str = ""

    @property
    def ok(self) -> bool:
        return not self.error

    @property
    def na(self) -> str:
        return self.impl.na

    @property
    def median(self) -> float:
        return statistics.median(self.values)


def parse_floats(text: str) -> List[float]:
    values = [float(v) for v in text.split(",")]
    if not all(math.isfinite(v) and v >= 0 for v in values):
        raise ValueError(f"bad figure in {text!r}")
    return values


def run_program(exe: Path, args: List[str],
                timeout: float = RUN_TIMEOUT_S) -> subprocess.CompletedProcess:
    return subprocess.run([str(exe)] + args, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          text=True, timeout=timeout)


def query_info(exe: Path) -> Tuple[List[str], List[str]]:
    """Returns (INFO lines without the prefix, workload names) of `prog info`."""
    proc = run_program(exe, ["info"])
    if proc.returncode != 0:
        raise BuildError(f"`{exe} info` failed (exit {proc.returncode}): {proc.stderr.strip()}")
    info = [l[5:] for l in proc.stdout.splitlines() if l.startswith("INFO ")]
    workloads = [w for l in proc.stdout.splitlines() if l.startswith("WORKLOADS")
                 for w in l.split()[1:]]
    return info, workloads


def run_one(exe: Path, row: Row, impl: Impl, n: int, reps: int, timeout: float) -> Outcome:
    workload = impl.workload or row.id
    out = Outcome(row, impl, n, reps)
    try:
        proc = run_program(exe, [workload, str(n), str(reps)], timeout)
    except subprocess.TimeoutExpired:
        out.error = (f"{exe.name} {workload} {n} {reps} did not finish within {timeout:.0f} s "
                     f"(killed): hung or far too slow")
        return out
    except OSError as e:
        out.error = f"could not run {exe}: {e}"
        return out
    results = [l.split() for l in proc.stdout.splitlines() if l.startswith("RESULT ")]
    if proc.returncode != 0:
        out.error = f"exit {proc.returncode}: {proc.stderr.strip() or '(no message)'}"
    elif len(results) != 1 or len(results[0]) != 5 or results[0][1] != workload:
        out.error = f"expected one 'RESULT {workload} <impl> <values> <checksum>' line, got " \
                    f"{proc.stdout.strip()!r}"
    else:
        try:
            out.values = parse_floats(results[0][3])
            out.checksum = int(results[0][4])
        except ValueError as e:
            out.error = f"unparsable RESULT line: {e}"
        if not out.error and len(out.values) != reps:
            out.error = f"{len(out.values)} figures for {reps} repetitions"
        if not out.error and out.checksum != row.expected(n):
            out.error = f"checksum {out.checksum} != expected {row.expected(n)}"
    return out


def run_probes(exe: Path, reps: int) -> List[dict]:
    proc = run_program(exe, [str(reps)])
    if proc.returncode != 0:
        raise BuildError(f"probes failed (exit {proc.returncode}): {proc.stderr.strip()}")
    probes = []
    for line in proc.stdout.splitlines():
        parts = line.split()
        if parts and parts[0] == "PROBE" and len(parts) == 4:
            probes.append({"name": parts[1], "unit": parts[2], "values": parse_floats(parts[3])})
    if not probes:
        raise BuildError(f"probes printed no PROBE line: {proc.stdout!r}")
    return probes


# --------------------------------------------------------------------------------------
# Reporting.
# --------------------------------------------------------------------------------------

def fmt(v: float) -> str:
    if v < 10:
        return f"{v:.3f}"
    if v < 1000:
        return f"{v:.2f}"
    return f"{v:.1f}"


def first_line(cmd: List[str]) -> str:
    try:
        proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                              timeout=60)
        return proc.stdout.strip().splitlines()[0] if proc.stdout.strip() else "?"
    except (OSError, subprocess.TimeoutExpired, IndexError):
        return "?"


def read_text(path: str) -> str:
    try:
        return Path(path).read_text().strip()
    except OSError:
        return "?"


# Environment variables that change what a program measures; printed when set.
ENV_KNOBS = ["GOGC", "GOMAXPROCS", "GODEBUG", "GOMEMLIMIT", "MALLOC_CONF", "GLIBC_TUNABLES",
             "LD_PRELOAD", "LD_LIBRARY_PATH", "RUSTFLAGS", "CARGO_PROFILE_RELEASE_OPT_LEVEL"]


def libgort_build_config(build_dir: Path) -> Tuple[str, List[str]]:
    """libgort's meson options as one line, plus warnings where they differ from the
    fair-comparison flags (WORKLOADS.md: C -O2 -DNDEBUG)."""
    try:
        opts = json.loads((build_dir / "meson-info" / "intro-buildoptions.json").read_text())
    except (OSError, ValueError):
        return "unknown (no meson-info in the build directory)", []
    value = {o["name"]: o["value"] for o in opts}
    keys = ["buildtype", "optimization", "debug", "b_ndebug", "b_sanitize", "b_lto", "allocator"]
    line = " ".join(f"{k}={value[k]}" for k in keys if k in value)
    ndebug = value.get("b_ndebug") == "true" or (
        value.get("b_ndebug") == "if-release" and value.get("buildtype") in ("release", "minsize"))
    warnings = []
    if not ndebug:
        warnings.append("libgort is built without NDEBUG (internal GORT_ASSERT checks are on); "
                        "for figures to compare, configure with -Db_ndebug=true")
    if str(value.get("optimization", "2")) != "2":
        warnings.append(f"libgort is built with -O{value.get('optimization')}; the peers use "
                        f"-O2 (C/C++), --release (Rust), Go defaults: use -Doptimization=2")
    if value.get("b_sanitize", "none") != "none":
        warnings.append(f"libgort is built with sanitizers ({value['b_sanitize']})")
    if value.get("allocator") == "libc":
        warnings.append("libgort uses the libc allocator build (-Dallocator=libc), not jemalloc")
    return line, warnings


def environment_lines(programs_info: Dict[str, List[str]]) -> List[str]:
    cpu = "?"
    for line in read_text("/proc/cpuinfo").splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    lines = [
        f"host      {platform.node()}  {cpu}, {os.cpu_count()} CPUs, kernel {platform.release()}",
        f"THP       enabled: {read_text('/sys/kernel/mm/transparent_hugepage/enabled')}",
        "load      average {:.2f} {:.2f} {:.2f} (1/5/15 min; other work skews figures)".format(
            *os.getloadavg()),
    ]
    overrides = [f"{k}={os.environ[k]}" for k in ENV_KNOBS if k in os.environ]
    if overrides:
        lines.append("env       " + " ".join(overrides))
    for key, info in programs_info.items():
        lines.append(f"{key:<9} " + "; ".join(info))
    return lines


def toolchain_versions(keys) -> List[str]:
    versions = []
    if "rust" in keys:
        try:
            cargo = Path(cargo_path())
            rustc = cargo.parent / "rustc"
            versions.append(first_line([str(rustc if rustc.exists() else "rustc"), "--version"]))
            versions.append(first_line([str(cargo), "--version"]))
        except BuildError:
            pass
    if "go" in keys and shutil.which("go"):
        versions.append(first_line(["go", "version"]))
    if "cxx" in keys and shutil.which("g++"):
        versions.append(first_line(["g++", "--version"]))
    return versions


def print_table(outcomes: List[Outcome], quick: bool) -> None:
    print()
    print("Results" + ("  (QUICK SMOKE RUN: tiny N, 2 reps -- figures are meaningless)"
                       if quick else ""))
    print("ratio = implementation median / libgort median (> 1: libgort is faster)")
    by_row: Dict[str, List[Outcome]] = {}
    for o in outcomes:
        by_row.setdefault(o.row.id, []).append(o)
    label_w = max(len(o.impl.label) for o in outcomes)
    for row_id, row_outcomes in by_row.items():
        row = row_outcomes[0].row
        o0 = row_outcomes[0]
        print()
        print(f"{row.id}  [{row.unit}, N={o0.n:,}, {o0.reps} reps]  {row.note}")
        print(f"  {'implementation':<{label_w}}  {'median':>9}  {'min-max':>19}  {'ratio':>6}  "
              f"checksum")
        base = next((o for o in row_outcomes if o.impl.program == "gort" and o.ok), None)
        for o in row_outcomes:
            if o.na:
                print(f"  {o.impl.label:<{label_w}}  {'n/a':>9}  ({o.na})")
                continue
            if not o.ok:
                print(f"  {o.impl.label:<{label_w}}  FAILED: {o.error}")
                continue
            spread = f"{fmt(min(o.values))}-{fmt(max(o.values))}"
            ratio = f"{o.median / base.median:.2f}" if base and base.median > 0 else "-"
            note = f"  ({o.impl.note})" if o.impl.note else ""
            print(f"  {o.impl.label:<{label_w}}  {fmt(o.median):>9}  {spread:>19}  {ratio:>6}  "
                  f"{o.checksum} ok{note}")


def write_csv(path: Path, outcomes: List[Outcome], probes: List[dict]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["kind", "row", "unit", "n", "reps", "impl", "label", "median", "min", "max",
                    "ratio_vs_libgort", "checksum", "expected_checksum", "status", "values",
                    "note"])
        for p in probes:
            v = p["values"]
            w.writerow(["probe", p["name"], p["unit"], "", len(v), "probe", "",
                        statistics.median(v), min(v), max(v), "", "", "", "ok",
                        ";".join(map(str, v)), ""])
        medians = {(o.row.id): o.median for o in outcomes
                   if o.ok and not o.na and o.impl.program == "gort"}
        for o in outcomes:
            base = medians.get(o.row.id)
            ok = o.ok and not o.na
            w.writerow(["result", o.row.id, o.row.unit, o.n, o.reps, o.impl.program, o.impl.label,
                        o.median if ok else "", min(o.values) if ok else "",
                        max(o.values) if ok else "",
                        o.median / base if ok and base else "",
                        "" if o.checksum is None else o.checksum, o.row.expected(o.n),
                        "ok" if ok else "n/a: " + o.na if o.na else "FAILED: " + o.error,
                        ";".join(map(str, o.values)),
                        o.impl.note])


# --------------------------------------------------------------------------------------
# Main.
# --------------------------------------------------------------------------------------

def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def run_impl_round(row: Row, impl: Impl, n: int, reps: int, exes: Dict[str, Path],
                   workloads: Dict[str, List[str]], quick: bool) -> Outcome:
    """One round of one implementation of a row (or why it cannot run)."""
    workload = impl.workload or row.id
    if impl.na:
        return Outcome(row, impl, n, reps)
    if impl.program not in exes:
        return Outcome(row, impl, n, reps, error=f"not run: program {impl.program!r} is "
                                                 f"unavailable (see its error below)")
    if workload not in workloads[impl.program]:
        return Outcome(row, impl, n, reps,
                       error=f"{impl.program} does not implement workload {workload!r}")
    log(f"running {row.id} / {impl.program} (N={n:,}, {reps} reps)")
    return run_one(exes[impl.program], row, impl, n, reps,
                   QUICK_RUN_TIMEOUT_S if quick else RUN_TIMEOUT_S)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--build-dir", required=True, type=Path, help="meson build directory")
    ap.add_argument("--quick", action="store_true",
                    help=f"smoke mode: N={QUICK_N:,} per row ({PINGPONG_QUICK_N:,} ping-pong "
                         f"round trips), {QUICK_REPS} reps")
    ap.add_argument("--reps", type=int, help=f"repetitions (default {FULL_REPS}, quick "
                                             f"{QUICK_REPS})")
    ap.add_argument("--rounds", type=int, default=1,
                    help="run every row's implementations in turn this many times over "
                         "(default 1); figures are the median over all rounds")
    ap.add_argument("--rows", default="", help="only rows whose id matches this regex")
    ap.add_argument("--impls", default="",
                    help="only implementations whose program key (gort, rust, cxx, tbb, go, "
                         "glib) "
                         "matches this regex; libgort is always kept as the baseline")
    ap.add_argument("--csv", type=Path, help="CSV output path (default "
                                             "BUILD/benchmarks/results[-quick].csv)")
    args = ap.parse_args()

    reps = args.reps if args.reps is not None else (QUICK_REPS if args.quick else FULL_REPS)
    if not 1 <= reps <= 1000:
        ap.error("--reps must be in 1..1000")
    if not 1 <= args.rounds <= 100:
        ap.error("--rounds must be in 1..100")
    if not args.quick and reps < FULL_REPS:
        log(f"warning: {reps} repetitions; WORKLOADS.md asks for at least {FULL_REPS}")
    try:
        row_re, impl_re = re.compile(args.rows), re.compile(args.impls)
    except re.error as e:
        ap.error(f"bad regex: {e}")
    build_dir = args.build_dir.resolve()
    if not build_dir.is_dir():
        ap.error(f"--build-dir {build_dir} is not a directory")

    rows = [r for r in ROWS if row_re.search(r.id)]
    if not rows:
        ap.error(f"--rows {args.rows!r} matches no row; rows: {', '.join(r.id for r in ROWS)}")
    selected = {r.id: [i for i in r.impls if i.program == "gort" or impl_re.search(i.program)]
                for r in rows}

    ctx = Ctx(build_dir, build_dir / "benchmarks" / "peers",
              build_dir / "benchmarks" / "peers" / "logs")
    ctx.log_dir.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    failures: List[str] = []

    # Build (or find) every program the selected rows need, plus the probes.
    needed = [k for k in PROGRAMS
              if any(i.program == k and not i.na for l in selected.values() for i in l)]
    exes: Dict[str, Path] = {}
    infos: Dict[str, List[str]] = {}
    workloads: Dict[str, List[str]] = {}
    for key in needed:
        log(f"building {key}: {PROGRAMS[key].description}")
        try:
            exes[key] = PROGRAMS[key].build(ctx)
            infos[key], workloads[key] = query_info(exes[key])
        except BuildError as e:
            failures.append(f"{key}: {e}")
            log(f"ERROR {key}: {e}")
    probes: List[dict] = []
    try:
        probe_exe = build_probes(ctx)
        log("running context probes")
        probes = run_probes(probe_exe, reps)
    except BuildError as e:
        failures.append(f"probes: {e}")
        log(f"ERROR probes: {e}")
    log(f"builds done in {time.monotonic() - started:.1f}s")

    outcomes: List[Outcome] = []
    for row in rows:
        n = row.quick_n if args.quick else row.n
        row_outcomes = [run_impl_round(row, impl, n, reps, exes, workloads, args.quick)
                        for impl in selected[row.id]]
        for done in range(1, args.rounds):
            log(f"{row.id}: round {done + 1} of {args.rounds}")
            for o in row_outcomes:
                if o.ok and not o.impl.na:
                    more = run_one(exes[o.impl.program], row, o.impl, n, reps,
                                   QUICK_RUN_TIMEOUT_S if args.quick else RUN_TIMEOUT_S)
                    o.values += more.values
                    o.reps += reps
                    o.error = more.error  # a failed round makes the row unusable
        for o in row_outcomes:
            if not o.ok:
                failures.append(f"{row.id} / {o.impl.label}: {o.error}")
        outcomes.extend(row_outcomes)

    # Report.
    print(f"libgort benchmarks ({'quick smoke run' if args.quick else 'full run'}), "
          f"{time.strftime('%Y-%m-%d %H:%M:%S')}")
    gort_config, gort_warnings = libgort_build_config(build_dir)
    for line in (environment_lines(infos) + [f"libgort   build: {gort_config}"] +
                 [f"toolchain {v}" for v in toolchain_versions(needed)]):
        print(f"  {line}")
    for w in gort_warnings:
        print(f"  WARNING: {w}")
    print()
    print("Context probes (median, min-max):")
    for p in probes:
        v = p["values"]
        extra = ""
        if p["name"] == "first_touch":
            extra = f"  = {statistics.median(v) * 4096 / 1000:.2f} us per 4 KiB page"
        elif p["name"] == "thread_wake":
            extra = f"  = {statistics.median(v) / 2:.2f} us per wake-up"
        print(f"  {p['name']:<12} {fmt(statistics.median(v)):>8} {p['unit']:<13} "
              f"({fmt(min(v))}-{fmt(max(v))}){extra}")
    if outcomes:
        print_table(outcomes, args.quick)
    csv_path = args.csv or build_dir / "benchmarks" / (
        "results-quick.csv" if args.quick else "results.csv")
    write_csv(csv_path, outcomes, probes)
    print()
    print(f"CSV: {csv_path}")
    print(f"elapsed {time.monotonic() - started:.1f}s")
    if failures:
        print()
        print(f"FAILED ({len(failures)}):")
        for f in failures:
            print(f"  - {f}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
