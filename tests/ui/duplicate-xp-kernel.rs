//! `#[xp_kernel]` twice on one function is rejected at the second attribute.
use osipy_kernels::xp_kernel;

#[xp_kernel]
#[xp_kernel]
pub fn double(x: f64) -> f64 {
    2.0 * x
}

fn main() {}
