//! An `unsafe` block in the body is rejected at `unsafe`: indexing is checked by every backend.
use osipy_kernels::xp_kernel;

#[xp_kernel]
pub fn first(x: &[f64]) -> f64 {
    unsafe { *x.get_unchecked(0) }
}

fn main() {}
