"""Chan and select: Go's channels, shared by Python threads and C threads.

Every blocking operation first tries without blocking, holding the GIL (the common case
on a busy channel costs one C call). When it must wait, it takes a reference to the
channel (so a concurrent release cannot free it), and waits in a call that releases the
GIL, so other Python threads and C threads run. On the main thread the wait is cut into
slices of 0.1 s, so Ctrl-C (KeyboardInterrupt) is seen within 0.1 s: a wait that times
out has no effect, so slicing it changes nothing else.

With the C accelerator (_accel), send, try_send, recv, try_recv and iteration are its C
versions (speedups/chan.c), installed on Chan at import; they behave as the code here.
"""
import ctypes
import threading
import time

from . import _accel, _lib
from . import _refs
from ._errors import ChannelClosed, check, error
from ._handle import Handle
from ._heap import heap_arg
from ._types import as_type

_SLICE_S = 0.1
_FOREVER = -1

_try_send, _try_recv = _lib.py.gort_chan_try_send, _lib.py.gort_chan_try_recv
_send_timeout, _recv_timeout = _lib.c.gort_chan_send_timeout, _lib.c.gort_chan_recv_timeout
_chan_release = _lib.py.gort_chan_release


def _timeout_ns(seconds):
    if seconds is None:
        return _FOREVER
    if not isinstance(seconds, (int, float)) or seconds != seconds:
        raise ValueError(f"timeout must be a number of seconds or None, not {seconds!r}")
    return max(0, int(seconds * 1e9))


def _wait(call, timeout_ns):
    """Runs call(timeout_ns) (a GIL-releasing C call that waits at most that long, -1 for
    ever) and returns its status; on the main thread, in slices of 0.1 s."""
    if threading.current_thread() is not threading.main_thread():
        return call(timeout_ns)
    deadline = None if timeout_ns < 0 else time.monotonic_ns() + timeout_ns
    while True:
        step = int(_SLICE_S * 1e9)
        if deadline is not None:
            step = min(step, max(0, deadline - time.monotonic_ns()))
        status = call(step)
        if status != _lib.ETIMEDOUT or (deadline is not None
                                        and time.monotonic_ns() >= deadline):
            return status


class Chan(Handle):
    """Chan(elem, cap=0, *, heap=None): a Go channel of `elem` (a gort type or int,
    float, bool, bytes, str, object) with `cap` buffer slots (0: unbuffered).

    Fully thread-safe. Timeouts are in seconds (None: wait for ever, 0: do not wait).
    A receive from a closed, drained channel and a send on a closed channel raise
    ChannelClosed; iteration receives until then. release() (or `with`) gives the
    channel back; close() is Go's close.
    """
    __slots__ = ("elem_type", "_heap", "_codec")  # _codec: for the C accelerator
    _free = _lib.py.gort_chan_release

    def __init__(self, elem, cap=0, *, heap=None):
        super().__init__()
        self.elem_type, self._heap = as_type(elem), heap
        self._codec = self.elem_type.codec
        if not isinstance(cap, int):
            raise TypeError(f"cap must be an int, not {type(cap).__name__}")
        check(_lib.py.gort_chan_create(self.elem_type.ptr, cap, heap_arg(heap),
                                       ctypes.byref(self._h)), "gort_chan_create", ValueError)

    @classmethod
    def from_handle(cls, address, elem):
        """A new Chan holding its own reference to the C channel at `address` (from C
        code), which must have element type `elem` (TypeError otherwise). The address
        must be a live gort_chan: like any raw pointer, a wrong one is not detectable."""
        ch = cls.__new__(cls)
        Handle.__init__(ch)
        ch.elem_type, ch._heap = as_type(elem), None
        ch._codec = ch.elem_type.codec
        check(_lib.py.gort_chan_expect_type(address, ch.elem_type.ptr),
              "gort_chan_expect_type")
        ch._h.value = _lib.py.gort_chan_retain(address)
        return ch

    def _hold(self):
        """A reference of our own for a GIL-releasing wait (see module doc)."""
        ref = _lib.py.gort_chan_retain(self._h)
        if not ref:
            raise ValueError("Chan used after release")
        return ref

    # --- send and receive ---------------------------------------------------------------
    # The hot paths pass packed bytes and pooled out-buffers' addresses (cheaper than
    # ctypes objects and byref) and look at the status only when it is not GORT_OK.
    def _failed(self, status, what):
        if status == _lib.EINVAL and not self._h:
            return ValueError(f"{what}: Chan used after release")
        return error(status, what)

    def send(self, value, timeout=None):
        """ch <- value. Raises ChannelClosed, or TimeoutError when `timeout` expires."""
        v = self.elem_type.arg(value)
        status = _try_send(self._h, v)
        if status == _lib.EAGAIN and timeout != 0:
            ref = self._hold()
            try:
                status = _wait(lambda ns: _send_timeout(ref, v, ns), _timeout_ns(timeout))
            finally:
                _chan_release(ref)
        if _refs._pending:
            _refs.drain()
        if status:
            raise self._failed(status, "send")

    def try_send(self, value):
        """Sends without waiting: True if sent, False if it would block."""
        status = _try_send(self._h, self.elem_type.arg(value))
        if _refs._pending:
            _refs.drain()
        if status == _lib.EAGAIN:
            return False
        if status:
            raise self._failed(status, "try_send")
        return True

    def recv(self, timeout=None):
        """<-ch. Raises ChannelClosed once closed and drained, or TimeoutError."""
        entry = self.elem_type.out()
        _, address, ok_address = entry
        status = _try_recv(self._h, address, ok_address)
        if status:
            if status == _lib.EAGAIN and timeout != 0:
                status = self._recv_wait(address, ok_address, timeout)
            if status:
                raise self._failed(status, "recv")
        return self._received(entry, "recv")

    def _received(self, entry, what):
        """The value a successful receive left in the pooled `entry`, taken over; or
        ChannelClosed when the receive found the channel closed and drained."""
        elem = self.elem_type
        out = entry[0]
        if not out.flag:
            elem.give_back(entry)
            raise ChannelClosed(f"{what}: channel closed")
        value = elem.take(out)
        elem.give_back(entry)
        return value

    def _recv_wait(self, address, ok_address, timeout):
        ref = self._hold()
        try:
            return _wait(lambda ns: _recv_timeout(ref, address, ok_address, ns),
                         _timeout_ns(timeout))
        finally:
            _chan_release(ref)
            if _refs._pending:
                _refs.drain()

    def try_recv(self):
        """Receives without waiting: (value, True), or (None, False) if nothing is ready.
        Raises ChannelClosed once closed and drained."""
        elem = self.elem_type
        entry = elem.out()
        _, address, ok_address = entry
        status = _try_recv(self._h, address, ok_address)
        if status == _lib.EAGAIN:
            elem.give_back(entry)
            return None, False
        if status:
            raise self._failed(status, "try_recv")
        return self._received(entry, "try_recv"), True

    def __iter__(self):
        """Receives until the channel is closed and drained."""
        while True:
            try:
                yield self.recv()
            except ChannelClosed:
                return

    # --- state ------------------------------------------------------------------------
    def close(self):
        """Go's close(ch). Closing twice raises ChannelClosed."""
        check(_lib.py.gort_chan_close(self._live()), "close")

    def __len__(self):
        return _lib.py.gort_chan_len(self._live())

    @property
    def cap(self):
        return _lib.py.gort_chan_cap(self._live())

    @property
    def closed(self):
        return bool(_lib.py.gort_chan_is_closed(self._live()))

    def fileno(self, send=False):
        """An eventfd readable exactly while a receive (send=True: a send) would not
        block: for selectors, asyncio's add_reader, poll. Owned by the channel."""
        fd = ctypes.c_int()
        direction = 2 if send else 1  # GORT_CHAN_SEND_READY / GORT_CHAN_RECV_READY
        check(_lib.py.gort_chan_fd(self._live(), direction, ctypes.byref(fd)), "fileno",
              ValueError)
        return fd.value

    def __repr__(self):
        if self.released:
            return f"<released gort.Chan {self.elem_type}>"
        return f"<gort.Chan {self.elem_type} len={len(self)} cap={self.cap}" \
               f"{' closed' if self.closed else ''}>"


if _accel.speedups is not None:
    _accel.speedups.install(Chan, ChannelClosed)


# --- select -------------------------------------------------------------------------
class Recv:
    """A receive case of select()."""
    __slots__ = ("chan",)
    op = 2  # GORT_SELECT_RECV

    def __init__(self, chan):
        if not isinstance(chan, Chan) and chan is not None:
            raise TypeError(f"Recv needs a gort.Chan or None, not {type(chan).__name__}")
        self.chan = chan


class Send:
    """A send case of select()."""
    __slots__ = ("chan", "value")
    op = 1  # GORT_SELECT_SEND

    def __init__(self, chan, value):
        if not isinstance(chan, Chan) and chan is not None:
            raise TypeError(f"Send needs a gort.Chan or None, not {type(chan).__name__}")
        self.chan, self.value = chan, value


def select(*cases, timeout=None):
    """Go's select over Recv(ch) and Send(ch, value) cases (a None channel is never
    ready). Waits at most `timeout` seconds (None: for ever; 0: Go's default case).

    Returns (index, value, ok) for the case that ran: for a Recv, the value and ok True,
    or (index, None, False) when that channel is closed and drained; for a Send,
    (index, None, True). Returns None if the timeout passed first. Raises ChannelClosed
    if the chosen case is a send on a closed channel (Go panics there).
    """
    array = (_lib.SelectCase * len(cases))()
    buffers, refs = [], []
    try:
        for i, case in enumerate(cases):
            if not isinstance(case, (Recv, Send)):
                raise TypeError(f"case {i} is not a gort.Recv or gort.Send: {case!r}")
            elem = case.chan.elem_type if case.chan is not None else None
            if case.chan is not None:
                refs.append(case.chan._hold())
                array[i].chan = refs[-1]
            buf = None
            if elem is not None:
                buf = elem.encode(case.value) if case.op == 1 else elem.Out()
                array[i].value = ctypes.addressof(buf)
            buffers.append(buf)
            array[i].op = case.op
        chosen, ok = ctypes.c_size_t(), ctypes.c_int()
        status = _lib.py.gort_select(array, len(cases), 0, ctypes.byref(chosen),
                                     ctypes.byref(ok))
        if status == _lib.EAGAIN and timeout != 0:
            status = _wait(lambda ns: _lib.c.gort_select(
                array, len(cases), ns, ctypes.byref(chosen), ctypes.byref(ok)),
                _timeout_ns(timeout))
        if status in (_lib.EAGAIN, _lib.ETIMEDOUT):
            return None
        if status == _lib.ECLOSED:
            raise ChannelClosed(f"select: case {chosen.value} sends on a closed channel")
        check(status, "select", ValueError)
    finally:
        for ref in refs:
            _lib.py.gort_chan_release(ref)
        if _refs._pending:  # an unsent object's reference, given back by libgort
            _refs.drain()
    i = chosen.value
    case = cases[i]
    if case.op == 1:
        return i, None, True
    if not ok.value:
        return i, None, False
    return i, case.chan.elem_type.take(buffers[i]), True

