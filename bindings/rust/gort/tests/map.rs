//! Map<K, V>: Go map semantics through the safe API.

mod common;

use common::{assert_no_leaks, live};
use gort::{Error, Map};
use std::collections::{BTreeMap, HashMap};
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
