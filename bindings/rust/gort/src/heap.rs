//! Heaps: private jemalloc arenas whose statistics can be read, e.g. to prove that a
//! piece of code leaves nothing allocated.

use crate::error::{check, Error, Result};
use gort_sys as sys;
use std::ffi::CStr;
use std::mem::size_of;
use std::ptr::{self, NonNull};
use std::sync::Arc;

/// A libgort heap (`gort_heap_create`). Containers made `*_in` a heap keep it alive: the
/// arena is destroyed when the last `Heap` clone and the last container in it are gone,
/// so destroying a heap under live objects cannot happen.
#[derive(Clone, Debug)]
pub struct Heap {
    inner: Arc<HeapHandle>,
}

#[derive(Debug)]
struct HeapHandle(NonNull<sys::gort_heap>);

// SAFETY: a gort_heap is thread-safe (docs/threading.md: any thread may allocate from
// it, free into it and read its stats). The one exception, gort_heap_destroy, runs in
// Drop of the last reference, when no object of the heap is left for another thread
// to use (every container holds a reference).
unsafe impl Send for HeapHandle {}
// SAFETY: as above; shared use only allocates, frees and reads stats.
unsafe impl Sync for HeapHandle {}

impl Drop for HeapHandle {
    fn drop(&mut self) {
        // SAFETY: the last reference: no container in this heap is alive (each holds a
        // reference), so nothing is allocated in it and nobody else can touch it.
        let status = unsafe { sys::gort_heap_destroy(self.0.as_ptr(), 0) };
        debug_assert_eq!(status, sys::GORT_OK, "gort_heap_destroy: {:?}", Error::from_code(status));
    }
}

/// A snapshot of a heap's statistics (`gort_heap_stats`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct HeapStats {
    /// Bytes in live allocations.
    pub allocated: u64,
    /// Bytes in active pages.
    pub active: u64,
    /// Bytes physically resident, allocator metadata included.
    pub resident: u64,
    /// Bytes mapped by the arena.
    pub mapped: u64,
    /// Allocations libgort made in this heap and has not freed.
    pub live_blocks: u64,
    /// libgort handles alive in this heap (slice handles in libgort 1.0).
    pub live_objects: u64,
}

impl Heap {
    /// Creates a heap (a new jemalloc arena).
    pub fn new() -> Result<Heap> {
        let mut out = ptr::null_mut();
        // SAFETY: out is a valid out-pointer.
        check(unsafe { sys::gort_heap_create(&mut out) })?;
        let handle = NonNull::new(out).ok_or(Error::OutOfMemory)?;
        Ok(Heap { inner: Arc::new(HeapHandle(handle)) })
    }

    /// This heap's statistics.
    pub fn stats(&self) -> Result<HeapStats> {
        stats_of(self.as_ptr())
    }

    /// The raw handle, for gort-sys calls; valid while `self` lives.
    pub fn as_ptr(&self) -> *mut sys::gort_heap {
        self.inner.0.as_ptr()
    }
}

/// The statistics of the process-wide default heap.
pub fn default_heap_stats() -> Result<HeapStats> {
    stats_of(ptr::null_mut())
}

/// The allocator libgort was built with: "jemalloc-bundled", "jemalloc-system" or "libc".
pub fn allocator() -> &'static str {
    // SAFETY: gort_heap_allocator returns a static NUL-terminated ASCII string.
    unsafe { CStr::from_ptr(sys::gort_heap_allocator()) }.to_str().unwrap_or("unknown")
}

fn stats_of(heap: *mut sys::gort_heap) -> Result<HeapStats> {
    let mut raw =
        sys::gort_heap_stats { struct_size: size_of::<sys::gort_heap_stats>(), ..Default::default() };
    // SAFETY: heap is NULL (the default heap) or a live heap; raw is sized as declared.
    check(unsafe { sys::gort_heap_stats_get(heap, &mut raw) })?;
    Ok(HeapStats {
        allocated: raw.allocated,
        active: raw.active,
        resident: raw.resident,
        mapped: raw.mapped,
        live_blocks: raw.live_blocks,
        live_objects: raw.live_objects,
    })
}

/// The handle to pass for an optional heap (NULL: the default heap).
pub(crate) fn heap_ptr(heap: Option<&Heap>) -> *mut sys::gort_heap {
    heap.map_or(ptr::null_mut(), Heap::as_ptr)
}
