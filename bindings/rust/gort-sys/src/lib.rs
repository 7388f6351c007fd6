//! Raw declarations of libgort's C ABI (`include/gort.h`, symbol version GORT_1.0).
//!
//! Every function, struct, enum constant and macro constant of the header is declared
//! here, in header order, with the header's names and types: the header's comments are
//! the reference for behaviour, return codes, ownership and thread-safety. Nothing here
//! is safe to call without reading them; the `gort` crate is the safe layer.
//!
//! Conventions of the translation (checked by `tests/header.rs` against the header as
//! `cc -E -P -DGORT_CDEF` emits it, and against `src/libgort.map`):
//!   - `size_t` is `usize`, `int` is `c_int`, `uintN_t`/`intN_t` are `uN`/`iN`, `double`
//!     is `f64`, `char` is `c_char`, `void *` is `*mut c_void`;
//!   - `const T *` is `*const T`, `T *` is `*mut T`;
//!   - an opaque handle (`typedef struct gort_map gort_map;`) is a zero-sized
//!     `#[repr(C)]` struct that cannot be built, moved out of a pointer, sent or shared;
//!   - a function-pointer typedef is `Option<unsafe extern "C" fn(..)>` (NULL is `None`);
//!   - a C enum is a type alias of the integer type the API passes it as (`int` for
//!     status codes, kinds and channel directions; `uint32_t` for flags and select ops),
//!     and its enumerators are constants of that type.

#![allow(non_camel_case_types)]

use std::marker::{PhantomData, PhantomPinned};
pub use std::os::raw::{c_char, c_int, c_void};

// ---------------------------------------------------------------------------------------
// gort/base.h
// ---------------------------------------------------------------------------------------

/// Status codes (`enum gort_status`); fallible functions return one as `int`.
pub type gort_status = c_int;
pub const GORT_OK: c_int = 0;
pub const GORT_ENOMEM: c_int = -1;
pub const GORT_EINVAL: c_int = -2;
pub const GORT_ERANGE: c_int = -3;
pub const GORT_ECLOSED: c_int = -4;
pub const GORT_EAGAIN: c_int = -5;
pub const GORT_ETIMEDOUT: c_int = -6;
pub const GORT_EOVERFLOW: c_int = -7;
pub const GORT_EBUSY: c_int = -8;
pub const GORT_ETYPE: c_int = -9;

/// Largest number of bytes one libgort object may request (2^48).
pub const GORT_MAX_ALLOC: u64 = 1 << 48;

pub const GORT_VERSION_MAJOR: u32 = 1;
pub const GORT_VERSION_MINOR: u32 = 2;
pub const GORT_VERSION_PATCH: u32 = 0;

extern "C" {
    pub fn gort_strerror(status: c_int) -> *const c_char;
    pub fn gort_version() -> u32;
    pub fn gort_version_string() -> *const c_char;
}

// ---------------------------------------------------------------------------------------
// gort/type.h
// ---------------------------------------------------------------------------------------

/// An immutable, reference-counted type descriptor (opaque).
#[repr(C)]
pub struct gort_type {
    _data: [u8; 0],
    _marker: PhantomData<(*mut u8, PhantomPinned)>,
}

pub type gort_hash_fn =
    Option<unsafe extern "C" fn(value: *const c_void, seed: u64, ctx: *mut c_void) -> u64>;
pub type gort_equal_fn =
    Option<unsafe extern "C" fn(a: *const c_void, b: *const c_void, ctx: *mut c_void) -> c_int>;
pub type gort_ref_fn = Option<unsafe extern "C" fn(ptr: *mut c_void, ctx: *mut c_void)>;

/// Flags of a descriptor (`enum gort_type_flags`, stored in `gort_type_desc::flags`).
pub type gort_type_flags = u32;
pub const GORT_TYPE_INCOMPARABLE: u32 = 1;

/// What a caller fills to create a descriptor; `struct_size` must be its size.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct gort_type_desc {
    pub struct_size: usize,
    pub size: usize,
    pub align: usize,
    pub hash: gort_hash_fn,
    pub equal: gort_equal_fn,
    pub ptr_bitmap: *const u64,
    pub ptr_words: usize,
    pub retain: gort_ref_fn,
    pub release: gort_ref_fn,
    pub ctx: *mut c_void,
    pub name: *const c_char,
    pub flags: u32,
}

/// Largest value size a descriptor may declare (1 GiB).
pub const GORT_TYPE_MAX_SIZE: usize = 1 << 30;

extern "C" {
    pub fn gort_type_create(desc: *const gort_type_desc, out: *mut *mut gort_type) -> c_int;
    pub fn gort_type_retain(type_: *mut gort_type) -> *mut gort_type;
    pub fn gort_type_release(type_: *mut gort_type);
}

/// Builtin descriptor kinds (`enum gort_kind`).
pub type gort_kind = c_int;
pub const GORT_KIND_CUSTOM: c_int = 0;
pub const GORT_KIND_BOOL: c_int = 1;
pub const GORT_KIND_I8: c_int = 2;
pub const GORT_KIND_I16: c_int = 3;
pub const GORT_KIND_I32: c_int = 4;
pub const GORT_KIND_I64: c_int = 5;
pub const GORT_KIND_U8: c_int = 6;
pub const GORT_KIND_U16: c_int = 7;
pub const GORT_KIND_U32: c_int = 8;
pub const GORT_KIND_U64: c_int = 9;
pub const GORT_KIND_F32: c_int = 10;
pub const GORT_KIND_F64: c_int = 11;
pub const GORT_KIND_UINTPTR: c_int = 12;
pub const GORT_KIND_PTR: c_int = 13;
pub const GORT_KIND_STR: c_int = 14;

/// A string value: `len` bytes at `ptr` (the layout of `GORT_KIND_STR`).
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct gort_str {
    pub ptr: *const c_char,
    pub len: usize,
}

extern "C" {
    pub fn gort_type_builtin(kind: c_int) -> *mut gort_type;
    pub fn gort_type_size(type_: *const gort_type) -> usize;
    pub fn gort_type_align(type_: *const gort_type) -> usize;
    pub fn gort_type_kind(type_: *const gort_type) -> c_int;
    pub fn gort_type_name(type_: *const gort_type) -> *const c_char;
    pub fn gort_type_comparable(type_: *const gort_type) -> c_int;
    pub fn gort_type_hash(type_: *const gort_type, value: *const c_void, seed: u64, out: *mut u64) -> c_int;
    pub fn gort_type_equal(
        type_: *const gort_type,
        a: *const c_void,
        b: *const c_void,
        out: *mut c_int,
    ) -> c_int;
    pub fn gort_value_drop(type_: *const gort_type, value: *mut c_void);
}

pub type gort_visit_fn = Option<unsafe extern "C" fn(slot: *mut *mut c_void, ctx: *mut c_void)>;

// ---------------------------------------------------------------------------------------
// gort/heap.h
// ---------------------------------------------------------------------------------------

/// A memory arena (opaque).
#[repr(C)]
pub struct gort_heap {
    _data: [u8; 0],
    _marker: PhantomData<(*mut u8, PhantomPinned)>,
}

extern "C" {
    pub fn gort_heap_create(out: *mut *mut gort_heap) -> c_int;
    pub fn gort_heap_default() -> *mut gort_heap;
}

/// Flags of `gort_heap_destroy` (`enum gort_heap_destroy_flags`).
pub type gort_heap_destroy_flags = u32;
pub const GORT_HEAP_FORCE: u32 = 1;

extern "C" {
    pub fn gort_heap_destroy(heap: *mut gort_heap, flags: u32) -> c_int;
}

/// Heap statistics; `struct_size` must be its size.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default)]
pub struct gort_heap_stats {
    pub struct_size: usize,
    pub allocated: u64,
    pub active: u64,
    pub resident: u64,
    pub mapped: u64,
    pub live_blocks: u64,
    pub live_objects: u64,
}

extern "C" {
    pub fn gort_heap_stats_get(heap: *mut gort_heap, out: *mut gort_heap_stats) -> c_int;
    pub fn gort_heap_allocator() -> *const c_char;
}

// ---------------------------------------------------------------------------------------
// gort/slice.h
// ---------------------------------------------------------------------------------------

/// A slice handle (opaque).
#[repr(C)]
pub struct gort_slice {
    _data: [u8; 0],
    _marker: PhantomData<(*mut u8, PhantomPinned)>,
}

extern "C" {
    pub fn gort_slice_make(
        type_: *mut gort_type,
        len: usize,
        cap: usize,
        heap: *mut gort_heap,
        out: *mut *mut gort_slice,
    ) -> c_int;
    pub fn gort_slice_nil(type_: *mut gort_type, heap: *mut gort_heap, out: *mut *mut gort_slice) -> c_int;
    pub fn gort_slice_free(s: *mut gort_slice);
    pub fn gort_slice_len(s: *const gort_slice) -> usize;
    pub fn gort_slice_cap(s: *const gort_slice) -> usize;
    pub fn gort_slice_is_nil(s: *const gort_slice) -> c_int;
    pub fn gort_slice_type(s: *const gort_slice) -> *mut gort_type;
    pub fn gort_slice_data(s: *const gort_slice) -> *mut c_void;
    pub fn gort_slice_get(s: *const gort_slice, i: usize, out: *mut c_void) -> c_int;
    pub fn gort_slice_set(s: *mut gort_slice, i: usize, value: *const c_void) -> c_int;
    pub fn gort_slice_append(s: *mut gort_slice, value: *const c_void) -> c_int;
    pub fn gort_slice_append_n(s: *mut gort_slice, values: *const c_void, n: usize) -> c_int;
    pub fn gort_slice_append_slice(dst: *mut gort_slice, src: *const gort_slice) -> c_int;
    pub fn gort_slice_sub(s: *const gort_slice, lo: usize, hi: usize, out: *mut *mut gort_slice) -> c_int;
    pub fn gort_slice_sub3(
        s: *const gort_slice,
        lo: usize,
        hi: usize,
        max: usize,
        out: *mut *mut gort_slice,
    ) -> c_int;
    pub fn gort_slice_reslice(s: *mut gort_slice, lo: usize, hi: usize, max: usize) -> c_int;
    pub fn gort_slice_copy(dst: *mut gort_slice, src: *const gort_slice, n_out: *mut usize) -> c_int;
    pub fn gort_slice_clone(s: *const gort_slice, out: *mut *mut gort_slice) -> c_int;
    pub fn gort_slice_grow(s: *mut gort_slice, n: usize) -> c_int;
    pub fn gort_slice_clip(s: *mut gort_slice) -> c_int;
    pub fn gort_slice_clear(s: *mut gort_slice) -> c_int;
    pub fn gort_slice_scan(s: *const gort_slice, visit: gort_visit_fn, ctx: *mut c_void) -> c_int;
    pub fn gort_slice_backing_bytes(s: *const gort_slice) -> usize;
}

// ---------------------------------------------------------------------------------------
// gort/map.h
// ---------------------------------------------------------------------------------------

/// A map handle (opaque, reference counted).
#[repr(C)]
pub struct gort_map {
    _data: [u8; 0],
    _marker: PhantomData<(*mut u8, PhantomPinned)>,
}

extern "C" {
    pub fn gort_map_create(
        key_type: *mut gort_type,
        value_type: *mut gort_type,
        hint: usize,
        heap: *mut gort_heap,
        out: *mut *mut gort_map,
    ) -> c_int;
    pub fn gort_map_retain(m: *mut gort_map) -> *mut gort_map;
    pub fn gort_map_release(m: *mut gort_map);
    pub fn gort_map_key_type(m: *const gort_map) -> *mut gort_type;
    pub fn gort_map_value_type(m: *const gort_map) -> *mut gort_type;
    pub fn gort_map_len(m: *const gort_map) -> usize;
    pub fn gort_map_set(m: *mut gort_map, key: *const c_void, value: *const c_void) -> c_int;
    pub fn gort_map_get(
        m: *const gort_map,
        key: *const c_void,
        value_out: *mut c_void,
        found: *mut c_int,
    ) -> c_int;
    pub fn gort_map_get_ptr(m: *const gort_map, key: *const c_void, out: *mut *mut c_void) -> c_int;
    pub fn gort_map_get_n(
        m: *const gort_map,
        keys: *const c_void,
        n: usize,
        values_out: *mut c_void,
        found_out: *mut c_int,
    ) -> i64;
    pub fn gort_map_delete(m: *mut gort_map, key: *const c_void) -> c_int;
    pub fn gort_map_set_n(m: *mut gort_map, keys: *const c_void, values: *const c_void, n: usize) -> i64;
    pub fn gort_map_delete_n(m: *mut gort_map, keys: *const c_void, n: usize) -> i64;
    pub fn gort_map_clear(m: *mut gort_map) -> c_int;
    pub fn gort_map_clone(m: *const gort_map, out: *mut *mut gort_map) -> c_int;
    pub fn gort_map_shrink(m: *mut gort_map) -> c_int;
}

/// Map statistics; `struct_size` must be its size.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default)]
pub struct gort_map_stats {
    pub struct_size: usize,
    pub entries: usize,
    pub tables: usize,
    pub directory_len: usize,
    pub global_depth: usize,
    pub capacity: usize,
    pub growth_left: usize,
    pub tombstones: usize,
    pub avg_probe: f64,
    pub max_probe: usize,
    pub bytes: usize,
}

extern "C" {
    pub fn gort_map_stats_get(m: *const gort_map, out: *mut gort_map_stats) -> c_int;
    pub fn gort_map_scan(m: *const gort_map, visit: gort_visit_fn, ctx: *mut c_void) -> c_int;
}

/// A map iterator: caller-allocated, 128 bytes, never moved while in use.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default)]
pub struct gort_map_iter {
    pub opaque: [u64; 16],
}

extern "C" {
    pub fn gort_map_iter_init(m: *mut gort_map, it: *mut gort_map_iter) -> c_int;
    pub fn gort_map_iter_next(
        it: *mut gort_map_iter,
        key: *mut *const c_void,
        value: *mut *mut c_void,
    ) -> c_int;
    pub fn gort_map_iter_next_n(
        it: *mut gort_map_iter,
        keys: *mut *const c_void,
        values: *mut *mut c_void,
        n: usize,
    ) -> i64;
    pub fn gort_map_iter_delete(it: *mut gort_map_iter) -> c_int;
    pub fn gort_map_iter_finish(it: *mut gort_map_iter);
}

pub type gort_abort_fn = Option<unsafe extern "C" fn(message: *const c_char, ctx: *mut c_void)>;

extern "C" {
    pub fn gort_map_set_abort_hook(hook: gort_abort_fn, ctx: *mut c_void);
}

// ---------------------------------------------------------------------------------------
// gort/chan.h
// ---------------------------------------------------------------------------------------

/// A channel handle (opaque, reference counted).
#[repr(C)]
pub struct gort_chan {
    _data: [u8; 0],
    _marker: PhantomData<(*mut u8, PhantomPinned)>,
}

extern "C" {
    pub fn gort_chan_create(
        elem_type: *mut gort_type,
        cap: i64,
        heap: *mut gort_heap,
        out: *mut *mut gort_chan,
    ) -> c_int;
    pub fn gort_chan_retain(c: *mut gort_chan) -> *mut gort_chan;
    pub fn gort_chan_release(c: *mut gort_chan);
    pub fn gort_chan_elem_type(c: *const gort_chan) -> *mut gort_type;
    pub fn gort_chan_expect_type(c: *const gort_chan, type_: *const gort_type) -> c_int;
    pub fn gort_chan_send(c: *mut gort_chan, value: *const c_void) -> c_int;
    pub fn gort_chan_try_send(c: *mut gort_chan, value: *const c_void) -> c_int;
    pub fn gort_chan_send_timeout(c: *mut gort_chan, value: *const c_void, timeout_ns: i64) -> c_int;
    pub fn gort_chan_recv(c: *mut gort_chan, out: *mut c_void, ok: *mut c_int) -> c_int;
    pub fn gort_chan_try_recv(c: *mut gort_chan, out: *mut c_void, ok: *mut c_int) -> c_int;
    pub fn gort_chan_recv_timeout(
        c: *mut gort_chan,
        out: *mut c_void,
        ok: *mut c_int,
        timeout_ns: i64,
    ) -> c_int;
    pub fn gort_chan_close(c: *mut gort_chan) -> c_int;
    pub fn gort_chan_len(c: *const gort_chan) -> usize;
    pub fn gort_chan_cap(c: *const gort_chan) -> usize;
    pub fn gort_chan_is_closed(c: *const gort_chan) -> c_int;
    pub fn gort_chan_scan(c: *mut gort_chan, visit: gort_visit_fn, ctx: *mut c_void) -> c_int;
}

/// Directions of `gort_chan_fd` (`enum gort_chan_dir`).
pub type gort_chan_dir = c_int;
pub const GORT_CHAN_RECV_READY: c_int = 1;
pub const GORT_CHAN_SEND_READY: c_int = 2;

extern "C" {
    pub fn gort_chan_fd(c: *mut gort_chan, dir: c_int, out: *mut c_int) -> c_int;
}

/// Case kinds of `gort_select` (`enum gort_select_op`, stored in `gort_select_case::op`).
pub type gort_select_op = u32;
pub const GORT_SELECT_SEND: u32 = 1;
pub const GORT_SELECT_RECV: u32 = 2;

/// One case of a select (frozen layout); `reserved` must be 0.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct gort_select_case {
    pub chan: *mut gort_chan,
    pub op: u32,
    pub reserved: u32,
    pub value: *mut c_void,
}

/// Most cases one select may have.
pub const GORT_SELECT_MAX_CASES: usize = 65536;

extern "C" {
    pub fn gort_select(
        cases: *const gort_select_case,
        n_cases: usize,
        timeout_ns: i64,
        chosen: *mut usize,
        recv_ok: *mut c_int,
    ) -> c_int;
}
