//! How Rust types become libgort element types.
//!
//! [`Elem`] maps a Rust type to a type descriptor and to the C value (`Elem::Raw`) that
//! containers store: builtin descriptors for the scalars and strings, a byte-compared
//! custom descriptor for [`Pod`] structs, and a one-pointer descriptor with retain and
//! release hooks for `Arc<T>`. [`AsRaw`] says which borrowed forms may be passed in
//! (`&str` for a `String` element, `&T` for any `T`).
//!
//! The containers never keep a Rust value: they copy the raw value in under the
//! descriptor's rules (string bytes duplicated, Arc counts incremented) and hand back new
//! Rust values built from what they hold.

use crate::error::{check, Error, Result};
use gort_sys as sys;
use std::any::TypeId;
use std::ffi::{CStr, CString};
use std::mem::{align_of, size_of};
use std::os::raw::{c_int, c_void};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::ptr::{self, NonNull};
use std::sync::{Arc, Mutex};

/// A type descriptor: builtin (static) or created by this crate (kept for the life of
/// the process, one per Rust type, like Go's type table).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Descriptor(NonNull<sys::gort_type>);

// SAFETY: descriptors are immutable once created and their reference count is atomic
// (docs/threading.md: "immutable after gort_type_create; share freely"). The ones this
// crate makes are never released.
unsafe impl Send for Descriptor {}
// SAFETY: as above; every getter only reads.
unsafe impl Sync for Descriptor {}

impl Descriptor {
    /// The builtin descriptor of a `GORT_KIND_*` kind; `None` for `GORT_KIND_CUSTOM` or an
    /// unknown kind.
    pub fn builtin(kind: c_int) -> Option<Descriptor> {
        // SAFETY: gort_type_builtin takes any int and returns a static descriptor or NULL.
        NonNull::new(unsafe { sys::gort_type_builtin(kind) }).map(Descriptor)
    }

    /// The descriptor of `T`, after checking that `T::Raw` has its size and alignment.
    pub fn of<T: Elem>() -> Result<Descriptor> {
        let desc = T::descriptor()?;
        if desc.size() != size_of::<T::Raw>() || desc.align() != align_of::<T::Raw>() {
            return Err(Error::TypeMismatch);
        }
        Ok(desc)
    }

    /// The raw pointer, for calls into gort-sys.
    pub fn as_ptr(self) -> *mut sys::gort_type {
        self.0.as_ptr()
    }

    pub fn size(self) -> usize {
        // SAFETY: self is a live descriptor (never released, see the type's docs).
        unsafe { sys::gort_type_size(self.as_ptr()) }
    }

    pub fn align(self) -> usize {
        // SAFETY: as in size().
        unsafe { sys::gort_type_align(self.as_ptr()) }
    }

    /// The `GORT_KIND_*` of a builtin, `GORT_KIND_CUSTOM` for the others.
    pub fn kind(self) -> c_int {
        // SAFETY: as in size().
        unsafe { sys::gort_type_kind(self.as_ptr()) }
    }

    /// The descriptor's name ("int64", "string", or the Rust type name for custom ones).
    pub fn name(self) -> String {
        // SAFETY: as in size(); the name is a NUL-terminated string owned by the
        // descriptor, copied out here.
        unsafe { CStr::from_ptr(sys::gort_type_name(self.as_ptr())) }.to_string_lossy().into_owned()
    }

    /// Whether values can be map keys.
    pub fn comparable(self) -> bool {
        // SAFETY: as in size().
        unsafe { sys::gort_type_comparable(self.as_ptr()) != 0 }
    }
}

/// A Rust type libgort containers can hold.
///
/// # Safety
///
/// An implementation promises that:
/// - `descriptor()` describes values laid out as `Raw` (containers check size and
///   alignment and refuse a mismatch with [`Error::TypeMismatch`]), and an all-zero `Raw`
///   is a valid value of the descriptor;
/// - `to_raw(&self)` returns a value that stays valid while `self` is borrowed and that
///   the descriptor's copy-in rules turn into an independent copy (string bytes are
///   duplicated, hooks take their own references): the container never takes over
///   anything `self` owns;
/// - `from_borrowed(raw)`, given a value a container holds (copied in from `to_raw`, or
///   all zeros if `ZEROABLE`), returns an independent `Self` and leaves the container's
///   value untouched;
/// - `from_owned(raw, desc)`, given a value the caller owns (received from a channel),
///   consumes it: the value's references are released exactly once;
/// - `ZEROABLE` is true only if the all-zero `Raw` is a valid input to `from_borrowed`.
pub unsafe trait Elem: Sized {
    /// The C value a container stores for one `Self`.
    type Raw: Copy;

    /// Whether the all-zero `Raw` (Go's zero value) is a valid `Self`. Slice operations
    /// that would expose zero values (`make` with a length, `clear`, slicing past `len`)
    /// refuse types without one.
    const ZEROABLE: bool = true;

    /// The descriptor of `Self`.
    fn descriptor() -> Result<Descriptor>;

    /// A raw view of `self`, valid while `self` is borrowed.
    fn to_raw(&self) -> Self::Raw;

    /// A new `Self` from a value a container holds (borrowed: nothing is taken over).
    ///
    /// # Safety
    /// `raw` must be a value held by a container of this type (see the trait's contract).
    unsafe fn from_borrowed(raw: &Self::Raw) -> Self;

    /// A new `Self` from a value the caller owns, releasing that value. The default
    /// copies it out and drops it with `gort_value_drop`.
    ///
    /// # Safety
    /// `raw` must be an owned value of this type (received from a channel of `desc`), and
    /// is consumed.
    unsafe fn from_owned(mut raw: Self::Raw, desc: Descriptor) -> Self {
        let value = Self::from_borrowed(&raw);
        sys::gort_value_drop(desc.as_ptr(), &mut raw as *mut Self::Raw as *mut c_void);
        value
    }
}

/// Something that can be passed where a `T` is copied in: `T` itself, `&T`, `&str` for a
/// `String`, `&[u8]` for a `Vec<u8>`, `&Arc<U>` for an `Option<Arc<U>>`.
///
/// # Safety
/// `as_raw` must return what `T::to_raw` would return for the equivalent `T`, valid while
/// `self` is borrowed.
pub unsafe trait AsRaw<T: Elem> {
    fn as_raw(&self) -> T::Raw;
}

// SAFETY: delegates to T::to_raw.
unsafe impl<T: Elem> AsRaw<T> for T {
    fn as_raw(&self) -> T::Raw {
        self.to_raw()
    }
}

// SAFETY: delegates to T::to_raw; the borrow outlives the returned view's use.
unsafe impl<T: Elem> AsRaw<T> for &T {
    fn as_raw(&self) -> T::Raw {
        (**self).to_raw()
    }
}

/// Plain-old-data: a `#[repr(C)]` type stored as its bytes, hashed and compared as bytes.
///
/// ```
/// #[repr(C)]
/// #[derive(Clone, Copy, Debug, PartialEq)]
/// struct Point { x: i32, y: i32 }
/// // SAFETY: repr(C), two i32 fields: no padding, no pointers, any bits valid.
/// unsafe impl gort::Pod for Point {}
///
/// let mut m = gort::Map::<Point, i64>::new()?;
/// m.insert(Point { x: 1, y: 2 }, 3)?;
/// assert_eq!(m.get(&Point { x: 1, y: 2 }), Some(3));
/// # Ok::<(), gort::Error>(())
/// ```
///
/// # Safety
/// Implement only for `Copy` types with a fixed C layout (`#[repr(C)]` or
/// `#[repr(transparent)]`) that have no padding bytes (equal values must be equal
/// bytes, and padding is uninitialised), own nothing (no references, no `Box`, no
/// handles), and for which every bit pattern, all zeros included, is a valid value.
/// Floats inside compare as bytes (`+0 != -0`), unlike `f32`/`f64` elements.
pub unsafe trait Pod: Copy + 'static {}

// SAFETY: the descriptor is exactly T's size and alignment with byte hash/equality and
// no pointer words; T owns nothing (Pod's contract), so copies are independent and
// every bit pattern, zero included, is a valid T.
unsafe impl<T: Pod> Elem for T {
    type Raw = T;

    fn descriptor() -> Result<Descriptor> {
        registered::<T>(|name| sys::gort_type_desc {
            size: size_of::<T>(),
            align: align_of::<T>(),
            name,
            ..empty_desc()
        })
    }
    fn to_raw(&self) -> T {
        *self
    }
    unsafe fn from_borrowed(raw: &T) -> T {
        *raw
    }
    unsafe fn from_owned(raw: T, _: Descriptor) -> T {
        raw
    }
}

/// Element types stored as their own bytes with no hooks and no owned memory (the
/// integers, floats and [`Pod`] types): a container's storage can be viewed as `&[T]` or
/// `&mut T` directly.
///
/// # Safety
/// `Raw` must be `Self`, the descriptor must have no hooks and own no memory, and any
/// value a container of `Self` holds (including zeros) must be a valid `Self`.
pub unsafe trait Plain: Elem<Raw = Self> + Copy {}

// SAFETY: see Pod's impl of Elem.
unsafe impl<T: Pod> Plain for T {}

/// Numbers map to their builtin kinds and are stored as themselves.
macro_rules! builtin_number {
    ($($t:ty => $kind:expr),* $(,)?) => {$(
        // SAFETY: the builtin descriptor of $kind has the size and alignment of $t (checked
        // at container creation), owns nothing, and every bit pattern is a valid $t.
        unsafe impl Elem for $t {
            type Raw = $t;
            fn descriptor() -> Result<Descriptor> {
                Descriptor::builtin($kind).ok_or(Error::TypeMismatch)
            }
            fn to_raw(&self) -> $t {
                *self
            }
            unsafe fn from_borrowed(raw: &$t) -> $t {
                *raw
            }
            unsafe fn from_owned(raw: $t, _: Descriptor) -> $t {
                raw
            }
        }
        // SAFETY: as above: no hooks, no owned memory, Raw is Self.
        unsafe impl Plain for $t {}
    )*};
}

builtin_number! {
    i8 => sys::GORT_KIND_I8,
    i16 => sys::GORT_KIND_I16,
    i32 => sys::GORT_KIND_I32,
    i64 => sys::GORT_KIND_I64,
    u8 => sys::GORT_KIND_U8,
    u16 => sys::GORT_KIND_U16,
    u32 => sys::GORT_KIND_U32,
    u64 => sys::GORT_KIND_U64,
    f32 => sys::GORT_KIND_F32,
    f64 => sys::GORT_KIND_F64,
    usize => sys::GORT_KIND_UINTPTR,
}

#[cfg(target_pointer_width = "64")]
builtin_number! { isize => sys::GORT_KIND_I64 }
#[cfg(target_pointer_width = "32")]
builtin_number! { isize => sys::GORT_KIND_I32 }

// SAFETY: GORT_KIND_BOOL is one byte; any non-zero byte reads as true, so whatever a
// container holds decodes to a valid bool.
unsafe impl Elem for bool {
    type Raw = u8;
    fn descriptor() -> Result<Descriptor> {
        Descriptor::builtin(sys::GORT_KIND_BOOL).ok_or(Error::TypeMismatch)
    }
    fn to_raw(&self) -> u8 {
        *self as u8
    }
    unsafe fn from_borrowed(raw: &u8) -> bool {
        *raw != 0
    }
    unsafe fn from_owned(raw: u8, _: Descriptor) -> bool {
        raw != 0
    }
}

/// The `gort_str` view of a byte string: borrowed, valid while `bytes` is.
fn str_view(bytes: &[u8]) -> sys::gort_str {
    sys::gort_str { ptr: bytes.as_ptr().cast(), len: bytes.len() }
}

/// Copies the bytes of a `gort_str` a container holds.
///
/// # Safety
/// `raw` must be a string value held by a container (or zero).
unsafe fn str_bytes(raw: &sys::gort_str) -> Vec<u8> {
    if raw.len == 0 {
        Vec::new() // libgort stores "" as {NULL, 0}
    } else {
        std::slice::from_raw_parts(raw.ptr.cast::<u8>(), raw.len).to_vec()
    }
}

// SAFETY: GORT_KIND_STR is a gort_str; containers copy the bytes in (the view borrows
// self only during the call) and the bytes read out are copied into a new String.
unsafe impl Elem for String {
    type Raw = sys::gort_str;
    fn descriptor() -> Result<Descriptor> {
        Descriptor::builtin(sys::GORT_KIND_STR).ok_or(Error::TypeMismatch)
    }
    fn to_raw(&self) -> sys::gort_str {
        str_view(self.as_bytes())
    }
    /// Bytes that are not UTF-8 (put there by C code) are decoded lossily; use
    /// `Vec<u8>` elements to see them exactly.
    unsafe fn from_borrowed(raw: &sys::gort_str) -> String {
        match String::from_utf8(str_bytes(raw)) {
            Ok(s) => s,
            Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
        }
    }
}

// SAFETY: as for String, without the UTF-8 decoding.
unsafe impl Elem for Vec<u8> {
    type Raw = sys::gort_str;
    fn descriptor() -> Result<Descriptor> {
        Descriptor::builtin(sys::GORT_KIND_STR).ok_or(Error::TypeMismatch)
    }
    fn to_raw(&self) -> sys::gort_str {
        str_view(self)
    }
    unsafe fn from_borrowed(raw: &sys::gort_str) -> Vec<u8> {
        str_bytes(raw)
    }
}

// SAFETY: the view borrows the str for the duration of the call, as String's.
unsafe impl AsRaw<String> for &str {
    fn as_raw(&self) -> sys::gort_str {
        str_view(self.as_bytes())
    }
}

// SAFETY: as above.
unsafe impl AsRaw<Vec<u8>> for &[u8] {
    fn as_raw(&self) -> sys::gort_str {
        str_view(self)
    }
}

/// `Arc<T>` is stored as its pointer (one pointer word) with hooks that increment and
/// decrement the strong count: a container holds exactly one count per stored copy.
/// Keys compare by identity (the address), as Go's pointer keys do.
// SAFETY: the descriptor is one pointer word with retain/release hooks that keep one
// strong count per copy a container holds; from_borrowed takes a count of its own,
// from_owned takes over the count a channel receive moved to us. A container never
// produces a NULL Arc: ZEROABLE is false, so slices refuse to make zero values.
unsafe impl<T: 'static> Elem for Arc<T> {
    type Raw = *const T;
    const ZEROABLE: bool = false;

    fn descriptor() -> Result<Descriptor> {
        arc_descriptor::<T>()
    }
    fn to_raw(&self) -> *const T {
        Arc::as_ptr(self)
    }
    unsafe fn from_borrowed(raw: &*const T) -> Arc<T> {
        Arc::increment_strong_count(*raw);
        Arc::from_raw(*raw)
    }
    unsafe fn from_owned(raw: *const T, _: Descriptor) -> Arc<T> {
        Arc::from_raw(raw)
    }
}

/// `Option<Arc<T>>` is Go's nillable pointer: the same descriptor as `Arc<T>`, with
/// `None` stored as NULL (so it has a zero value).
// SAFETY: as for Arc<T>; NULL words are skipped by the hooks and decode to None.
unsafe impl<T: 'static> Elem for Option<Arc<T>> {
    type Raw = *const T;

    fn descriptor() -> Result<Descriptor> {
        arc_descriptor::<T>()
    }
    fn to_raw(&self) -> *const T {
        self.as_ref().map_or(ptr::null(), Arc::as_ptr)
    }
    unsafe fn from_borrowed(raw: &*const T) -> Option<Arc<T>> {
        if raw.is_null() {
            None
        } else {
            Some(Arc::<T>::from_borrowed(raw))
        }
    }
    unsafe fn from_owned(raw: *const T, _: Descriptor) -> Option<Arc<T>> {
        if raw.is_null() {
            None
        } else {
            Some(Arc::from_raw(raw))
        }
    }
}

// SAFETY: the pointer of a live Arc, borrowed for the call, as Arc's own to_raw.
unsafe impl<T: 'static> AsRaw<Option<Arc<T>>> for &Arc<T> {
    fn as_raw(&self) -> *const T {
        Arc::as_ptr(self)
    }
}

// SAFETY: as above.
unsafe impl<T: 'static> AsRaw<Option<Arc<T>>> for Arc<T> {
    fn as_raw(&self) -> *const T {
        Arc::as_ptr(self)
    }
}

// SAFETY: `()` is a zero-size Pod: nothing to copy, compare or own.
unsafe impl Pod for () {}

// SAFETY: an array has no padding between elements (size is a multiple of alignment);
// plain elements own nothing and accept any bits a container holds.
unsafe impl<T: Plain + 'static, const N: usize> Pod for [T; N] {}

fn arc_descriptor<T: 'static>() -> Result<Descriptor> {
    /// Word 0 is the pointer.
    static POINTER_WORD: [u64; 1] = [1];
    registered::<Arc<T>>(|name| sys::gort_type_desc {
        size: size_of::<*const T>(),
        align: align_of::<*const T>(),
        ptr_bitmap: POINTER_WORD.as_ptr(),
        ptr_words: 1,
        retain: Some(arc_retain::<T>),
        release: Some(arc_release::<T>),
        name,
        ..empty_desc()
    })
}

/// The retain hook: a container took a copy of the pointer of an `Arc<T>`.
unsafe extern "C" fn arc_retain<T>(ptr: *mut c_void, _ctx: *mut c_void) {
    // SAFETY: libgort calls this only with a non-NULL pointer word of a value being
    // copied into a container, which is the pointer of a live Arc<T> (the caller's, or
    // one the container holds a count for).
    Arc::increment_strong_count(ptr as *const T);
}

/// The release hook: a container dropped a copy. Dropping the last count runs `T`'s
/// destructor here; a panic must not unwind into C, so it aborts.
unsafe extern "C" fn arc_release<T>(ptr: *mut c_void, _ctx: *mut c_void) {
    let result = catch_unwind(AssertUnwindSafe(|| {
        // SAFETY: the container held one strong count for this copy (taken by
        // arc_retain, or moved in by a send) and gives it back exactly once.
        Arc::decrement_strong_count(ptr as *const T);
    }));
    if result.is_err() {
        std::process::abort();
    }
}

fn empty_desc() -> sys::gort_type_desc {
    sys::gort_type_desc {
        struct_size: size_of::<sys::gort_type_desc>(),
        size: 0,
        align: 1,
        hash: None,
        equal: None,
        ptr_bitmap: ptr::null(),
        ptr_words: 0,
        retain: None,
        release: None,
        ctx: ptr::null_mut(),
        name: ptr::null(),
        flags: 0,
    }
}

/// Descriptors created for Rust types, one per type for the life of the process. A
/// linear list: it is searched only when a container is created, and holds a handful.
static REGISTRY: Mutex<Vec<(TypeId, Descriptor)>> = Mutex::new(Vec::new());

/// The descriptor registered for `K`, created from `make(name)` on first use.
fn registered<K: 'static>(
    make: impl FnOnce(*const std::os::raw::c_char) -> sys::gort_type_desc,
) -> Result<Descriptor> {
    let id = TypeId::of::<K>();
    // A panic while holding the lock cannot leave the list inconsistent (a push is
    // the only write), so a poisoned lock is still usable.
    let mut registry = REGISTRY.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    if let Some(&(_, desc)) = registry.iter().find(|(key, _)| *key == id) {
        return Ok(desc);
    }
    let name = CString::new(std::any::type_name::<K>()).unwrap_or_default();
    let desc = make(name.as_ptr());
    let mut out = ptr::null_mut();
    // SAFETY: desc is a fully initialised gort_type_desc whose name and bitmap outlive
    // the call (gort_type_create copies both).
    check(unsafe { sys::gort_type_create(&desc, &mut out) })?;
    let desc = Descriptor(NonNull::new(out).ok_or(Error::OutOfMemory)?);
    registry.push((id, desc));
    Ok(desc)
}

/// Hashes a value as maps of `T` do (builtin kinds: seeded XXH3 with a per-process key;
/// floats: `+0` and `-0` alike, NaN randomly).
pub fn hash<T: Elem, Q: AsRaw<T>>(value: Q, seed: u64) -> Result<u64> {
    let desc = Descriptor::of::<T>()?;
    let raw = value.as_raw();
    let mut out = 0u64;
    // SAFETY: raw is a valid value of desc (AsRaw's contract), borrowed for the call.
    check(unsafe { sys::gort_type_hash(desc.as_ptr(), raw_ptr(&raw), seed, &mut out) })?;
    Ok(out)
}

/// Compares two values as maps of `T` do (floats: `+0 == -0`, `NaN != NaN`).
pub fn equal<T: Elem, A: AsRaw<T>, B: AsRaw<T>>(a: A, b: B) -> Result<bool> {
    let desc = Descriptor::of::<T>()?;
    let (a, b) = (a.as_raw(), b.as_raw());
    let mut out: c_int = 0;
    // SAFETY: both are valid values of desc, borrowed for the call.
    check(unsafe { sys::gort_type_equal(desc.as_ptr(), raw_ptr(&a), raw_ptr(&b), &mut out) })?;
    Ok(out != 0)
}

/// A raw value's address, as the `const void *` libgort takes.
pub(crate) fn raw_ptr<R>(raw: &R) -> *const c_void {
    raw as *const R as *const c_void
}
