//! `#[param(log)]` needs a lower bound of at least 0: a log-scaled parameter is positive.
use osipy_kernels::xp_kernel;

#[xp_kernel(model)]
pub fn decay(#[uniform] t: &[f64], #[param(init = 1.0, lower = -1.0, log)] k: f64, pred: &mut [f64]) {
    for i in 0..pred.len() {
        pred[i] = (-k * t[i]).exp();
    }
}

fn main() {}
