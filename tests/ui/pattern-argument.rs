//! A pattern in argument position is rejected at the pattern: bind the argument to a name.
use osipy_kernels::xp_kernel;

#[xp_kernel]
pub fn sum((a, b): (f64, f64)) -> f64 {
    a + b
}

fn main() {}
