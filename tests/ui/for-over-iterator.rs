//! A `for` loop over something other than an integer range is rejected at the iterated expression.
use osipy_kernels::xp_kernel;

#[xp_kernel]
pub fn sum(x: &[f64]) -> f64 {
    let mut s = 0.0;
    for i in [0, 1, 2] {
        s += x[i];
    }
    s
}

fn main() {}
