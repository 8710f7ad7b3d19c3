//! `async fn` is rejected at `async`: a kernel is a plain synchronous function.
use osipy_kernels::xp_kernel;

#[xp_kernel]
pub async fn double(x: f64) -> f64 {
    2.0 * x
}

fn main() {}
