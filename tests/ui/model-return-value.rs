//! A fit model that returns a value is rejected at the return type: it writes its prediction
//! into the output row.
use osipy_kernels::xp_kernel;

#[xp_kernel(model)]
pub fn decay(#[uniform] t: &[f64], #[param] k: f64, pred: &mut [f64]) -> f64 {
    for i in 0..pred.len() {
        pred[i] = (-k * t[i]).exp();
    }
    k
}

fn main() {}
