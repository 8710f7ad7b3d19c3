//! Returning a row (`-> &[f64]`) is rejected at the return type: write into `&mut [T]`.
use osipy_kernels::xp_kernel;

#[xp_kernel]
pub fn same(x: &[f64]) -> &[f64] {
    x
}

fn main() {}
