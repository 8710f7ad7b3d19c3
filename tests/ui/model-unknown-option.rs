//! `#[xp_kernel(fit)]` is rejected at the option: a fit model is `#[xp_kernel(model)]`.
use osipy_kernels::xp_kernel;

#[xp_kernel(fit)]
pub fn decay(#[uniform] t: &[f64], #[param] k: f64, pred: &mut [f64]) {
    for i in 0..pred.len() {
        pred[i] = (-k * t[i]).exp();
    }
}

fn main() {}
