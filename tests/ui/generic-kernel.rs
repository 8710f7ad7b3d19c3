//! A type parameter on a kernel is rejected at the generics: kernels are written for concrete types.
use osipy_kernels::xp_kernel;

#[xp_kernel]
pub fn scale<T>(x: f64) -> f64 {
    2.0 * x
}

fn main() {}
