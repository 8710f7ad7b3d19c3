//! `#[uniform]` twice on one argument is rejected at the second one.
use osipy_kernels::xp_kernel;

#[xp_kernel]
pub fn scale(
    x: f64,
    #[uniform]
    #[uniform]
    gain: f64,
) -> f64 {
    gain * x
}

fn main() {}
