//! A kernel whose arguments are all `#[uniform]` has no per-item argument to fix the item count.
use osipy_kernels::xp_kernel;

#[xp_kernel]
pub fn add(#[uniform] a: f64, #[uniform] b: f64) -> f64 {
    a + b
}

fn main() {}
