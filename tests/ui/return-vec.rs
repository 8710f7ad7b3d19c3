//! Returning a `Vec<f64>` is rejected at the return type: write into `&mut [T]`.
use osipy_kernels::xp_kernel;

#[xp_kernel]
pub fn pair(x: f64) -> Vec<f64> {
    vec![x, x]
}

fn main() {}
