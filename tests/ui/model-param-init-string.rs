//! `#[param(init = "a")]` is rejected at the value: `init` takes a number literal.
use osipy_kernels::xp_kernel;

#[xp_kernel(model)]
pub fn decay(#[uniform] t: &[f64], #[param(init = "a")] k: f64, pred: &mut [f64]) {
    for i in 0..pred.len() {
        pred[i] = (-k * t[i]).exp();
    }
}

fn main() {}
