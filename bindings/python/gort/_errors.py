"""Status codes to Python exceptions.

Each gort status becomes the builtin exception a Python programmer expects for it; the
exception carries the code as ``gort_status``. Only a closed channel has an exception of
its own (ChannelClosed). EAGAIN never escapes: the non-blocking calls that return it
turn it into a result (False, None)."""
from . import _lib, _refs


class ChannelClosed(Exception):
    """Send on a closed channel, or receive from a closed and drained one."""
    gort_status = _lib.ECLOSED


_EXCEPTIONS = {
    _lib.ENOMEM: MemoryError,
    _lib.EINVAL: ValueError,
    _lib.ERANGE: IndexError,
    _lib.ECLOSED: ChannelClosed,
    _lib.EAGAIN: TimeoutError,  # a zero timeout that found nothing ready
    _lib.ETIMEDOUT: TimeoutError,
    _lib.EOVERFLOW: OverflowError,
    _lib.EBUSY: RuntimeError,
    _lib.ETYPE: TypeError,
}


def strerror(status):
    """The library's name for a status code."""
    return _lib.py.gort_strerror(status).decode()


def error(status, what, range_error=IndexError):
    """The exception for a failed call: `what` names the operation; `range_error` is
    what ERANGE means there (IndexError for an index, ValueError for an argument)."""
    kind = range_error if status == _lib.ERANGE else _EXCEPTIONS.get(status, RuntimeError)
    exc = kind(f"{what}: {strerror(status)}")
    exc.gort_status = status
    return exc


def check(status, what, range_error=IndexError):
    """Drops the references the call released (see _refs), then raises the exception
    for a failed status; returns the status otherwise."""
    if _refs._pending:
        _refs.drain()
    if status < 0:
        raise error(status, what, range_error)
    return status
