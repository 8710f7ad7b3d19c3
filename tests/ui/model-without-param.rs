//! A fit model without any `#[param]` is rejected at its name: it has nothing to fit.
use osipy_kernels::xp_kernel;

#[xp_kernel(model)]
pub fn decay(#[uniform] t: &[f64], k: f64, pred: &mut [f64]) {
    for i in 0..pred.len() {
        pred[i] = (-k * t[i]).exp();
    }
}

fn main() {}
