//! Reading the prediction row of a fit model is rejected at the read: the row is write-only.
use osipy_kernels::xp_kernel;

#[xp_kernel(model)]
pub fn decay(#[uniform] t: &[f64], #[param] k: f64, pred: &mut [f64]) {
    pred[0] = 1.0;
    let v = pred[0];
    for i in 1..pred.len() {
        pred[i] = v * (-k * t[i]).exp();
    }
}

fn main() {}
