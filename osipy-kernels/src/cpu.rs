//! The CPU backend's runtime: running items in parallel and reporting faults.

use rayon::prelude::*;

use crate::{Error, Result};

/// Where in a kernel body an index is checked: the function and the array.
#[derive(Debug, PartialEq, Eq)]
pub struct Site {
    /// Function whose body holds the indexing.
    pub function: &'static str,
    /// The row or local array indexed.
    pub array: &'static str,
}

/// Why one item stopped early. Small (three words) so the checked path stays cheap.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fault {
    /// Where the failing index was.
    pub site: &'static Site,
    /// The index used.
    pub index: usize,
    /// The length of the row or array.
    pub len: usize,
}

impl Fault {
    /// An out-of-range index.
    #[cold]
    #[inline(never)]
    pub fn out_of_bounds(site: &'static Site, index: usize, len: usize) -> Fault {
        Fault { site, index, len }
    }

    fn into_error(self, kernel: &'static str, item: usize) -> Error {
        Error::IndexOutOfBounds {
            kernel,
            function: self.site.function,
            array: self.site.array,
            item,
            index: self.index,
            len: self.len,
        }
    }
}

/// A pointer that may cross threads: items write disjoint parts of one buffer.
#[derive(Debug, Clone, Copy)]
pub struct SyncPtr<T>(pub *mut T);

// SAFETY: the generated code gives every item its own disjoint part of the buffer, and the
// buffer outlives the parallel loop.
unsafe impl<T: Send> Send for SyncPtr<T> {}
// SAFETY: as above; no two threads touch the same element.
unsafe impl<T: Send> Sync for SyncPtr<T> {}

/// Items per chunk: enough chunks for load balance, few enough to keep overhead negligible.
fn chunk_len(n_items: usize) -> usize {
    let threads = rayon::current_num_threads().max(1);
    (n_items / (threads * 16)).clamp(64, 1 << 14)
}

/// Runs `chunk(lo, hi)` over `0..n_items` split in chunks on the current rayon pool.
///
/// Each chunk returns the first item that faulted in it; the lowest faulting item over all
/// chunks becomes the error, so the report does not depend on the thread count.
pub fn run_chunks(
    kernel: &'static str,
    n_items: usize,
    chunk: &(dyn Fn(usize, usize) -> Option<(usize, Fault)> + Sync),
) -> Result<()> {
    if n_items == 0 {
        return Ok(());
    }
    let len = chunk_len(n_items);
    let n_chunks = n_items.div_ceil(len);
    let first = if n_chunks == 1 {
        chunk(0, n_items)
    } else {
        (0..n_chunks)
            .into_par_iter()
            .map(|c| chunk(c * len, ((c + 1) * len).min(n_items)))
            .reduce(
                || None,
                |a, b| match (a, b) {
                    (Some(x), Some(y)) => Some(if y.0 < x.0 { y } else { x }),
                    (x, None) => x,
                    (None, y) => y,
                },
            )
    };
    match first {
        None => Ok(()),
        Some((item, fault)) => Err(fault.into_error(kernel, item)),
    }
}

/// 0: detect; 1: force the FMA build off; 2: force it on (where the CPU has FMA).
static FMA_OVERRIDE: std::sync::atomic::AtomicU8 = std::sync::atomic::AtomicU8::new(0);

/// Forces the choice between the FMA and the plain CPU build of kernels (`None`: detect).
/// For tests that check both builds give the same bits; `Some(true)` has no effect on a CPU
/// without FMA.
pub fn force_cpu_fma(choice: Option<bool>) {
    let v = match choice {
        None => 0,
        Some(false) => 1,
        Some(true) => 2,
    };
    FMA_OVERRIDE.store(v, std::sync::atomic::Ordering::Relaxed);
}

/// Whether kernels run their FMA build: the CPU has fused multiply-add (detected once) and
/// no override says otherwise.
#[inline]
pub fn has_fma() -> bool {
    #[cfg(any(target_arch = "x86_64", target_arch = "x86"))]
    {
        use std::sync::OnceLock;
        static FMA: OnceLock<bool> = OnceLock::new();
        let hw = *FMA.get_or_init(|| std::arch::is_x86_feature_detected!("fma"));
        hw && FMA_OVERRIDE.load(std::sync::atomic::Ordering::Relaxed) != 1
    }
    #[cfg(not(any(target_arch = "x86_64", target_arch = "x86")))]
    {
        false
    }
}

/// Checked read of `s[i]`.
#[inline(always)]
pub fn get<T: Copy>(s: &[T], i: usize, site: &'static Site) -> Result<T, Fault> {
    match s.get(i) {
        Some(v) => Ok(*v),
        None => Err(Fault::out_of_bounds(site, i, s.len())),
    }
}

/// Checked mutable access to `s[i]`.
#[inline(always)]
pub fn get_mut<'a, T>(s: &'a mut [T], i: usize, site: &'static Site) -> Result<&'a mut T, Fault> {
    let len = s.len();
    match s.get_mut(i) {
        Some(v) => Ok(v),
        None => Err(Fault::out_of_bounds(site, i, len)),
    }
}

/// A buffer of `n` per-item return values, filled by the items.
#[derive(Debug)]
pub struct ReturnBuf<T> {
    data: Vec<std::mem::MaybeUninit<T>>,
}

impl<T: crate::Element> ReturnBuf<T> {
    /// Room for `n` values.
    pub fn new(n: usize) -> Self {
        let mut data = Vec::with_capacity(n);
        data.resize_with(n, std::mem::MaybeUninit::uninit);
        ReturnBuf { data }
    }

    /// Where item 0's value goes.
    pub fn ptr(&mut self) -> SyncPtr<std::mem::MaybeUninit<T>> {
        SyncPtr(self.data.as_mut_ptr())
    }

    /// The values as an array of `shape`.
    ///
    /// # Safety
    /// Every one of the `n` values must have been written.
    pub unsafe fn assume_init(self, shape: &[usize]) -> crate::XpArray<T> {
        let mut data = std::mem::ManuallyDrop::new(self.data);
        let (ptr, len, cap) = (data.as_mut_ptr(), data.len(), data.capacity());
        // SAFETY: MaybeUninit<T> has T's layout; the caller guarantees every element is set.
        let v = unsafe { Vec::from_raw_parts(ptr.cast::<T>(), len, cap) };
        match ndarray::ArrayD::from_shape_vec(ndarray::IxDyn(shape), v) {
            Ok(a) => crate::XpArray::from_host(a),
            Err(_) => crate::XpArray::zeros(shape),
        }
    }
}
