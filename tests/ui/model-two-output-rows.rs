//! A fit model with two output rows is rejected: it has exactly one, the prediction.
use osipy_kernels::xp_kernel;

#[xp_kernel(model)]
pub fn decay(#[uniform] t: &[f64], #[param] k: f64, pred: &mut [f64], slope: &mut [f64]) {
    for i in 0..pred.len() {
        pred[i] = (-k * t[i]).exp();
        slope[i] = -t[i] * (-k * t[i]).exp();
    }
}

fn main() {}
