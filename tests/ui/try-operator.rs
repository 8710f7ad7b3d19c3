//! The `?` operator is rejected at `?`.
use osipy_kernels::xp_kernel;

#[xp_kernel]
pub fn double(x: f64) -> f64 {
    2.0 * x?
}

fn main() {}
