//! A `Vec<f64>` argument is rejected at its type: a row is written `&[f64]`.
use osipy_kernels::xp_kernel;

#[xp_kernel]
pub fn first(x: Vec<f64>) -> f64 {
    x[0]
}

fn main() {}
