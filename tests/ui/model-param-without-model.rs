//! `#[param]` on a kernel without `#[xp_kernel(model)]` is rejected at the attribute.
use osipy_kernels::xp_kernel;

#[xp_kernel]
pub fn decay(#[uniform] t: &[f64], #[param] k: f64, pred: &mut [f64]) {
    for i in 0..pred.len() {
        pred[i] = (-k * t[i]).exp();
    }
}

fn main() {}
