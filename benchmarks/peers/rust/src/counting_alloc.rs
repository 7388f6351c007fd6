//! The Rust peer's global allocator: the system allocator (glibc malloc, as without it),
//! plus a byte count for the memory row. While `measure` runs, every allocation adds its
//! requested size and every deallocation subtracts it (a reallocation adds the
//! difference), so the figure is requested bytes: no malloc chunk headers, no size-class
//! rounding. Outside `measure` the only cost is one relaxed load of a flag per call.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering::Relaxed};

pub struct CountingAlloc;

static COUNTING: AtomicBool = AtomicBool::new(false);
static NET_BYTES: AtomicI64 = AtomicI64::new(0);

#[inline]
fn note(delta: i64) {
    if COUNTING.load(Relaxed) {
        NET_BYTES.fetch_add(delta, Relaxed);
    }
}

unsafe impl GlobalAlloc for CountingAlloc {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = System.alloc(layout);
        if !p.is_null() {
            note(layout.size() as i64);
        }
        p
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let p = System.alloc_zeroed(layout);
        if !p.is_null() {
            note(layout.size() as i64);
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        System.dealloc(ptr, layout);
        note(-(layout.size() as i64));
    }

    // Forwarded so that Vec keeps glibc's realloc (mremap for large blocks), exactly as
    // with the default allocator; the default method would allocate and copy instead.
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let p = System.realloc(ptr, layout, new_size);
        if !p.is_null() {
            note(new_size as i64 - layout.size() as i64);
        }
        p
    }
}

/// Runs `f` and returns its result with the net bytes allocated meanwhile.
pub fn measure<T, F: FnOnce() -> T>(f: F) -> (T, i64) {
    NET_BYTES.store(0, Relaxed);
    COUNTING.store(true, Relaxed);
    let result = f();
    COUNTING.store(false, Relaxed);
    (result, NET_BYTES.load(Relaxed))
}
