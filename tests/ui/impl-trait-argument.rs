//! An `impl Trait` argument is rejected at its type.
use osipy_kernels::xp_kernel;

#[xp_kernel]
pub fn double(x: impl Into<f64>) -> f64 {
    2.0 * x.into()
}

fn main() {}
