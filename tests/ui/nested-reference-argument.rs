//! A reference to a reference to a row (`&&[f64]`) is rejected at its type.
use osipy_kernels::xp_kernel;

#[xp_kernel]
pub fn first(x: &&[f64]) -> f64 {
    x[0]
}

fn main() {}
