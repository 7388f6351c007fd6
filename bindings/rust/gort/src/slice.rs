//! Go slices: `Slice<T>` owns a handle; `SliceView<'a, T>` is a sub-slice sharing its
//! parent's backing store, as `s[lo:hi]` does in Go.
//!
//! Soundness rests on one invariant: **a `Slice<T>` is the only handle on its store that
//! safe code can reach, except through views that mutably borrow it.** `sub`, `sub3`
//! and `split_at` take `&mut self`, so while a view lives its parent (and any outer view)
//! is frozen, and every write to shared memory comes from the one handle that can be
//! used. `split_at` hands out two views at once, over disjoint elements and with their
//! capacities clipped to their lengths, so an append on one reallocates instead of
//! writing into the other's elements. This is what lets `Slice<T>` be `Send` (a store is
//! never written from two threads at once) while keeping Go's aliasing semantics within
//! one thread: an append through a view that fits in its capacity writes into the
//! parent's array, visible once the view is dropped.

use crate::elem::{raw_ptr, AsRaw, Descriptor, Elem, Plain};
use crate::error::{check, Error, Result};
use crate::heap::{heap_ptr, Heap};
use gort_sys as sys;
use std::fmt;
use std::marker::PhantomData;
use std::mem::MaybeUninit;
use std::ptr::{self, NonNull};

/// A Go slice of `T` (`[]T`): a handle on a shared, reference-counted backing store.
///
/// Values are copied in (`push`, `set`: strings duplicated, `Arc`s counted) and copied
/// out (`get`, iteration); nothing a `Slice` holds is lent out, except the plain views of
/// [`as_slice`](Slice::as_slice) and [`as_mut_slice`](Slice::as_mut_slice).
pub struct Slice<T: Elem> {
    raw: NonNull<sys::gort_slice>,
    heap: Option<Heap>,
    _marker: PhantomData<T>,
}

/// A sub-slice sharing the backing store of the slice (or view) it mutably borrows.
pub struct SliceView<'a, T: Elem> {
    raw: NonNull<sys::gort_slice>,
    heap: Option<Heap>,
    _marker: PhantomData<(&'a mut Slice<T>, T)>,
}

// SAFETY: a handle may be used by one thread at a time (docs/threading.md) and moving
// it moves that right. By the module invariant no other reachable handle shares the
// store, so no other thread can touch its elements; the elements move with it (T: Send),
// and their release hooks may run on the new thread.
unsafe impl<T: Elem + Send> Send for Slice<T> {}
// SAFETY: &Slice only reads (len, get, iteration, clone), and concurrent reads of a
// handle and its store are not races; values read on another thread are new T's made
// there (T: Send), from elements shared between threads (T: Sync).
unsafe impl<T: Elem + Send + Sync> Sync for Slice<T> {}
// SAFETY: as for Slice: while a view lives its parent is mutably borrowed, and the two
// views of split_at cover disjoint elements with clipped capacities; the store's
// reference count is atomic, so a view may be freed on another thread.
unsafe impl<'a, T: Elem + Send> Send for SliceView<'a, T> {}
// SAFETY: as for Slice.
unsafe impl<'a, T: Elem + Send + Sync> Sync for SliceView<'a, T> {}

/// Anything that is a slice handle of `T`: a [`Slice`] or a [`SliceView`].
pub trait AsSlice<T: Elem> {
    /// The raw handle, valid while `self` is borrowed.
    fn as_ptr(&self) -> *const sys::gort_slice;
}

impl<T: Elem> AsSlice<T> for Slice<T> {
    fn as_ptr(&self) -> *const sys::gort_slice {
        self.raw.as_ptr()
    }
}

impl<'a, T: Elem> AsSlice<T> for SliceView<'a, T> {
    fn as_ptr(&self) -> *const sys::gort_slice {
        self.raw.as_ptr()
    }
}

/// Turns the out-parameter of a creating call into a handle.
fn created(status: std::os::raw::c_int, out: *mut sys::gort_slice) -> Result<NonNull<sys::gort_slice>> {
    check(status)?;
    NonNull::new(out).ok_or(Error::OutOfMemory)
}

/// Converts values to their raw form for a bulk call; the raws borrow from `values`.
fn raws<T: Elem, Q: AsRaw<T>>(values: &[Q]) -> Vec<T::Raw> {
    values.iter().map(AsRaw::as_raw).collect()
}

/// Methods every slice handle has; `self.raw` is the handle, `self.heap` its heap.
macro_rules! slice_methods {
    () => {
        /// `len(s)`.
        pub fn len(&self) -> usize {
            // SAFETY: self.raw is a live handle (freed only in Drop).
            unsafe { sys::gort_slice_len(self.raw.as_ptr()) }
        }

        /// `cap(s)`.
        pub fn cap(&self) -> usize {
            // SAFETY: as in len().
            unsafe { sys::gort_slice_cap(self.raw.as_ptr()) }
        }

        pub fn is_empty(&self) -> bool {
            self.len() == 0
        }

        /// `s == nil`: no backing array at all (an empty `make` is not nil).
        pub fn is_nil(&self) -> bool {
            // SAFETY: as in len().
            unsafe { sys::gort_slice_is_nil(self.raw.as_ptr()) != 0 }
        }

        /// A copy of `s[i]`; [`Error::OutOfRange`] if `i >= len`.
        pub fn get(&self, i: usize) -> Result<T> {
            let mut out = MaybeUninit::<T::Raw>::uninit();
            // SAFETY: out has room for one element (Raw matches the descriptor, checked
            // at creation); it is written only on GORT_OK.
            check(unsafe { sys::gort_slice_get(self.raw.as_ptr(), i, out.as_mut_ptr().cast()) })?;
            // SAFETY: out holds element i, borrowed from the store, copied out at once.
            Ok(unsafe { T::from_borrowed(out.assume_init_ref()) })
        }

        /// `s[i] = value`: the new value is copied in, the old one released.
        pub fn set<Q: AsRaw<T>>(&mut self, i: usize, value: Q) -> Result<()> {
            let raw = value.as_raw();
            // SAFETY: raw is a valid T value (AsRaw's contract), borrowed for the call.
            check(unsafe { sys::gort_slice_set(self.raw.as_ptr(), i, raw_ptr(&raw)) })
        }

        /// `s = append(s, value)`. Within capacity this writes into the shared array, as
        /// in Go.
        pub fn push<Q: AsRaw<T>>(&mut self, value: Q) -> Result<()> {
            let raw = value.as_raw();
            // SAFETY: as in set().
            check(unsafe { sys::gort_slice_append(self.raw.as_ptr(), raw_ptr(&raw)) })
        }

        /// `s = append(s, values...)` in one call (`gort_slice_append_n`).
        pub fn extend_from_slice<Q: AsRaw<T>>(&mut self, values: &[Q]) -> Result<()> {
            let raws = raws::<T, Q>(values);
            // SAFETY: raws holds values.len() valid values, borrowed from `values`,
            // which outlives the call.
            check(unsafe { sys::gort_slice_append_n(self.raw.as_ptr(), raws.as_ptr().cast(), raws.len()) })
        }

        /// `s = append(s, other...)`.
        pub fn append<S: AsSlice<T>>(&mut self, other: &S) -> Result<()> {
            // SAFETY: both are live handles of the same element type (the Rust type
            // guarantees it; libgort checks the descriptors again).
            check(unsafe { sys::gort_slice_append_slice(self.raw.as_ptr(), other.as_ptr()) })
        }

        /// `copy(s, src)`: copies `min(len(s), len(src))` elements, returns the count.
        pub fn copy_from<S: AsSlice<T>>(&mut self, src: &S) -> Result<usize> {
            let mut n = 0;
            // SAFETY: as in append(); n is a valid out-pointer.
            check(unsafe { sys::gort_slice_copy(self.raw.as_ptr(), src.as_ptr(), &mut n) })?;
            Ok(n)
        }

        /// `slices.Grow(s, n)`: ensures `cap - len >= n` with at most one allocation.
        pub fn grow(&mut self, n: usize) -> Result<()> {
            // SAFETY: as in len().
            check(unsafe { sys::gort_slice_grow(self.raw.as_ptr(), n) })
        }

        /// `slices.Clip(s)`: `s = s[:len:len]`.
        pub fn clip(&mut self) {
            // SAFETY: as in len(); clip fails only for NULL.
            let status = unsafe { sys::gort_slice_clip(self.raw.as_ptr()) };
            debug_assert_eq!(status, sys::GORT_OK);
        }

        /// `s = s[lo:hi:max]` on this handle. For a type without a zero value
        /// (`Arc<T>`), `hi` may not exceed `len`: the slots beyond it may be unset.
        pub fn reslice(&mut self, lo: usize, hi: usize, max: usize) -> Result<()> {
            self.check_exposes(hi)?;
            // SAFETY: as in len(); libgort checks the bounds.
            check(unsafe { sys::gort_slice_reslice(self.raw.as_ptr(), lo, hi, max) })
        }

        /// `clear(s)`: sets the elements to zero values, releasing the old ones.
        /// [`Error::TypeMismatch`] for a type without a zero value.
        pub fn clear(&mut self) -> Result<()> {
            if !T::ZEROABLE {
                return Err(Error::TypeMismatch);
            }
            // SAFETY: as in len().
            check(unsafe { sys::gort_slice_clear(self.raw.as_ptr()) })
        }

        /// `s[lo:hi]` as a view sharing this slice's store (capacity `cap - lo`).
        pub fn sub(&mut self, lo: usize, hi: usize) -> Result<SliceView<'_, T>> {
            self.check_exposes(hi)?;
            let mut out = ptr::null_mut();
            // SAFETY: as in len(); out is a valid out-pointer.
            let status = unsafe { sys::gort_slice_sub(self.raw.as_ptr(), lo, hi, &mut out) };
            Ok(SliceView { raw: created(status, out)?, heap: self.heap.clone(), _marker: PhantomData })
        }

        /// `s[lo:hi:max]` as a view sharing this slice's store (capacity `max - lo`).
        pub fn sub3(&mut self, lo: usize, hi: usize, max: usize) -> Result<SliceView<'_, T>> {
            self.check_exposes(hi)?;
            let mut out = ptr::null_mut();
            // SAFETY: as in sub().
            let status = unsafe { sys::gort_slice_sub3(self.raw.as_ptr(), lo, hi, max, &mut out) };
            Ok(SliceView { raw: created(status, out)?, heap: self.heap.clone(), _marker: PhantomData })
        }

        /// `(s[:mid:mid], s[mid:len:len])`: two views over disjoint halves, each clipped
        /// so that an append reallocates instead of writing into the other half. Both
        /// may be sent to other threads (e.g. with `std::thread::scope`).
        pub fn split_at(&mut self, mid: usize) -> Result<(SliceView<'_, T>, SliceView<'_, T>)> {
            let len = self.len();
            if mid > len {
                return Err(Error::OutOfRange);
            }
            let (mut left, mut right) = (ptr::null_mut(), ptr::null_mut());
            // SAFETY: as in sub(); the bounds are within len.
            let status = unsafe { sys::gort_slice_sub3(self.raw.as_ptr(), 0, mid, mid, &mut left) };
            let left = created(status, left)?;
            // SAFETY: as above.
            let status = unsafe { sys::gort_slice_sub3(self.raw.as_ptr(), mid, len, len, &mut right) };
            let left = SliceView { raw: left, heap: self.heap.clone(), _marker: PhantomData };
            let right =
                SliceView { raw: created(status, right)?, heap: self.heap.clone(), _marker: PhantomData };
            Ok((left, right))
        }

        /// `slices.Clone(s)`: a new slice with its own store holding copies.
        pub fn to_slice(&self) -> Result<Slice<T>> {
            let mut out = ptr::null_mut();
            // SAFETY: as in sub().
            let status = unsafe { sys::gort_slice_clone(self.raw.as_ptr(), &mut out) };
            Ok(Slice { raw: created(status, out)?, heap: self.heap.clone(), _marker: PhantomData })
        }

        /// Copies of the elements, in order.
        pub fn iter(&self) -> Iter<'_, T> {
            // SAFETY: as in len(). The data pointer stays valid while self is borrowed:
            // only a &mut method can grow or free this handle, and no other reachable
            // handle can write to the store (module invariant).
            let data = unsafe { sys::gort_slice_data(self.raw.as_ptr()) };
            Iter { data: data as *const T::Raw, index: 0, len: self.len(), _marker: PhantomData }
        }

        /// The elements copied into a `Vec`.
        pub fn to_vec(&self) -> Vec<T> {
            self.iter().collect()
        }

        /// Bytes of backing array this handle keeps alive (the whole store).
        pub fn backing_bytes(&self) -> usize {
            // SAFETY: as in len().
            unsafe { sys::gort_slice_backing_bytes(self.raw.as_ptr()) }
        }

        /// Refuses a bound that would expose slots past `len` when `T` has no zero value.
        fn check_exposes(&self, hi: usize) -> Result<()> {
            if !T::ZEROABLE && hi > self.len() {
                return Err(Error::OutOfRange);
            }
            Ok(())
        }
    };
}

/// Borrowed views of plain elements, straight over the backing array.
macro_rules! plain_methods {
    () => {
        /// The elements as a Rust slice, borrowed from the backing array.
        pub fn as_slice(&self) -> &[T] {
            let data = self.data_ptr();
            // SAFETY: data points at len() initialised Ts (Plain: Raw is T and any value
            // a container holds is a valid T), or is NULL only for a nil slice of length
            // 0; the array cannot change or move while self is borrowed (see iter()).
            unsafe {
                std::slice::from_raw_parts(
                    if data.is_null() { NonNull::dangling().as_ptr() } else { data },
                    self.len(),
                )
            }
        }

        /// The elements as a mutable Rust slice, borrowed from the backing array.
        /// Writing through it runs no hooks; plain types have none.
        pub fn as_mut_slice(&mut self) -> &mut [T] {
            let data = self.data_ptr();
            // SAFETY: as in as_slice(), and &mut self makes this the only access.
            unsafe {
                std::slice::from_raw_parts_mut(
                    if data.is_null() { NonNull::dangling().as_ptr() } else { data },
                    self.len(),
                )
            }
        }

        fn data_ptr(&self) -> *mut T {
            // SAFETY: self.raw is a live handle.
            unsafe { sys::gort_slice_data(self.raw.as_ptr()) as *mut T }
        }
    };
}

impl<T: Elem> Slice<T> {
    /// A nil slice (`var s []T`).
    pub fn new() -> Result<Self> {
        Self::nil_in(None)
    }

    /// A nil slice in `heap`.
    pub fn new_in(heap: &Heap) -> Result<Self> {
        Self::nil_in(Some(heap))
    }

    /// `make([]T, 0, cap)`.
    pub fn with_capacity(cap: usize) -> Result<Self> {
        Self::make_in_heap(0, cap, None)
    }

    /// `make([]T, len, cap)`: `len` zero values. [`Error::TypeMismatch`] if `T` has no
    /// zero value and `len > 0`; [`Error::OutOfRange`] if `len > cap`.
    pub fn make(len: usize, cap: usize) -> Result<Self> {
        Self::make_in_heap(len, cap, None)
    }

    /// `make([]T, len, cap)` in `heap`.
    pub fn make_in(len: usize, cap: usize, heap: &Heap) -> Result<Self> {
        Self::make_in_heap(len, cap, Some(heap))
    }

    /// A slice holding copies of `values`.
    pub fn from_values<Q: AsRaw<T>>(values: &[Q]) -> Result<Self> {
        let mut s = Self::with_capacity(values.len())?;
        s.extend_from_slice(values)?;
        Ok(s)
    }

    fn nil_in(heap: Option<&Heap>) -> Result<Self> {
        let desc = Descriptor::of::<T>()?;
        let mut out = ptr::null_mut();
        // SAFETY: desc is a live descriptor, heap NULL or live, out a valid out-pointer.
        let status = unsafe { sys::gort_slice_nil(desc.as_ptr(), heap_ptr(heap), &mut out) };
        Ok(Slice { raw: created(status, out)?, heap: heap.cloned(), _marker: PhantomData })
    }

    fn make_in_heap(len: usize, cap: usize, heap: Option<&Heap>) -> Result<Self> {
        if !T::ZEROABLE && len > 0 {
            return Err(Error::TypeMismatch);
        }
        let desc = Descriptor::of::<T>()?;
        let mut out = ptr::null_mut();
        // SAFETY: as in nil_in().
        let status = unsafe { sys::gort_slice_make(desc.as_ptr(), len, cap, heap_ptr(heap), &mut out) };
        Ok(Slice { raw: created(status, out)?, heap: heap.cloned(), _marker: PhantomData })
    }

    /// The raw handle, for gort-sys calls; valid while `self` lives and is not mutated.
    pub fn as_ptr(&self) -> *const sys::gort_slice {
        self.raw.as_ptr()
    }

    /// Gives up the handle without freeing it; free it with `gort_slice_free`.
    pub fn into_raw(self) -> *mut sys::gort_slice {
        let raw = self.raw.as_ptr();
        std::mem::forget(self);
        raw
    }

    /// Adopts a raw handle whose element descriptor is `T`'s (else
    /// [`Error::TypeMismatch`], and the handle stays the caller's).
    ///
    /// # Safety
    /// `raw` must be a live slice handle that nothing else will use or free, and whose
    /// store no other handle shares (the module invariant), in the default heap.
    pub unsafe fn from_raw(raw: *mut sys::gort_slice) -> Result<Self> {
        let raw = NonNull::new(raw).ok_or(Error::Invalid)?;
        if sys::gort_slice_type(raw.as_ptr()) != Descriptor::of::<T>()?.as_ptr() {
            return Err(Error::TypeMismatch);
        }
        Ok(Slice { raw, heap: None, _marker: PhantomData })
    }

    slice_methods!();
}

impl<'a, T: Elem> SliceView<'a, T> {
    slice_methods!();
}

impl<T: Plain> Slice<T> {
    plain_methods!();
}

impl<'a, T: Plain> SliceView<'a, T> {
    plain_methods!();
}

impl<T: Elem> Drop for Slice<T> {
    fn drop(&mut self) {
        // SAFETY: the handle is live and dropped once; the last handle on the store
        // releases its elements.
        unsafe { sys::gort_slice_free(self.raw.as_ptr()) }
    }
}

impl<'a, T: Elem> Drop for SliceView<'a, T> {
    fn drop(&mut self) {
        // SAFETY: as for Slice.
        unsafe { sys::gort_slice_free(self.raw.as_ptr()) }
    }
}

/// `slices.Clone`: a new store. Panics only if memory runs out; see `to_slice`.
impl<T: Elem> Clone for Slice<T> {
    fn clone(&self) -> Self {
        self.to_slice().expect("gort: out of memory cloning a slice")
    }
}

/// Iterator over copies of a slice's elements.
pub struct Iter<'a, T: Elem> {
    data: *const T::Raw,
    index: usize,
    len: usize,
    _marker: PhantomData<&'a T>,
}

// SAFETY: an Iter is a shared borrow of a slice's array: it may cross threads exactly
// when &Slice may (see Slice's Sync).
unsafe impl<'a, T: Elem + Send + Sync> Send for Iter<'a, T> {}
// SAFETY: as above; &Iter gives no access at all.
unsafe impl<'a, T: Elem + Send + Sync> Sync for Iter<'a, T> {}

impl<'a, T: Elem> Iterator for Iter<'a, T> {
    type Item = T;

    fn next(&mut self) -> Option<T> {
        if self.index >= self.len {
            return None;
        }
        // SAFETY: index < len, so the element is inside the array, which cannot change
        // while the slice is borrowed for 'a (see iter()). read_unaligned copies the raw
        // value without assuming more than the descriptor's alignment.
        let raw = unsafe { ptr::read_unaligned(self.data.add(self.index)) };
        self.index += 1;
        // SAFETY: raw is an element the store holds.
        Some(unsafe { T::from_borrowed(&raw) })
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let left = self.len - self.index;
        (left, Some(left))
    }
}

impl<'a, T: Elem> ExactSizeIterator for Iter<'a, T> {}

impl<'a, T: Elem> IntoIterator for &'a Slice<T> {
    type Item = T;
    type IntoIter = Iter<'a, T>;
    fn into_iter(self) -> Iter<'a, T> {
        self.iter()
    }
}

impl<'a, 'b, T: Elem> IntoIterator for &'b SliceView<'a, T> {
    type Item = T;
    type IntoIter = Iter<'b, T>;
    fn into_iter(self) -> Iter<'b, T> {
        self.iter()
    }
}

impl<T: Elem + fmt::Debug> fmt::Debug for Slice<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl<'a, T: Elem + fmt::Debug> fmt::Debug for SliceView<'a, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}
