//! A lifetime parameter on a kernel is rejected at the generics, like any generic parameter.
use osipy_kernels::xp_kernel;

#[xp_kernel]
pub fn first<'a>(x: &'a [f64]) -> f64 {
    x[0]
}

fn main() {}
