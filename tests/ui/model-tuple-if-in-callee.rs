//! A kernel called by a fit model returns a tuple from an `if`: the derivatives need each value
//! bound on its own.
use osipy_kernels::xp_kernel;

#[xp_kernel]
fn pair(x: f64) -> (f64, f64) {
    if x > 0.0 {
        (x, 2.0 * x)
    } else {
        (0.0, x)
    }
}

#[xp_kernel(model)]
pub fn decay(#[uniform] t: &[f64], #[param] k: f64, pred: &mut [f64]) {
    for i in 0..pred.len() {
        let (a, b) = pair(k * t[i]);
        pred[i] = a + b;
    }
}

fn main() {}
