//! A compound assignment to the prediction row of a fit model is rejected at the assignment:
//! `+=` reads the write-only row.
use osipy_kernels::xp_kernel;

#[xp_kernel(model)]
pub fn decay(#[uniform] t: &[f64], #[param] k: f64, #[param] c: f64, pred: &mut [f64]) {
    for i in 0..pred.len() {
        let x = (-k * t[i]).exp();
        pred[i] = c;
        pred[i] += x;
    }
}

fn main() {}
