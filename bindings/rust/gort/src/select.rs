//! Go's `select` as a builder: add send and receive cases, each with a closure that
//! runs if that case is the one chosen, then wait (forever, with a timeout, or not at
//! all: Go's `default`).
//!
//! ```
//! use gort::{Chan, Select};
//! use std::time::Duration;
//!
//! let jobs = Chan::<i64>::new(1)?;
//! let done = Chan::<()>::new(0)?;
//! jobs.send(7)?;
//! let what = Select::new()
//!     .recv(&jobs, |job| format!("job {:?}", job))
//!     .recv(&done, |_| "done".to_string())
//!     .wait_timeout(Duration::from_millis(100))?;
//! assert_eq!(what, "job Some(7)");
//! # Ok::<(), gort::Error>(())
//! ```

use crate::chan::{timeout_ns, Chan};
use crate::elem::{AsRaw, Elem};
use crate::error::{check, Error, Result};
use gort_sys as sys;
use std::mem::MaybeUninit;
use std::os::raw::{c_int, c_void};
use std::ptr;
use std::time::Duration;

/// One case: where its value lives and what to do if it is chosen. Cases are boxed, so
/// the address given to libgort stays put while the select runs.
trait Case<R> {
    fn raw_case(&mut self) -> sys::gort_select_case;
    /// Runs the case's closure; `status` is GORT_OK or GORT_ECLOSED (a send on a closed
    /// channel), `received` whether a receive got a value.
    fn finish(self: Box<Self>, status: c_int, received: bool) -> R;
}

struct RecvCase<'a, T: Elem, F> {
    chan: Option<&'a Chan<T>>,
    slot: MaybeUninit<T::Raw>,
    then: F,
}

impl<'a, T: Elem, R, F: FnOnce(Option<T>) -> R> Case<R> for RecvCase<'a, T, F> {
    fn raw_case(&mut self) -> sys::gort_select_case {
        sys::gort_select_case {
            chan: self.chan.map_or(ptr::null_mut(), Chan::as_ptr),
            op: sys::GORT_SELECT_RECV,
            reserved: 0,
            value: self.slot.as_mut_ptr().cast(),
        }
    }

    fn finish(self: Box<Self>, _status: c_int, received: bool) -> R {
        let value = match (received, self.chan) {
            // SAFETY: the receive committed into slot and moved the value to us.
            (true, Some(chan)) => Some(unsafe { T::from_owned(self.slot.assume_init(), chan.descriptor()) }),
            // Closed and drained: slot holds a zero value, which owns nothing. (A nil
            // channel's case is never chosen.)
            _ => None,
        };
        (self.then)(value)
    }
}

struct SendCase<'a, T: Elem, Q, F> {
    chan: Option<&'a Chan<T>>,
    value: Q,
    raw: MaybeUninit<T::Raw>,
    then: F,
}

impl<'a, T: Elem, Q: AsRaw<T>, R, F: FnOnce(Result<()>) -> R> Case<R> for SendCase<'a, T, Q, F> {
    fn raw_case(&mut self) -> sys::gort_select_case {
        // The raw view borrows from self.value, which stays in this box until the
        // select has returned.
        self.raw = MaybeUninit::new(self.value.as_raw());
        sys::gort_select_case {
            chan: self.chan.map_or(ptr::null_mut(), Chan::as_ptr),
            op: sys::GORT_SELECT_SEND,
            reserved: 0,
            value: self.raw.as_mut_ptr().cast::<c_void>(),
        }
    }

    fn finish(self: Box<Self>, status: c_int, _received: bool) -> R {
        let result = if status == sys::GORT_ECLOSED { Err(Error::Closed) } else { Ok(()) };
        (self.then)(result)
    }
}

/// A select under construction; `R` is what every case's closure returns.
///
/// `recv` and `send` accept `&Chan<T>` or an `Option<&Chan<T>>`: `None` is Go's nil
/// channel, a case that is never ready (handy to switch a case off).
pub struct Select<'a, R> {
    cases: Vec<Box<dyn Case<R> + 'a>>,
}

impl<'a, R> Default for Select<'a, R> {
    fn default() -> Self {
        Select::new()
    }
}

impl<'a, R> Select<'a, R> {
    pub fn new() -> Self {
        Select { cases: Vec::new() }
    }

    /// `case v, ok := <-chan`: `then` gets `Some(v)`, or `None` if the channel is
    /// closed and drained.
    pub fn recv<T, C, F>(mut self, chan: C, then: F) -> Self
    where
        T: Elem + 'a,
        C: Into<Option<&'a Chan<T>>>,
        F: FnOnce(Option<T>) -> R + 'a,
    {
        let case = RecvCase::<T, F> { chan: chan.into(), slot: MaybeUninit::uninit(), then };
        self.cases.push(Box::new(case));
        self
    }

    /// `case chan <- value`: `then` gets `Ok(())` once sent, or `Err(Error::Closed)` if
    /// this case was chosen because the channel is closed (Go would panic). Pass
    /// `&value` to keep the value; an owned value is dropped after the select.
    pub fn send<T, Q, C, F>(mut self, chan: C, value: Q, then: F) -> Self
    where
        T: Elem + 'a,
        Q: AsRaw<T> + 'a,
        C: Into<Option<&'a Chan<T>>>,
        F: FnOnce(Result<()>) -> R + 'a,
    {
        let case = SendCase::<T, Q, F> { chan: chan.into(), value, raw: MaybeUninit::uninit(), then };
        self.cases.push(Box::new(case));
        self
    }

    /// Blocks until a case can proceed and runs it. With no case at all this blocks
    /// forever, as Go's `select {}`.
    pub fn wait(self) -> Result<R> {
        self.run(-1)
    }

    /// Waits at most `timeout`: [`Error::TimedOut`] if no case became ready (a zero
    /// timeout does not wait: [`Error::WouldBlock`], as `try_wait`).
    pub fn wait_timeout(self, timeout: Duration) -> Result<R> {
        self.run(timeout_ns(timeout))
    }

    /// Go's `default`: runs a ready case or returns [`Error::WouldBlock`] at once.
    pub fn try_wait(self) -> Result<R> {
        self.run(0)
    }

    fn run(mut self, timeout_ns: i64) -> Result<R> {
        let raw: Vec<sys::gort_select_case> = self.cases.iter_mut().map(|c| c.raw_case()).collect();
        let mut chosen = 0usize;
        let mut recv_ok: c_int = 0;
        // SAFETY: every case points at a live channel (borrowed for 'a) or is NULL, and
        // at a value slot inside its box, which lives in self until after the call.
        let status =
            unsafe { sys::gort_select(raw.as_ptr(), raw.len(), timeout_ns, &mut chosen, &mut recv_ok) };
        if status != sys::GORT_ECLOSED {
            check(status)?;
        }
        if chosen >= self.cases.len() {
            return Err(Error::Invalid); // libgort always names one of the cases
        }
        let case = self.cases.swap_remove(chosen);
        Ok(case.finish(status, recv_ok != 0))
    }
}
