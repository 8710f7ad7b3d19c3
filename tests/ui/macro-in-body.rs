//! A macro invocation (`println!`) in the body is rejected at the invocation.
use osipy_kernels::xp_kernel;

#[xp_kernel]
pub fn double(x: f64) -> f64 {
    println!("{x}");
    2.0 * x
}

fn main() {}
