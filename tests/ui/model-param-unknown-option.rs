//! `#[param(step = 1.0)]` is rejected at the option: `#[param]` takes `init`, `lower`, `upper`, `log`.
use osipy_kernels::xp_kernel;

#[xp_kernel(model)]
pub fn decay(#[uniform] t: &[f64], #[param(step = 1.0)] k: f64, pred: &mut [f64]) {
    for i in 0..pred.len() {
        pred[i] = (-k * t[i]).exp();
    }
}

fn main() {}
