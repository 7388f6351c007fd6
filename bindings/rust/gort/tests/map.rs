//! Map<K, V>: Go map semantics through the safe API.

mod common;

use common::{assert_no_leaks, live};
use gort::{Elem, Error, Map};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt::Debug;
use std::sync::Arc;

#[test]
fn insert_get_overwrite_remove() {
    let mut m = Map::<i64, i64>::new().unwrap();
    assert!(m.is_empty());
    for i in 0..1000 {
        m.insert(i, i * i).unwrap();
    }
    assert_eq!(m.len(), 1000);
    assert_eq!(m.get(7), Some(49));
    assert_eq!(m.get(999), Some(998_001));
    assert_eq!(m.get(1000), None);
    assert!(m.contains_key(0) && !m.contains_key(-1));

    m.insert(7, -7).unwrap();
    assert_eq!((m.len(), m.get(7)), (1000, Some(-7)), "overwrite keeps one entry");

    assert_eq!(m.remove(7).unwrap(), Some(-7));
    assert_eq!(m.remove(7).unwrap(), None);
    m.delete(8).unwrap();
    m.delete(8).unwrap(); // deleting a missing key is a no-op
    assert_eq!(m.len(), 998);
    assert_eq!(m.get(8), None);

    m.clear();
    assert_eq!((m.len(), m.get(1)), (0, None));
    m.insert(1, 1).unwrap();
    assert_eq!(m.get(1), Some(1), "usable after clear");
}

#[test]
fn iteration_produces_every_entry_once() {
    let mut m = Map::<u32, String>::with_capacity(500).unwrap();
    for i in 0..500u32 {
        m.insert(i, i.to_string()).unwrap();
    }
    let seen: BTreeMap<u32, String> = m.iter().collect();
    assert_eq!(seen.len(), 500);
    assert!(seen.iter().all(|(k, v)| k.to_string() == *v));
    assert_eq!(m.keys().map(u64::from).sum::<u64>(), (0..500u64).sum());
    assert_eq!(m.values().count(), 500);
    assert_eq!((&m).into_iter().count(), 500);

    // Go randomises the start of every iteration: two orders of 500 keys differ.
    let orders: Vec<Vec<u32>> = (0..4).map(|_| m.keys().collect()).collect();
    assert!(orders.windows(2).any(|w| w[0] != w[1]), "iteration order never varied");

    // An iterator dropped early must not keep the map from being used.
    let first = m.iter().next().unwrap();
    m.delete(first.0).unwrap();
    assert_eq!(m.len(), 499);
}

#[test]
fn retain_deletes_during_iteration() {
    let mut m = Map::<i32, i32>::new().unwrap();
    for i in 0..2000 {
        m.insert(i, i % 3).unwrap();
    }
    m.retain(|_, v| *v == 0).unwrap();
    assert_eq!(m.len(), 667);
    assert!(m.iter().all(|(k, v)| v == 0 && k % 3 == 0));
}

#[test]
fn get_mut_updates_in_place() {
    let mut m = Map::<String, i64>::new().unwrap();
    m.insert("a", 1).unwrap();
    *m.get_mut("a").unwrap() += 41;
    assert_eq!(m.get("a"), Some(42));
    assert!(m.get_mut("b").is_none());
}

#[test]
fn string_keys_and_values_are_copied() {
    let mut m = Map::<String, String>::new().unwrap();
    let mut key = String::from("key");
    m.insert(&key, "value").unwrap();
    key.push('!'); // the map kept its own bytes
    assert_eq!(m.get("key").as_deref(), Some("value"));
    assert_eq!(m.get(&key), None);
    m.insert("", "empty key").unwrap();
    assert_eq!(m.get(""), Some("empty key".to_string()));
    m.insert("nul\0inside", "ok").unwrap();
    assert_eq!(m.get("nul\0inside").as_deref(), Some("ok"));
    assert_eq!(m.get("nul").as_deref(), None);

    let mut bytes = Map::<Vec<u8>, i32>::new().unwrap();
    bytes.insert(&b"\xff\xfe"[..], 1).unwrap();
    assert_eq!(bytes.get(&b"\xff\xfe"[..]), Some(1));
    assert_eq!(bytes.get(vec![0xffu8, 0xfe]), Some(1));
}

#[test]
fn float_keys_follow_go() {
    let mut m = Map::<f64, i32>::new().unwrap();
    m.insert(0.0, 1).unwrap();
    m.insert(-0.0, 2).unwrap();
    assert_eq!(m.len(), 1, "+0 and -0 are one key");
    assert_eq!(m.get(0.0), Some(2));
    let stored: Vec<f64> = m.keys().collect();
    assert!(stored[0].is_sign_negative(), "an overwrite stores the newer key's bits, as Go");

    m.insert(f64::NAN, 3).unwrap();
    m.insert(f64::NAN, 4).unwrap();
    assert_eq!(m.len(), 3, "every NaN insert adds an entry");
    assert_eq!(m.get(f64::NAN), None, "and no lookup finds it");
    m.delete(f64::NAN).unwrap();
    assert_eq!(m.len(), 3, "delete cannot remove NaNs");
    assert_eq!(m.iter().filter(|(k, _)| k.is_nan()).count(), 2, "iteration produces them");
    m.clear();
    assert_eq!(m.len(), 0, "only clear removes NaNs");
}

#[test]
fn clone_is_independent_and_stats_describe_tables() {
    let mut m = Map::<i64, i64>::new().unwrap();
    for i in 0..5000 {
        m.insert(i, i).unwrap();
    }
    let copy = m.clone();
    m.insert(0, -1).unwrap();
    assert_eq!(copy.get(0), Some(0));
    assert_eq!(copy.len(), 5000);
    let other = copy.try_clone().unwrap();
    assert_eq!(other.len(), 5000);

    let stats = m.stats();
    assert_eq!(stats.entries, 5000);
    assert!(stats.tables >= 1 && stats.capacity >= 5000 && stats.bytes > 5000 * 16, "{:?}", stats);
    assert!(stats.avg_probe >= 1.0);

    for i in 0..4990 {
        m.delete(i).unwrap();
    }
    let before = m.stats().bytes;
    m.shrink().unwrap();
    let after = m.stats();
    assert!(after.bytes < before / 10, "shrink returned memory: {} -> {}", before, after.bytes);
    assert_eq!(m.len(), 10);
    assert_eq!(m.get(4995), Some(4995));
}

#[test]
fn matches_a_hashmap_under_random_operations() {
    // A xorshift sequence drives inserts, overwrites and deletes on both maps.
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let mut m = Map::<u64, u64>::new().unwrap();
    let mut h = HashMap::new();
    for _ in 0..50_000 {
        let r = next();
        let key = r % 2048;
        if r >> 60 < 4 {
            m.delete(key).unwrap();
            h.remove(&key);
        } else {
            m.insert(key, r).unwrap();
            h.insert(key, r);
        }
    }
    assert_eq!(m.len(), h.len());
    let ours: HashMap<u64, u64> = m.iter().collect();
    assert_eq!(ours, h);
}

#[test]
fn debug_formats_entries() {
    let mut m = Map::<i8, bool>::new().unwrap();
    m.insert(1i8, true).unwrap();
    assert_eq!(format!("{:?}", m), "{1: true}");
}

#[test]
fn arc_counts_are_exact() {
    let k = Arc::new(1u8);
    let v = Arc::new(String::from("v"));
    let w = Arc::new(String::from("w"));
    {
        let mut m = Map::<Arc<u8>, Arc<String>>::new().unwrap();
        m.insert(&k, &v).unwrap();
        assert_eq!((Arc::strong_count(&k), Arc::strong_count(&v)), (2, 2));
        m.insert(&k, &w).unwrap(); // overwrite: the stored key stays, old value released
        assert_eq!((Arc::strong_count(&k), Arc::strong_count(&v), Arc::strong_count(&w)), (2, 1, 2));
        let got = m.get(&k).unwrap();
        assert!(Arc::ptr_eq(&got, &w));
        assert_eq!(Arc::strong_count(&w), 3);
        drop(got);
        let other = Arc::new(1u8); // equal contents, different pointer: another key
        assert_eq!(m.get(&other), None, "Arc keys compare by identity");

        let copy = m.clone();
        assert_eq!((Arc::strong_count(&k), Arc::strong_count(&w)), (3, 3));
        drop(copy);
        let entries: Vec<(Arc<u8>, Arc<String>)> = m.iter().collect();
        assert_eq!((Arc::strong_count(&k), Arc::strong_count(&w)), (3, 3));
        drop(entries);

        assert!(m.remove(&k).unwrap().is_some());
        assert_eq!((Arc::strong_count(&k), Arc::strong_count(&w)), (1, 1));
        m.insert(k.clone(), v.clone()).unwrap(); // moved in
        assert_eq!((Arc::strong_count(&k), Arc::strong_count(&v)), (2, 2));
        m.clear();
        assert_eq!((Arc::strong_count(&k), Arc::strong_count(&v)), (1, 1));
        m.insert(&k, &v).unwrap();
    }
    assert_eq!((Arc::strong_count(&k), Arc::strong_count(&v), Arc::strong_count(&w)), (1, 1, 1));
}

#[test]
fn raw_handles_check_both_types() {
    let mut m = Map::<i64, String>::new().unwrap();
    m.insert(1, "one").unwrap();
    let raw = m.into_raw();
    // SAFETY: raw is a live handle; mismatched adoptions leave the reference with us.
    unsafe {
        assert_eq!(Map::<i64, i64>::from_raw(raw).unwrap_err(), Error::TypeMismatch);
        assert_eq!(Map::<String, String>::from_raw(raw).unwrap_err(), Error::TypeMismatch);
        let m = Map::<i64, String>::from_raw(raw).unwrap();
        assert_eq!(m.get(1).as_deref(), Some("one"));
        assert_eq!(m.as_ptr(), raw);
    }
}

#[test]
fn no_leaks_in_a_private_heap() {
    assert_no_leaks(|heap| {
        let mut m = Map::<u64, [u64; 4]>::with_capacity_in(10, heap).unwrap();
        for i in 0..20_000u64 {
            m.insert(i, [i; 4]).unwrap();
        }
        let copy = m.clone();
        assert!(live(heap).live_blocks > 0);
        for i in 0..20_000u64 {
            m.delete(i).unwrap();
        }
        m.shrink().unwrap();
        let iter = copy.iter(); // an unfinished iterator must not pin anything
        drop(iter);
        drop(copy);
        drop(m);
    });
}

/// Asserts that `get_many(probes)` is `get` on every probe, and returns how many were found.
fn get_many_agrees<K: Elem, V: Elem + PartialEq + Debug>(m: &Map<K, V>, probes: &[K]) -> usize {
    let each: Vec<Option<V>> = probes.iter().map(|k| m.get(k)).collect();
    let many = m.get_many(probes).unwrap();
    assert_eq!(many, each, "get_many differs from get on {} keys", probes.len());
    many.iter().filter(|v| v.is_some()).count()
}

/// Inserts `keys[i] -> value(i)`, then checks `probes` (present and absent keys, some
/// repeated) against `get`; returns how many probes were found.
fn get_many_agrees_after_insert<K: Elem, V: Elem + PartialEq + Debug>(
    keys: &[K],
    value: impl Fn(usize) -> V,
    probes: &[K],
) -> usize {
    let mut m = Map::<K, V>::new().unwrap();
    for (i, k) in keys.iter().enumerate() {
        m.insert(k, value(i)).unwrap();
    }
    get_many_agrees(&m, probes)
}

macro_rules! get_many_agrees_for_integers {
    ($($t:ty),*) => {$(
        // 60 keys (a table), probed with 0..120: every even probe present, every odd absent.
        let keys: Vec<$t> = (0..60u8).map(|i| (i * 2) as $t).collect();
        let probes: Vec<$t> = (0..120u8).chain([118, 0, 1]).map(|i| i as $t).collect();
        let hits = get_many_agrees_after_insert(&keys, |i| i as u64 * 3, &probes);
        assert_eq!(hits, 62, "{}", stringify!($t));
    )*};
}

#[test]
fn get_many_agrees_with_get_for_integer_and_float_keys() {
    get_many_agrees_for_integers!(i8, i16, i32, i64, isize, u8, u16, u32, u64, usize);

    // Go's float keys: +0 finds -0, NaN finds nothing (not even the NaN stored).
    let keys = [-0.0, 1.5, f64::NAN, f64::INFINITY, -3.25];
    let probes = [0.0, -0.0, f64::NAN, 1.5, 2.5, f64::INFINITY, f64::NEG_INFINITY, -3.25];
    assert_eq!(get_many_agrees_after_insert(&keys, |i| i as f32, &probes), 5);
    let keys: Vec<f32> = keys.iter().map(|&k| k as f32).collect();
    let probes: Vec<f32> = probes.iter().map(|&k| k as f32).collect();
    assert_eq!(get_many_agrees_after_insert(&keys, |i| i as f64, &probes), 5);

    assert_eq!(get_many_agrees_after_insert(&[true], |_| 'x' as u32, &[false, true, false, true]), 2);
}

#[test]
fn get_many_agrees_with_get_for_string_keys() {
    let words: Vec<String> = common::TEXT.split(' ').map(String::from).collect();
    let mut m = Map::<String, String>::new().unwrap();
    for w in words.iter().step_by(2) {
        m.insert(w, w.to_uppercase()).unwrap();
    }
    m.insert("", "empty").unwrap();
    m.insert("nul\0inside", "nul").unwrap();
    let mut probes = words.clone();
    probes.extend(["", "nul", "nul\0inside", "absent", "THE", "the "].map(String::from));
    let hits = get_many_agrees(&m, &probes);
    assert!(0 < hits && hits < probes.len(), "{} of {}", hits, probes.len());

    // The borrowed forms get accepts: &str, &String.
    let strs: Vec<&str> = probes.iter().map(String::as_str).collect();
    assert_eq!(m.get_many(&strs).unwrap(), m.get_many(&probes).unwrap());
    let refs: Vec<&String> = probes.iter().collect();
    assert_eq!(m.get_many(&refs).unwrap(), m.get_many(&probes).unwrap());
    assert_eq!(
        m.get_many(&["the", "slow", ""]).unwrap(),
        [Some("THE".to_string()), None, Some("empty".to_string())]
    );

    // Exact bytes, not UTF-8, as Vec<u8> keys and &[u8] probes.
    let keys = [vec![0xffu8, 0xfe], vec![], b"abc".to_vec()];
    let probes = [vec![0xffu8], vec![0xff, 0xfe], vec![], b"abc".to_vec(), b"abcd".to_vec()];
    assert_eq!(get_many_agrees_after_insert(&keys, |i| i as i8, &probes), 3);
    let mut bytes = Map::<Vec<u8>, i32>::new().unwrap();
    bytes.insert(&b"\xff\xfe"[..], 1).unwrap();
    assert_eq!(bytes.get_many(&[&b"\xff\xfe"[..], &b"\xff"[..]]).unwrap(), [Some(1), None]);
}

#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq)]
struct Point {
    x: i32,
    y: i32,
}
// SAFETY: repr(C), two i32 fields: no padding, no pointers, any bits valid.
unsafe impl gort::Pod for Point {}

#[test]
fn get_many_agrees_with_get_for_pod_array_and_unit_keys() {
    let points: Vec<Point> = (0..40).map(|i| Point { x: i, y: -i }).collect();
    let probes: Vec<Point> = (0..80).map(|i| Point { x: i / 2, y: -(i / 2) * (i % 2) }).collect();
    assert_eq!(get_many_agrees_after_insert(&points, |i| points[i], &probes), 41);

    // 3-byte keys (hashed generically) and 136-byte keys (stored behind a pointer, but
    // passed to get_many inline, as get takes them).
    let small: Vec<[u8; 3]> = (0..50u8).map(|i| [i, i ^ 0x55, 7]).collect();
    let probes: Vec<[u8; 3]> = (0..100u8).map(|i| [i, i ^ 0x55, 7]).collect();
    assert_eq!(get_many_agrees_after_insert(&small, |i| [i as u16; 5], &probes), 50);
    let large: Vec<[u64; 17]> = (0..30u64).map(|i| [i; 17]).collect();
    let mut probes: Vec<[u64; 17]> = (0..60u64).map(|i| [i; 17]).collect();
    probes[3][16] = 0; // differs from key 3 in its last word only
    assert_eq!(get_many_agrees_after_insert(&large, |i| i.to_string(), &probes), 29);

    // A zero-size key type: one key in all, and a set of i64 (zero-size values).
    assert_eq!(get_many_agrees_after_insert(&[()], |_| 5u8, &[(), ()]), 2);
    assert_eq!(get_many_agrees_after_insert(&[], |_| 5u8, &[(), ()]), 0);
    assert_eq!(get_many_agrees_after_insert(&[1i64, 3], |_| (), &[0, 1, 2, 3]), 2);
}

#[test]
fn get_many_agrees_with_get_for_arc_keys_and_counts_exactly() {
    let keys: Vec<Arc<u32>> = (0..20).map(Arc::new).collect();
    let values: Vec<Arc<String>> = (0..20).map(|i| Arc::new(i.to_string())).collect();
    let mut m = Map::<Arc<u32>, Arc<String>>::new().unwrap();
    for (k, v) in keys.iter().zip(&values).step_by(2) {
        m.insert(k, v).unwrap();
    }
    let mut probes = keys.clone();
    probes.push(Arc::new(0)); // equal contents, another pointer: absent (identity keys)
    let got = m.get_many(&probes).unwrap();
    assert_eq!(got.iter().filter(|v| v.is_some()).count(), 10);
    for (v, k) in got.iter().zip(&probes) {
        assert_eq!(v.as_ref().map(Arc::as_ptr), m.get(k).as_ref().map(Arc::as_ptr));
    }
    // Each value found is a new count; the map's count stays, nothing else is taken.
    assert_eq!(Arc::strong_count(&values[0]), 3);
    assert_eq!(Arc::strong_count(&values[1]), 1);
    drop(got);
    drop(probes);
    assert_eq!((Arc::strong_count(&keys[0]), Arc::strong_count(&values[0])), (2, 2));
    assert_eq!((Arc::strong_count(&keys[1]), Arc::strong_count(&values[1])), (1, 1));

    // Go's nillable pointer: None is a key too; &Arc probes are accepted as for get.
    let mut nil = Map::<Option<Arc<u32>>, i64>::new().unwrap();
    nil.insert(None, -1).unwrap();
    nil.insert(&keys[0], 0).unwrap();
    let probes = [None, Some(keys[0].clone()), Some(keys[1].clone())];
    assert_eq!(get_many_agrees(&nil, &probes), 2);
    assert_eq!(nil.get_many(&[&keys[1], &keys[0]]).unwrap(), [None, Some(0)]);
    drop(nil);
    assert_eq!(Arc::strong_count(&keys[0]), 3); // m's stored copy and the probe clone
}

#[test]
fn get_many_of_no_keys() {
    let mut m = Map::<String, i64>::new().unwrap();
    assert!(m.get_many::<&str>(&[]).unwrap().is_empty());
    assert_eq!(m.get_many(&["a"]).unwrap(), [None], "an empty map finds nothing");
    m.insert("a", 1).unwrap();
    assert!(m.get_many::<String>(&[]).unwrap().is_empty());
}

#[test]
fn get_many_in_small_mode_and_table_mode() {
    // Long strings that differ only in the middle: a small map compares lengths and
    // the first and last 8 bytes first, so this checks it then compares the rest.
    let long = |c: char| format!("prefix--{}--suffix", c.to_string().repeat(20));
    let mut ints = Map::<i64, i64>::new().unwrap();
    let mut strs = Map::<String, i64>::new().unwrap();
    for i in 0..6 {
        ints.insert(i * 7, i).unwrap();
        strs.insert(long((b'a' + i as u8) as char), i).unwrap();
    }
    let (s, t) = (ints.stats(), strs.stats());
    assert_eq!((s.directory_len, s.entries, t.directory_len, t.entries), (0, 6, 0, 6), "small mode");
    let int_probes: Vec<i64> = (0..50).collect();
    let str_probes: Vec<String> = ('a'..='z').map(long).chain(["a", ""].map(String::from)).collect();
    assert_eq!(get_many_agrees(&ints, &int_probes), 6);
    assert_eq!(get_many_agrees(&strs, &str_probes), 6);

    for i in 6..5000 {
        ints.insert(i * 7, i).unwrap();
        strs.insert(format!("key {}", i * 7), i).unwrap();
    }
    assert!(ints.stats().directory_len >= 1 && strs.stats().directory_len >= 1, "table mode");
    let int_probes: Vec<i64> = (0..40_000).collect();
    let str_probes: Vec<String> =
        (0..40_000).map(|i| format!("key {}", i)).chain(["", "key"].map(String::from)).collect();
    assert_eq!(get_many_agrees(&ints, &int_probes), 5000);
    assert_eq!(get_many_agrees(&strs, &str_probes), 4994);

    // Back to small mode after a shrink.
    for i in 3..5000 {
        ints.delete(i * 7).unwrap();
    }
    ints.shrink().unwrap();
    assert_eq!(ints.stats().directory_len, 0);
    assert_eq!(get_many_agrees(&ints, &int_probes[..50]), 3);
}

#[test]
fn get_many_of_100_000_keys() {
    let mut m = Map::<i64, String>::new().unwrap();
    for i in 0..50_000 {
        m.insert(i * 2, i.to_string()).unwrap();
    }
    let probes: Vec<i64> = (0..100_000).rev().collect();
    let got = m.get_many(&probes).unwrap();
    assert_eq!(got.len(), 100_000);
    for (k, v) in probes.iter().zip(&got) {
        let expected = if k % 2 == 0 { Some((k / 2).to_string()) } else { None };
        assert_eq!(v, &expected, "key {}", k);
    }
    assert_eq!(get_many_agrees(&m, &probes), 50_000);

    let words: Vec<String> = (0..100_000).map(|i| format!("word {}", i)).collect();
    let mut w = Map::<String, u32>::new().unwrap();
    for (i, word) in words.iter().enumerate().filter(|(i, _)| i % 3 != 0) {
        w.insert(word, i as u32).unwrap();
    }
    assert_eq!(get_many_agrees(&w, &words), 66_666);
}

#[test]
fn get_many_leaks_nothing() {
    assert_no_leaks(|heap| {
        let mut m = Map::<String, String>::with_capacity_in(0, heap).unwrap();
        for i in 0..2000 {
            m.insert(i.to_string(), "v".repeat(i % 50)).unwrap();
        }
        let probes: Vec<String> = (0..4000).map(|i| i.to_string()).collect();
        let got = m.get_many(&probes).unwrap();
        assert_eq!(got.iter().flatten().count(), 2000);
        drop(m);
        assert_eq!(got[1999].as_deref(), Some(&*"v".repeat(1999 % 50)), "values outlive the map");
    });
}

/// A map's entries as sorted `Debug` text: comparable for any key type, floats
/// included (`-0.0` and `0.0` differ, NaN keys compare as text).
fn entries<K: Elem + Debug, V: Elem + Debug>(m: &Map<K, V>) -> Vec<String> {
    let mut entries: Vec<String> = m.iter().map(|entry| format!("{:?}", entry)).collect();
    entries.sort();
    entries
}

/// Inserts `keys[i] -> values[i]` into one map with an `insert` loop and into another
/// with one `insert_many`, checks that they hold the same entries and that
/// `insert_many` counted every entry as new, then does both again over the filled maps
/// (where only NaN keys are new). Returns the second count.
fn insert_many_agrees<K: Elem + Debug, V: Elem + Debug>(keys: &[K], values: &[V]) -> usize {
    let (mut each, mut many) = (Map::<K, V>::new().unwrap(), Map::<K, V>::new().unwrap());
    for (k, v) in keys.iter().zip(values) {
        each.insert(k, v).unwrap();
    }
    assert_eq!(many.insert_many(keys, values).unwrap(), each.len(), "into an empty map");
    assert_eq!(entries(&many), entries(&each));
    for (k, v) in keys.iter().zip(values) {
        each.insert(k, v).unwrap();
    }
    let added = many.insert_many(keys, values).unwrap();
    assert_eq!(entries(&many), entries(&each));
    added
}

macro_rules! insert_many_agrees_for_integers {
    ($($t:ty),*) => {$(
        // 60 pairs, keys 0..30 twice (the later pair wins), into small and table mode.
        let keys: Vec<$t> = (0..60u8).map(|i| (i % 30) as $t).collect();
        let values: Vec<u64> = (0..60).map(|i| i * 3).collect();
        assert_eq!(insert_many_agrees(&keys, &values), 0, "{}", stringify!($t));
        assert_eq!(insert_many_agrees(&keys[..5], &values[..5]), 0, "{}", stringify!($t));
    )*};
}

#[test]
fn insert_many_agrees_with_insert_for_every_key_type() {
    insert_many_agrees_for_integers!(i8, i16, i32, i64, isize, u8, u16, u32, u64, usize);

    // Go's float keys: +0 then -0 is one key stored as -0, every NaN is a new key.
    let keys = [1.5, 0.0, -0.0, f64::NAN, f64::INFINITY, f64::NAN, 1.5];
    let values: Vec<f32> = (0..7).map(|i| i as f32).collect();
    assert_eq!(insert_many_agrees(&keys, &values), 2);
    let keys: Vec<f32> = keys.iter().map(|&k| k as f32).collect();
    assert_eq!(insert_many_agrees(&keys, &[0.5f64; 7]), 2);
    let mut m = Map::<f64, i32>::new().unwrap();
    assert_eq!(m.insert_many(&[0.0, -0.0], &[1, 2]).unwrap(), 1);
    assert!(m.keys().next().unwrap().is_sign_negative(), "the newer key's bits, as Go");

    assert_eq!(insert_many_agrees(&[true, false, true], &['a' as u32, 'b' as u32, 'c' as u32]), 0);

    let words: Vec<String> = common::TEXT.split(' ').map(String::from).collect();
    let upper: Vec<String> = words.iter().map(|w| w.to_uppercase()).collect();
    assert_eq!(insert_many_agrees(&words, &upper), 0);
    let keys = [vec![0xffu8, 0xfe], vec![], b"abc".to_vec(), vec![]];
    assert_eq!(insert_many_agrees(&keys, &[1i8, 2, 3, 4]), 0);

    let points: Vec<Point> = (0..40).map(|i| Point { x: i % 25, y: -(i % 25) }).collect();
    assert_eq!(insert_many_agrees(&points, &points), 0);
    let small: Vec<[u8; 3]> = (0..50u8).map(|i| [i % 20, i ^ 0x55, 7]).collect();
    assert_eq!(insert_many_agrees(&small, &vec![[9u16; 5]; 50]), 0);
    let large: Vec<[u64; 17]> = (0..30u64).map(|i| [i % 11; 17]).collect();
    let strings: Vec<String> = (0..30).map(|i| i.to_string()).collect();
    assert_eq!(insert_many_agrees(&large, &strings), 0);
    assert_eq!(insert_many_agrees(&[(), ()], &[5u8, 6]), 0);
    assert_eq!(insert_many_agrees(&[1i64, 3, 1], &[(), (), ()]), 0);
}

#[test]
fn insert_many_borrowed_forms() {
    let mut m = Map::<String, String>::new().unwrap();
    assert_eq!(m.insert_many(&["a", "b"], &["1", "2"]).unwrap(), 2);
    let (k, v) = (String::from("c"), String::from("3"));
    assert_eq!(m.insert_many(&[&k], &[&v]).unwrap(), 1);
    assert_eq!(m.insert_many(&[k.clone()], &[String::from("33")]).unwrap(), 0);
    let mut bytes = Map::<Vec<u8>, i32>::new().unwrap();
    assert_eq!(bytes.insert_many(&[&b"\xff"[..], &b""[..]], &[1, 2]).unwrap(), 2);
    assert_eq!(bytes.get_many(&[&b""[..], &b"\xff"[..]]).unwrap(), [Some(2), Some(1)]);
    assert_eq!(m.get_many(&["a", "b", "c"]).unwrap(), ["1", "2", "33"].map(|s| Some(s.to_string())));
}

#[test]
fn insert_many_counts_new_keys_and_the_later_pair_wins() {
    let mut m = Map::<i64, String>::new().unwrap();
    assert_eq!(m.insert_many(&[1, 2, 3], &["a", "b", "c"]).unwrap(), 3);
    // 2 and 3 overwrite, 4 is new and set three times, 5 is new
    assert_eq!(m.insert_many(&[2, 4, 3, 4, 5, 4], &["B", "D", "C", "d", "E", "e"]).unwrap(), 2);
    let got: BTreeMap<i64, String> = m.iter().collect();
    let expect: BTreeMap<i64, String> =
        [(1, "a"), (2, "B"), (3, "C"), (4, "e"), (5, "E")].map(|(k, v)| (k, v.to_string())).into();
    assert_eq!(got, expect);
    assert_eq!(m.insert_many(&[1, 1, 1], &["x", "y", "z"]).unwrap(), 0);
    assert_eq!((m.get(1).as_deref(), m.len()), (Some("z"), 5));
}

#[test]
fn insert_many_of_no_pairs_or_of_mismatched_slices() {
    let value = Arc::new(7);
    let mut m = Map::<i64, Arc<i32>>::new().unwrap();
    assert_eq!(m.insert_many::<i64, Arc<i32>>(&[], &[]).unwrap(), 0);
    assert_eq!(m.len(), 0);
    m.insert(1, &value).unwrap();
    for (keys, values) in [(&[1i64, 2][..], &[value.clone()][..]), (&[][..], &[value.clone()][..])] {
        assert_eq!(m.insert_many(keys, values), Err(Error::Invalid), "{} keys", keys.len());
    }
    assert_eq!((m.len(), Arc::strong_count(&value)), (1, 2), "nothing inserted or retained");
    assert_eq!(m.get(2), None);
}

#[test]
fn insert_many_counts_arcs_exactly() {
    let keys: Vec<Arc<u32>> = (0..20).map(Arc::new).collect();
    let values: Vec<Arc<String>> = (0..20).map(|i| Arc::new(i.to_string())).collect();
    let mut m = Map::<Arc<u32>, Arc<String>>::new().unwrap();
    assert_eq!(m.insert_many(&keys, &values).unwrap(), 20);
    assert!(keys.iter().chain(&keys).all(|k| Arc::strong_count(k) == 2), "one count per stored key");
    assert!(values.iter().all(|v| Arc::strong_count(v) == 2));
    // Overwrite every value with values[0]: the stored keys keep their counts, the old
    // values lose the map's, values[0] gains one per entry.
    let same = vec![values[0].clone(); 20];
    assert_eq!(m.insert_many(&keys, &same).unwrap(), 0);
    drop(same);
    assert!(keys.iter().all(|k| Arc::strong_count(k) == 2));
    assert_eq!(Arc::strong_count(&values[0]), 1 + 20);
    assert!(values[1..].iter().all(|v| Arc::strong_count(v) == 1));
    // An equal-content Arc is another key (identity): new, counted once.
    let twin = Arc::new(0u32);
    assert_eq!(m.insert_many(&[&twin], &[&values[1]]).unwrap(), 1);
    assert_eq!((Arc::strong_count(&twin), Arc::strong_count(&values[1])), (2, 2));
    drop(m);
    assert!(keys.iter().chain([&twin]).all(|k| Arc::strong_count(k) == 1));
    assert!(values.iter().all(|v| Arc::strong_count(v) == 1));

    // Go's nillable pointer: None is a key too.
    let mut nil = Map::<Option<Arc<u32>>, i64>::new().unwrap();
    assert_eq!(nil.insert_many(&[None, Some(keys[0].clone()), None], &[1, 2, 3]).unwrap(), 2);
    assert_eq!((nil.get(None), Arc::strong_count(&keys[0])), (Some(3), 2));
}

#[test]
fn insert_many_in_small_mode_then_into_table_mode() {
    let mut m = Map::<i64, i64>::new().unwrap();
    let mut model = HashMap::new();
    let batches: [Vec<i64>; 4] = [
        (0..6).collect(),                              // stays small (8 slots)
        (3..8).collect(),                              // three overwrites, fills the 8 slots
        (0..20_000).map(|i| i * 7 % 30_011).collect(), // one batch, many tables
        (0..40_000).rev().collect(),                   // half overwrites, then new keys
    ];
    for (round, keys) in batches.iter().enumerate() {
        let values: Vec<i64> = keys.iter().map(|k| k * 10 + round as i64).collect();
        let new = keys.iter().filter(|k| !model.contains_key(*k)).collect::<HashSet<_>>().len();
        assert_eq!(m.insert_many(keys, &values).unwrap(), new, "batch {}", round);
        model.extend(keys.iter().copied().zip(values));
        assert_eq!(m.len(), model.len());
        if round < 2 {
            assert_eq!(m.stats().directory_len, 0, "small mode after batch {}", round);
        }
    }
    assert!(m.stats().tables > 1);
    let got: HashMap<i64, i64> = m.iter().collect();
    assert_eq!(got, model);
}

#[test]
fn insert_many_of_100_000_pairs() {
    let mut m = Map::<String, u64>::new().unwrap();
    let words: Vec<String> = (0..100_000).map(|i| format!("word {}", i)).collect();
    let counts: Vec<u64> = (0..100_000).collect();
    assert_eq!(m.insert_many(&words[..50_000], &counts[..50_000]).unwrap(), 50_000);
    assert_eq!(m.insert_many(&words, &counts).unwrap(), 50_000);
    assert_eq!(m.len(), 100_000);
    assert!(words.iter().zip(&counts).all(|(w, &c)| m.get(w) == Some(c)));
}

#[test]
fn delete_many_agrees_with_delete() {
    fn agrees<K: Elem + Debug>(keys: &[K], gone: &[K]) -> usize {
        let (mut each, mut many) = (Map::<K, u8>::new().unwrap(), Map::<K, u8>::new().unwrap());
        let values: Vec<u8> = (0..keys.len()).map(|i| i as u8).collect();
        each.insert_many(keys, &values).unwrap();
        many.insert_many(keys, &values).unwrap();
        let before = each.len();
        for k in gone {
            each.delete(k).unwrap();
        }
        let deleted = many.delete_many(gone).unwrap();
        assert_eq!(deleted, before - each.len());
        assert_eq!(entries(&many), entries(&each));
        assert_eq!(many.delete_many(gone).unwrap(), 0, "all gone already");
        deleted
    }
    let ints: Vec<i64> = (0..100).collect();
    let gone: Vec<i64> = (50..150).chain(0..10).chain(0..10).collect();
    assert_eq!(agrees(&ints, &gone), 60);
    assert_eq!(agrees(&ints[..5], &[4, 4, 9, 0]), 2, "small mode");
    // NaN keys are never found, so never deleted; -0 finds +0.
    assert_eq!(agrees(&[f64::NAN, 0.0, 1.0, f64::NAN], &[f64::NAN, -0.0]), 1);
    let words: Vec<String> = common::TEXT.split(' ').map(String::from).collect();
    let mut gone: Vec<String> = words.iter().skip(1).step_by(2).cloned().collect();
    gone.extend(["", "absent", "the", "the"].map(String::from));
    let stored: HashSet<&String> = words.iter().collect();
    let present = gone.iter().collect::<HashSet<_>>().intersection(&stored).count();
    assert_eq!(agrees(&words, &gone), present);
    let large: Vec<[u64; 17]> = (0..30u64).map(|i| [i; 17]).collect();
    assert_eq!(agrees(&large, &large[10..]), 20);
    assert_eq!(agrees(&[()], &[(), ()]), 1);
}

#[test]
fn delete_many_counts_and_borrowed_forms() {
    let mut m = Map::<String, i64>::new().unwrap();
    let words: Vec<String> = (0..10).map(|i| format!("w{}", i)).collect();
    m.insert_many(&words, &(0..10).collect::<Vec<i64>>()).unwrap();
    assert_eq!(m.delete_many(&["w3", "w3", "w11", "w5", "", "w3"]).unwrap(), 2);
    assert_eq!(m.delete_many::<&str>(&[]).unwrap(), 0);
    assert_eq!(m.delete_many(&[&words[0], &words[1]]).unwrap(), 2);
    assert_eq!(m.delete_many(&words).unwrap(), 6);
    assert!(m.is_empty());
    assert_eq!(m.delete_many(&words).unwrap(), 0, "an empty map deletes nothing");
}

#[test]
fn delete_many_of_100_000_keys_then_shrink_to_small_mode() {
    let mut m = Map::<i64, String>::new().unwrap();
    let keys: Vec<i64> = (0..100_000).collect();
    let values: Vec<String> = keys.iter().map(|k| k.to_string()).collect();
    m.insert_many(&keys, &values).unwrap();
    let gone: Vec<i64> = (3..200_000).rev().collect(); // every key but 0, 1, 2, and absent ones
    assert_eq!(m.delete_many(&gone).unwrap(), 99_997);
    assert_eq!(m.len(), 3);
    m.shrink().unwrap();
    assert_eq!(m.stats().directory_len, 0);
    assert_eq!(
        m.get_many(&[0, 1, 2, 3]).unwrap(),
        ["0", "1", "2"].map(|s| Some(s.to_string())).into_iter().chain([None]).collect::<Vec<_>>()
    );
    assert_eq!(m.delete_many(&[2, 0]).unwrap(), 2);
    assert_eq!(m.keys().collect::<Vec<_>>(), [1]);
}

#[test]
fn delete_many_releases_arcs_exactly() {
    let keys: Vec<Arc<u32>> = (0..10).map(Arc::new).collect();
    let values: Vec<Arc<String>> = (0..10).map(|i| Arc::new(i.to_string())).collect();
    let mut m = Map::<Arc<u32>, Arc<String>>::new().unwrap();
    m.insert_many(&keys, &values).unwrap();
    let twin = Arc::new(0u32); // equal contents, another pointer: not a key of m
    assert_eq!(m.delete_many(&[&keys[0], &twin, &keys[9], &keys[0]]).unwrap(), 2);
    let counts: Vec<(usize, usize)> =
        keys.iter().zip(&values).map(|(k, v)| (Arc::strong_count(k), Arc::strong_count(v))).collect();
    assert_eq!(counts[0], (1, 1));
    assert_eq!(counts[9], (1, 1));
    assert!(counts[1..9].iter().all(|&c| c == (2, 2)));
    assert_eq!(Arc::strong_count(&twin), 1);
}

/// The tables batches grow, and the scratch space insert_many and delete_many use, go
/// back to the heap (string bytes live in the default heap: tests/leaks.rs).
#[test]
fn batches_leak_nothing() {
    assert_no_leaks(|heap| {
        let mut m = Map::<String, String>::with_capacity_in(0, heap).unwrap();
        let keys: Vec<String> = (0..3000).map(|i| format!("key {}", i)).collect();
        let values: Vec<String> = (0..3000).map(|i| "v".repeat(i % 70)).collect();
        assert_eq!(m.insert_many(&keys, &values).unwrap(), 3000);
        let during = live(heap);
        assert!(during.live_objects > 0);
        // overwrites free the old value strings; deletes free keys and values
        let shorter: Vec<String> = values.iter().rev().cloned().collect();
        assert_eq!(m.insert_many(&keys[..2000], &shorter[..2000]).unwrap(), 0);
        assert_eq!(m.delete_many(&keys[1000..]).unwrap(), 2000);
        assert_eq!(m.insert_many(&keys[..2000], &values[..2000]).unwrap(), 1000);
        assert_eq!(m.len(), 2000);
        drop(m);
    });
}
