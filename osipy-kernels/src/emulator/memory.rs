//! Device memory model: global allocations (host-visible) and per-thread local memory.
//!
//! Each state space lives in its own disjoint address range so that a pointer
//! from one space used with another space's instruction is detected:
//! global addresses start at [`GLOBAL_BASE`], local addresses at [`LOCAL_BASE`].
//! Allocations are separated by unmapped guard gaps and never reuse addresses.
//!
//! Both spaces store 64-bit little-endian words. Every allocation starts on a word boundary
//! and every device access is aligned to its size, so an access never straddles two words.
//! Global words are atomics: threads of one launch may run on several host threads at once
//! and share the global space, without `unsafe` (a relaxed 64-bit atomic load or store is a
//! plain move on x86-64 and AArch64). Local memory belongs to one thread and records, per
//! byte, whether it was written.

use std::sync::atomic::{AtomicU64, Ordering};

use crate::emulator::error::{MemError, Space, SpaceOrNone};

/// First address of the global space.
pub const GLOBAL_BASE: u64 = 0x0000_7000_0000_0000;
/// One past the last address of the global space.
pub const GLOBAL_END: u64 = 0x0000_7f00_0000_0000;
/// First address of the local space.
pub const LOCAL_BASE: u64 = 0x0000_1000_0000_0000;
/// One past the last address of the local space.
pub const LOCAL_END: u64 = 0x0000_2000_0000_0000;
const GUARD: u64 = 256;

/// The state space an address belongs to, by range.
#[inline]
pub fn space_of(addr: u64) -> Option<Space> {
    if (GLOBAL_BASE..GLOBAL_END).contains(&addr) {
        Some(Space::Global)
    } else if (LOCAL_BASE..LOCAL_END).contains(&addr) {
        Some(Space::Local)
    } else {
        None
    }
}

#[inline]
fn check_space(addr: u64, want: Space) -> Result<(), MemError> {
    let got = space_of(addr);
    if got == Some(want) {
        Ok(())
    } else {
        Err(MemError::WrongSpace {
            expected: want,
            actual: SpaceOrNone(got),
            addr,
        })
    }
}

#[inline]
fn check_align(space: Space, addr: u64, size: u64) -> Result<(), MemError> {
    if addr.is_multiple_of(size) {
        Ok(())
    } else {
        Err(MemError::Misaligned { space, addr, size })
    }
}

/// Mask of the low `size` bytes (1, 2, 4 or 8) of a word.
#[inline(always)]
pub(crate) fn value_mask(size: u64) -> u64 {
    if size >= 8 {
        u64::MAX
    } else {
        (1u64 << (8 * size)) - 1
    }
}

/// Places `v`'s low `size` bytes at byte `off` (`off + size <= 8`) of word `w`.
#[inline(always)]
pub(crate) fn insert(w: u64, off: u64, size: u64, v: u64) -> u64 {
    let m = value_mask(size) << (8 * off);
    (w & !m) | ((v << (8 * off)) & m)
}

/// The `size` bytes at byte `off` of word `w`, zero-extended.
#[inline(always)]
pub(crate) fn extract(w: u64, off: u64, size: u64) -> u64 {
    (w >> (8 * off)) & value_mask(size)
}

/// Per-byte flags of `size` bytes at byte `off` of a word.
#[inline(always)]
pub(crate) fn byte_flags(off: u64, size: u64) -> u8 {
    (((1u32 << size) - 1) << off) as u8
}

#[derive(Debug)]
struct Region {
    base: u64,
    len: u64,
    words: Box<[AtomicU64]>,
}

impl Region {
    fn new(base: u64, len: u64) -> Region {
        Region {
            base,
            len,
            words: (0..len.div_ceil(8)).map(|_| AtomicU64::new(0)).collect(),
        }
    }
}

/// Finds the region fully containing `[addr, addr+len)` in a base-sorted list.
#[inline]
fn find(regions: &[Region], addr: u64, len: u64) -> Option<usize> {
    let i = regions.partition_point(|r| r.base <= addr).checked_sub(1)?;
    let r = &regions[i];
    let end = addr.checked_add(len)?;
    (end <= r.base + r.len).then_some(i)
}

/// Global device memory: a set of allocations made from the host.
///
/// New allocations are zero-filled. Freed addresses are never handed out again,
/// so use-after-free is reported as an out-of-bounds access.
#[derive(Debug)]
pub struct GlobalMemory {
    regions: Vec<Region>,
    next: u64,
}

impl Clone for GlobalMemory {
    fn clone(&self) -> Self {
        GlobalMemory {
            regions: self
                .regions
                .iter()
                .map(|r| Region {
                    base: r.base,
                    len: r.len,
                    words: r
                        .words
                        .iter()
                        .map(|w| AtomicU64::new(w.load(Ordering::Relaxed)))
                        .collect(),
                })
                .collect(),
            next: self.next,
        }
    }
}

impl Default for GlobalMemory {
    fn default() -> Self {
        Self::new()
    }
}

impl GlobalMemory {
    /// Creates an empty global memory.
    pub fn new() -> Self {
        GlobalMemory {
            regions: Vec::new(),
            next: GLOBAL_BASE + 0x1000,
        }
    }

    /// Allocates `bytes` zero-filled bytes aligned to `align` (a power of two;
    /// at least 256 is used) and returns the device address.
    pub fn alloc(&mut self, bytes: usize, align: u64) -> Result<u64, MemError> {
        if !align.is_power_of_two() {
            return Err(MemError::Invalid(format!(
                "alignment {align} is not a power of two"
            )));
        }
        let align = align.max(256);
        let base = self.next.div_ceil(align) * align;
        let end = base
            .checked_add(bytes as u64)
            .filter(|&e| e + GUARD <= GLOBAL_END)
            .ok_or_else(|| MemError::Invalid("global address space exhausted".into()))?;
        self.next = end + GUARD;
        self.regions.push(Region::new(base, bytes as u64));
        Ok(base)
    }

    /// Frees the allocation starting at `addr`.
    pub fn free(&mut self, addr: u64) -> Result<(), MemError> {
        match self.regions.iter().position(|r| r.base == addr) {
            Some(i) => {
                self.regions.remove(i);
                Ok(())
            }
            None => Err(MemError::Invalid(format!(
                "{addr:#x} is not the start of an allocation"
            ))),
        }
    }

    #[inline]
    fn locate_index(&self, addr: u64, len: u64) -> Result<usize, MemError> {
        check_space(addr, Space::Global)?;
        find(&self.regions, addr, len).ok_or(MemError::OutOfBounds {
            space: Space::Global,
            addr,
            size: len,
        })
    }

    #[inline]
    fn locate(&self, addr: u64, len: u64) -> Result<&Region, MemError> {
        Ok(&self.regions[self.locate_index(addr, len)?])
    }

    /// Copies `bytes` to device address `addr` (must lie inside one allocation).
    pub fn write(&mut self, addr: u64, bytes: &[u8]) -> Result<(), MemError> {
        let i = self.locate_index(addr, bytes.len() as u64)?;
        let o = addr - self.regions[i].base;
        let words = &mut self.regions[i].words;
        let mut k = 0usize;
        while k < bytes.len() {
            let at = o + k as u64;
            let (wi, off) = ((at / 8) as usize, at % 8);
            let n = (8 - off as usize).min(bytes.len() - k);
            let w = words[wi].get_mut();
            if n == 8 {
                let chunk: [u8; 8] = bytes[k..k + 8].try_into().unwrap_or_default();
                *w = u64::from_le_bytes(chunk);
            } else {
                let mut b = w.to_le_bytes();
                b[off as usize..off as usize + n].copy_from_slice(&bytes[k..k + n]);
                *w = u64::from_le_bytes(b);
            }
            k += n;
        }
        Ok(())
    }

    /// Copies device memory at `addr` into `buf` (must lie inside one allocation).
    pub fn read(&self, addr: u64, buf: &mut [u8]) -> Result<(), MemError> {
        let r = self.locate(addr, buf.len() as u64)?;
        let o = addr - r.base;
        let mut k = 0usize;
        while k < buf.len() {
            let at = o + k as u64;
            let (wi, off) = ((at / 8) as usize, at % 8);
            let n = (8 - off as usize).min(buf.len() - k);
            let b = r.words[wi].load(Ordering::Relaxed).to_le_bytes();
            buf[k..k + n].copy_from_slice(&b[off as usize..off as usize + n]);
            k += n;
        }
        Ok(())
    }

    /// Writes `f64` values (little-endian) starting at `addr`.
    pub fn write_f64s(&mut self, addr: u64, v: &[f64]) -> Result<(), MemError> {
        self.write(addr, &v.iter().flat_map(|x| x.to_le_bytes()).collect::<Vec<_>>())
    }
    /// Reads `n` `f64` values starting at `addr`.
    pub fn read_f64s(&self, addr: u64, n: usize) -> Result<Vec<f64>, MemError> {
        let mut b = vec![0; n * 8];
        self.read(addr, &mut b)?;
        Ok(b.chunks_exact(8)
            .map(|c| f64::from_le_bytes(c.try_into().unwrap()))
            .collect())
    }
    /// Writes `f32` values starting at `addr`.
    pub fn write_f32s(&mut self, addr: u64, v: &[f32]) -> Result<(), MemError> {
        self.write(addr, &v.iter().flat_map(|x| x.to_le_bytes()).collect::<Vec<_>>())
    }
    /// Reads `n` `f32` values starting at `addr`.
    pub fn read_f32s(&self, addr: u64, n: usize) -> Result<Vec<f32>, MemError> {
        let mut b = vec![0; n * 4];
        self.read(addr, &mut b)?;
        Ok(b.chunks_exact(4)
            .map(|c| f32::from_le_bytes(c.try_into().unwrap()))
            .collect())
    }
    /// Writes `u32` values starting at `addr`.
    pub fn write_u32s(&mut self, addr: u64, v: &[u32]) -> Result<(), MemError> {
        self.write(addr, &v.iter().flat_map(|x| x.to_le_bytes()).collect::<Vec<_>>())
    }
    /// Reads `n` `u32` values starting at `addr`.
    pub fn read_u32s(&self, addr: u64, n: usize) -> Result<Vec<u32>, MemError> {
        let mut b = vec![0; n * 4];
        self.read(addr, &mut b)?;
        Ok(b.chunks_exact(4)
            .map(|c| u32::from_le_bytes(c.try_into().unwrap()))
            .collect())
    }
    /// Writes `u64` values starting at `addr`.
    pub fn write_u64s(&mut self, addr: u64, v: &[u64]) -> Result<(), MemError> {
        self.write(addr, &v.iter().flat_map(|x| x.to_le_bytes()).collect::<Vec<_>>())
    }
    /// Reads `n` `u64` values starting at `addr`.
    pub fn read_u64s(&self, addr: u64, n: usize) -> Result<Vec<u64>, MemError> {
        let mut b = vec![0; n * 8];
        self.read(addr, &mut b)?;
        Ok(b.chunks_exact(8)
            .map(|c| u64::from_le_bytes(c.try_into().unwrap()))
            .collect())
    }

    /// The word holding the aligned `size`-byte access at `addr`, and the byte offset in it.
    #[inline]
    fn word(&self, addr: u64, size: u64) -> Result<(&AtomicU64, u64), MemError> {
        check_align(Space::Global, addr, size)?;
        let r = self.locate(addr, size)?;
        let o = addr - r.base;
        Ok((&r.words[(o / 8) as usize], o % 8))
    }

    /// Device-side load of `size` (1, 2, 4 or 8) bytes, zero-extended.
    #[inline]
    pub(crate) fn load(&self, addr: u64, size: u64) -> Result<u64, MemError> {
        let (w, off) = self.word(addr, size)?;
        Ok(extract(w.load(Ordering::Relaxed), off, size))
    }

    /// Device-side store of the low `size` bytes of `v`. A narrow store replaces its bytes
    /// atomically, so threads storing to neighbouring bytes of one word do not interfere.
    #[inline]
    pub(crate) fn store(&self, addr: u64, size: u64, v: u64) -> Result<(), MemError> {
        let (w, off) = self.word(addr, size)?;
        if size == 8 {
            w.store(v, Ordering::Relaxed);
        } else {
            let _ = w.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |x| {
                Some(insert(x, off, size, v))
            });
        }
        Ok(())
    }

    /// Atomic read-modify-write of the `size` bytes at `addr`: stores `f(old)`, returns `old`.
    pub(crate) fn rmw(&self, addr: u64, size: u64, f: impl Fn(u64) -> u64) -> Result<u64, MemError> {
        let (w, off) = self.word(addr, size)?;
        let prev = w
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |x| {
                Some(insert(x, off, size, f(extract(x, off, size))))
            })
            .unwrap_or_else(|x| x);
        Ok(extract(prev, off, size))
    }
}

#[derive(Debug, Clone, Copy)]
struct LocalRegion {
    base: u64,
    len: u64,
    /// First word in [`LocalMemory::words`].
    word: usize,
}

/// Per-thread local memory: one region per `.local` variable per active call frame, with
/// byte-level initialization tracking. Regions are a stack in one reusable buffer, so
/// calls allocate nothing once the buffer has grown to the deepest frame.
#[derive(Debug)]
pub(crate) struct LocalMemory {
    regions: Vec<LocalRegion>,
    words: Vec<u64>,
    /// Written bytes of each word, one bit per byte.
    init: Vec<u8>,
    top: usize,
    next: u64,
}

impl LocalMemory {
    pub(crate) fn new() -> Self {
        LocalMemory {
            regions: Vec::new(),
            words: Vec::new(),
            init: Vec::new(),
            top: 0,
            next: LOCAL_BASE + 0x1000,
        }
    }
    pub(crate) fn reset(&mut self) {
        self.regions.clear();
        self.top = 0;
        self.next = LOCAL_BASE + 0x1000;
    }
    /// Allocates a region (stack discipline: freed with [`LocalMemory::pop`]).
    pub(crate) fn push(&mut self, size: u64, align: u64) -> Result<u64, MemError> {
        let align = align.max(16);
        let base = self.next.div_ceil(align) * align;
        if base + size + GUARD >= LOCAL_END {
            return Err(MemError::Invalid("local address space exhausted".into()));
        }
        self.next = base + size + GUARD;
        let word = self.top;
        self.top += size.div_ceil(8) as usize;
        if self.words.len() < self.top {
            self.words.resize(self.top, 0);
            self.init.resize(self.top, 0);
        }
        self.init[word..self.top].fill(0);
        self.regions.push(LocalRegion {
            base,
            len: size,
            word,
        });
        Ok(base)
    }
    /// Frees the `n` most recent regions.
    pub(crate) fn pop(&mut self, n: usize) {
        if n == 0 {
            return;
        }
        let k = self.regions.len() - n;
        self.top = self.regions[k].word;
        self.regions.truncate(k);
    }
    #[inline]
    fn locate(&self, addr: u64, size: u64) -> Result<(usize, u64), MemError> {
        check_space(addr, Space::Local)?;
        check_align(Space::Local, addr, size)?;
        let oob = MemError::OutOfBounds {
            space: Space::Local,
            addr,
            size,
        };
        let i = self
            .regions
            .partition_point(|r| r.base <= addr)
            .checked_sub(1)
            .ok_or(oob.clone())?;
        let r = self.regions[i];
        if addr + size > r.base + r.len {
            return Err(oob);
        }
        let o = addr - r.base;
        Ok((r.word + (o / 8) as usize, o % 8))
    }
    #[inline]
    pub(crate) fn load(&self, addr: u64, size: u64) -> Result<u64, MemError> {
        let (w, off) = self.locate(addr, size)?;
        let f = byte_flags(off, size);
        if self.init[w] & f != f {
            return Err(MemError::Uninit {
                space: Space::Local,
                addr,
                size,
            });
        }
        Ok(extract(self.words[w], off, size))
    }
    #[inline]
    pub(crate) fn store(&mut self, addr: u64, size: u64, v: u64) -> Result<(), MemError> {
        let (w, off) = self.locate(addr, size)?;
        self.words[w] = insert(self.words[w], off, size, v);
        self.init[w] |= byte_flags(off, size);
        Ok(())
    }
}
