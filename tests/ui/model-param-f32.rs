//! `#[param]` on an `f32` argument is rejected at the argument: a fitted parameter is an `f64`.
use osipy_kernels::xp_kernel;

#[xp_kernel(model)]
pub fn decay(#[uniform] t: &[f64], #[param] k: f32, pred: &mut [f64]) {
    for i in 0..pred.len() {
        pred[i] = (-(k as f64) * t[i]).exp();
    }
}

fn main() {}
