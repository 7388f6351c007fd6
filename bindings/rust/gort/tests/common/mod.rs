//! Helpers shared by the integration tests.

#![allow(dead_code)] // each test binary uses a different subset

use gort::{Heap, HeapStats};

/// Runs `body` with a fresh heap and checks that, once `body` has dropped everything
/// it made, the heap's live blocks, live objects and allocated bytes are back where
/// they started. A private heap is used so tests running in parallel cannot disturb
/// the figures.
pub fn assert_no_leaks<F: FnOnce(&Heap)>(body: F) {
    let heap = Heap::new().expect("heap");
    let before = heap.stats().expect("stats");
    body(&heap);
    let after = heap.stats().expect("stats");
    assert_eq!(
        (after.live_blocks, after.live_objects, after.allocated),
        (before.live_blocks, before.live_objects, before.allocated),
        "heap not back to its start:\n before {:?}\n after  {:?}",
        before,
        after
    );
}

/// Stats of a heap while objects are alive, to show the check above can fail.
pub fn live(heap: &Heap) -> HeapStats {
    heap.stats().expect("stats")
}

/// Words of a small fixed text, for tests that need strings.
pub const TEXT: &str = "the quick brown fox jumps over the lazy dog and the dog sleeps \
    while the fox runs through the quick brown forest of the north where no dog goes";
