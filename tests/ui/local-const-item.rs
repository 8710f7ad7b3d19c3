//! A `const` item inside the body is rejected at the item.
use osipy_kernels::xp_kernel;

#[xp_kernel]
pub fn double(x: f64) -> f64 {
    const _TWO: f64 = 2.0;
    2.0 * x
}

fn main() {}
