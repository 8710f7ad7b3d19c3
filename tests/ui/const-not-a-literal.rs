//! A `const` in a kernel body holds a literal of a scalar type.
use osipy_kernels::xp_kernel;

#[xp_kernel]
pub fn scaled(x: f64) -> f64 {
    const K: f64 = 2.0 * 3.0;
    K * x
}

fn main() {}
