//! Map workloads of the Rust peer, each generic over the map so that one function serves
//! std's `HashMap` with SipHash-1-3 (std's default `RandomState`), std's `HashMap` with
//! the Fx hasher (fx.rs), and the hashbrown crate's `HashMap` with its default hasher
//! (aHash; Debian's librust-hashbrown-dev 0.12). Registered as "<row>.sip", "<row>.fx"
//! and "<row>.hashbrown".
//!
//! The inputs mirror bench_common.h exactly: keys[i] is the i-th splitmix64 output seeded
//! with 42 and maps to i; misses are the next n outputs; the shuffled order is
//! Fisher-Yates over [0, n) driven by splitmix64 seeded with 7; string keys are the
//! 16-digit lowercase hex of the keys.

use std::cell::RefCell;
use std::collections::hash_map::RandomState;
use std::collections::HashMap as StdHashMap;
use std::hash::BuildHasher;
use std::rc::Rc;
use std::time::Instant;

use hashbrown::hash_map::DefaultHashBuilder as HashbrownDefault;
use hashbrown::HashMap as HashbrownMap;

use crate::counting_alloc;
use crate::fx::FxBuildHasher;
use crate::{ns_per_op, RunFn, Sample};

const KEY_SEED: u64 = 42;
const SHUFFLE_SEED: u64 = 7;
const HIT_1K_KEYS: usize = 1000; // map_hit_1k: map size; n is the number of lookups
const CHURN_POOL: u64 = 4096; // map_small_churn: map i uses keys[(8 i) % 4096 ..+8)
const CHURN_KEYS: u64 = 8;

fn splitmix64(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// Mirrors bench_map_input (bench_common.h).
struct MapInput {
    n: u64,
    keys: Vec<u64>,
    misses: Vec<u64>,
    perm: Vec<usize>,
    shuffled: Vec<u64>,
    hex: RefCell<Option<Rc<Vec<String>>>>, // made on first use by hex_keys
}

impl MapInput {
    fn new(n: u64) -> MapInput {
        let mut state = KEY_SEED;
        let keys: Vec<u64> = (0..n).map(|_| splitmix64(&mut state)).collect();
        let misses: Vec<u64> = (0..n).map(|_| splitmix64(&mut state)).collect();
        let mut perm: Vec<usize> = (0..n as usize).collect();
        state = SHUFFLE_SEED;
        let mut i = n;
        while i > 1 {
            i -= 1;
            let j = (splitmix64(&mut state) % (i + 1)) as usize;
            perm.swap(i as usize, j);
        }
        let shuffled = perm.iter().map(|&p| keys[p]).collect();
        MapInput { n, keys, misses, perm, shuffled, hex: RefCell::new(None) }
    }

    fn hex_keys(&self) -> Rc<Vec<String>> {
        let mut hex = self.hex.borrow_mut();
        if hex.is_none() {
            *hex = Some(Rc::new(self.keys.iter().map(|k| format!("{:016x}", k)).collect()));
        }
        hex.as_ref().unwrap().clone()
    }
}

thread_local! {
    static INPUT: RefCell<Option<Rc<MapInput>>> = RefCell::new(None);
}

/// The inputs for n keys, generated once per process (one workload, so one n, per run).
fn input(n: u64) -> Rc<MapInput> {
    INPUT.with(|cell| {
        let mut cached = cell.borrow_mut();
        if cached.as_ref().map_or(true, |c| c.n != n) {
            *cached = Some(Rc::new(MapInput::new(n)));
        }
        cached.as_ref().unwrap().clone()
    })
}

/// What the u64 -> u64 workloads need of a map.
pub trait U64Map {
    fn new() -> Self;
    fn with_capacity(n: usize) -> Self;
    fn insert(&mut self, key: u64, value: u64);
    fn get(&self, key: u64) -> Option<u64>;
    fn remove(&mut self, key: u64) -> bool;
    fn len(&self) -> usize;
    /// (entries, sum of values): map_iter_1m's timed loop.
    fn sum_values(&self) -> (u64, u64);
    /// len + sum of (key + value): the insert and memory rows' read-back.
    fn checksum_entries(&self) -> u64;
}

/// What the string -> u64 workloads need of a map.
pub trait StrMap {
    fn new() -> Self;
    fn insert(&mut self, key: String, value: u64);
    fn get(&self, key: &str) -> Option<u64>;
    /// len + sum of (key parsed as hex + value): the str insert row's read-back.
    fn checksum_parsed(&self) -> u64;
}

/// Implements both traits for std's and hashbrown's HashMap, whatever the hasher.
macro_rules! impl_bench_maps {
    ($map:ident) => {
        impl<S: BuildHasher + Default> U64Map for $map<u64, u64, S> {
            #[inline]
            fn new() -> Self {
                $map::with_hasher(S::default())
            }
            #[inline]
            fn with_capacity(n: usize) -> Self {
                $map::with_capacity_and_hasher(n, S::default())
            }
            #[inline]
            fn insert(&mut self, key: u64, value: u64) {
                $map::insert(self, key, value);
            }
            #[inline]
            fn get(&self, key: u64) -> Option<u64> {
                $map::get(self, &key).copied()
            }
            #[inline]
            fn remove(&mut self, key: u64) -> bool {
                $map::remove(self, &key).is_some()
            }
            #[inline]
            fn len(&self) -> usize {
                $map::len(self)
            }
            #[inline]
            fn sum_values(&self) -> (u64, u64) {
                let mut count = 0u64;
                let mut sum = 0u64;
                for v in $map::values(self) {
                    sum = sum.wrapping_add(*v);
                    count += 1;
                }
                (count, sum)
            }
            fn checksum_entries(&self) -> u64 {
                $map::iter(self).fold($map::len(self) as u64, |sum, (k, v)| {
                    sum.wrapping_add(*k).wrapping_add(*v)
                })
            }
        }

        impl<S: BuildHasher + Default> StrMap for $map<String, u64, S> {
            #[inline]
            fn new() -> Self {
                $map::with_hasher(S::default())
            }
            #[inline]
            fn insert(&mut self, key: String, value: u64) {
                $map::insert(self, key, value);
            }
            #[inline]
            fn get(&self, key: &str) -> Option<u64> {
                $map::get(self, key).copied()
            }
            fn checksum_parsed(&self) -> u64 {
                $map::iter(self).fold($map::len(self) as u64, |sum, (k, v)| {
                    let parsed = u64::from_str_radix(k, 16).unwrap_or(0);
                    sum.wrapping_add(parsed).wrapping_add(*v)
                })
            }
        }
    };
}

impl_bench_maps!(StdHashMap);
impl_bench_maps!(HashbrownMap);

type SipU64 = StdHashMap<u64, u64, RandomState>;
type SipStr = StdHashMap<String, u64, RandomState>;
type FxU64 = StdHashMap<u64, u64, FxBuildHasher>;
type FxStr = StdHashMap<String, u64, FxBuildHasher>;
type HashbrownU64 = HashbrownMap<u64, u64, HashbrownDefault>;
type HashbrownStr = HashbrownMap<String, u64, HashbrownDefault>;

/// m[keys[i]] = i for i in [0, n).
#[inline]
fn fill<M: U64Map>(m: &mut M, keys: &[u64]) {
    for (i, &k) in keys.iter().enumerate() {
        m.insert(k, i as u64);
    }
}

fn filled<M: U64Map>(keys: &[u64]) -> M {
    let mut m = M::new();
    fill(&mut m, keys);
    m
}

/// Looks keys up: (number found, sum of the values found).
#[inline]
fn lookup_all<M: U64Map>(m: &M, keys: &[u64]) -> (u64, u64) {
    let mut found = 0u64;
    let mut sum = 0u64;
    for &k in keys {
        if let Some(v) = m.get(k) {
            found += 1;
            sum = sum.wrapping_add(v);
        }
    }
    (found, sum)
}

/// map_insert_1m (presize false) / map_insert_presized_1m (with_capacity(n)).
fn insert_hinted<M: U64Map>(n: u64, presize: bool) -> Result<Sample, String> {
    let inp = input(n);
    let mut m = if presize { M::with_capacity(n as usize) } else { M::new() };
    let t0 = Instant::now();
    fill(&mut m, &inp.keys);
    let value = ns_per_op(t0, n);
    Ok(Sample { value, checksum: m.checksum_entries() })
}

fn insert<M: U64Map>(n: u64) -> Result<Sample, String> {
    insert_hinted::<M>(n, false)
}

fn insert_presized<M: U64Map>(n: u64) -> Result<Sample, String> {
    insert_hinted::<M>(n, true)
}

/// map_hit_1m (present) / map_miss_1m: as in bench_gort.c.
fn lookup_row<M: U64Map>(n: u64, present: bool) -> Result<Sample, String> {
    let inp = input(n);
    let m: M = filled(&inp.keys);
    let probe = if present { &inp.shuffled } else { &inp.misses };
    let t0 = Instant::now();
    let (found, sum) = lookup_all(&m, probe);
    let value = ns_per_op(t0, n);
    let checksum = if present {
        found.wrapping_add(sum)
    } else {
        let (readback, key_sum) = lookup_all(&m, &inp.keys);
        (n - found).wrapping_add(sum).wrapping_add(readback).wrapping_add(key_sum)
    };
    Ok(Sample { value, checksum })
}

fn hit<M: U64Map>(n: u64) -> Result<Sample, String> {
    lookup_row::<M>(n, true)
}

fn miss<M: U64Map>(n: u64) -> Result<Sample, String> {
    lookup_row::<M>(n, false)
}

/// map_delete_1m: remove every key in shuffled order; checksum = len before - len after
/// + keys not found (and values read) by an untimed read-back.
fn delete<M: U64Map>(n: u64) -> Result<Sample, String> {
    let inp = input(n);
    let mut m: M = filled(&inp.keys);
    let len_before = m.len();
    let t0 = Instant::now();
    for &k in &inp.shuffled {
        m.remove(k);
    }
    let value = ns_per_op(t0, n);
    let (left, sum) = lookup_all(&m, &inp.keys);
    let checksum = ((len_before - m.len()) as u64).wrapping_add(n - left).wrapping_add(sum);
    Ok(Sample { value, checksum })
}

/// map_iter_1m: for v in m.values() { sum += v }; checksum = entries + sum.
fn iter<M: U64Map>(n: u64) -> Result<Sample, String> {
    let inp = input(n);
    let m: M = filled(&inp.keys);
    let t0 = Instant::now();
    let (count, sum) = m.sum_values();
    let value = ns_per_op(t0, count);
    Ok(Sample { value, checksum: count.wrapping_add(sum) })
}

/// map_hit_1k: a 1,000-key map; n lookups cycling through its keys in shuffled order.
fn hit_1k<M: U64Map>(n: u64) -> Result<Sample, String> {
    let inp = input(HIT_1K_KEYS as u64);
    let m: M = filled(&inp.keys);
    let keys = &inp.shuffled;
    let mut found = 0u64;
    let mut sum = 0u64;
    let mut next = 0usize;
    let t0 = Instant::now();
    for _ in 0..n {
        if let Some(v) = m.get(keys[next]) {
            found += 1;
            sum = sum.wrapping_add(v);
        }
        next += 1;
        if next == HIT_1K_KEYS {
            next = 0;
        }
    }
    let value = ns_per_op(t0, n);
    Ok(Sample { value, checksum: found.wrapping_add(sum) })
}

/// map_small_churn: n x (M::new(), insert 8, look up 8, drop), map i using the 8 keys at
/// (8 i) % 4096 of a 4,096-key pool, key pool[idx] -> idx.
fn small_churn<M: U64Map>(n: u64) -> Result<Sample, String> {
    let inp = input(CHURN_POOL);
    let pool = &inp.keys;
    let mut found = 0u64;
    let mut sum = 0u64;
    let t0 = Instant::now();
    for i in 0..n {
        let base = (i * CHURN_KEYS) % CHURN_POOL;
        let mut m = M::new();
        for idx in base..base + CHURN_KEYS {
            m.insert(pool[idx as usize], idx);
        }
        let (f, s) = lookup_all(&m, &pool[base as usize..(base + CHURN_KEYS) as usize]);
        found += f;
        sum = sum.wrapping_add(s);
    }
    let value = ns_per_op(t0, n);
    Ok(Sample { value, checksum: found.wrapping_add(sum) })
}

/// map_str_insert_1m (lookup false): m.insert(hex[i].clone(), i) into an empty map (the
/// map owns a copy of each key, as libgort's does); map_str_lookup_1m (lookup true): then
/// look every key up by &str in shuffled order.
fn str_row<M: StrMap>(n: u64, lookup: bool) -> Result<Sample, String> {
    let inp = input(n);
    let hex = inp.hex_keys();
    let shuffled: Vec<&str> = inp.perm.iter().map(|&p| hex[p].as_str()).collect();
    let mut m = M::new();
    let mut t0 = Instant::now();
    for (i, k) in hex.iter().enumerate() {
        m.insert(k.clone(), i as u64);
    }
    let mut value = ns_per_op(t0, n);
    if !lookup {
        return Ok(Sample { value, checksum: m.checksum_parsed() });
    }
    let mut found = 0u64;
    let mut sum = 0u64;
    t0 = Instant::now();
    for &k in &shuffled {
        if let Some(v) = m.get(k) {
            found += 1;
            sum = sum.wrapping_add(v);
        }
    }
    value = ns_per_op(t0, n);
    Ok(Sample { value, checksum: found.wrapping_add(sum) })
}

fn str_insert<M: StrMap>(n: u64) -> Result<Sample, String> {
    str_row::<M>(n, false)
}

fn str_lookup<M: StrMap>(n: u64) -> Result<Sample, String> {
    str_row::<M>(n, true)
}

/// map_mem_1m: bytes per entry of a map of n entries inserted with no hint: the net bytes
/// requested from the global allocator while building it (counting_alloc.rs). The
/// HashMap value itself is on the stack (not counted; a few dozen bytes).
fn mem<M: U64Map>(n: u64) -> Result<Sample, String> {
    let inp = input(n);
    let (m, bytes): (M, i64) = counting_alloc::measure(|| filled(&inp.keys));
    let value = if n > 0 { bytes as f64 / n as f64 } else { 0.0 };
    Ok(Sample { value, checksum: m.checksum_entries() })
}

/// Every map row for one map family, named "<row>.<suffix>".
fn add_family<M: U64Map, S: StrMap>(table: &mut Vec<(String, RunFn)>, suffix: &str) {
    let rows: [(&str, RunFn); 11] = [
        ("map_insert_1m", insert::<M>),
        ("map_insert_presized_1m", insert_presized::<M>),
        ("map_hit_1m", hit::<M>),
        ("map_miss_1m", miss::<M>),
        ("map_delete_1m", delete::<M>),
        ("map_iter_1m", iter::<M>),
        ("map_hit_1k", hit_1k::<M>),
        ("map_small_churn", small_churn::<M>),
        ("map_str_insert_1m", str_insert::<S>),
        ("map_str_lookup_1m", str_lookup::<S>),
        ("map_mem_1m", mem::<M>),
    ];
    for (row, f) in rows {
        table.push((format!("{}.{}", row, suffix), f));
    }
}

/// The map workloads: SipHash (std default), Fx, hashbrown.
pub fn workloads(table: &mut Vec<(String, RunFn)>) {
    add_family::<SipU64, SipStr>(table, "sip");
    add_family::<FxU64, FxStr>(table, "fx");
    add_family::<HashbrownU64, HashbrownStr>(table, "hashbrown");
}
