//! `const fn` is rejected at `const`.
use osipy_kernels::xp_kernel;

#[xp_kernel]
pub const fn double(x: f64) -> f64 {
    2.0 * x
}

fn main() {}
