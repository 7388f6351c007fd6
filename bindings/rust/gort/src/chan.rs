//! Go channels on OS threads (`chan T`), shared between threads by cloning the handle.

use crate::elem::{raw_ptr, AsRaw, Descriptor, Elem};
use crate::error::{check, Error, Result};
use crate::heap::{heap_ptr, Heap};
use gort_sys as sys;
use std::fmt;
use std::marker::PhantomData;
use std::mem::MaybeUninit;
use std::os::raw::{c_int, c_void};
use std::os::unix::io::RawFd;
use std::ptr::NonNull;
use std::time::Duration;

/// A Go channel of `T`, buffered (`cap > 0`) or unbuffered.
///
/// `Clone` takes another reference to the same channel (`gort_chan_retain`), as copying
/// a channel value does in Go; the channel is freed with its last reference, dropping
/// any values still buffered. Every method takes `&self` and may be called from any
/// thread at any time.
///
/// A send copies the value in (strings duplicated, `Arc`s counted) and the sender keeps
/// its own: pass `&value` to keep using it, or `value` to give it up. A receive hands
/// over the channel's copy: the received `T` is owned, nothing is borrowed.
pub struct Chan<T: Elem> {
    raw: NonNull<sys::gort_chan>,
    desc: Descriptor,
    heap: Option<Heap>,
    _marker: PhantomData<T>,
}

// SAFETY: libgort channels are fully thread-safe (docs/threading.md); retain/release
// are atomic. Values cross threads through the channel, so T must be Send. The last
// release cannot race with a thread blocked on the channel: every blocked call
// borrows a Chan, which holds a reference, so the last one is dropped only after it.
unsafe impl<T: Elem + Send> Send for Chan<T> {}
// SAFETY: as above: &Chan allows every operation, which libgort synchronises. Like
// std's Sender<T>, sharing only needs T: Send, since each value goes to one receiver.
unsafe impl<T: Elem + Send> Sync for Chan<T> {}

/// Converts a timeout to libgort's nanoseconds, saturating (an absurd timeout is
/// forever in practice).
pub(crate) fn timeout_ns(timeout: Duration) -> i64 {
    i64::try_from(timeout.as_nanos()).unwrap_or(i64::MAX)
}

impl<T: Elem> Chan<T> {
    /// `make(chan T, cap)`: `cap == 0` is unbuffered.
    pub fn new(cap: usize) -> Result<Self> {
        Self::create(cap, None)
    }

    /// `make(chan T, cap)` in `heap`.
    pub fn new_in(cap: usize, heap: &Heap) -> Result<Self> {
        Self::create(cap, Some(heap))
    }

    fn create(cap: usize, heap: Option<&Heap>) -> Result<Self> {
        let desc = Descriptor::of::<T>()?;
        let cap = i64::try_from(cap).map_err(|_| Error::OutOfRange)?;
        let mut out = std::ptr::null_mut();
        // SAFETY: live descriptor, heap NULL or live, out a valid out-pointer.
        check(unsafe { sys::gort_chan_create(desc.as_ptr(), cap, heap_ptr(heap), &mut out) })?;
        let raw = NonNull::new(out).ok_or(Error::OutOfMemory)?;
        Ok(Chan { raw, desc, heap: heap.cloned(), _marker: PhantomData })
    }

    fn ptr(&self) -> *mut sys::gort_chan {
        self.raw.as_ptr()
    }

    /// The element descriptor.
    pub fn descriptor(&self) -> Descriptor {
        self.desc
    }

    /// `c <- value`: blocks until a receiver takes it or it fits in the buffer.
    /// [`Error::Closed`] if the channel is or becomes closed (nothing was sent).
    pub fn send<Q: AsRaw<T>>(&self, value: Q) -> Result<()> {
        let raw = value.as_raw();
        // SAFETY: raw is a valid value (AsRaw), borrowed for the call; the channel
        // takes its own copy.
        check(unsafe { sys::gort_chan_send(self.ptr(), raw_ptr(&raw)) })
    }

    /// Sends without waiting: [`Error::WouldBlock`] if no receiver is waiting and the
    /// buffer is full; [`Error::Closed`] if closed.
    pub fn try_send<Q: AsRaw<T>>(&self, value: Q) -> Result<()> {
        let raw = value.as_raw();
        // SAFETY: as in send().
        check(unsafe { sys::gort_chan_try_send(self.ptr(), raw_ptr(&raw)) })
    }

    /// Sends, waiting at most `timeout`: [`Error::TimedOut`] when it expires
    /// ([`Error::WouldBlock`] for a zero timeout, which does not wait).
    pub fn send_timeout<Q: AsRaw<T>>(&self, value: Q, timeout: Duration) -> Result<()> {
        let raw = value.as_raw();
        // SAFETY: as in send().
        check(unsafe { sys::gort_chan_send_timeout(self.ptr(), raw_ptr(&raw), timeout_ns(timeout)) })
    }

    /// `v, ok := <-c`: blocks until a value arrives. [`Error::Closed`] once the channel
    /// is closed and drained (Go's `ok == false`).
    pub fn recv(&self) -> Result<T> {
        // SAFETY: a live handle; out and ok are valid.
        self.recv_with(|c, out, ok| unsafe { sys::gort_chan_recv(c, out, ok) })
    }

    /// Receives without waiting: [`Error::WouldBlock`] if nothing is ready and the
    /// channel is open.
    pub fn try_recv(&self) -> Result<T> {
        // SAFETY: as in recv().
        self.recv_with(|c, out, ok| unsafe { sys::gort_chan_try_recv(c, out, ok) })
    }

    /// Receives, waiting at most `timeout`: [`Error::TimedOut`] when it expires
    /// ([`Error::WouldBlock`] for a zero timeout).
    pub fn recv_timeout(&self, timeout: Duration) -> Result<T> {
        let ns = timeout_ns(timeout);
        // SAFETY: as in recv().
        self.recv_with(|c, out, ok| unsafe { sys::gort_chan_recv_timeout(c, out, ok, ns) })
    }

    fn recv_with<F>(&self, call: F) -> Result<T>
    where
        F: FnOnce(*mut sys::gort_chan, *mut c_void, *mut c_int) -> c_int,
    {
        let mut out = MaybeUninit::<T::Raw>::uninit();
        let mut ok: c_int = 0;
        check(call(self.ptr(), out.as_mut_ptr().cast(), &mut ok))?;
        if ok == 0 {
            return Err(Error::Closed); // the zero value written to out owns nothing
        }
        // SAFETY: ok: out holds a received value, which the receive moved to us.
        Ok(unsafe { T::from_owned(out.assume_init(), self.desc) })
    }

    /// `close(c)`: buffered values stay receivable; waiting senders fail.
    /// [`Error::Closed`] if it was already closed.
    pub fn close(&self) -> Result<()> {
        // SAFETY: a live handle.
        check(unsafe { sys::gort_chan_close(self.ptr()) })
    }

    /// `len(c)`: values buffered (a snapshot).
    pub fn len(&self) -> usize {
        // SAFETY: a live handle.
        unsafe { sys::gort_chan_len(self.ptr()) }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// `cap(c)`.
    pub fn cap(&self) -> usize {
        // SAFETY: a live handle.
        unsafe { sys::gort_chan_cap(self.ptr()) }
    }

    /// Whether the channel has been closed (a snapshot).
    pub fn is_closed(&self) -> bool {
        // SAFETY: a live handle.
        unsafe { sys::gort_chan_is_closed(self.ptr()) != 0 }
    }

    /// Received values until the channel is closed and drained (`for v := range c`).
    pub fn iter(&self) -> Iter<'_, T> {
        Iter { chan: self }
    }

    /// Values that can be received without waiting, until none is ready.
    pub fn try_iter(&self) -> impl Iterator<Item = T> + '_ {
        std::iter::from_fn(move || self.try_recv().ok())
    }

    /// An eventfd that polls readable while a receive would not block. A hint: follow
    /// it with `try_recv`. The fd belongs to the channel: do not close or read it.
    pub fn recv_ready_fd(&self) -> Result<RawFd> {
        self.fd(sys::GORT_CHAN_RECV_READY)
    }

    /// An eventfd that polls readable while a send would not block (see `recv_ready_fd`).
    pub fn send_ready_fd(&self) -> Result<RawFd> {
        self.fd(sys::GORT_CHAN_SEND_READY)
    }

    fn fd(&self, dir: c_int) -> Result<RawFd> {
        let mut fd: c_int = -1;
        // SAFETY: a live handle and a valid out-pointer.
        check(unsafe { sys::gort_chan_fd(self.ptr(), dir, &mut fd) })?;
        Ok(fd)
    }

    /// The raw handle, for gort-sys calls and `select`; valid while `self` lives.
    pub fn as_ptr(&self) -> *mut sys::gort_chan {
        self.ptr()
    }

    /// Gives up this value's reference without releasing it.
    pub fn into_raw(self) -> *mut sys::gort_chan {
        let raw = self.ptr();
        std::mem::forget(self);
        raw
    }

    /// Adopts one reference to a channel (from C code, say) after checking that its
    /// element type is `T`'s (`gort_chan_expect_type`; else [`Error::TypeMismatch`],
    /// and the reference stays the caller's).
    ///
    /// # Safety
    /// `raw` must be a live channel handle, and the reference adopted must be one the
    /// caller owns; the channel must not live in a heap that may be destroyed first.
    pub unsafe fn from_raw(raw: *mut sys::gort_chan) -> Result<Self> {
        let raw = NonNull::new(raw).ok_or(Error::Invalid)?;
        let desc = Descriptor::of::<T>()?;
        check(sys::gort_chan_expect_type(raw.as_ptr(), desc.as_ptr()))?;
        Ok(Chan { raw, desc, heap: None, _marker: PhantomData })
    }
}

impl<T: Elem> Clone for Chan<T> {
    /// Another reference to the same channel.
    fn clone(&self) -> Self {
        // SAFETY: a live handle; retain is atomic and returns it.
        unsafe { sys::gort_chan_retain(self.ptr()) };
        Chan { raw: self.raw, desc: self.desc, heap: self.heap.clone(), _marker: PhantomData }
    }
}

impl<T: Elem> Drop for Chan<T> {
    fn drop(&mut self) {
        // SAFETY: this value's reference, released once; no call on it can be in
        // progress (each borrows a Chan holding a reference).
        unsafe { sys::gort_chan_release(self.ptr()) }
    }
}

impl<T: Elem> fmt::Debug for Chan<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Chan")
            .field("elem", &self.desc.name())
            .field("len", &self.len())
            .field("cap", &self.cap())
            .field("closed", &self.is_closed())
            .finish()
    }
}

/// Receives until the channel is closed and drained.
pub struct Iter<'a, T: Elem> {
    chan: &'a Chan<T>,
}

impl<'a, T: Elem> Iterator for Iter<'a, T> {
    type Item = T;
    fn next(&mut self) -> Option<T> {
        self.chan.recv().ok()
    }
}

impl<'a, T: Elem> IntoIterator for &'a Chan<T> {
    type Item = T;
    type IntoIter = Iter<'a, T>;
    fn into_iter(self) -> Iter<'a, T> {
        self.iter()
    }
}
