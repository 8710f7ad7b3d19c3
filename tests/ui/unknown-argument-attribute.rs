//! An attribute other than `#[uniform]` on an argument is rejected at that attribute.
use osipy_kernels::xp_kernel;

#[xp_kernel]
pub fn scale(x: f64, #[foo] gain: f64) -> f64 {
    gain * x
}

fn main() {}
