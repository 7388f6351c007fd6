//! Threads (std::thread): channels between many producers and consumers, maps shared
//! by readers, slices split between workers, values dropped on other threads.

use gort::{Chan, Map, Select, Slice};
use std::sync::{Arc, RwLock};
use std::thread;

const PRODUCERS: u64 = 4;
const CONSUMERS: usize = 3;
const PER_PRODUCER: u64 = 25_000;

fn mpmc(cap: usize) {
    let c = Chan::<u64>::new(cap).unwrap();
    let producers: Vec<_> = (0..PRODUCERS)
        .map(|p| {
            let c = c.clone();
            thread::spawn(move || {
                for i in 0..PER_PRODUCER {
                    c.send(p * PER_PRODUCER + i).unwrap();
                }
            })
        })
        .collect();
    let consumers: Vec<_> = (0..CONSUMERS)
        .map(|_| {
            let c = c.clone();
            thread::spawn(move || c.iter().collect::<Vec<u64>>())
        })
        .collect();
    for p in producers {
        p.join().unwrap();
    }
    c.close().unwrap();
    let mut all: Vec<u64> = Vec::new();
    for consumer in consumers {
        let got = consumer.join().unwrap();
        // Each producer's values reach one consumer in the order they were sent.
        for p in 0..PRODUCERS {
            let mine: Vec<u64> = got.iter().copied().filter(|v| v / PER_PRODUCER == p).collect();
            assert!(mine.windows(2).all(|w| w[0] < w[1]), "per-producer FIFO broken");
        }
        all.extend(got);
    }
    let n = PRODUCERS * PER_PRODUCER;
    assert_eq!(all.len() as u64, n, "every message received");
    assert_eq!(all.iter().sum::<u64>(), n * (n - 1) / 2);
    all.sort_unstable();
    assert!(all.iter().enumerate().all(|(i, v)| *v == i as u64), "each exactly once");
}

#[test]
fn producers_and_consumers_buffered() {
    mpmc(64);
}

#[test]
fn producers_and_consumers_unbuffered() {
    mpmc(0);
}

#[test]
fn arcs_cross_threads_with_exact_counts() {
    let shared = Arc::new(vec![1u8, 2, 3]);
    let c = Chan::<Arc<Vec<u8>>>::new(8).unwrap();
    let workers: Vec<_> = (0..4)
        .map(|_| {
            let (c, v) = (c.clone(), shared.clone());
            thread::spawn(move || {
                for _ in 0..1000 {
                    c.send(&v).unwrap();
                }
            })
        })
        .collect();
    let mut received = 0;
    while received < 4000 {
        let v = c.recv().unwrap();
        assert_eq!(v.len(), 3);
        received += 1;
    }
    for w in workers {
        w.join().unwrap();
    }
    assert_eq!(Arc::strong_count(&shared), 1);
}

#[test]
fn concurrent_readers_of_one_map() {
    let mut m = Map::<u64, u64>::new().unwrap();
    for i in 0..10_000 {
        m.insert(i, i * 3).unwrap();
    }
    let m = &m; // Map is Sync: readers share it
    thread::scope(|s| {
        for t in 0..4u64 {
            s.spawn(move || {
                for i in (t..10_000).step_by(4) {
                    assert_eq!(m.get(i), Some(i * 3));
                }
                let keys: Vec<u64> = (t..12_000).step_by(4).collect();
                let expected: Vec<Option<u64>> = keys.iter().map(|&i| (i < 10_000).then(|| i * 3)).collect();
                assert_eq!(m.get_many(&keys).unwrap(), expected);
                assert_eq!(m.iter().count(), 10_000);
            });
        }
    });
}

#[test]
fn a_locked_map_with_one_writer_and_many_readers() {
    let m = Arc::new(RwLock::new(Map::<String, u64>::new().unwrap()));
    let writer = {
        let m = m.clone();
        thread::spawn(move || {
            for i in 0..2000u64 {
                m.write().unwrap().insert(format!("k{}", i), i).unwrap();
            }
        })
    };
    let readers: Vec<_> = (0..3)
        .map(|_| {
            let m = m.clone();
            thread::spawn(move || {
                let mut last = 0;
                while last < 2000 {
                    let guard = m.read().unwrap();
                    let len = guard.len();
                    assert!(len >= last, "entries never disappear");
                    if len > 0 {
                        let k = format!("k{}", len - 1);
                        assert_eq!(guard.get(&k), Some(len as u64 - 1));
                    }
                    last = len;
                }
            })
        })
        .collect();
    writer.join().unwrap();
    for r in readers {
        r.join().unwrap();
    }
}

#[test]
fn maps_and_slices_move_to_other_threads() {
    let payload = Arc::new(0u8);
    let mut m = Map::<i32, Arc<u8>>::new().unwrap();
    let mut s = Slice::<Arc<u8>>::new().unwrap();
    for i in 0..100 {
        m.insert(i, &payload).unwrap();
        s.push(&payload).unwrap();
    }
    assert_eq!(Arc::strong_count(&payload), 201);
    // Dropped on another thread: the release hooks run there.
    thread::spawn(move || {
        assert_eq!(m.len() + s.len(), 200);
        drop((m, s));
    })
    .join()
    .unwrap();
    assert_eq!(Arc::strong_count(&payload), 1);
}

#[test]
fn split_halves_are_worked_on_in_parallel() {
    let mut s = Slice::<i64>::from_values(&(0..100_000i64).collect::<Vec<_>>()).unwrap();
    {
        let (mut left, mut right) = s.split_at(50_000).unwrap();
        thread::scope(|scope| {
            scope.spawn(move || {
                for x in left.as_mut_slice() {
                    *x *= 2;
                }
                left.push(-1).unwrap(); // clipped: reallocates, the right half is safe
            });
            scope.spawn(move || {
                for x in right.as_mut_slice() {
                    *x = -*x;
                }
            });
        });
    }
    let v = s.as_slice();
    assert!(v[..50_000].iter().enumerate().all(|(i, x)| *x == 2 * i as i64));
    assert!(v[50_000..].iter().enumerate().all(|(i, x)| *x == -((50_000 + i) as i64)));
}

#[test]
fn select_fan_in_from_many_threads() {
    let a = Chan::<u32>::new(4).unwrap();
    let b = Chan::<u32>::new(0).unwrap();
    let senders: Vec<_> = [(a.clone(), 1u32), (b.clone(), 1000u32)]
        .into_iter()
        .map(|(c, unit)| {
            thread::spawn(move || {
                for _ in 0..5000 {
                    c.send(unit).unwrap();
                }
                c.close().unwrap();
            })
        })
        .collect();
    let (mut sum, mut open_a, mut open_b) = (0u64, true, true);
    while open_a || open_b {
        let a_case = if open_a { Some(&a) } else { None };
        let b_case = if open_b { Some(&b) } else { None };
        let got = Select::new().recv(a_case, |v| (0, v)).recv(b_case, |v| (1, v)).wait().unwrap();
        match got {
            (_, Some(v)) => sum += u64::from(v),
            (0, None) => open_a = false,
            (_, None) => open_b = false,
        }
    }
    for s in senders {
        s.join().unwrap();
    }
    assert_eq!(sum, 5000 * 1001);
}
