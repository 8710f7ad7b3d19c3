//! `samples` belongs to fit models.
use osipy_kernels::xp_kernel;

#[xp_kernel(samples = t)]
pub fn decay(#[uniform] t: &[f64], rate: f64, out: &mut [f64]) {
    for k in 0..out.len() {
        out[k] = (-rate * t[k]).exp();
    }
}

fn main() {}
