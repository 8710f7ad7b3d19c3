//! A row of references (`&[&f64]`) is rejected at its type: row elements are scalars.
use osipy_kernels::xp_kernel;

#[xp_kernel]
pub fn first(x: &[&f64]) -> f64 {
    *x[0]
}

fn main() {}
