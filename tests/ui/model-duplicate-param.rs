//! `#[param]` twice on one argument is rejected at the second one.
use osipy_kernels::xp_kernel;

#[xp_kernel(model)]
pub fn decay(
    #[uniform] t: &[f64],
    #[param(init = 1.0)]
    #[param(upper = 5.0)]
    k: f64,
    pred: &mut [f64],
) {
    for i in 0..pred.len() {
        pred[i] = (-k * t[i]).exp();
    }
}

fn main() {}
