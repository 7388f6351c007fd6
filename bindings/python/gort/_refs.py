"""Python objects inside libgort: the hooks of the `object` element type.

A container of `object` stores PyObject pointers and owns one reference per stored
copy: libgort calls `retain` for every pointer it copies in and `release` for every one it
drops, so sys.getrefcount stays exact.

Two rules make the hooks safe from any thread and at any moment:

- Every hook is a ctypes callback, and ctypes takes the GIL around a callback, so a hook
  is correct on a thread that released the GIL (a blocking send) and on a C thread.
- `release` does not drop the reference at once: it queues the pointer, and the binding
  drops queued references once the C call has returned (`drain`). Dropping a reference
  may run arbitrary Python code (__del__, weakref callbacks) that could touch the very
  container libgort is in the middle of changing; libgort forbids that, so the drop waits
  until the container is consistent again. A release on a C thread is drained by the
  next call any Python thread makes into the binding, and at exit.

`hash` and `equal` call Python's hash() and ==. They cannot raise through C: an
exception is kept (per thread) and re-raised when the C call returns (`reraise`).

With the C accelerator (_accel), the hooks, the queue, `drain` and `reraise` are its C
versions (speedups/refs.c), which keep these rules and give the same hashes; `_pending`
is then its queue, true while not empty.
"""
import atexit
import ctypes
import threading

from . import _accel, _lib

RefFn = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_void_p)
HashFn = ctypes.CFUNCTYPE(ctypes.c_uint64, ctypes.c_void_p, ctypes.c_uint64, ctypes.c_void_p)
EqualFn = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p)

_pending = []  # PyObject addresses whose reference libgort has dropped
_raised = threading.local()
_MASK = (1 << 64) - 1


def object_at(address):
    """The object whose pointer is stored at `address` (a new Python reference), or
    None for a NULL pointer (the zero value of `object`)."""
    if not ctypes.c_void_p.from_address(address).value:
        return None
    return ctypes.py_object.from_address(address).value


def drain():
    """Drops the references libgort has released. Call after any C call that may have
    dropped values; cheap when there is nothing to do."""
    while _pending:
        _lib.Py_DecRef(_pending.pop())


def reraise():
    """Raises the exception a hash or == callback met during the last C call, if any."""
    exc = getattr(_raised, "exc", None)
    if exc is not None:
        _raised.exc = None
        raise exc


def _keep(exc):
    if getattr(_raised, "exc", None) is None:
        _raised.exc = exc


@RefFn
def _retain(ptr, ctx):
    _lib.Py_IncRef(ptr)


@RefFn
def _release(ptr, ctx):
    _pending.append(ptr)


def _mix(x):
    """SplitMix64's finaliser: Python's hash of an int is the int itself, and a swiss
    table needs every bit of the hash to depend on every bit of the key."""
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & _MASK
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & _MASK
    return x ^ (x >> 31)


@HashFn
def _hash(slot, seed, ctx):
    try:
        return _mix((hash(object_at(slot)) ^ seed) & _MASK)
    except BaseException as exc:  # noqa: B902 - must not unwind into C
        _keep(exc)
        return 0


@EqualFn
def _equal(a, b, ctx):
    try:
        x, y = object_at(a), object_at(b)
        return 1 if x is y or x == y else 0
    except BaseException as exc:  # noqa: B902
        _keep(exc)
        return 0


def hooks():
    """The addresses of the `object` descriptor's hash, equal, retain and release (the
    callbacks stay alive in this module)."""
    return tuple(ctypes.cast(f, ctypes.c_void_p).value
                 for f in (_hash, _equal, _retain, _release))


if _accel.speedups is not None:
    _pending = _accel.speedups.pending
    drain = _accel.speedups.drain
    reraise = _accel.speedups.reraise
    hooks = _accel.speedups.object_hooks

atexit.register(drain)
