//! The mutations: one to eight stacked on a corpus file.

use crate::rng::Rng;

/// Bytes worth trying: zero, all ones, the sign boundaries, small numbers.
const BYTES: [u8; 8] = [0x00, 0xFF, 0x7F, 0x80, 0x01, 0x02, 0x10, 0x40];

/// Words worth trying, written in either byte order at 2, 4 or 8 bytes: integer extremes, huge
/// lengths, float specials and the header sizes of NIfTI.
const WORDS: [u64; 20] = [
    0,
    1,
    0x7FFF,
    0x8000,
    0xFFFF,
    0x7FFF_FFFF,
    0x8000_0000,
    0xFFFF_FFFF,
    0x7FFF_FFFF_FFFF_FFFF,
    0x8000_0000_0000_0000,
    u64::MAX,
    0x7FC0_0000,           // f32 NaN
    0x7F80_0000,           // f32 infinity
    0xFF80_0000,           // f32 -infinity
    0x7FF8_0000_0000_0000, // f64 NaN
    0x7FF0_0000_0000_0000, // f64 infinity
    348,
    540,
    352,
    1 << 40,
];

/// Input `index` of `seed`: a mutated corpus file.
pub fn input(seeds: &[Vec<u8>], seed: u64, index: u64) -> Vec<u8> {
    let mut r = Rng::new(seed, index);
    let mut data = seeds.get(r.below(seeds.len())).cloned().unwrap_or_default();
    let rounds = 1 + r.below(8);
    for _ in 0..rounds {
        mutate_once(&mut data, seeds, &mut r);
    }
    data
}

/// An offset into `len` bytes, biased to the first 600 (the headers) half of the time.
fn offset(r: &mut Rng, len: usize) -> usize {
    if r.one_in(2) {
        r.below(len.min(600))
    } else {
        r.below(len)
    }
}

fn mutate_once(data: &mut Vec<u8>, seeds: &[Vec<u8>], r: &mut Rng) {
    let len = data.len();
    match r.below(9) {
        // A bit flip.
        0 if len > 0 => {
            let at = offset(r, len);
            data[at] ^= 1 << r.below(8);
        }
        // A byte set to an interesting value.
        1 if len > 0 => {
            let at = offset(r, len);
            data[at] = BYTES[r.below(BYTES.len())];
        }
        // A word set to an interesting value, 2, 4 or 8 bytes, either byte order.
        2 if len > 0 => {
            let width = [2, 4, 8][r.below(3)];
            let mut word = WORDS[r.below(WORDS.len())].to_le_bytes();
            if r.one_in(2) {
                word[..width].reverse();
            }
            let at = offset(r, len);
            let n = width.min(len - at);
            data[at..at + n].copy_from_slice(&word[..n]);
        }
        // A chunk of random bytes inserted.
        3 => {
            let at = r.below(len + 1);
            let n = 1 + r.below(64);
            let chunk: Vec<u8> = (0..n).map(|_| r.next_u64() as u8).collect();
            data.splice(at..at, chunk);
        }
        // A chunk deleted.
        4 if len > 0 => {
            let at = offset(r, len);
            let n = 1 + r.below((len - at).min(256));
            data.drain(at..at + n);
        }
        // A chunk duplicated.
        5 if len > 0 => {
            let at = offset(r, len);
            let n = 1 + r.below((len - at).min(256));
            let chunk = data[at..at + n].to_vec();
            let to = r.below(len + 1);
            data.splice(to..to, chunk);
        }
        // A splice: this file's head with another file's tail.
        6 if !seeds.is_empty() => {
            let other = &seeds[r.below(seeds.len())];
            let at = r.below(len + 1);
            let from = r.below(other.len() + 1);
            data.truncate(at);
            data.extend_from_slice(&other[from..]);
        }
        // Truncation.
        7 if len > 0 => {
            let at = r.below(len);
            data.truncate(at);
        }
        // A run of one interesting byte overwritten.
        _ if len > 0 => {
            let at = offset(r, len);
            let n = (1 + r.below(16)).min(len - at);
            let b = BYTES[r.below(BYTES.len())];
            data[at..at + n].fill(b);
        }
        _ => data.push(BYTES[r.below(BYTES.len())]),
    }
}
