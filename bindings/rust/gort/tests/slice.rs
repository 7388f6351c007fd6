//! Slice<T> and SliceView<T>: Go's slice semantics through the safe API.

mod common;

use common::{assert_no_leaks, live};
use gort::{Error, Slice};
use std::sync::Arc;

#[test]
fn nil_empty_and_make() {
    let nil = Slice::<i64>::new().unwrap();
    assert!(nil.is_nil());
    assert_eq!((nil.len(), nil.cap()), (0, 0));
    assert!(nil.as_slice().is_empty());
    assert_eq!(nil.backing_bytes(), 0);

    let empty = Slice::<i64>::with_capacity(0).unwrap();
    assert!(!empty.is_nil(), "make([]T, 0) is empty but not nil");
    assert!(empty.is_empty());

    let s = Slice::<i64>::make(3, 5).unwrap();
    assert_eq!((s.len(), s.cap()), (3, 5), "make gives exactly cap");
    assert_eq!(s.to_vec(), vec![0, 0, 0]);
    assert!(s.backing_bytes() >= 5 * 8);
    assert_eq!(Slice::<i64>::make(6, 5).unwrap_err(), Error::OutOfRange);
    assert_eq!(Slice::<u64>::make(0, 1 << 60).unwrap_err(), Error::Overflow);
}

#[test]
fn push_get_set_and_bounds() {
    let mut s = Slice::<i32>::new().unwrap();
    for i in 0..100 {
        s.push(i * 2).unwrap();
    }
    assert_eq!(s.len(), 100);
    assert!(s.cap() >= 100);
    assert_eq!(s.get(0).unwrap(), 0);
    assert_eq!(s.get(99).unwrap(), 198);
    assert_eq!(s.get(100).unwrap_err(), Error::OutOfRange);
    s.set(5, 7).unwrap();
    assert_eq!(s.get(5).unwrap(), 7);
    assert_eq!(s.set(100, 1).unwrap_err(), Error::OutOfRange);
    assert_eq!(s.iter().len(), 100);
    assert_eq!(s.iter().map(i64::from).sum::<i64>(), (0..100).map(|i| i * 2).sum::<i64>() - 10 + 7);
}

#[test]
fn growth_follows_go_capacities() {
    // docs/slices.md: appending int64s one at a time to a nil slice (jemalloc build).
    let mut s = Slice::<i64>::new().unwrap();
    let mut caps = Vec::new();
    for i in 0..600 {
        s.push(i).unwrap();
        if caps.last() != Some(&s.cap()) {
            caps.push(s.cap());
        }
    }
    if gort::allocator().starts_with("jemalloc") {
        assert_eq!(caps, vec![1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 896]);
    } else {
        assert_eq!(&caps[..10], &[1, 2, 4, 8, 16, 32, 64, 128, 256, 512]);
    }
}

#[test]
fn bulk_append_and_append_slice() {
    let mut a = Slice::<u8>::from_values(&[1u8, 2, 3]).unwrap();
    a.extend_from_slice(&[4u8, 5]).unwrap();
    let b = Slice::<u8>::from_values(&[6u8, 7]).unwrap();
    a.append(&b).unwrap();
    assert_eq!(a.as_slice(), &[1, 2, 3, 4, 5, 6, 7]);
    assert_eq!(b.as_slice(), &[6, 7], "the source is untouched");
}

#[test]
fn sub_slices_share_the_array_as_in_go() {
    // a := make([]int64, 0, 4); a = append(a, 1, 2, 3); b := a[:2]; b = append(b, 99)
    let mut a = Slice::<i64>::with_capacity(4).unwrap();
    a.extend_from_slice(&[1i64, 2, 3]).unwrap();
    {
        let mut b = a.sub(0, 2).unwrap();
        assert_eq!((b.len(), b.cap()), (2, 4));
        b.push(99).unwrap(); // fits in cap: writes a[2]
        b.set(0, 10).unwrap();
    }
    assert_eq!(a.to_vec(), vec![10, 2, 99], "the append through the view is visible");

    // Past cap the view gets its own array and the parent stays as it was.
    {
        let mut c = a.sub3(1, 2, 2).unwrap();
        assert_eq!((c.len(), c.cap()), (1, 1));
        c.push(5).unwrap();
        c.set(0, -1).unwrap();
        assert_eq!(c.to_vec(), vec![-1, 5]);
    }
    assert_eq!(a.to_vec(), vec![10, 2, 99]);

    // Views of views, and slicing up to cap (not just len), as Go allows.
    {
        let mut v = a.sub(1, 4).unwrap();
        assert_eq!(v.to_vec(), vec![2, 99, 0], "a[3] is the zero value beyond len");
        let w = v.sub(1, 2).unwrap();
        assert_eq!(w.to_vec(), vec![99]);
    }
    assert_eq!(a.sub(3, 2).unwrap_err(), Error::OutOfRange);
    assert_eq!(a.sub(0, 5).unwrap_err(), Error::OutOfRange);
    assert_eq!(a.sub3(0, 1, 5).unwrap_err(), Error::OutOfRange);
}

#[test]
fn split_at_gives_disjoint_clipped_halves() {
    let mut s = Slice::<i64>::from_values(&[1i64, 2, 3, 4, 5]).unwrap();
    s.grow(10).unwrap();
    {
        let (mut left, mut right) = s.split_at(2).unwrap();
        assert_eq!((left.len(), left.cap(), right.len(), right.cap()), (2, 2, 3, 3));
        left.push(100).unwrap(); // reallocates: must not overwrite right[0]
        right.set(0, 30).unwrap();
        assert_eq!(left.to_vec(), vec![1, 2, 100]);
        assert_eq!(right.to_vec(), vec![30, 4, 5]);
    }
    assert_eq!(s.to_vec(), vec![1, 2, 30, 4, 5]);
    assert_eq!(s.split_at(6).unwrap_err(), Error::OutOfRange);
}

#[test]
fn reslice_clip_grow_clear_copy() {
    let mut s = Slice::<i64>::from_values(&[1i64, 2, 3, 4, 5, 6]).unwrap();
    let cap = s.cap();
    s.reslice(1, 4, cap).unwrap(); // s = s[1:4]
    assert_eq!(s.to_vec(), vec![2, 3, 4]);
    assert_eq!(s.cap(), cap - 1);
    assert_eq!(s.reslice(2, 1, 3).unwrap_err(), Error::OutOfRange);
    s.clip();
    assert_eq!(s.cap(), 3);
    s.grow(100).unwrap();
    assert!(s.cap() - s.len() >= 100);
    assert_eq!(s.to_vec(), vec![2, 3, 4]);

    let mut dst = Slice::<i64>::make(2, 2).unwrap();
    assert_eq!(dst.copy_from(&s).unwrap(), 2, "copy moves min(len(dst), len(src))");
    assert_eq!(dst.to_vec(), vec![2, 3]);

    s.clear().unwrap();
    assert_eq!(s.to_vec(), vec![0, 0, 0]);
    assert_eq!(s.len(), 3, "clear keeps len");
}

#[test]
fn clone_severs_the_tie() {
    let mut a = Slice::<i64>::from_values(&[1i64, 2, 3]).unwrap();
    let b = a.clone();
    a.set(0, 9).unwrap();
    assert_eq!(b.to_vec(), vec![1, 2, 3]);
    let nil = Slice::<i64>::new().unwrap();
    assert!(nil.clone().is_nil(), "Clone(nil) is nil");
    let c = a.to_slice().unwrap();
    assert_eq!(c.to_vec(), vec![9, 2, 3]);
    assert_eq!(format!("{:?}", c), "[9, 2, 3]");
}

#[test]
fn plain_views_read_and_write_the_array() {
    let mut s = Slice::<f64>::make(4, 4).unwrap();
    s.as_mut_slice().copy_from_slice(&[0.5, 1.5, 2.5, 3.5]);
    assert_eq!(s.get(2).unwrap(), 2.5);
    assert_eq!(s.as_slice().iter().sum::<f64>(), 8.0);
    let mut v = s.sub(1, 3).unwrap();
    v.as_mut_slice()[0] = -1.0;
    drop(v);
    assert_eq!(s.as_slice(), &[0.5, -1.0, 2.5, 3.5]);
}

#[test]
fn strings_are_copied_in_and_out() {
    let mut s = Slice::<String>::new().unwrap();
    let mut word = String::from("hello");
    s.push(&word).unwrap();
    s.push("world").unwrap();
    s.push(String::new()).unwrap();
    word.push_str(" changed");
    assert_eq!(s.to_vec(), vec!["hello", "world", ""], "the slice owns its own bytes");
    s.set(1, "there").unwrap();
    assert_eq!(s.get(1).unwrap(), "there");

    let mut bytes = Slice::<Vec<u8>>::new().unwrap();
    bytes.push(&b"\xff\x00z"[..]).unwrap();
    assert_eq!(bytes.get(0).unwrap(), vec![0xff, 0, b'z']);
}

#[test]
fn arc_counts_are_exact() {
    let a = Arc::new(String::from("a"));
    let b = Arc::new(String::from("b"));
    {
        let mut s = Slice::<Arc<String>>::new().unwrap();
        s.push(&a).unwrap();
        s.push(&a).unwrap();
        s.push(b.clone()).unwrap(); // moved in: the temporary clone is dropped after
        assert_eq!((Arc::strong_count(&a), Arc::strong_count(&b)), (3, 2));
        let got = s.get(0).unwrap();
        assert!(Arc::ptr_eq(&got, &a));
        assert_eq!(Arc::strong_count(&a), 4, "a value read out holds its own count");
        drop(got);
        s.set(1, &b).unwrap(); // overwrite: releases one a, retains one b
        assert_eq!((Arc::strong_count(&a), Arc::strong_count(&b)), (2, 3));
        let copy = s.clone(); // a new store: every element retained
        assert_eq!((Arc::strong_count(&a), Arc::strong_count(&b)), (3, 5));
        drop(copy);
        {
            let mut view = s.sub(0, 1).unwrap();
            view.push(&a).unwrap(); // in place over s[1] (a b): releases it
        }
        assert_eq!((Arc::strong_count(&a), Arc::strong_count(&b)), (3, 2));
    }
    assert_eq!((Arc::strong_count(&a), Arc::strong_count(&b)), (1, 1), "drop releases all");
}

#[test]
fn types_without_a_zero_value_are_protected() {
    // An Arc<T> slot cannot be NULL: operations that would expose zero values refuse.
    assert_eq!(Slice::<Arc<i32>>::make(1, 1).unwrap_err(), Error::TypeMismatch);
    let mut s = Slice::<Arc<i32>>::with_capacity(4).unwrap();
    s.push(Arc::new(1)).unwrap();
    assert_eq!(s.clear().unwrap_err(), Error::TypeMismatch);
    assert_eq!(s.sub(0, 2).unwrap_err(), Error::OutOfRange, "s[0:2] would expose an unset slot");
    assert_eq!(s.reslice(0, 2, 4).unwrap_err(), Error::OutOfRange);
    assert_eq!(*s.sub(0, 1).unwrap().get(0).unwrap(), 1);

    // Option<Arc<T>> has a zero value (None), as Go's nil pointer.
    let mut n = Slice::<Option<Arc<i32>>>::make(2, 2).unwrap();
    assert_eq!(n.to_vec(), vec![None, None]);
    let one = Arc::new(1);
    n.set(1, &one).unwrap();
    assert_eq!(Arc::strong_count(&one), 2);
    n.clear().unwrap();
    assert_eq!(Arc::strong_count(&one), 1);
}

#[test]
fn raw_handles_round_trip_with_type_checks() {
    let s = Slice::<i64>::from_values(&[4i64, 5]).unwrap();
    let raw = s.into_raw();
    // SAFETY: raw is a live handle nobody else uses; a mismatched adoption leaves it ours.
    let wrong = unsafe { Slice::<i32>::from_raw(raw) };
    assert_eq!(wrong.unwrap_err(), Error::TypeMismatch);
    // SAFETY: as above, now with the right type.
    let s = unsafe { Slice::<i64>::from_raw(raw) }.unwrap();
    assert_eq!(s.to_vec(), vec![4, 5]);
    assert_eq!(s.as_ptr(), raw as *const _);
    // SAFETY: NULL is refused before anything is dereferenced.
    assert_eq!(unsafe { Slice::<i64>::from_raw(std::ptr::null_mut()) }.unwrap_err(), Error::Invalid);
}

#[test]
fn no_leaks_in_a_private_heap() {
    assert_no_leaks(|heap| {
        let mut s = Slice::<i64>::make_in(0, 4, heap).unwrap();
        for i in 0..10_000 {
            s.push(i).unwrap();
        }
        drop(s.sub(1, 100).unwrap());
        drop(s.split_at(5000).unwrap());
        let copy = s.clone();
        let during = live(heap);
        assert!(during.live_objects >= 2 && during.live_blocks > 0, "{:?}", during);
        drop(copy);
        let nil = Slice::<String>::new_in(heap).unwrap();
        assert_eq!(live(heap).live_objects, 2);
        drop(nil);
    });
}
