//! `#[param]` on a row argument is rejected at the argument: a fitted parameter is an `f64`.
use osipy_kernels::xp_kernel;

#[xp_kernel(model)]
pub fn decay(#[param] x: &[f64], #[param] k: f64, pred: &mut [f64]) {
    for i in 0..pred.len() {
        pred[i] = (-k * x[i]).exp();
    }
}

fn main() {}
