//! `unsafe fn` is rejected at `unsafe`: kernels are safe code.
use osipy_kernels::xp_kernel;

#[xp_kernel]
pub unsafe fn double(x: f64) -> f64 {
    2.0 * x
}

fn main() {}
