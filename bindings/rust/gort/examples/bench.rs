//! gort against the idiomatic Rust alternative, on the map and channel workloads, plus
//! the cost of one call across the FFI.
//!
//!     cargo run --release --offline --example bench            # full sizes, best of 3
//!     cargo run --release --offline --example bench -- --quick # a smoke run
//!
//! Every row prints ns per operation for gort and for std, and the ratio gort / std
//! (above 1: gort is slower); the `get_many` rows compare it with a loop of `get`
//! (ns per key; below 1: the batch is faster). Each figure is the best of the repetitions.

use gort::{sys, Chan, Map, Slice};
use std::collections::HashMap;
use std::sync::mpsc;
use std::thread;
use std::time::Instant;

struct Config {
    map_n: usize,
    words: usize,
    vocabulary: usize,
    messages: usize,
    calls: usize,
    reps: usize,
}

/// Keeps a value alive as far as the optimiser can tell (std::hint::black_box needs
/// Rust 1.66; this crate supports 1.63).
fn consume<T>(value: T) -> T {
    // SAFETY: reads a valid, initialised local; the original is forgotten, so the value
    // is moved, not duplicated.
    let out = unsafe { std::ptr::read_volatile(&value) };
    std::mem::forget(value);
    out
}

/// Best time of `reps` runs of `f`, in ns per operation.
fn best_ns(reps: usize, ops: usize, mut f: impl FnMut()) -> f64 {
    (0..reps)
        .map(|_| {
            let start = Instant::now();
            f();
            start.elapsed().as_nanos() as f64 / ops as f64
        })
        .fold(f64::INFINITY, f64::min)
}

fn row(name: &str, gort_ns: f64, std_name: &str, std_ns: f64) {
    println!("{:<34} {:>9.1} {:>9.1}  {:<24} {:>6.2}", name, gort_ns, std_ns, std_name, gort_ns / std_ns);
}

/// A fixed pseudo-random permutation of 0..n (xorshift, Fisher-Yates).
fn shuffled(n: usize) -> Vec<i64> {
    let mut v: Vec<i64> = (0..n as i64).collect();
    let mut s = 0x2545_f491_4f6c_dd1du64;
    for i in (1..n).rev() {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        v.swap(i, (s % (i as u64 + 1)) as usize);
    }
    v
}

fn map_i64(cfg: &Config) {
    let keys = shuffled(cfg.map_n);
    let n = keys.len();
    let insert_gort = best_ns(cfg.reps, n, || {
        let mut m = Map::<i64, i64>::new().unwrap();
        for &k in &keys {
            m.insert(k, k).unwrap();
        }
        consume(m.len());
    });
    let insert_std = best_ns(cfg.reps, n, || {
        let mut m = HashMap::new();
        for &k in &keys {
            m.insert(k, k);
        }
        consume(m.len());
    });
    row("Map<i64,i64> insert", insert_gort, "HashMap (SipHash)", insert_std);

    let mut gm = Map::<i64, i64>::new().unwrap();
    let mut hm = HashMap::new();
    for &k in &keys {
        gm.insert(k, k).unwrap();
        hm.insert(k, k);
    }
    let lookups = shuffled(cfg.map_n);
    let hit_gort = best_ns(cfg.reps, n, || {
        let mut sum = 0i64;
        for k in &lookups {
            sum += gm.get(k).unwrap();
        }
        consume(sum);
    });
    let hit_std = best_ns(cfg.reps, n, || {
        let mut sum = 0i64;
        for k in &lookups {
            sum += hm[k];
        }
        consume(sum);
    });
    row("Map<i64,i64> lookup hit", hit_gort, "HashMap (SipHash)", hit_std);
}

/// `get_many` (one `gort_map_get_n` call) against a loop of `get` over the same keys, all
/// present, in random order: 100,000 lookups in a map of 100,000 and of `map_n` entries.
fn map_get_many(cfg: &Config) {
    let n = 100_000;
    let sizes = if cfg.map_n > n { vec![n, cfg.map_n] } else { vec![n] };
    for size in sizes {
        let mut m = Map::<i64, i64>::new().unwrap();
        for k in shuffled(size) {
            m.insert(k, k).unwrap();
        }
        let keys: Vec<i64> = shuffled(size).into_iter().take(n).collect();
        let loop_ns = best_ns(cfg.reps, n, || {
            let found: Vec<Option<i64>> = keys.iter().map(|k| m.get(k)).collect();
            consume(found);
        });
        let many_ns = best_ns(cfg.reps, n, || {
            consume(m.get_many(&keys).unwrap());
        });
        row(&format!("Map<i64,i64> get_many, {}k map", size / 1000), many_ns, "a Map::get loop", loop_ns);
    }
    let words: Vec<String> = shuffled(n).iter().map(|i| format!("w{}x{}", i, i % 97)).collect();
    let mut m = Map::<String, i64>::new().unwrap();
    for (i, w) in words.iter().enumerate() {
        m.insert(w, i as i64).unwrap();
    }
    let keys: Vec<&str> = words.iter().rev().map(String::as_str).collect();
    let loop_ns = best_ns(cfg.reps, n, || {
        let found: Vec<Option<i64>> = keys.iter().map(|&k| m.get(k)).collect();
        consume(found);
    });
    let many_ns = best_ns(cfg.reps, n, || {
        consume(m.get_many(&keys).unwrap());
    });
    row(&format!("Map<String,i64> get_many, {}k map", n / 1000), many_ns, "a Map::get loop", loop_ns);
}

/// A Zipf-like text: word i of the vocabulary appears about 1/(i+1) as often as word 0.
fn text(cfg: &Config) -> Vec<String> {
    let vocab: Vec<String> = (0..cfg.vocabulary).map(|i| format!("w{}x{}", i, i % 97)).collect();
    let mut s = 0x9e37_79b9_7f4a_7c15u64;
    (0..cfg.words)
        .map(|_| {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            let u = (s >> 11) as f64 / (1u64 << 53) as f64;
            let i = ((cfg.vocabulary as f64).powf(u) - 1.0) as usize;
            vocab[i.min(cfg.vocabulary - 1)].clone()
        })
        .collect()
}

fn word_count(cfg: &Config) {
    let words = text(cfg);
    let gort_ns = best_ns(cfg.reps, words.len(), || {
        let mut m = Map::<String, i64>::new().unwrap();
        for w in &words {
            match m.get_mut(w.as_str()) {
                Some(n) => *n += 1,
                None => m.insert(w.as_str(), 1).unwrap(),
            }
        }
        consume(m.len());
    });
    let std_ns = best_ns(cfg.reps, words.len(), || {
        let mut m: HashMap<String, i64> = HashMap::new();
        for w in &words {
            match m.get_mut(w.as_str()) {
                Some(n) => *n += 1,
                None => {
                    m.insert(w.clone(), 1);
                }
            }
        }
        consume(m.len());
    });
    row("Map<String,i64> word count", gort_ns, "HashMap (SipHash)", std_ns);
}

fn spsc(cfg: &Config) {
    let n = cfg.messages;
    let gort_ns = best_ns(cfg.reps, n, || {
        let c = Chan::<i64>::new(1024).unwrap();
        let tx = c.clone();
        let producer = thread::spawn(move || {
            for i in 0..n as i64 {
                tx.send(i).unwrap();
            }
        });
        let mut sum = 0i64;
        for _ in 0..n {
            sum += c.recv().unwrap();
        }
        producer.join().unwrap();
        assert_eq!(sum, (n as i64) * (n as i64 - 1) / 2);
    });
    let std_ns = best_ns(cfg.reps, n, || {
        let (tx, rx) = mpsc::sync_channel::<i64>(1024);
        let producer = thread::spawn(move || {
            for i in 0..n as i64 {
                tx.send(i).unwrap();
            }
        });
        let mut sum = 0i64;
        for _ in 0..n {
            sum += rx.recv().unwrap();
        }
        producer.join().unwrap();
        assert_eq!(sum, (n as i64) * (n as i64 - 1) / 2);
    });
    row("Chan<i64> SPSC cap 1024 (msg)", gort_ns, "mpsc::sync_channel(1024)", std_ns);

    let pair_gort = best_ns(cfg.reps, n, || {
        let c = Chan::<i64>::new(1).unwrap();
        for i in 0..n as i64 {
            c.try_send(i).unwrap();
            consume(c.try_recv().unwrap());
        }
    });
    let pair_std = best_ns(cfg.reps, n, || {
        let (tx, rx) = mpsc::sync_channel::<i64>(1);
        for i in 0..n as i64 {
            tx.try_send(i).unwrap();
            consume(rx.try_recv().unwrap());
        }
    });
    row("Chan<i64> try_send+try_recv (pair)", pair_gort, "mpsc::sync_channel(1)", pair_std);
}

fn slice_push(cfg: &Config) {
    let n = cfg.map_n;
    let gort_ns = best_ns(cfg.reps, n, || {
        let mut s = Slice::<i64>::new().unwrap();
        for i in 0..n as i64 {
            s.push(i).unwrap();
        }
        consume(s.len());
    });
    let std_ns = best_ns(cfg.reps, n, || {
        let mut v = Vec::new();
        for i in 0..n as i64 {
            v.push(i);
        }
        consume(v.len());
    });
    row("Slice<i64> push", gort_ns, "Vec::push", std_ns);
}

/// The price of crossing into libgort: the cheapest call there is (gort_chan_len reads
/// one field) through gort-sys and through the safe wrapper, against the same read done
/// by inlined Rust code (an atomic load of a usize).
fn ffi_overhead(cfg: &Config) {
    let c = Chan::<i64>::new(4).unwrap();
    c.send(1).unwrap();
    let n = cfg.calls;
    let raw = c.as_ptr();
    let sys_ns = best_ns(cfg.reps, n, || {
        let mut sum = 0usize;
        for _ in 0..n {
            // SAFETY: raw is a live channel for the whole loop.
            sum += unsafe { sys::gort_chan_len(raw) };
        }
        consume(sum);
    });
    let safe_ns = best_ns(cfg.reps, n, || {
        let mut sum = 0usize;
        for _ in 0..n {
            sum += consume(&c).len();
        }
        consume(sum);
    });
    let field = std::sync::atomic::AtomicUsize::new(1);
    let inline_ns = best_ns(cfg.reps, n, || {
        let mut sum = 0usize;
        for _ in 0..n {
            sum += consume(&field).load(std::sync::atomic::Ordering::Relaxed);
        }
        consume(sum);
    });
    row("gort_chan_len via gort-sys", sys_ns, "inlined atomic load", inline_ns);
    row("Chan::len (safe wrapper)", safe_ns, "inlined atomic load", inline_ns);
    println!("=> FFI per-call overhead: ~{:.1} ns (a call that does nothing else)", sys_ns - inline_ns);
}

fn main() {
    let quick = std::env::args().any(|a| a == "--quick");
    let cfg = if quick {
        Config {
            map_n: 50_000,
            words: 100_000,
            vocabulary: 5_000,
            messages: 50_000,
            calls: 1_000_000,
            reps: 1,
        }
    } else {
        Config {
            map_n: 1_000_000,
            words: 2_000_000,
            vocabulary: 100_000,
            messages: 2_000_000,
            calls: 50_000_000,
            reps: 3,
        }
    };
    println!(
        "gort {} ({}), {} mode: ns/op, best of {}; ratio = gort / std",
        gort::version_string(),
        gort::allocator(),
        if quick { "quick" } else { "full" },
        cfg.reps
    );
    println!("{:<34} {:>9} {:>9}  {:<24} {:>6}", "workload", "gort", "std", "std peer", "ratio");
    map_i64(&cfg);
    map_get_many(&cfg);
    word_count(&cfg);
    spsc(&cfg);
    slice_push(&cfg);
    ffi_overhead(&cfg);
}
