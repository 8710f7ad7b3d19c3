//! A fit model takes no struct argument (its arguments are what the fit binds).
use osipy_kernels::{xp_kernel, xp_struct};

#[xp_struct]
#[derive(Clone, Copy)]
pub struct Gain {
    pub g: f64,
}

#[xp_kernel(model)]
pub fn decay(#[uniform] t: &[f64], #[param] k: f64, gain: Gain, pred: &mut [f64]) {
    for i in 0..t.len() {
        pred[i] = gain.g * (-k * t[i]).exp();
    }
}

fn main() {}
