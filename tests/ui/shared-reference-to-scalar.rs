//! A shared reference to a scalar (`&f64`) is rejected at its type: take the value instead.
use osipy_kernels::xp_kernel;

#[xp_kernel]
pub fn double(x: &f64) -> f64 {
    2.0 * *x
}

fn main() {}
