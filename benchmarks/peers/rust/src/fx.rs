//! The "Fx" hasher of the Rust rows (WORKLOADS.md: "rotate, xor, multiply by
//! 0x517cc1b727220a95"), written out here so the peer needs no crate for it: each word of
//! input is folded in as `hash = (hash.rotate_left(5) ^ word) * K` (wrapping). Not
//! DoS-resistant; fast on integer keys, which is why Rust programs reach for it.

use std::hash::{BuildHasherDefault, Hasher};

const K: u64 = 0x517c_c1b7_2722_0a95;

#[derive(Default, Clone, Copy)]
pub struct FxHasher {
    hash: u64,
}

/// `HashMap<K, V, FxBuildHasher>` uses Fx.
pub type FxBuildHasher = BuildHasherDefault<FxHasher>;

impl FxHasher {
    #[inline]
    fn add_word(&mut self, word: u64) {
        self.hash = (self.hash.rotate_left(5) ^ word).wrapping_mul(K);
    }
}

impl Hasher for FxHasher {
    /// Bytes go in 8 at a time (little-endian words), then a 4-, 2- and 1-byte tail.
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        let mut rest = bytes;
        while rest.len() >= 8 {
            let mut word = [0u8; 8];
            word.copy_from_slice(&rest[..8]);
            self.add_word(u64::from_le_bytes(word));
            rest = &rest[8..];
        }
        if rest.len() >= 4 {
            let mut word = [0u8; 4];
            word.copy_from_slice(&rest[..4]);
            self.add_word(u32::from_le_bytes(word) as u64);
            rest = &rest[4..];
        }
        if rest.len() >= 2 {
            self.add_word(u16::from_le_bytes([rest[0], rest[1]]) as u64);
            rest = &rest[2..];
        }
        if let Some(&byte) = rest.first() {
            self.add_word(byte as u64);
        }
    }

    #[inline]
    fn write_u8(&mut self, i: u8) {
        self.add_word(i as u64);
    }

    #[inline]
    fn write_u16(&mut self, i: u16) {
        self.add_word(i as u64);
    }

    #[inline]
    fn write_u32(&mut self, i: u32) {
        self.add_word(i as u64);
    }

    #[inline]
    fn write_u64(&mut self, i: u64) {
        self.add_word(i);
    }

    #[inline]
    fn write_usize(&mut self, i: usize) {
        self.add_word(i as u64);
    }

    #[inline]
    fn finish(&self) -> u64 {
        self.hash
    }
}
