//! String bytes live in the default heap (docs/types.md), which every test thread in a
//! process shares; this binary holds a single test so the default heap's figures are
//! its alone. It proves that string elements of all three containers are freed.

mod common;

use common::TEXT;
use gort::{default_heap_stats, Chan, Map, Select, Slice};

fn live_blocks() -> u64 {
    default_heap_stats().unwrap().live_blocks
}

#[test]
fn string_bytes_are_freed_by_every_container() {
    // Warm up: create the descriptors and touch each path once, so lazily created,
    // process-lifetime state is not mistaken for a leak.
    drop(Map::<String, String>::new().unwrap());
    drop(Slice::<String>::new().unwrap());
    drop(Chan::<String>::new(1).unwrap());
    let start = live_blocks();

    let words: Vec<&str> = TEXT.split(' ').collect();
    {
        let mut m = Map::<String, String>::new().unwrap();
        let mut s = Slice::<String>::new().unwrap();
        let c = Chan::<String>::new(1024).unwrap();
        for (i, w) in words.iter().cycle().take(5000).enumerate() {
            let key = format!("{}{}", w, i);
            m.insert(&key, *w).unwrap();
            s.push(&key).unwrap();
            c.send(&key).unwrap(); // never blocks: drained to 512 whenever full
            if c.len() == 1024 {
                for _ in 0..512 {
                    c.recv().unwrap();
                }
            }
        }
        for i in (0..5000).step_by(2) {
            m.delete(format!("{}{}", words[i % words.len()], i)).unwrap();
        }
        s.set(0, "overwritten").unwrap();
        let copy = m.clone();
        // The batched calls copy strings in, and free overwritten values and deleted
        // pairs, as the calls for one entry do.
        let mut batch = Map::<String, String>::new().unwrap();
        let keys: Vec<String> = (0..3000).map(|i| format!("batch {}", i)).collect();
        batch.insert_many(&keys, &keys).unwrap();
        batch
            .insert_many(&keys[..2000], &words.iter().copied().cycle().take(2000).collect::<Vec<_>>())
            .unwrap();
        batch.delete_many(&keys[1000..]).unwrap();
        // 5000 sends, 512 taken out at each of the 8 fills: 904 buffered, room for this
        let sent = Select::new().send(&c, String::from("via select"), |r| r).try_wait();
        assert!(matches!(sent, Ok(Ok(()))), "select send: {:?}", sent);
        let during = live_blocks();
        assert!(during > start + 5000, "strings are allocated while held: {} vs {}", during, start);
        drop(copy);
        // m, s and c (with ~500 strings still buffered) are dropped here.
    }
    assert_eq!(live_blocks(), start, "every string's bytes were freed");
}
