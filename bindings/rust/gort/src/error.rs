//! libgort's status codes as a Rust error type.

use gort_sys as sys;
use std::ffi::CStr;
use std::fmt;
use std::os::raw::c_int;

/// A libgort error: one variant per negative `gort_status` code (the variant documents
/// the code it stands for), plus `Unknown` for a code this binding does not know.
///
/// Besides the codes libgort returns, the binding reports two conditions with the code
/// of the same meaning: a receive from a channel that is closed and drained is
/// [`Error::Closed`] (libgort reports it as `ok == 0`), and a type mismatch libgort
/// cannot see, such as a Rust value type whose layout does not match its descriptor or
/// an operation that would produce a zero value of a type that has none, is
/// [`Error::TypeMismatch`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Error {
    /// `GORT_ENOMEM`: the allocator could not satisfy a request.
    OutOfMemory,
    /// `GORT_EINVAL`: an argument is invalid.
    Invalid,
    /// `GORT_ERANGE`: an index, length or bound is out of range.
    OutOfRange,
    /// `GORT_ECLOSED`: the channel is closed.
    Closed,
    /// `GORT_EAGAIN`: the operation would block (a `try_` call, a zero timeout, a select
    /// with a default case).
    WouldBlock,
    /// `GORT_ETIMEDOUT`: the deadline passed.
    TimedOut,
    /// `GORT_EOVERFLOW`: a size computation overflows or exceeds `GORT_MAX_ALLOC`.
    Overflow,
    /// `GORT_EBUSY`: the object is in use.
    Busy,
    /// `GORT_ETYPE`: the type does not fit the operation.
    TypeMismatch,
    /// A negative status code unknown to this binding (a newer library).
    Unknown(i32),
}

/// The result of a fallible libgort operation.
pub type Result<T> = std::result::Result<T, Error>;

impl Error {
    /// The `gort_status` code.
    pub fn code(self) -> i32 {
        match self {
            Error::OutOfMemory => sys::GORT_ENOMEM,
            Error::Invalid => sys::GORT_EINVAL,
            Error::OutOfRange => sys::GORT_ERANGE,
            Error::Closed => sys::GORT_ECLOSED,
            Error::WouldBlock => sys::GORT_EAGAIN,
            Error::TimedOut => sys::GORT_ETIMEDOUT,
            Error::Overflow => sys::GORT_EOVERFLOW,
            Error::Busy => sys::GORT_EBUSY,
            Error::TypeMismatch => sys::GORT_ETYPE,
            Error::Unknown(code) => code,
        }
    }

    /// The error for a status code; `None` for `GORT_OK`.
    pub fn from_code(code: i32) -> Option<Error> {
        Some(match code {
            sys::GORT_OK => return None,
            sys::GORT_ENOMEM => Error::OutOfMemory,
            sys::GORT_EINVAL => Error::Invalid,
            sys::GORT_ERANGE => Error::OutOfRange,
            sys::GORT_ECLOSED => Error::Closed,
            sys::GORT_EAGAIN => Error::WouldBlock,
            sys::GORT_ETIMEDOUT => Error::TimedOut,
            sys::GORT_EOVERFLOW => Error::Overflow,
            sys::GORT_EBUSY => Error::Busy,
            sys::GORT_ETYPE => Error::TypeMismatch,
            other => Error::Unknown(other),
        })
    }
}

/// `Ok(())` for `GORT_OK`, else the error. Positive values never come from the
/// functions this is used on; they count as unknown errors rather than success.
pub(crate) fn check(status: c_int) -> Result<()> {
    match Error::from_code(status) {
        None => Ok(()),
        Some(err) => Err(err),
    }
}

impl fmt::Display for Error {
    /// libgort's own description (`gort_strerror`), e.g.
    /// "GORT_ERANGE: index or size out of range".
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // SAFETY: gort_strerror accepts any int and returns a static, NUL-terminated
        // string, never NULL.
        let text = unsafe { CStr::from_ptr(sys::gort_strerror(self.code())) };
        f.write_str(&text.to_string_lossy())
    }
}

impl std::error::Error for Error {}
