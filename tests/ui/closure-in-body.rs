//! A closure in the body is rejected at the closure.
use osipy_kernels::xp_kernel;

#[xp_kernel]
pub fn double(x: f64) -> f64 {
    let _twice = |v: f64| 2.0 * v;
    2.0 * x
}

fn main() {}
