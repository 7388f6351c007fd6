//! A realistic program: worker threads tokenise a text and send the words through a
//! Chan<String>; one consumer counts them into a Map<String, i64>. The result must equal
//! a HashMap count done natively, and the heap must be clean afterwards.

mod common;

use common::{assert_no_leaks, TEXT};
use gort::{Chan, Heap, Map};
use std::collections::HashMap;
use std::thread;

/// A few thousand lines built from the sample text with varying words, so the map grows
/// through several tables.
fn corpus() -> Vec<String> {
    (0..3000)
        .map(|i| {
            TEXT.split(' ')
                .enumerate()
                .map(|(j, w)| if (i + j) % 7 == 0 { format!("{}{}", w, i % 211) } else { w.to_string() })
                .collect::<Vec<_>>()
                .join(if i % 2 == 0 { " " } else { ",  " })
        })
        .collect()
}

fn tokens(line: &str) -> impl Iterator<Item = &str> {
    line.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty())
}

/// Counts the words of `lines` with `workers` tokenising threads feeding one counter.
fn count(lines: &[String], workers: usize, heap: &Heap) -> HashMap<String, i64> {
    let words = Chan::<String>::new_in(256, heap).unwrap();
    let counts = thread::scope(|s| {
        let consumer = s.spawn(|| {
            let mut counts = Map::<String, i64>::with_capacity_in(0, heap).unwrap();
            for word in &words {
                match counts.get_mut(&word) {
                    Some(n) => *n += 1,
                    None => counts.insert(&word, 1).unwrap(),
                }
            }
            counts
        });
        let producers: Vec<_> = lines
            .chunks((lines.len() + workers - 1) / workers)
            .map(|chunk| {
                let words = &words;
                s.spawn(move || {
                    for line in chunk {
                        for word in tokens(line) {
                            words.send(word).unwrap(); // &str in: the channel copies the bytes
                        }
                    }
                })
            })
            .collect();
        for p in producers {
            p.join().unwrap();
        }
        words.close().unwrap(); // ends the consumer's loop once the buffer drains
        consumer.join().unwrap()
    });
    assert!(words.is_empty() && words.is_closed());
    counts.iter().collect()
}

#[test]
fn word_frequencies_match_a_hashmap() {
    let lines = corpus();
    let mut expected: HashMap<String, i64> = HashMap::new();
    for line in &lines {
        for word in tokens(line) {
            *expected.entry(word.to_string()).or_insert(0) += 1;
        }
    }
    assert!(expected.len() > 200, "a vocabulary big enough to grow the map");
    assert_no_leaks(|heap| {
        let got = count(&lines, 4, heap);
        assert_eq!(got.len(), expected.len());
        assert_eq!(got, expected);
    });
}
