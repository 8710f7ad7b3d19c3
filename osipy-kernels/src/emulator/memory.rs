//! Device memory model: global allocations (host-visible) and per-thread local memory.
//!
//! Each state space lives in its own disjoint address range so that a pointer
//! from one space used with another space's instruction is detected:
//! global addresses start at [`GLOBAL_BASE`], local addresses at [`LOCAL_BASE`].
//! Allocations are separated by unmapped guard gaps and never reuse addresses.

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
pub fn space_of(addr: u64) -> Option<Space> {
    if (GLOBAL_BASE..GLOBAL_END).contains(&addr) {
        Some(Space::Global)
    } else if (LOCAL_BASE..LOCAL_END).contains(&addr) {
        Some(Space::Local)
    } else {
        None
    }
}

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

fn check_align(space: Space, addr: u64, size: u64) -> Result<(), MemError> {
    if addr.is_multiple_of(size) {
        Ok(())
    } else {
        Err(MemError::Misaligned { space, addr, size })
    }
}

#[derive(Debug, Clone)]
struct Region {
    base: u64,
    data: Vec<u8>,
}

/// Finds the region fully containing `[addr, addr+len)` in a base-sorted list.
fn find(regions: &[Region], addr: u64, len: u64) -> Option<usize> {
    let i = regions.partition_point(|r| r.base <= addr).checked_sub(1)?;
    let r = &regions[i];
    let end = addr.checked_add(len)?;
    (end <= r.base + r.data.len() as u64).then_some(i)
}

/// Global device memory: a set of allocations made from the host.
///
/// New allocations are zero-filled. Freed addresses are never handed out again,
/// so use-after-free is reported as an out-of-bounds access.
#[derive(Debug, Clone)]
pub struct GlobalMemory {
    regions: Vec<Region>,
    next: u64,
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
        self.regions.push(Region {
            base,
            data: vec![0; bytes],
        });
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

    fn locate(&self, addr: u64, len: u64) -> Result<(usize, usize), MemError> {
        check_space(addr, Space::Global)?;
        let i = find(&self.regions, addr, len).ok_or(MemError::OutOfBounds {
            space: Space::Global,
            addr,
            size: len,
        })?;
        Ok((i, (addr - self.regions[i].base) as usize))
    }

    /// Copies `bytes` to device address `addr` (must lie inside one allocation).
    pub fn write(&mut self, addr: u64, bytes: &[u8]) -> Result<(), MemError> {
        let (i, o) = self.locate(addr, bytes.len() as u64)?;
        self.regions[i].data[o..o + bytes.len()].copy_from_slice(bytes);
        Ok(())
    }

    /// Copies device memory at `addr` into `buf` (must lie inside one allocation).
    pub fn read(&self, addr: u64, buf: &mut [u8]) -> Result<(), MemError> {
        let (i, o) = self.locate(addr, buf.len() as u64)?;
        buf.copy_from_slice(&self.regions[i].data[o..o + buf.len()]);
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

    /// Device-side load of `size` (1, 2, 4 or 8) bytes, zero-extended.
    pub(crate) fn load(&self, addr: u64, size: u64) -> Result<u64, MemError> {
        check_align(Space::Global, addr, size)?;
        let (i, o) = self.locate(addr, size)?;
        Ok(le_load(&self.regions[i].data[o..o + size as usize]))
    }

    /// Device-side store of the low `size` bytes of `v`.
    pub(crate) fn store(&mut self, addr: u64, size: u64, v: u64) -> Result<(), MemError> {
        check_align(Space::Global, addr, size)?;
        let (i, o) = self.locate(addr, size)?;
        le_store(&mut self.regions[i].data[o..o + size as usize], v);
        Ok(())
    }
}

pub(crate) fn le_load(b: &[u8]) -> u64 {
    let mut x = [0u8; 8];
    x[..b.len()].copy_from_slice(b);
    u64::from_le_bytes(x)
}

pub(crate) fn le_store(b: &mut [u8], v: u64) {
    let n = b.len();
    b.copy_from_slice(&v.to_le_bytes()[..n]);
}

/// Per-thread local memory: one region per `.local` variable per active call frame,
/// with byte-level initialization tracking.
#[derive(Debug)]
pub(crate) struct LocalMemory {
    regions: Vec<Region>,
    init: Vec<Vec<bool>>,
    next: u64,
}

impl LocalMemory {
    pub(crate) fn new() -> Self {
        LocalMemory {
            regions: Vec::new(),
            init: Vec::new(),
            next: LOCAL_BASE + 0x1000,
        }
    }
    pub(crate) fn reset(&mut self) {
        self.regions.clear();
        self.init.clear();
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
        self.regions.push(Region {
            base,
            data: vec![0; size as usize],
        });
        self.init.push(vec![false; size as usize]);
        Ok(base)
    }
    /// Frees the `n` most recent regions.
    pub(crate) fn pop(&mut self, n: usize) {
        let k = self.regions.len() - n;
        self.regions.truncate(k);
        self.init.truncate(k);
    }
    fn locate(&self, addr: u64, size: u64) -> Result<(usize, usize), MemError> {
        check_space(addr, Space::Local)?;
        check_align(Space::Local, addr, size)?;
        let i = find(&self.regions, addr, size).ok_or(MemError::OutOfBounds {
            space: Space::Local,
            addr,
            size,
        })?;
        Ok((i, (addr - self.regions[i].base) as usize))
    }
    pub(crate) fn load(&self, addr: u64, size: u64) -> Result<u64, MemError> {
        let (i, o) = self.locate(addr, size)?;
        let s = size as usize;
        if !self.init[i][o..o + s].iter().all(|&b| b) {
            return Err(MemError::Uninit {
                space: Space::Local,
                addr,
                size,
            });
        }
        Ok(le_load(&self.regions[i].data[o..o + s]))
    }
    pub(crate) fn store(&mut self, addr: u64, size: u64, v: u64) -> Result<(), MemError> {
        let (i, o) = self.locate(addr, size)?;
        let s = size as usize;
        le_store(&mut self.regions[i].data[o..o + s], v);
        self.init[i][o..o + s].fill(true);
        Ok(())
    }
}
