//! Go maps (`map[K]V`): libgort's swiss table behind a `HashMap`-like API.
//!
//! Go's rule for maps is "any number of readers, or one writer". Rust's borrow rules
//! are the same rule, so `Map` takes `&self` for every reader call (get, len,
//! iteration, clone, stats) and `&mut self` for every writer (insert, remove, clear,
//! shrink): the race libgort can only detect at run time cannot be written in safe code.

use crate::elem::{raw_ptr, AsRaw, Descriptor, Elem, Plain};
use crate::error::{check, Error, Result};
use crate::heap::{heap_ptr, Heap};
use gort_sys as sys;
use std::fmt;
use std::marker::PhantomData;
use std::mem::{align_of, size_of, MaybeUninit};
use std::os::raw::{c_int, c_void};
use std::ptr::{self, NonNull};

/// A Go map from `K` to `V`.
///
/// Keys and values are copied in (`insert`: strings duplicated, `Arc`s counted) and
/// copied out (`get`, iteration): a `Map` lends nothing, except the `&mut V` of
/// [`get_mut`](Map::get_mut) for plain values. Float keys follow Go: `+0.0` and `-0.0`
/// are one key, and every NaN inserted is a new entry that no lookup finds.
pub struct Map<K: Elem, V: Elem> {
    raw: NonNull<sys::gort_map>,
    heap: Option<Heap>,
    _marker: PhantomData<(K, V)>,
}

// SAFETY: the handle is owned by this value (Clone makes an independent map), so
// moving it moves sole access; retain/release are atomic. Keys and values move with
// it (K, V: Send), and their release hooks may run on the new thread.
unsafe impl<K: Elem + Send, V: Elem + Send> Send for Map<K, V> {}
// SAFETY: through &Map only reader calls are possible (get, len, iteration, clone,
// stats), which libgort allows from any number of threads at once; keys and values
// read on another thread are new copies made there from shared elements, hence
// Send + Sync.
unsafe impl<K: Elem + Send + Sync, V: Elem + Send + Sync> Sync for Map<K, V> {}

/// A snapshot of a map's table statistics (`gort_map_stats`).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct MapStats {
    pub entries: usize,
    pub tables: usize,
    pub directory_len: usize,
    pub global_depth: usize,
    pub capacity: usize,
    pub growth_left: usize,
    pub tombstones: usize,
    pub avg_probe: f64,
    pub max_probe: usize,
    /// Bytes the map has allocated (not counting string bytes).
    pub bytes: usize,
}

impl<K: Elem, V: Elem> Map<K, V> {
    /// An empty map (`make(map[K]V)`); allocates its table on the first insert.
    pub fn new() -> Result<Self> {
        Self::create(0, None)
    }

    /// An empty map presized for `hint` entries, as Go's `make(map[K]V, hint)`.
    pub fn with_capacity(hint: usize) -> Result<Self> {
        Self::create(hint, None)
    }

    /// An empty map presized for `hint` entries, in `heap`.
    pub fn with_capacity_in(hint: usize, heap: &Heap) -> Result<Self> {
        Self::create(hint, Some(heap))
    }

    fn create(hint: usize, heap: Option<&Heap>) -> Result<Self> {
        let (key, value) = (Descriptor::of::<K>()?, Descriptor::of::<V>()?);
        let mut out = ptr::null_mut();
        // SAFETY: live descriptors, heap NULL or live, out a valid out-pointer.
        check(unsafe { sys::gort_map_create(key.as_ptr(), value.as_ptr(), hint, heap_ptr(heap), &mut out) })?;
        let raw = NonNull::new(out).ok_or(Error::OutOfMemory)?;
        Ok(Map { raw, heap: heap.cloned(), _marker: PhantomData })
    }

    fn ptr(&self) -> *mut sys::gort_map {
        self.raw.as_ptr()
    }

    /// `len(m)`.
    pub fn len(&self) -> usize {
        // SAFETY: self.raw is live until Drop.
        unsafe { sys::gort_map_len(self.ptr()) }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// `m[key] = value`: copies both in (a new key is copied; an existing key keeps its
    /// stored copy, except float keys, which take the new bits as in Go). On error the
    /// map is unchanged.
    pub fn insert<Q: AsRaw<K>, W: AsRaw<V>>(&mut self, key: Q, value: W) -> Result<()> {
        let (k, v) = (key.as_raw(), value.as_raw());
        // SAFETY: valid raw values of the map's types (AsRaw), borrowed for the call;
        // &mut self excludes every other access.
        check(unsafe { sys::gort_map_set(self.ptr(), raw_ptr(&k), raw_ptr(&v)) })
    }

    /// A copy of the value stored for `key`.
    pub fn get<Q: AsRaw<K>>(&self, key: Q) -> Option<V> {
        self.get_raw(&key.as_raw())
    }

    fn get_raw(&self, k: &K::Raw) -> Option<V> {
        let mut out = MaybeUninit::<V::Raw>::uninit();
        let mut found: c_int = 0;
        // SAFETY: k is a valid key; out has room for one value (layout checked at
        // creation); a reader call, allowed alongside other readers.
        let status =
            unsafe { sys::gort_map_get(self.ptr(), raw_ptr(k), out.as_mut_ptr().cast(), &mut found) };
        if status != sys::GORT_OK || found == 0 {
            return None;
        }
        // SAFETY: found: out holds the stored value, borrowed, copied out at once.
        Some(unsafe { V::from_borrowed(out.assume_init_ref()) })
    }

    /// Copies of the values stored for each of `keys`, in order: what [`get`](Map::get)
    /// returns for every key, in one call (`gort_map_get_n`), which overlaps the lookups'
    /// cache misses and crosses the FFI once (beyond Go).
    ///
    /// ```
    /// let mut m = gort::Map::<String, i64>::new()?;
    /// m.insert("a", 1)?;
    /// assert_eq!(m.get_many(&["a", "b", "a"])?, [Some(1), None, Some(1)]);
    /// # Ok::<(), gort::Error>(())
    /// ```
    ///
    /// Fails only where libgort refuses a key, before looking anything up: a string key
    /// longer than 2^48 bytes is [`Error::Overflow`] (for which `get` returns `None`).
    pub fn get_many<Q: AsRaw<K>>(&self, keys: &[Q]) -> Result<Vec<Option<V>>> {
        let n = keys.len();
        if n == 0 {
            return Ok(Vec::new());
        }
        // The keys in their C layout, as get() makes one: a string's gort_str borrows
        // its bytes from `keys`, which outlives the call.
        let raw_keys: Vec<K::Raw> = keys.iter().map(AsRaw::as_raw).collect();
        let mut values: Vec<MaybeUninit<V::Raw>> = Vec::with_capacity(n);
        // SAFETY: capacity n, and MaybeUninit needs no initialisation.
        unsafe { values.set_len(n) };
        let mut found: Vec<c_int> = vec![0; n];
        // SAFETY: n valid keys of the map's key type laid out as its descriptor (stride
        // size_of::<K::Raw>(), the descriptor's size, checked at creation), room for n
        // values and n ints; a reader call, allowed alongside other readers.
        let hits = batch_count(unsafe {
            sys::gort_map_get_n(
                self.ptr(),
                raw_keys.as_ptr().cast(),
                n,
                values.as_mut_ptr().cast(),
                found.as_mut_ptr(),
            )
        })?;
        debug_assert_eq!(hits, found.iter().filter(|&&f| f != 0).count());
        let copy_out = |(value, &found): (&MaybeUninit<V::Raw>, &c_int)| {
            // SAFETY: found: libgort wrote the stored value there, borrowed; &self keeps
            // the map unchanged until it is copied out, here.
            (found != 0).then(|| unsafe { V::from_borrowed(value.assume_init_ref()) })
        };
        Ok(values.iter().zip(&found).map(copy_out).collect())
    }

    /// `m[keys[i]] = values[i]` for every `i`, in order (of two equal keys the later
    /// pair wins), in one call (`gort_map_set_n`), which overlaps the inserts' cache
    /// misses and crosses the FFI once (beyond Go). Returns how many keys were new; the
    /// others overwrote, as [`insert`](Map::insert) does. Keys and values are copied in
    /// as `insert` copies them (strings duplicated, `Arc` counts incremented); the
    /// caller keeps its own.
    ///
    /// ```
    /// let mut m = gort::Map::<String, i64>::new()?;
    /// m.insert("a", 1)?;
    /// assert_eq!(m.insert_many(&["a", "b", "b"], &[10, 2, 20])?, 1);
    /// assert_eq!((m.get("a"), m.get("b"), m.len()), (Some(10), Some(20), 2));
    /// # Ok::<(), gort::Error>(())
    /// ```
    ///
    /// All or nothing: on error the map is unchanged and nothing was copied in.
    /// [`Error::Invalid`] if `keys` and `values` differ in length; [`Error::Overflow`]
    /// for a string longer than 2^48 bytes; [`Error::OutOfMemory`] (libgort makes every
    /// allocation the batch needs before it changes an entry).
    pub fn insert_many<Q: AsRaw<K>, W: AsRaw<V>>(&mut self, keys: &[Q], values: &[W]) -> Result<usize> {
        if keys.len() != values.len() {
            return Err(Error::Invalid);
        }
        if keys.is_empty() {
            return Ok(0);
        }
        // The pairs in their C layout, as insert() makes one: strings borrow their
        // bytes from `keys` and `values`, which outlive the call.
        let raw_keys: Vec<K::Raw> = keys.iter().map(AsRaw::as_raw).collect();
        let raw_values: Vec<V::Raw> = values.iter().map(AsRaw::as_raw).collect();
        // SAFETY: n valid keys and n valid values of the map's types, each array laid
        // out as its descriptor (stride size_of::<Raw>(), checked at creation), read
        // during the call only; &mut self excludes every other access.
        batch_count(unsafe {
            sys::gort_map_set_n(self.ptr(), raw_keys.as_ptr().cast(), raw_values.as_ptr().cast(), keys.len())
        })
    }

    /// `delete(m, key)` for each of `keys`, in one call (`gort_map_delete_n`), which
    /// overlaps the deletes' cache misses and crosses the FFI once (beyond Go). A
    /// missing key is a no-op; returns how many entries were deleted.
    ///
    /// ```
    /// let mut m = gort::Map::<i64, i64>::new()?;
    /// m.insert_many(&[1, 2, 3], &[10, 20, 30])?;
    /// assert_eq!(m.delete_many(&[3, 4, 1, 3])?, 2);
    /// assert_eq!(m.keys().collect::<Vec<_>>(), [2]);
    /// # Ok::<(), gort::Error>(())
    /// ```
    ///
    /// Fails, with nothing deleted, only where libgort refuses a key: a string key
    /// longer than 2^48 bytes is [`Error::Overflow`]. (libgort's other error, running
    /// out of memory while an iterator reads the map, cannot happen here: an iterator
    /// borrows the map.)
    pub fn delete_many<Q: AsRaw<K>>(&mut self, keys: &[Q]) -> Result<usize> {
        if keys.is_empty() {
            return Ok(0);
        }
        let raw_keys: Vec<K::Raw> = keys.iter().map(AsRaw::as_raw).collect();
        // SAFETY: as in insert_many(), for the keys alone.
        batch_count(unsafe { sys::gort_map_delete_n(self.ptr(), raw_keys.as_ptr().cast(), keys.len()) })
    }

    /// Whether `key` is present.
    pub fn contains_key<Q: AsRaw<K>>(&self, key: Q) -> bool {
        let k = key.as_raw();
        let mut found: c_int = 0;
        // SAFETY: as in get(); no value is copied.
        let status = unsafe { sys::gort_map_get(self.ptr(), raw_ptr(&k), ptr::null_mut(), &mut found) };
        status == sys::GORT_OK && found != 0
    }

    /// The value stored for `key`, in place (`gort_map_get_ptr`): one lookup for a
    /// read-modify-write such as `*m.get_mut(word)? += 1`. Plain values only, since a
    /// write through the reference runs no hooks.
    pub fn get_mut<Q: AsRaw<K>>(&mut self, key: Q) -> Option<&mut V>
    where
        V: Plain,
    {
        let k = key.as_raw();
        let mut out: *mut c_void = ptr::null_mut();
        // SAFETY: as in get().
        let status = unsafe { sys::gort_map_get_ptr(self.ptr(), raw_ptr(&k), &mut out) };
        if status != sys::GORT_OK || out.is_null() {
            return None;
        }
        debug_assert_eq!(out as usize % align_of::<V>(), 0);
        // SAFETY: out points at the stored value, aligned for V (slots place values at
        // their descriptor's alignment) and valid until the next mutation, which
        // &mut self rules out while the reference lives. V is Plain: its bytes are a V.
        Some(unsafe { &mut *(out as *mut V) })
    }

    /// Removes `key`, returning a copy of its value.
    pub fn remove<Q: AsRaw<K>>(&mut self, key: Q) -> Result<Option<V>> {
        let k = key.as_raw();
        let value = self.get_raw(&k);
        if value.is_some() {
            // SAFETY: k is a valid key; &mut self excludes other access.
            check(unsafe { sys::gort_map_delete(self.ptr(), raw_ptr(&k)) })?;
        }
        Ok(value)
    }

    /// `delete(m, key)`: releases the entry; a missing key is a no-op.
    pub fn delete<Q: AsRaw<K>>(&mut self, key: Q) -> Result<()> {
        let k = key.as_raw();
        // SAFETY: as in remove().
        check(unsafe { sys::gort_map_delete(self.ptr(), raw_ptr(&k)) })
    }

    /// `clear(m)`: releases every entry (NaN keys included), keeps the tables.
    pub fn clear(&mut self) {
        // SAFETY: live handle, exclusive access; clear fails only for NULL.
        let status = unsafe { sys::gort_map_clear(self.ptr()) };
        debug_assert_eq!(status, sys::GORT_OK);
    }

    /// Rebuilds the tables at the size the entries need, returning memory after mass
    /// deletion (beyond Go).
    pub fn shrink(&mut self) -> Result<()> {
        // SAFETY: live handle, exclusive access.
        check(unsafe { sys::gort_map_shrink(self.ptr()) })
    }

    /// Keeps the entries for which `keep` returns true, deleting the others during one
    /// iteration (Go's delete inside range).
    pub fn retain<F: FnMut(&K, &V) -> bool>(&mut self, mut keep: F) -> Result<()> {
        let mut it = RawIter::new(self.ptr());
        while let Some((k, v)) = it.next_raw() {
            // SAFETY: k and v point at the entry just produced, valid until the next
            // mutation, which happens only below, after they have been copied.
            let (key, value) = unsafe { (read_elem::<K>(k), read_elem::<V>(v)) };
            if !keep(&key, &value) {
                // SAFETY: directly follows the iter_next that produced the entry.
                check(unsafe { sys::gort_map_iter_delete(&mut *it.state) })?;
            }
        }
        Ok(())
    }

    /// Copies of every entry, in Go's randomised order.
    pub fn iter(&self) -> Iter<'_, K, V> {
        Iter { raw: RawIter::new(self.ptr()), _marker: PhantomData }
    }

    /// Copies of the keys.
    pub fn keys(&self) -> impl Iterator<Item = K> + '_ {
        self.iter().map(|(k, _)| k)
    }

    /// Copies of the values.
    pub fn values(&self) -> impl Iterator<Item = V> + '_ {
        self.iter().map(|(_, v)| v)
    }

    /// `maps.Clone(m)`: an independent copy in the same heap.
    pub fn try_clone(&self) -> Result<Self> {
        let mut out = ptr::null_mut();
        // SAFETY: a reader call on a live handle; out is a valid out-pointer.
        check(unsafe { sys::gort_map_clone(self.ptr(), &mut out) })?;
        let raw = NonNull::new(out).ok_or(Error::OutOfMemory)?;
        Ok(Map { raw, heap: self.heap.clone(), _marker: PhantomData })
    }

    /// Table statistics.
    pub fn stats(&self) -> MapStats {
        let mut s =
            sys::gort_map_stats { struct_size: size_of::<sys::gort_map_stats>(), ..Default::default() };
        // SAFETY: a reader call; s is sized as declared. It fails only for NULL.
        let status = unsafe { sys::gort_map_stats_get(self.ptr(), &mut s) };
        debug_assert_eq!(status, sys::GORT_OK);
        MapStats {
            entries: s.entries,
            tables: s.tables,
            directory_len: s.directory_len,
            global_depth: s.global_depth,
            capacity: s.capacity,
            growth_left: s.growth_left,
            tombstones: s.tombstones,
            avg_probe: s.avg_probe,
            max_probe: s.max_probe,
            bytes: s.bytes,
        }
    }

    /// The raw handle, for gort-sys calls; valid while `self` lives.
    pub fn as_ptr(&self) -> *mut sys::gort_map {
        self.ptr()
    }

    /// Gives up this value's reference without releasing it.
    pub fn into_raw(self) -> *mut sys::gort_map {
        let raw = self.ptr();
        std::mem::forget(self);
        raw
    }

    /// Adopts one reference to a map whose key and value descriptors are `K`'s and `V`'s
    /// (else [`Error::TypeMismatch`], and the reference stays the caller's).
    ///
    /// # Safety
    /// `raw` must be a live map handle, in the default heap, and nothing else may use it
    /// while the returned `Map` lives (it is not shared: `&mut self` methods write).
    pub unsafe fn from_raw(raw: *mut sys::gort_map) -> Result<Self> {
        let raw = NonNull::new(raw).ok_or(Error::Invalid)?;
        let key_ok = sys::gort_map_key_type(raw.as_ptr()) == Descriptor::of::<K>()?.as_ptr();
        let value_ok = sys::gort_map_value_type(raw.as_ptr()) == Descriptor::of::<V>()?.as_ptr();
        if !(key_ok && value_ok) {
            return Err(Error::TypeMismatch);
        }
        Ok(Map { raw, heap: None, _marker: PhantomData })
    }
}

/// The count a batched call (`gort_map_get_n`, `set_n`, `delete_n`) returns, or the
/// error its negative status stands for.
fn batch_count(status: i64) -> Result<usize> {
    if status < 0 {
        check(c_int::try_from(status).unwrap_or(c_int::MIN))?;
    }
    Ok(status as usize)
}

/// Copies out the element at a borrowed pointer the map produced.
///
/// # Safety
/// `p` must point at a live key or value of type `T` in the map.
unsafe fn read_elem<T: Elem>(p: *const c_void) -> T {
    let raw = ptr::read_unaligned(p as *const T::Raw);
    T::from_borrowed(&raw)
}

impl<K: Elem, V: Elem> Drop for Map<K, V> {
    fn drop(&mut self) {
        // SAFETY: this value's reference, released once; the last one releases every
        // key and value.
        unsafe { sys::gort_map_release(self.ptr()) }
    }
}

/// `maps.Clone`. Panics only if memory runs out; see `try_clone`.
impl<K: Elem, V: Elem> Clone for Map<K, V> {
    fn clone(&self) -> Self {
        self.try_clone().expect("gort: out of memory cloning a map")
    }
}

impl<K: Elem + fmt::Debug, V: Elem + fmt::Debug> fmt::Debug for Map<K, V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

/// A libgort map iterator. The 128-byte state is boxed because libgort refuses an
/// iterator that has moved ("never copied while in use").
struct RawIter {
    state: Box<sys::gort_map_iter>,
    done: bool,
}

impl RawIter {
    fn new(map: *mut sys::gort_map) -> RawIter {
        let mut state = Box::new(sys::gort_map_iter::default());
        // SAFETY: map is live for the iterator's lifetime (the callers borrow it);
        // state is at its final address. init fails only for NULL arguments.
        let status = unsafe { sys::gort_map_iter_init(map, &mut *state) };
        RawIter { state, done: status != sys::GORT_OK }
    }

    /// The next entry's borrowed key and value pointers.
    fn next_raw(&mut self) -> Option<(*const c_void, *const c_void)> {
        if self.done {
            return None;
        }
        let (mut k, mut v): (*const c_void, *mut c_void) = (ptr::null(), ptr::null_mut());
        // SAFETY: an initialised, unmoved iterator that has not finished.
        let status = unsafe { sys::gort_map_iter_next(&mut *self.state, &mut k, &mut v) };
        if status == 1 {
            Some((k, v))
        } else {
            self.done = true; // 0: finished by libgort; <0 cannot happen for a live iterator
            None
        }
    }
}

impl Drop for RawIter {
    fn drop(&mut self) {
        // SAFETY: finish is idempotent; it releases the hold an unfinished iterator
        // keeps on retired tables.
        unsafe { sys::gort_map_iter_finish(&mut *self.state) }
    }
}

/// Iterator over copies of a map's entries.
pub struct Iter<'a, K: Elem, V: Elem> {
    raw: RawIter,
    _marker: PhantomData<&'a Map<K, V>>,
}

impl<'a, K: Elem, V: Elem> Iterator for Iter<'a, K, V> {
    type Item = (K, V);

    fn next(&mut self) -> Option<(K, V)> {
        let (k, v) = self.raw.next_raw()?;
        // SAFETY: the map is borrowed for 'a, so no mutation can invalidate the
        // entry's pointers before they are copied.
        Some(unsafe { (read_elem::<K>(k), read_elem::<V>(v)) })
    }
}

impl<'a, K: Elem, V: Elem> IntoIterator for &'a Map<K, V> {
    type Item = (K, V);
    type IntoIter = Iter<'a, K, V>;
    fn into_iter(self) -> Iter<'a, K, V> {
        self.iter()
    }
}
