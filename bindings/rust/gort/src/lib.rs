//! Go's slices, maps and channels (with select) for Rust, over libgort's C ABI.
//!
//! - [`Slice<T>`]: a Go slice (`[]T`), with sub-slices that share its array
//!   ([`SliceView`]), Go's append and growth rules, `copy`, `clone`, `grow`, `clip`.
//! - [`Map<K, V>`]: a Go map (Go 1.24's swiss table), `HashMap`-like.
//! - [`Chan<T>`]: a Go channel between OS threads, with [`Select`] over many.
//!
//! Element types implement [`Elem`]: the integers, `f32`/`f64` (with Go's `+0 == -0`,
//! `NaN != NaN` as keys), `bool`, `String` and `Vec<u8>` (the containers keep their own
//! copy of the bytes), `Arc<T>` and `Option<Arc<T>>` (stored as one pointer; the
//! containers hold exact strong counts), `()`, and your `#[repr(C)]` structs through
//! [`Pod`]. Values are always copied in and copied out; see the README for the full
//! type mapping, the threading rules and what is borrowed.
//!
//! The raw declarations are re-exported as [`sys`].

pub use gort_sys as sys;

mod chan;
mod elem;
mod error;
mod heap;
mod map;
mod select;
mod slice;

pub use chan::{Chan, Iter as ChanIter};
pub use elem::{equal, hash, AsRaw, Descriptor, Elem, Plain, Pod};
pub use error::{Error, Result};
pub use heap::{allocator, default_heap_stats, Heap, HeapStats};
pub use map::{Iter as MapIter, Map, MapStats};
pub use select::Select;
pub use slice::{AsSlice, Iter as SliceIter, Slice, SliceView};

use std::ffi::CStr;

/// The library's version as (major, minor, patch).
pub fn version() -> (u32, u32, u32) {
    // SAFETY: gort_version has no preconditions.
    let v = unsafe { sys::gort_version() };
    (v >> 16, (v >> 8) & 0xff, v & 0xff)
}

/// The library's version string, e.g. "1.0.0".
pub fn version_string() -> &'static str {
    // SAFETY: gort_version_string returns a static NUL-terminated ASCII string.
    unsafe { CStr::from_ptr(sys::gort_version_string()) }.to_str().unwrap_or("")
}

/// The README's examples, compiled and run as doc tests so they cannot go stale.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
pub struct ReadmeDoctests;
